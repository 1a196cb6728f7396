import HTTPCore

/// Anthropic `cache_control` breakpoints: read from the body as sent (the neutral request keeps
/// no wire blocks), checked as Anthropic checks them, and placed in the neutral request's terms.
///
/// Breakpoints may sit on tool definitions, system blocks, message content blocks (a mark inside
/// a `tool_result`'s content marks the result), and at the top level (`cache_control` beside
/// `messages`: the last block of the last message). At most ``maxBreakpoints`` per request, and
/// a 1-hour breakpoint may not follow a 5-minute one (order: tools, system, messages).
extension AnthropicCodec {
    static let maxBreakpoints = 4

    /// Content block types that become a part of the neutral message; the others are accepted
    /// and dropped by the decoder, so a mark on one of them marks the part before it.
    private static let partTypes: Set<String> = ["text", "image", "tool_use", "tool_result", "thinking"]

    static func cacheBreakpoints(_ body: JSONObject) throws(GatewayError) -> [CacheBreakpoint] {
        var out: [CacheBreakpoint] = []
        if case .array(let tools)? = body["tools"] {
            for (i, t) in tools.enumerated() {
                if case .object(let o) = t, let ttl = try mark(o, "tools.\(i)") { out.append(.init(position: .tool(i), ttl: ttl)) }
            }
        }
        if case .array(let blocks)? = body["system"] {
            var end = 0
            for (i, b) in blocks.enumerated() {
                guard case .object(let o) = b else { continue }
                if case .string(let text)? = o["text"] { end += (i > 0 ? 2 : 0) + text.utf8.count }
                if let ttl = try mark(o, "system.\(i)") { out.append(.init(position: .system(endOffset: end), ttl: ttl)) }
            }
        }
        var last: CacheBreakpoint.Position?
        if case .array(let messages)? = body["messages"] {
            for (i, m) in messages.enumerated() {
                last = .messageHead(i)
                guard case .object(let message) = m, case .array(let blocks)? = message["content"] else {
                    if case .object(let message) = m, case .string? = message["content"] { last = .part(message: i, part: 0) }
                    continue
                }
                var part = -1
                for (j, b) in blocks.enumerated() {
                    guard case .object(let o) = b else { continue }
                    if case .string(let type)? = o["type"], partTypes.contains(type) { part += 1 }
                    let here: CacheBreakpoint.Position = part >= 0 ? .part(message: i, part: part) : .messageHead(i)
                    last = here
                    var ttl = try mark(o, "messages.\(i).content.\(j)")
                    if ttl == nil { ttl = try innerMark(o, "messages.\(i).content.\(j)") }
                    if let ttl { out.append(.init(position: here, ttl: ttl)) }
                }
            }
        }
        if let ttl = try mark(body, ""), let last { out.append(.init(position: last, ttl: ttl)) }
        guard out.count <= maxBreakpoints else {
            throw GatewayError.badRequest("A maximum of \(maxBreakpoints) blocks with cache_control may be provided. Found \(out.count).",
                                          code: "invalid_request_error")
        }
        if let short = out.firstIndex(where: { $0.ttl == .fiveMinutes }), out[short...].contains(where: { $0.ttl == .oneHour }) {
            throw GatewayError.badRequest("a cache_control block with ttl '1h' must not come after one with ttl '5m' (the order is tools, system, messages)",
                                          code: "invalid_request_error")
        }
        return out
    }

    /// The lifetime of `block`'s `cache_control`, nil when it has none; a malformed one is the
    /// 400 Anthropic sends, naming its path.
    private static func mark(_ block: JSONObject, _ path: @autoclosure () -> String) throws(GatewayError) -> CacheBreakpoint.TTL? {
        guard let v = block["cache_control"], v != .null else { return nil }
        guard let cc = try BodyReader(block, path: path()).object("cache_control") else { return nil }
        let type = try cc.requiredString("type")
        guard type == "ephemeral" else { throw cc.fail("type", "Input should be 'ephemeral'") }
        switch try cc.string("ttl") {
        case nil, "5m"?: return .fiveMinutes
        case "1h"?: return .oneHour
        default: throw cc.fail("ttl", "Input should be '5m' or '1h'")
        }
    }

    /// The longest lifetime marked inside a `tool_result`'s content blocks, if any.
    private static func innerMark(_ block: JSONObject, _ path: @autoclosure () -> String) throws(GatewayError) -> CacheBreakpoint.TTL? {
        guard case .string("tool_result")? = block["type"], case .array(let items)? = block["content"] else { return nil }
        var best: CacheBreakpoint.TTL?
        for (k, item) in items.enumerated() {
            if case .object(let o) = item, let ttl = try mark(o, "\(path()).content.\(k)") { best = max(best ?? ttl, ttl) }
        }
        return best
    }
}
