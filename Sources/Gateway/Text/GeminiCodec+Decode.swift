import HTTPCore

/// Decoding a Gemini `generateContent` (or `countTokens`) body (protocols.md §4.1) into a
/// `ChatRequest`. Proto3 JSON: every key is read in lowerCamel or snake_case (`BodyReader.pick`);
/// error paths name the key as the client spelled it.
extension GeminiCodec {
    static func decode(_ body: JSONObject, pathModel: String?) throws(GatewayError) -> ChatRequest {
        var r = BodyReader(body)
        // countTokens may wrap a whole request: `{"generateContentRequest": {"model", "contents", …}}`.
        if !r.has(r.pick("contents")), let inner = try r.object(r.pick("generateContentRequest")) { r = inner }
        let model: String
        if let pathModel, !pathModel.isEmpty {
            model = pathModel
        } else if let m = try r.string("model") {
            model = m.hasPrefix("models/") ? String(m.dropFirst(7)) : m
        } else {
            throw r.fail("model", "field required")
        }
        var req = ChatRequest(model: model)
        req.raw = body

        let contents = try r.requiredArray(r.pick("contents"))
        guard !contents.isEmpty else { throw r.fail(r.pick("contents"), "must not be empty") }
        for (i, entry) in contents.enumerated() {
            let key = r.pick("contents")
            guard case .object(let o) = entry else {
                throw r.fail("\(key)[\(i)]", "expected an object, found \(entry.typeDescription)")
            }
            let c = BodyReader(o, path: r.at("\(key)[\(i)]"))
            let role: ChatMessage.Role
            switch try c.string("role") {
            case nil, "", "user", "function", "tool": role = .user
            case "model": role = .assistant
            case let other?: throw c.fail("role", "expected user or model, found '\(other)'")
            }
            let parts = try c.objects(c.pick("parts")) ?? []
            var out: [ChatPart] = []
            for (j, p) in parts.enumerated() {
                if let part = try decodePart(p, into: &req, at: "contents[\(i)].parts[\(j)]") { out.append(part) }
            }
            req.messages.append(ChatMessage(role: role, parts: out))
        }

        req.system = try systemInstruction(r)
        if let config = try r.object(r.pick("generationConfig")) { try decodeConfig(config, into: &req) }
        try decodeTools(r, into: &req)
        _ = try r.array(r.pick("safetySettings"))
        try r.check([("cachedContent", .string), ("labels", .stringMap)], key: r.pick)
        return req
    }

    /// `generationConfig` fields the mock accepts without acting on: type- and range-checked as
    /// the proto3 JSON of the real API checks them.
    private static let acceptedConfigFields: [(String, BodyReader.Field)] = [
        ("temperature", .number(0...2)), ("topP", .number(0...1)), ("topK", .integer(0...BodyReader.int32.upperBound)),
        ("presencePenalty", .number(-2...2)), ("frequencyPenalty", .number(-2...2)), ("seed", .integer(BodyReader.int32)),
        ("responseModalities", .strings), ("mediaResolution", .string), ("speechConfig", .object),
    ]

    /// One part; nil for parts the mock ignores (a bare `thoughtSignature`, executable code).
    private static func decodePart(_ p: BodyReader, into req: inout ChatRequest, at path: String) throws(GatewayError) -> ChatPart? {
        _ = try p.string(p.pick("thoughtSignature"))
        if let text = try p.string("text") {
            return try p.bool("thought") == true ? .thinking(text) : .text(text)
        }
        for key in ["inlineData", "fileData"] {
            guard let media = try p.object(p.pick(key)) else { continue }
            let mime = key == "inlineData" ? try media.requiredString(media.pick("mimeType")) : try media.string(media.pick("mimeType"))
            if key == "inlineData" { _ = try media.requiredString("data") } else { _ = try media.requiredString(media.pick("fileUri")) }
            if req.featureParams[.vision] == nil { req.featureParams[.vision] = path }
            return .image(mediaType: mime ?? "image/*")
        }
        if let call = try p.object(p.pick("functionCall")) {
            let name = try call.requiredString("name")
            _ = try call.object("args")
            return .toolCall(id: try call.string("id") ?? "", name: name,
                             arguments: String(decoding: call.json("args"), as: UTF8.self))
        }
        if let response = try p.object(p.pick("functionResponse")) {
            let name = try response.requiredString("name")
            _ = try response.object("response")
            return .toolResult(id: try response.string("id") ?? "", name: name,
                               content: String(decoding: response.json("response"), as: UTF8.self), isError: false)
        }
        for key in ["thoughtSignature", "executableCode", "codeExecutionResult", "videoMetadata"] where p.has(p.pick(key)) {
            return nil
        }
        throw GatewayError.badRequest("\(p.path): a part needs one of text, inlineData, fileData, functionCall, functionResponse",
                                      code: "invalid_request_error", param: p.path)
    }

