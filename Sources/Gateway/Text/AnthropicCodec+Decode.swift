import HTTPCore

/// Anthropic Messages request decoding. Paths in errors are dotted with numeric indices
/// (`messages.0.content.1.source`), as Anthropic's own validation messages name them.
extension AnthropicCodec {
    static func decode(_ body: JSONObject, pathModel: String?) throws(GatewayError) -> ChatRequest {
        let r = BodyReader(body)
        var request = ChatRequest(model: try r.requiredString("model"))
        request.raw = body
        let maxTokens = try r.requiredInt("max_tokens")
        guard maxTokens >= 1 else { throw r.fail("max_tokens", "Input should be greater than or equal to 1") }
        request.maxTokens = maxTokens

        let list = try r.requiredArray("messages")
        guard !list.isEmpty else { throw r.fail("messages", "at least one message is required") }
        var toolNames: [String: String] = [:]
        for (i, item) in list.enumerated() {
            let m = try element(r, "messages", i, item)
            request.messages.append(try message(m, &request, &toolNames))
        }

        request.system = try system(r)
        try tools(r, &request)
        try toolChoice(r, &request)
        try outputFormat(r, &request)
        if let stops = try r.array("stop_sequences") {
            for (i, s) in stops.enumerated() {
                guard case .string(let text) = s else {
                    throw r.fail("stop_sequences.\(i)", "expected a string, found \(s.typeDescription)")
                }
                request.stopSequences.append(text)
            }
        }
        request.stream = try r.bool("stream") ?? false
        try thinking(r, &request)
        if request.thinking != nil, request.toolChoice.forcesCall {
            // Anthropic's rule: extended thinking works with `auto` and `none` only.
            throw r.fail("tool_choice", "Thinking may not be enabled when tool_choice forces tool use.")
        }
        try r.check(acceptedFields)
        if let metadata = try r.object("metadata") { _ = try metadata.string("user_id") }
        request.cacheBreakpoints = try cacheBreakpoints(body)
        return request
    }

    /// Fields Messages defines that the mock accepts without acting on: type- and range-checked
    /// as Anthropic checks them.
    private static let acceptedFields: [(String, BodyReader.Field)] = [
        ("temperature", .number(0...1)), ("top_p", .number(0...1)), ("top_k", .integer(0...Int.max)),
        ("metadata", .object), ("service_tier", .string), ("mcp_servers", .array), ("context_management", .object),
    ]

    /// Element `i` of the array `key` as an object reader (`messages.3`).
    private static func element(_ r: BodyReader, _ key: String, _ i: Int, _ v: JSONValue) throws(GatewayError) -> BodyReader {
        guard case .object(let o) = v else { throw r.fail("\(key).\(i)", "expected an object, found \(v.typeDescription)") }
        return BodyReader(o, path: r.at("\(key).\(i)"))
    }

    private static func message(_ m: BodyReader, _ request: inout ChatRequest,
                                _ toolNames: inout [String: String]) throws(GatewayError) -> ChatMessage {
        let roleName = try m.requiredString("role")
        guard let role = ChatMessage.Role(rawValue: roleName) else {
            throw m.fail("role", "Input should be 'user' or 'assistant', found '\(roleName)'")
        }
        guard let content = m.value("content") else { throw m.fail("content", "field required") }
        switch content {
        case .string(let s):
            return ChatMessage(role: role, parts: [.text(s)])
        case .array(let blocks):
            var parts: [ChatPart] = []
            for (j, item) in blocks.enumerated() {
                let b = try element(m, "content", j, item)
                if let part = try block(b, &request, &toolNames) { parts.append(part) }
            }
            return ChatMessage(role: role, parts: parts)
        default:
            throw m.fail("content", "expected a string or a list of content blocks, found \(content.typeDescription)")
        }
    }

    /// Block types Anthropic defines that the mock accepts and does not use.
    private static let ignoredBlocks: Set<String> = [
        "redacted_thinking", "document", "search_result", "server_tool_use", "web_search_tool_result",
        "web_fetch_tool_result", "code_execution_tool_result", "bash_code_execution_tool_result",
        "text_editor_code_execution_tool_result", "tool_search_tool_result", "mcp_tool_use", "mcp_tool_result",
        "container_upload",
    ]

