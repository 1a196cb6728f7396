import HTTPCore

/// The tool side of the default reply: which tools a reply calls, with what arguments, and the
/// sentence that acknowledges tool results.
extension DefaultReplies {
    /// Most tool results quoted one by one in an acknowledgement; past it the rest are counted.
    static let maxQuotedResults = 64

    /// The calls the reply makes, or nil for a reply without calls.
    ///
    /// A forcing `tool_choice` always calls: the named tool, else the tools the prompt mentions
    /// among those allowed, else the first allowed tool. `auto` calls only the mentioned tools,
    /// and never right after a tool result; `none` never calls. With parallel calls turned off,
    /// only the first chosen tool is called.
    static func toolCalls(_ r: ChatRequest, prompt: String, key: UInt64) -> [Reply.Block]? {
        guard !r.tools.isEmpty else { return nil }
        let chosen: [ToolSpec]
        switch r.toolChoice {
        case .none: return nil
        case .named(let name):
            chosen = r.tools.first { $0.name == name }.map { [$0] } ?? []
        case .auto:
            if r.endsWithToolResult { return nil }
            chosen = mentioned(r.tools, in: prompt)
        case .required:
            let m = mentioned(r.tools, in: prompt)
            chosen = m.isEmpty ? [r.tools[0]] : m
        case .oneOf(let names):
            let names = Set(names)
            let allowed = r.tools.filter { names.contains($0.name) }
            let m = mentioned(allowed, in: prompt)
            chosen = m.isEmpty ? Array(allowed.prefix(1)) : m
        }
        let h = hint(prompt)
        return chosen.prefix(r.parallelToolCalls ? chosen.count : 1).enumerated().map { i, t in
            let schema = (try? JSONParser.parse(t.schema)) ?? .object(JSONObject())
            let args = SchemaInstance.make(for: schema, hint: h, seed: key &+ UInt64(i))
            let json: JSONValue = if case .object = args { args } else { .object(JSONObject()) }
            return .toolCall(id: ReplyEngine.token(key, i), name: t.name, arguments: String(decoding: json.encoded, as: UTF8.self))
        }
    }

    /// The tools whose name, or a distinctive word of it (`weather` of `get_weather`), the prompt mentions.
    static func mentioned(_ tools: [ToolSpec], in prompt: String) -> [ToolSpec] {
        let lower = prompt.lowercased()
        return tools.filter { t in
            lower.contains(t.name.lowercased())
                || t.name.lowercased().split(separator: "_").contains { $0.count > 3 && lower.contains($0) && !["get", "set", "list"].contains($0) }
        }
    }

    /// One sentence that quotes every tool result of the last message, by tool name:
    /// `The tool get_weather returned: {"temp":21}. That is the answer to your question.` for one,
    /// `The tools returned 2 results: get_weather: {…}; get_time: 14:00. That answers your question.` for several.
    static func acknowledgement(_ results: [(name: String?, content: String, isError: Bool)]) -> String {
        if results.count == 1 {
            let r = results[0]
            let who = r.name.map { "The tool \($0)" } ?? "The tool"
            return "\(who) \(r.isError ? "reported an error" : "returned"): \(clip(r.content, 160)). That is the answer to your question."
        }
        var quoted: [String] = []
        quoted.reserveCapacity(min(results.count, maxQuotedResults))
        for (i, r) in results.prefix(maxQuotedResults).enumerated() {
            let who = r.name ?? "result \(i + 1)"
            quoted.append(r.isError ? "\(who) reported an error: \(clip(r.content, 160))" : "\(who): \(clip(r.content, 160))")
        }
        let rest = results.count - quoted.count
        let more = rest > 0 ? "; and \(rest) more result\(rest == 1 ? "" : "s")" : ""
        return "The tools returned \(results.count) results: \(quoted.joined(separator: "; "))\(more). That answers your question."
    }
}
