import HTTPCore

/// The reply when no rule matches: plausible, short and deterministic in the seed, the model
/// and the conversation.
///
/// - With tools offered and `tool_choice` forcing a call (`required`, a named tool, a list of
///   allowed tools): a tool call, in every state of the conversation (after a tool result too).
/// - With tools offered, `tool_choice` `auto` and the conversation not ending in a tool result:
///   a call to every tool whose name the last user message mentions (several make parallel
///   calls). Arguments are built from the tool's JSON Schema by ``SchemaInstance``; string fields
///   take the last capitalised word of the message (`Paris` in "weather in Paris?"), else `"example"`.
/// - With `json_object` / `json_schema` output: a JSON document (an instance of the schema, by
///   ``SchemaInstance``), after a tool result too; with Gemini's `text/x.enum`, one enum member, bare.
/// - After tool results: a sentence quoting every result of the last message (parallel calls
///   are all acknowledged), by tool name.
/// - Otherwise a few sentences that echo the start of the question.
/// - Thinking is added first when the request asked for it and the model has `thinking`.
///
/// Concurrency: stateless; every function is pure.
enum DefaultReplies {
    static func blocks(for request: ChatRequest, prompt: String, model: CatalogModel, key: UInt64) -> [Reply.Block] {
        var blocks: [Reply.Block] = []
        if request.thinking != nil, model.has("thinking") {
            blocks.append(.thinking(text: "The user wrote: \"\(clip(prompt, 80))\". I should answer directly and keep it short.",
                                    signature: ReplyEngine.signature(key)))
        }
        if let calls = toolCalls(request, prompt: prompt, key: key), !calls.isEmpty {
            return blocks + calls
        }
        if request.responseFormat == .text, request.endsWithToolResult {
            blocks.append(.text(acknowledgement(request.trailingToolResults)))
            return blocks
        }
        switch request.responseFormat {
        case .jsonObject:
            var w = JSONWriter()
            w.objectStart(); w.key("answer"); w.string(sentence(key, prompt: prompt)); w.objectEnd()
            blocks.append(.text(String(decoding: w.bytes, as: UTF8.self)))
        case .jsonSchema(_, let schema):
            let value = (try? JSONParser.parse(schema)).map { SchemaInstance.make(for: $0, hint: hint(prompt), seed: key) } ?? .object(JSONObject())
            blocks.append(.text(String(decoding: value.encoded, as: UTF8.self)))
        case .enumText(let schema):
            let value = (try? JSONParser.parse(schema)).map { SchemaInstance.make(for: $0, hint: hint(prompt), seed: key) }
            if case .string(let member)? = value { blocks.append(.text(member)) } else {
                blocks.append(.text(String(decoding: (value ?? .null).encoded, as: UTF8.self)))
            }
        case .text:
            blocks.append(.text(text(key, prompt: prompt, model: model.id)))
        }
        return blocks
    }

    static let openerCount = 5
    static let fillerCount = 5

    /// The first sentence of a default reply (a switch over literals: no array to initialise).
    static func opener(_ i: Int) -> StaticString {
        switch i {
        case 0: "Sure."
        case 1: "Certainly."
        case 2: "Here is a short answer."
        case 3: "Good question."
        default: "Happy to help."
        }
    }

    static func filler(_ i: Int) -> StaticString {
        switch i {
        case 0: "This reply comes from the bytespike-mock default generator."
        case 1: "The same request and seed always give the same words."
        case 2: "Add a reply rule to script exactly what the model says."
        case 3: "Token counts follow one documented approximation on every surface."
        default: "Nothing here was sent to a real model."
        }
    }

    static func text(_ key: UInt64, prompt: String, model: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(320 + prompt.utf8.count + model.utf8.count)
        out.appendLiteral(opener(Int(key % UInt64(openerCount))))
        if !prompt.isEmpty {
            out.appendLiteral(" You asked: \"")
            out.append(contentsOf: clip(prompt, 60).utf8)
            out.appendLiteral("\".")
        }
        let n = 1 + Int((key >> 8) % 3)
        for i in 0..<n {
            out.append(0x20)
            out.appendLiteral(filler(Int((key >> (16 + 4 * UInt64(i))) % UInt64(fillerCount))))
        }
        out.appendLiteral(" (")
        out.append(contentsOf: model.utf8)
        out.append(0x29)
        return String(decoding: out, as: UTF8.self)
    }

    static func sentence(_ key: UInt64, prompt: String) -> String {
        prompt.isEmpty ? filler(Int(key % UInt64(fillerCount))).description : "You asked: \(clip(prompt, 60))"
    }

    /// The last capitalised word of the prompt that is not its first word, or "example".
    static func hint(_ prompt: String) -> String {
        let words = prompt.split { !$0.isLetter && !$0.isNumber && $0 != "-" }
        for w in words.dropFirst().reversed() where w.first?.isUppercase == true { return String(w) }
        return "example"
    }

    static func clip(_ s: String, _ n: Int) -> String {
        // Fast path: short, one line (counted in bytes, which are at least as many as characters).
        if s.utf8.count <= n, !s.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x0B || $0 == 0x0C || $0 >= 0x80 }) {
            return s
        }
        let flat = s.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count <= n ? flat : String(flat.prefix(n)) + "…"
    }
}
