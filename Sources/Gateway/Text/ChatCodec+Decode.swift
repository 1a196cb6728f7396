import HTTPCore

/// OpenAI Chat Completions request decoding. Paths in errors use OpenAI's spelling
/// (`messages[2].content[0].image_url`).
extension ChatCodec {
    static func decode(_ body: JSONObject, pathModel: String?) throws(GatewayError) -> ChatRequest {
        let r = BodyReader(body)
        var request = ChatRequest(model: try r.requiredString("model"))
        request.raw = body

        guard let messages = try r.objects("messages") else { throw r.fail("messages", "field required") }
        guard !messages.isEmpty else { throw r.fail("messages", "expected an array with minimum length 1, but got an empty array") }
        var system: [String] = []
        var toolNames: [String: String] = [:]
        for m in messages { try message(m, &request, &system, &toolNames) }
        request.system = system.isEmpty ? nil : system.joined(separator: "\n\n")

        let completionCap = try positive(r, "max_completion_tokens")
        let legacyCap = try positive(r, "max_tokens")
        request.maxTokens = completionCap ?? legacyCap
        if let stops = try r.strings("stop") {
            guard stops.count <= 4 else { throw r.fail("stop", "expected an array with maximum length 4, but got an array with length \(stops.count)") }
            request.stopSequences = stops
        }
        if let n = try r.int("n") {
            guard n >= 1 else { throw r.fail("n", "integer below minimum value. Expected a value >= 1, but got \(n) instead.") }
            guard n <= 128 else { throw r.fail("n", "integer above maximum value. Expected a value <= 128, but got \(n) instead.") }
            request.choices = n
        }
        request.stream = try r.bool("stream") ?? false
        if let options = try r.object("stream_options") {
            guard request.stream else {
                throw r.fail("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
            }
            request.includeUsage = try options.bool("include_usage") ?? false
        }
        try tools(r, &request)
        try toolChoice(r, &request)
        try responseFormat(r, &request)
        request.parallelToolCalls = try r.bool("parallel_tool_calls") ?? true

        request.logprobs = try r.bool("logprobs") ?? false
        if let top = try r.int("top_logprobs") {
            guard (0...20).contains(top) else { throw r.fail("top_logprobs", "expected a value between 0 and 20, but got \(top) instead.") }
            request.topLogprobs = top
        }
        if request.logprobs { request.featureParams[.logprobs] = "logprobs" }
        try r.check(acceptedFields)

        if let effort = try r.string("reasoning_effort") {
            switch effort {
            case "minimal", "low", "medium", "high", "xhigh":
                request.thinking = ThinkingSetting(effort: effort)
                request.featureParams[.thinking] = "reasoning_effort"
            case "none": request.thinking = nil
            default:
                throw r.fail("reasoning_effort", "expected one of 'minimal', 'low', 'medium', 'high', but got '\(effort)' instead.")
            }
        }
        return request
    }

    /// Fields Chat Completions defines that the mock accepts without acting on: type- and
    /// range-checked as OpenAI checks them.
    private static let acceptedFields: [(String, BodyReader.Field)] = [
        ("temperature", .number(0...2)), ("top_p", .number(0...1)), ("frequency_penalty", .number(-2...2)),
        ("presence_penalty", .number(-2...2)), ("seed", .integer(Int.min...Int.max)), ("user", .string),
        ("metadata", .stringMap), ("logit_bias", .numberMap(-100...100)), ("store", .bool), ("service_tier", .string),
        ("modalities", .strings), ("prediction", .object), ("audio", .object), ("web_search_options", .object),
        ("verbosity", .string), ("prompt_cache_key", .string), ("safety_identifier", .string),
    ]

    private static func positive(_ r: BodyReader, _ key: String) throws(GatewayError) -> Int? {
        guard let n = try r.int(key) else { return nil }
        guard n >= 1 else { throw r.fail(key, "integer below minimum value. Expected a value >= 1, but got \(n) instead.") }
        return n
    }

    private static func message(_ m: BodyReader, _ request: inout ChatRequest, _ system: inout [String],
                                _ toolNames: inout [String: String]) throws(GatewayError) {
        let role = try m.requiredString("role")
        _ = try m.string("name")
        switch role {
        case "system", "developer":
            let text = try texts(m, required: true)
            if !text.isEmpty { system.append(text) }
        case "user":
            guard let content = m.value("content") else { throw m.fail("content", "field required") }
            var parts: [ChatPart] = []
            switch content {
            case .string(let s): parts = [.text(s)]
            case .array(let items):
                for (j, item) in items.enumerated() {
                    guard case .object(let o) = item else {
                        throw m.fail("content[\(j)]", "expected an object, found \(item.typeDescription)")
                    }
                    if let part = try userPart(BodyReader(o, path: m.at("content[\(j)]")), &request) { parts.append(part) }
                }
            default:
                throw m.fail("content", "expected a string or an array of content parts, found \(content.typeDescription)")
            }
            request.messages.append(ChatMessage(role: .user, parts: parts))
        case "assistant":
            var parts: [ChatPart] = []
            if let reasoning = try m.string("reasoning_content"), !reasoning.isEmpty { parts.append(.thinking(reasoning)) }
            if m.has("content") {
                let text = try texts(m, required: false, allowRefusal: true)
                if !text.isEmpty { parts.append(.text(text)) }
            }
            for call in try m.objects("tool_calls") ?? [] {
                let id = try call.requiredString("id")
                if let type = try call.string("type"), type != "function" {
                    throw call.fail("type", "expected 'function', but got '\(type)' instead.")
                }
                guard let function = try call.object("function") else { throw call.fail("function", "field required") }
                let name = try function.requiredString("name")
                let arguments = try function.requiredString("arguments")
                toolNames[id] = name
                parts.append(.toolCall(id: id, name: name, arguments: arguments))
            }
            request.messages.append(ChatMessage(role: .assistant, parts: parts))
        case "tool":
            let id = try m.requiredString("tool_call_id")
            let result = ChatPart.toolResult(id: id, name: toolNames[id], content: try texts(m, required: true), isError: false)
            if let last = request.messages.last, last.role == .user, !last.parts.isEmpty,
               last.parts.allSatisfy({ if case .toolResult = $0 { true } else { false } }) {
                request.messages[request.messages.count - 1].parts.append(result)
            } else {
                request.messages.append(ChatMessage(role: .user, parts: [result]))
            }
        default:
            throw m.fail("role", "expected one of 'system', 'developer', 'user', 'assistant', 'tool', but got '\(role)' instead.")
        }
    }

    /// `content` as text: a string, or an array of text parts (and refusal parts for the
    /// assistant) joined together. Null or absent is "" unless `required`.
    private static func texts(_ m: BodyReader, required: Bool, allowRefusal: Bool = false) throws(GatewayError) -> String {
        guard let content = m.value("content") else {
            if required { throw m.fail("content", "field required") }
            return ""
        }
        switch content {
        case .string(let s): return s
        case .array(let items):
            var out: [String] = []
            for (j, item) in items.enumerated() {
                guard case .object(let o) = item else {
                    throw m.fail("content[\(j)]", "expected an object, found \(item.typeDescription)")
                }
                let p = BodyReader(o, path: m.at("content[\(j)]"))
                let type = try p.requiredString("type")
                switch type {
                case "text": out.append(try p.requiredString("text"))
                case "refusal" where allowRefusal: _ = try p.requiredString("refusal")
                default: throw p.fail("type", "expected 'text', but got '\(type)' instead.")
                }
            }
            return out.joined()
        default:
            throw m.fail("content", "expected a string or an array of text parts, found \(content.typeDescription)")
        }
    }

    private static func userPart(_ p: BodyReader, _ request: inout ChatRequest) throws(GatewayError) -> ChatPart? {
        let type = try p.requiredString("type")
        switch type {
        case "text":
            return .text(try p.requiredString("text"))
        case "image_url":
            guard let image = try p.object("image_url") else { throw p.fail("image_url", "field required") }
            let url = try image.requiredString("url")
            _ = try image.string("detail")
            if request.featureParams[.vision] == nil { request.featureParams[.vision] = "messages" }
            return .image(mediaType: mediaType(ofURL: url))
        case "input_audio":
            guard try p.object("input_audio") != nil else { throw p.fail("input_audio", "field required") }
            return nil
        case "file":
            guard try p.object("file") != nil else { throw p.fail("file", "field required") }
            return nil
        default:
            throw p.fail("type", "expected one of 'text', 'image_url', 'input_audio', 'file', but got '\(type)' instead.")
        }
    }

    /// `image/png` from `data:image/png;base64,…`; `image/*` for anything else.
    static func mediaType(ofURL url: String) -> String { dataURLMediaType(url) ?? "image/*" }

    private static func tools(_ r: BodyReader, _ request: inout ChatRequest) throws(GatewayError) {
        guard let list = try r.objects("tools") else { return }
        for t in list {
            let type = try t.requiredString("type")
            switch type {
            case "function":
                guard let f = try t.object("function") else { throw t.fail("function", "field required") }
                let name = try f.requiredString("name")
                let description = try f.string("description") ?? ""
                let schema = try f.object("parameters").map { JSONValue.object($0.object).encoded } ?? Array("{}".utf8)
                _ = try f.bool("strict")
                request.tools.append(ToolSpec(name: name, description: description, schema: schema))
            case "custom":
                guard let c = try t.object("custom") else { throw t.fail("custom", "field required") }
                let name = try c.requiredString("name")
                request.tools.append(ToolSpec(name: name, description: try c.string("description") ?? "",
                                              schema: Array("{}".utf8)))
            default:
                throw t.fail("type", "expected 'function', but got '\(type)' instead.")
            }
        }
        if !list.isEmpty { request.featureParams[.tools] = "tools" }
    }

    private static func toolChoice(_ r: BodyReader, _ request: inout ChatRequest) throws(GatewayError) {
        guard let v = r.value("tool_choice") else { return }
        switch v {
        case .string(let s):
            switch s {
            case "auto": request.toolChoice = .auto
            case "none": request.toolChoice = .none
            case "required": request.toolChoice = .required
            default: throw r.fail("tool_choice", "expected one of 'none', 'auto', 'required', but got '\(s)' instead.")
            }
        case .object:
            guard let c = try r.object("tool_choice") else { return }
            let type = try c.requiredString("type")
            switch type {
            case "function":
                guard let f = try c.object("function") else { throw c.fail("function", "field required") }
                request.toolChoice = .named(try f.requiredString("name"))
            case "custom":
                guard let f = try c.object("custom") else { throw c.fail("custom", "field required") }
                request.toolChoice = .named(try f.requiredString("name"))
            case "allowed_tools":
                guard let a = try c.object("allowed_tools") else { throw c.fail("allowed_tools", "field required") }
                let mode = try a.requiredString("mode")
                var names: [String] = []
                for t in try a.objects("tools") ?? [] {
                    if let f = try t.object("function") { names.append(try f.requiredString("name")) }
                    if let f = try t.object("custom") { names.append(try f.requiredString("name")) }
                }
                switch mode {
                case "auto": request.toolChoice = .auto
                case "required": request.toolChoice = names.isEmpty ? .required : .oneOf(names)
                default: throw a.fail("mode", "expected one of 'auto', 'required', but got '\(mode)' instead.")
                }
            default:
                throw c.fail("type", "expected one of 'function', 'custom', 'allowed_tools', but got '\(type)' instead.")
            }
        default:
            throw r.fail("tool_choice", "expected a string or an object, found \(v.typeDescription)")
        }
    }

    private static func responseFormat(_ r: BodyReader, _ request: inout ChatRequest) throws(GatewayError) {
        guard let f = try r.object("response_format") else { return }
        let type = try f.requiredString("type")
        switch type {
        case "text": request.responseFormat = .text
        case "json_object": request.responseFormat = .jsonObject
        case "json_schema":
            guard let s = try f.object("json_schema") else { throw f.fail("json_schema", "field required") }
            let name = try s.requiredString("name")
            let schema = try s.object("schema").map { JSONValue.object($0.object).encoded } ?? Array("{}".utf8)
            _ = try s.bool("strict")
            _ = try s.string("description")
            request.responseFormat = .jsonSchema(name: name, schema: schema)
            request.featureParams[.jsonSchema] = "response_format"
        default:
            throw f.fail("type", "expected one of 'text', 'json_object', 'json_schema', but got '\(type)' instead.")
        }
    }
}
