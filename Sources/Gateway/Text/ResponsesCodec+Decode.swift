import HTTPCore

/// Decoding a Responses request body (protocols.md §3.1) into a `ChatRequest`. Every problem
/// is a 400 naming the field path (`input[2].content[0].text`).
extension ResponsesCodec {
    static func decode(_ body: JSONObject, pathModel: String?) throws(GatewayError) -> ChatRequest {
        let r = BodyReader(body)
        var req = ChatRequest(model: try r.requiredString("model"))
        req.raw = body
        var system: [String] = []
        if let s = try r.string("instructions") { system.append(s) }

        if let input = r.value("input") {
            switch input {
            case .string(let s):
                req.messages.append(ChatMessage(role: .user, parts: [.text(s)]))
            case .array(let items):
                for (i, item) in items.enumerated() {
                    guard case .object(let o) = item else {
                        throw r.fail("input[\(i)]", "expected an object, found \(item.typeDescription)")
                    }
                    try decodeItem(BodyReader(o, path: "input[\(i)]"), into: &req, system: &system)
                }
            default:
                throw r.fail("input", "expected a string or an array, found \(input.typeDescription)")
            }
        }
        req.system = system.isEmpty ? nil : system.joined(separator: "\n\n")

        try decodeTools(r, into: &req)
        req.parallelToolCalls = try r.bool("parallel_tool_calls") ?? true
        if let n = try r.int("max_output_tokens") {
            guard n >= 1 else { throw r.fail("max_output_tokens", "must be at least 1, got \(n)") }
            req.maxTokens = n
        }
        if let text = try r.object("text"), let format = try text.object("format") {
            req.responseFormat = try decodeFormat(format, into: &req)
        }
        if let reasoning = try r.object("reasoning") {
            let effort = try reasoning.string("effort")
            _ = try reasoning.string("summary")
            _ = try reasoning.string("generate_summary")
            if let effort, effort != "none" {
                req.thinking = ThinkingSetting(budget: nil, effort: effort)
                req.featureParams[.thinking] = "reasoning"
            }
        }
        req.previousResponseID = try r.string("previous_response_id")
        req.store = try r.bool("store") ?? true
        req.stream = try r.bool("stream") ?? false
        // Echoed back in the response object (or accepted and ignored): checked here so the
        // echo is well-formed and a wrong type is OpenAI's 400.
        try r.check(acceptedFields)
        return req
    }

    /// Fields the Responses API defines that the mock accepts without acting on.
    private static let acceptedFields: [(String, BodyReader.Field)] = [
        ("temperature", .number(0...2)), ("top_p", .number(0...1)), ("metadata", .stringMap), ("parallel_tool_calls", .bool),
        ("user", .string), ("truncation", .string), ("include", .strings), ("top_logprobs", .integer(0...20)),
        ("max_tool_calls", .integer(1...Int.max)), ("service_tier", .string), ("background", .bool),
        ("prompt_cache_key", .string), ("safety_identifier", .string), ("stream_options", .object), ("prompt", .object),
    ]

    private static func decodeItem(_ item: BodyReader, into req: inout ChatRequest, system: inout [String]) throws(GatewayError) {
        let type = try item.string("type")
        switch type {
        case nil, "message":
            let role = try item.requiredString("role")
            let parts = try contentParts(item, into: &req)
            switch role {
            case "user": req.messages.append(ChatMessage(role: .user, parts: parts))
            case "assistant": req.messages.append(ChatMessage(role: .assistant, parts: parts))
            case "system", "developer":
                let texts = parts.compactMap { if case .text(let t) = $0 { t } else { nil } }
                if !texts.isEmpty { system.append(texts.joined(separator: "\n")) }
            default:
                throw item.fail("role", "expected one of user, assistant, system, developer, found '\(role)'")
            }
        case "function_call":
            let call = ChatPart.toolCall(id: try item.requiredString("call_id"), name: try item.requiredString("name"),
                                         arguments: try item.requiredString("arguments"))
            if let last = req.messages.last, last.role == .assistant {
                req.messages[req.messages.count - 1].parts.append(call)
            } else {
                req.messages.append(ChatMessage(role: .assistant, parts: [call]))
            }
        case "function_call_output":
            let id = try item.requiredString("call_id")
            let result = ChatPart.toolResult(id: id, name: nil, content: try toolOutput(item), isError: false)
            // Consecutive outputs travel together in one user message, as Anthropic tool results do.
            if let last = req.messages.last, last.role == .user,
               last.parts.allSatisfy({ if case .toolResult = $0 { true } else { false } }) {
                req.messages[req.messages.count - 1].parts.append(result)
            } else {
                req.messages.append(ChatMessage(role: .user, parts: [result]))
            }
        case let t? where skippedItemTypes.contains(t) || t.hasSuffix("_call") || t.hasSuffix("_call_output")
                       || t.hasPrefix("mcp_"):
            break
        case let t?:
            throw item.fail("type", "unsupported input item type '\(t)'")
        }
    }

