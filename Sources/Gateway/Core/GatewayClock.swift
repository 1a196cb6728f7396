import Glibc
import Synchronization

/// The gateway's notion of "now": key expiry, rate windows, fault schedules and the task
/// lifecycle read it. Kept in milliseconds (tasks move in fractions of a second under
/// `--time-scale`); most readers want whole Unix seconds (`now`).
///
/// Real time by default; it can be frozen, set and advanced (the control API builds on this),
/// so tests of time-based behaviour never sleep. Virtual time stays within ``range`` (the Unix
/// epoch to the last second of year 9999, what RFC 3339 can write): a time set outside it, or an
/// advance past it, stops at the bound, so no later arithmetic on "now" can overflow. The
/// control API rejects such requests before they get here. Sendable through a Mutex.
public final class GatewayClock: Sendable {
    /// The Unix seconds virtual time may take: 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
    public static let range = 0...253_402_300_799
    /// ``range`` in milliseconds.
    static let millisRange = 0...(range.upperBound * 1000 + 999)

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
        state.withLock { s in s.frozenAt ?? Self.clamped(Self.realMillis(), plus: s.offset) }
    }

    /// Current Unix time in whole seconds, virtual if frozen or shifted.
    public var now: Int { nowMillis / 1000 }

    /// Stops time at the current instant (or at `at`, Unix seconds).
    public func freeze(at: Int? = nil) {
        state.withLock { s in
            s.frozenAt = at.map { Self.clamped(min(max($0, Self.range.lowerBound), Self.range.upperBound) * 1000, plus: 0) }
                ?? (s.frozenAt ?? Self.clamped(Self.realMillis(), plus: s.offset))
        }
    }

    /// Moves time forward by `seconds` (frozen or running).
    public func advance(by seconds: Int) {
        let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        advance(millis: overflow ? (seconds < 0 ? Int.min : Int.max) : millis)
    }

    /// Moves time forward by `millis` (frozen or running), stopping at the end of ``range``.
    public func advance(millis: Int) {
        state.withLock { s in
            if let f = s.frozenAt {
                s.frozenAt = Self.clamped(f, plus: millis)
            } else {
                let real = Self.realMillis()
                s.offset = Self.clamped(real, plus: s.offset, millis) - real
            }
        }
    }

    /// Whether moving time forward by `millis` from now stays within ``range``.
    public func canAdvance(millis: Int) -> Bool {
        guard millis >= 0 else { return false }
        let (sum, overflow) = nowMillis.addingReportingOverflow(millis)
        return !overflow && Self.millisRange.contains(sum)
    }

    /// `base + deltas`, held within ``millisRange`` (saturating instead of overflowing).
    static func clamped(_ base: Int, plus deltas: Int...) -> Int {
        var v = base
        for d in deltas {
            let (sum, overflow) = v.addingReportingOverflow(d)
            v = overflow ? (d < 0 ? Int.min : Int.max) : sum
        }
        return min(max(v, millisRange.lowerBound), millisRange.upperBound)
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
