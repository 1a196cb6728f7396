import Glibc
import Synchronization

/// The gateway's notion of "now": key expiry, rate windows, fault schedules and the task
/// lifecycle read it. Kept in milliseconds (tasks move in fractions of a second under
/// `--time-scale`); most readers want whole Unix seconds (`now`).
///
/// Real time by default; it can be frozen, set and advanced (the control API builds on this),
/// so tests of time-based behaviour never sleep. Sendable through a Mutex.
public final class GatewayClock: Sendable {
    private struct State { var frozenAt: Int?; var offset = 0 }
    private let state = Mutex(State())

    public init() {}

    /// Real wall-clock milliseconds.
    static func realMillis() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
    }

    /// Current virtual Unix time in milliseconds.
    public var nowMillis: Int {
        state.withLock { s in s.frozenAt ?? (Self.realMillis() + s.offset) }
    }

    /// Current Unix time in whole seconds, virtual if frozen or shifted.
    public var now: Int { nowMillis / 1000 }

    /// Stops time at the current instant (or at `at`, Unix seconds).
    public func freeze(at: Int? = nil) {
        state.withLock { s in s.frozenAt = at.map { $0 * 1000 } ?? (s.frozenAt ?? Self.realMillis() + s.offset) }
    }

    /// Moves time forward by `seconds` (frozen or running).
    public func advance(by seconds: Int) { advance(millis: seconds * 1000) }

    /// Moves time forward by `millis` (frozen or running).
    public func advance(millis: Int) {
        state.withLock { s in
            if let f = s.frozenAt { s.frozenAt = f + millis } else { s.offset += millis }
        }
    }

    /// Lets time run again from the current virtual instant.
    public func resume() {
        state.withLock { s in
            if let f = s.frozenAt { s.offset = f - Self.realMillis(); s.frozenAt = nil }
        }
    }

    /// Whether time is stopped.
    public var isFrozen: Bool { state.withLock { $0.frozenAt != nil } }

    /// Back to real time.
    public func reset() { state.withLock { $0 = State() } }
}