    /// Items the mock accepts and ignores: reasoning from earlier turns and references to
    /// stored items.
    private static let skippedItemTypes: Set<String> = ["reasoning", "item_reference", "compaction"]

    private static func contentParts(_ item: BodyReader, into req: inout ChatRequest) throws(GatewayError) -> [ChatPart] {
        guard let content = item.value("content") else { throw item.fail("content", "field required") }
        if case .string(let s) = content { return [.text(s)] }
        guard let parts = try item.objects("content") else { return [] }
        var out: [ChatPart] = []
        for part in parts {
            let type = try part.requiredString("type")
            switch type {
            case "input_text", "output_text", "text", "summary_text":
                out.append(.text(try part.requiredString("text")))
            case "refusal":
                out.append(.text(try part.requiredString("refusal")))
            case "input_image":
                let url = try part.string("image_url")
                let file = try part.string("file_id")
                guard url != nil || file != nil else { throw part.fail("image_url", "field required") }
                _ = try part.string("detail")
                out.append(.image(mediaType: url.map(imageMediaType) ?? "image/*"))
                if req.featureParams[.vision] == nil { req.featureParams[.vision] = "input" }
            case "input_file", "input_audio":
                break
            default:
                throw part.fail("type", "unsupported content type '\(type)'")
            }
        }
        return out
    }

    /// `output` of a `function_call_output`: a string, or content parts whose text is joined.
    private static func toolOutput(_ item: BodyReader) throws(GatewayError) -> String {
        guard let output = item.value("output") else { throw item.fail("output", "field required") }
        if case .string(let s) = output { return s }
        guard let parts = try item.objects("output") else { return "" }
        var texts: [String] = []
        for part in parts {
            let type = try part.requiredString("type")
            if type == "input_text" || type == "output_text" { texts.append(try part.requiredString("text")) }
        }
        return texts.joined(separator: "\n")
    }

    private static func decodeTools(_ r: BodyReader, into req: inout ChatRequest) throws(GatewayError) {
        for tool in try r.objects("tools") ?? [] {
            let type = try tool.requiredString("type")
            guard type == "function" else { continue }  // built-in tools (web_search, …): accepted, not served
            let name = try tool.requiredString("name")
            let description = try tool.string("description") ?? ""
            _ = try tool.object("parameters")
            _ = try tool.bool("strict")
            req.tools.append(ToolSpec(name: name, description: description, schema: tool.json("parameters")))
            req.featureParams[.tools] = "tools"
        }
        guard let choice = r.value("tool_choice") else { return }
        switch choice {
        case .string("auto"): req.toolChoice = .auto
        case .string("none"): req.toolChoice = .none
        case .string("required"): req.toolChoice = .required
        case .string(let s):
            throw r.fail("tool_choice", "expected one of auto, none, required, found '\(s)'")
        case .object:
            guard let c = try r.object("tool_choice") else { return }
            switch try c.requiredString("type") {
            case "function": req.toolChoice = .named(try c.requiredString("name"))
            case "allowed_tools":
                let mode = try c.string("mode") ?? "auto"
                var names: [String] = []
                for t in try c.objects("tools") ?? [] where try t.string("type") == "function" {
                    names.append(try t.requiredString("name"))
                }
                switch mode {
                case "auto": req.toolChoice = .auto
                case "required": req.toolChoice = names.isEmpty ? .required : .oneOf(names)
                default: throw c.fail("mode", "expected one of auto, required, found '\(mode)'")
                }
            default: req.toolChoice = .auto  // a built-in tool: the mock answers as it would anyway
            }
        default:
            throw r.fail("tool_choice", "expected a string or an object, found \(choice.typeDescription)")
        }
    }

    private static func decodeFormat(_ format: BodyReader, into req: inout ChatRequest) throws(GatewayError) -> ResponseFormat {
        let type = try format.requiredString("type")
        switch type {
        case "text": return .text
        case "json_object": return .jsonObject
        case "json_schema":
            let name = try format.requiredString("name")
            guard try format.object("schema") != nil else { throw format.fail("schema", "field required") }
            _ = try format.bool("strict")
            _ = try format.string("description")
            req.featureParams[.jsonSchema] = "text.format"
            return .jsonSchema(name: name, schema: format.json("schema"))
        default:
            throw format.fail("type", "expected one of text, json_object, json_schema, found '\(type)'")
        }
    }

    /// The media type of an image URL: a data URL's own, else guessed from the extension
    /// (`image/*` when unknown).
    static func imageMediaType(_ url: String) -> String {
        if url.hasPrefix("data:") { return dataURLMediaType(url) ?? "image/*" }
        let path = url.prefix { $0 != "?" && $0 != "#" }.lowercased()
        for (ext, type) in [(".png", "image/png"), (".jpg", "image/jpeg"), (".jpeg", "image/jpeg"),
                            (".gif", "image/gif"), (".webp", "image/webp")] where path.hasSuffix(ext) {
            return type
        }
        return "image/*"
    }
}
