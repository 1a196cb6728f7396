import Glibc
import Synchronization

/// The gateway's notion of "now" in Unix seconds: key expiry, rate windows and resets read it.
///
/// Real time by default; it can be frozen, set and advanced (the control API builds on this),
/// so tests of time-based behaviour never sleep. Sendable through a Mutex.
public final class GatewayClock: Sendable {
    private struct State { var frozenAt: Int?; var offset = 0 }
    private let state = Mutex(State())

    public init() {}

    /// Current Unix time, virtual if frozen or shifted.
    public var now: Int {
        state.withLock { s in s.frozenAt ?? (Int(time(nil)) + s.offset) }
    }

    /// Stops time at the current instant (or at `at`).
    public func freeze(at: Int? = nil) {
        state.withLock { s in s.frozenAt = at ?? (s.frozenAt ?? Int(time(nil)) + s.offset) }
    }

    /// Moves time forward by `seconds` (frozen or running).
    public func advance(by seconds: Int) {
        state.withLock { s in
            if let f = s.frozenAt { s.frozenAt = f + seconds } else { s.offset += seconds }
        }
    }

    /// Lets time run again from the current virtual instant.
    public func resume() {
        state.withLock { s in
            if let f = s.frozenAt { s.offset = f - Int(time(nil)); s.frozenAt = nil }
        }
    }

    /// Whether time is stopped.
    public var isFrozen: Bool { state.withLock { $0.frozenAt != nil } }

    /// Back to real time.
    public func reset() { state.withLock { $0 = State() } }
}
