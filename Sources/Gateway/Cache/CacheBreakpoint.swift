/// A point in a request's prompt where the client asked the cache to keep the prefix before it
/// (Anthropic `cache_control`), with the lifetime it asked for.
///
/// Positions are in the neutral request's terms (``ChatRequest``): the decoder that reads the
/// wire marks translates them, and ``PromptPrefix`` cuts the prompt at them.
struct CacheBreakpoint: Sendable, Equatable {
    /// Where the prefix ends: after a tool definition, after a system block (as a UTF-8 offset
    /// into the joined ``ChatRequest/system`` text), after one part of a message, or after a
    /// message's own framing when the marked block carries no part the mock keeps.
    enum Position: Sendable, Hashable {
        case tool(Int)
        case system(endOffset: Int)
        case part(message: Int, part: Int)
        case messageHead(Int)
    }

    /// The lifetimes Anthropic offers: `"5m"` (the default) and `"1h"`.
    enum TTL: Int, Sendable, Comparable {
        case fiveMinutes = 300
        case oneHour = 3600

        var millis: Int { rawValue * 1000 }
        /// The wire spelling (`"5m"`, `"1h"`).
        var name: String { self == .fiveMinutes ? "5m" : "1h" }

        static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    var position: Position
    var ttl: TTL
}