    /// `systemInstruction`: a Content (`{parts:[{text}]}`) or, leniently, a bare string.
    private static func systemInstruction(_ r: BodyReader) throws(GatewayError) -> String? {
        let key = r.pick("systemInstruction")
        guard let v = r.value(key) else { return nil }
        if case .string(let s) = v { return s }
        guard let s = try r.object(key) else { return nil }
        var texts: [String] = []
        for part in try s.objects(s.pick("parts")) ?? [] {
            if let t = try part.string("text") { texts.append(t) }
        }
        return texts.isEmpty ? nil : texts.joined(separator: "\n\n")
    }

    private static func decodeConfig(_ g: BodyReader, into req: inout ChatRequest) throws(GatewayError) {
        if let n = try g.int(g.pick("maxOutputTokens")) {
            guard n >= 1 else { throw g.fail(g.pick("maxOutputTokens"), "must be at least 1, got \(n)") }
            req.maxTokens = n
        }
        if let stops = try g.strings(g.pick("stopSequences")) { req.stopSequences = stops }
        if let n = try g.int(g.pick("candidateCount")) {
            guard (1...8).contains(n) else { throw g.fail(g.pick("candidateCount"), "must be from 1 to 8, got \(n)") }
            req.choices = n
        }
        try g.check(acceptedConfigFields, key: g.pick)

        let mime = try g.string(g.pick("responseMimeType"))
        switch mime {
        case nil, "text/plain", "text/x.enum": break
        case "application/json": req.responseFormat = .jsonObject
        case let other?:
            throw g.fail(g.pick("responseMimeType"), "unsupported mime type '\(other)'; use text/plain or application/json")
        }
        for key in ["responseSchema", "responseJsonSchema"] {
            let k = g.pick(key)
            guard g.has(k) else { continue }
            guard case .object = g.value(k) else {
                throw g.fail(k, "expected an object, found \(g.value(k)?.typeDescription ?? "null")")
            }
            req.responseFormat = mime == "text/x.enum" ? .enumText(schema: g.json(k))
                : .jsonSchema(name: "response", schema: g.json(k))
            req.featureParams[.jsonSchema] = "generationConfig.\(key)"
            break
        }
        if try g.bool(g.pick("responseLogprobs")) == true {
            req.logprobs = true
            req.featureParams[.logprobs] = "generationConfig.responseLogprobs"
        }
        if let n = try g.int(g.pick("logprobs")) {
            guard (0...20).contains(n) else { throw g.fail(g.pick("logprobs"), "must be from 0 to 20, got \(n)") }
            req.topLogprobs = n
            if n > 0 && req.featureParams[.logprobs] == nil {
                req.logprobs = true
                req.featureParams[.logprobs] = "generationConfig.logprobs"
            }
        }
        if let t = try g.object(g.pick("thinkingConfig")) {
            try t.check(t.pick("thinkingBudget"), .integer(-1...BodyReader.int32.upperBound))
            let budget = try t.int(t.pick("thinkingBudget"))
            _ = try t.bool(t.pick("includeThoughts"))
            let level = try t.string(t.pick("thinkingLevel"))
            if budget != 0 {
                req.thinking = ThinkingSetting(budget: budget.flatMap { $0 < 0 ? nil : $0 }, effort: level?.lowercased())
                req.featureParams[.thinking] = "generationConfig.thinkingConfig"
            }
        }
    }

    private static func decodeTools(_ r: BodyReader, into req: inout ChatRequest) throws(GatewayError) {
        for tool in try r.objects(r.pick("tools")) ?? [] {
            // Other tool kinds (googleSearch, codeExecution, urlContext): accepted, not served.
            for decl in try tool.objects(tool.pick("functionDeclarations")) ?? [] {
                let name = try decl.requiredString("name")
                let description = try decl.string("description") ?? ""
                var schema = Array("{}".utf8)
                for key in ["parameters", "parametersJsonSchema"] where decl.has(decl.pick(key)) {
                    guard let s = try decl.object(decl.pick(key)) else { continue }
                    schema = JSONValue.object(s.object).encoded
                    break
                }
                req.tools.append(ToolSpec(name: name, description: description, schema: schema))
                req.featureParams[.tools] = "tools"
            }
        }
        guard let config = try r.object(r.pick("toolConfig")),
              let calling = try config.object(config.pick("functionCallingConfig")) else { return }
        let names = try calling.strings(calling.pick("allowedFunctionNames")) ?? []
        switch try calling.string("mode") {
        case nil, "AUTO", "MODE_UNSPECIFIED", "VALIDATED": req.toolChoice = .auto
        case "NONE": req.toolChoice = .none
        case "ANY": req.toolChoice = names.isEmpty ? .required : names.count == 1 ? .named(names[0]) : .oneOf(names)
        case let other?:
            throw calling.fail("mode", "expected one of AUTO, ANY, NONE, VALIDATED, found '\(other)'")
        }
    }
}
