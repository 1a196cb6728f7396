import HTTPCore

/// The bounds every stream timing obeys, whichever channel asks for it (`X-Mock-Pacing`, a reply
/// rule's or the fixture's `pacing`, `POST /__mock/pacing`, a `drip` fault), and the ceiling on a
/// whole stream's life (`--max-stream-seconds`). docs/limits.md lists them for users.
///
/// The floor on the rate keeps every computed delay finite and small enough for the timer wheel;
/// the ceiling on a stream's life keeps a paced or stalled stream from holding an account's
/// concurrency slot for ever, whatever rate it asked for. Plain values: Sendable.
extension Pacing {
    /// The slowest paced rate: one token every ten seconds. 0 (unpaced) is also accepted.
    static let minTokensPerSecond = 0.1
    /// The fastest rate anyone may name (faster is the same as unpaced on any real socket).
    static let maxTokensPerSecond = 1_000_000.0
    /// The longest wait before the first event (and the longest stall or latency): ten minutes.
    static let maxFirstTokenMillis = 600_000

    /// What is wrong with `tps` as a paced rate, or nil when it is acceptable; `unpaced` allows 0.
    static func rateProblem(_ tps: Double, unpaced: Bool) -> String? {
        if unpaced, tps == 0 { return nil }
        guard tps.isFinite, tps >= minTokensPerSecond, tps <= maxTokensPerSecond else {
            let zero = unpaced ? "0 (unpaced) or " : ""
            return "must be \(zero)a number of tokens per second from 0.1 to 1000000, found \(JSONWriter.format(tps))"
        }
        return nil
    }

    /// What is wrong with `ms` as a first-token delay, or nil.
    static func firstTokenProblem(_ ms: Int) -> String? {
        (0...maxFirstTokenMillis).contains(ms) ? nil : "must be milliseconds from 0 to 600000 (10 minutes), found \(ms)"
    }

    /// The pause before an event of `tokens` tokens at `tokensPerSecond`, as whole microseconds,
    /// saturating at a day: the rate is range-checked where it enters, and this keeps a value that
    /// slipped past (a rate set in code) from trapping the conversion.
    static func delayMicros(tokens: Int, tokensPerSecond: Double) -> Int64 {
        guard tokensPerSecond > 0, tokens > 0 else { return 0 }
        let micros = Double(tokens) / tokensPerSecond * 1_000_000
        guard micros.isFinite else { return dayMicros }
        return micros >= Double(dayMicros) ? dayMicros : Int64(micros)
    }

    private static let dayMicros: Int64 = 86_400_000_000
}