    private static func block(_ b: BodyReader, _ request: inout ChatRequest,
                              _ toolNames: inout [String: String]) throws(GatewayError) -> ChatPart? {
        let type = try b.requiredString("type")
        switch type {
        case "text":
            return .text(try b.requiredString("text"))
        case "image":
            return .image(mediaType: try image(b, &request))
        case "tool_use":
            let id = try b.requiredString("id")
            let name = try b.requiredString("name")
            guard let input = b.value("input") else { throw b.fail("input", "field required") }
            guard case .object = input else { throw b.fail("input", "expected an object, found \(input.typeDescription)") }
            toolNames[id] = name
            return .toolCall(id: id, name: name, arguments: String(decoding: input.encoded, as: UTF8.self))
        case "tool_result":
            let id = try b.requiredString("tool_use_id")
            let isError = try b.bool("is_error") ?? false
            var text = ""
            switch b.value("content") {
            case nil: break
            case .string(let s)?: text = s
            case .array(let items)?:
                var texts: [String] = []
                for (k, item) in items.enumerated() {
                    let inner = try element(b, "content", k, item)
                    let innerType = try inner.requiredString("type")
                    switch innerType {
                    case "text": texts.append(try inner.requiredString("text"))
                    case "image": _ = try image(inner, &request)
                    case "document", "search_result": break
                    default: throw inner.fail("type", "unknown tool result content type '\(innerType)'")
                    }
                }
                text = texts.joined(separator: "\n")
            case let other?:
                throw b.fail("content", "expected a string or a list of content blocks, found \(other.typeDescription)")
            }
            return .toolResult(id: id, name: toolNames[id], content: text, isError: isError)
        case "thinking":
            let text = try b.requiredString("thinking")
            _ = try b.string("signature")
            return .thinking(text)
        default:
            if ignoredBlocks.contains(type) { return nil }
            throw b.fail("type", "unknown content block type '\(type)'")
        }
    }

    /// An image block's media type; records the first image's path as the vision feature.
    private static func image(_ b: BodyReader, _ request: inout ChatRequest) throws(GatewayError) -> String {
        guard let source = try b.object("source") else { throw b.fail("source", "field required") }
        let sourceType = try source.requiredString("type")
        var mediaType = "image/*"
        switch sourceType {
        case "base64":
            mediaType = try source.requiredString("media_type")
            _ = try source.requiredString("data")
        case "url":
            _ = try source.requiredString("url")
        case "file":
            _ = try source.requiredString("file_id")
        default:
            throw source.fail("type", "unknown image source type '\(sourceType)'")
        }
        if request.featureParams[.vision] == nil { request.featureParams[.vision] = b.path }
        return mediaType
    }

    private static func system(_ r: BodyReader) throws(GatewayError) -> String? {
        guard let v = r.value("system") else { return nil }
        switch v {
        case .string(let s):
            return s.isEmpty ? nil : s
        case .array(let items):
            var texts: [String] = []
            for (i, item) in items.enumerated() {
                let b = try element(r, "system", i, item)
                let type = try b.requiredString("type")
                guard type == "text" else { throw b.fail("type", "expected 'text', found '\(type)'") }
                texts.append(try b.requiredString("text"))
            }
            let joined = texts.joined(separator: "\n\n")
            return joined.isEmpty ? nil : joined
        default:
            throw r.fail("system", "expected a string or a list of text blocks, found \(v.typeDescription)")
        }
    }

    private static func tools(_ r: BodyReader, _ request: inout ChatRequest) throws(GatewayError) {
        guard let list = try r.array("tools") else { return }
        for (i, item) in list.enumerated() {
            let t = try element(r, "tools", i, item)
            let name = try t.requiredString("name")
            if let type = try t.string("type"), type != "custom" {
                // A server tool (`web_search_20250305`, `bash_20250124`, …): only its name matters.
                request.tools.append(ToolSpec(name: name, description: "", schema: Array("{}".utf8)))
                continue
            }
            let description = try t.string("description") ?? ""
            guard let schema = try t.object("input_schema") else { throw t.fail("input_schema", "field required") }
            request.tools.append(ToolSpec(name: name, description: description,
                                          schema: JSONValue.object(schema.object).encoded))
        }
        if !list.isEmpty { request.featureParams[.tools] = "tools" }
    }

    private static func toolChoice(_ r: BodyReader, _ request: inout ChatRequest) throws(GatewayError) {
        guard let c = try r.object("tool_choice") else { return }
        if try c.bool("disable_parallel_tool_use") == true { request.parallelToolCalls = false }
        let type = try c.requiredString("type")
        switch type {
        case "auto": request.toolChoice = .auto
        case "any": request.toolChoice = .required
        case "none": request.toolChoice = .none
        case "tool": request.toolChoice = .named(try c.requiredString("name"))
        default: throw c.fail("type", "expected one of 'auto', 'any', 'tool', 'none', found '\(type)'")
        }
    }

    /// `budget_tokens < max_tokens` is left to the pipeline: count_tokens decodes with a stand-in
    /// `max_tokens`.
    private static func thinking(_ r: BodyReader, _ request: inout ChatRequest) throws(GatewayError) {
        guard let t = try r.object("thinking") else { return }
        let type = try t.requiredString("type")
        switch type {
        case "enabled":
            let budget = try t.requiredInt("budget_tokens")
            guard budget >= 1024 else { throw t.fail("budget_tokens", "Input should be greater than or equal to 1024") }
            request.thinking = ThinkingSetting(budget: budget)
            request.featureParams[.thinking] = "thinking"
        case "adaptive":
            request.thinking = ThinkingSetting()
            request.featureParams[.thinking] = "thinking"
        case "disabled":
            request.thinking = nil
        default:
            throw t.fail("type", "expected one of 'enabled', 'adaptive', 'disabled', found '\(type)'")
        }
    }
}
