import HTTPCore

/// The 400 an unknown field gets, worded as each provider words it, and the per-request switch
/// that turns the check off.
///
/// | dialect | message | `param` / `code` |
/// |---|---|---|
/// | anthropic | `bogus_field: Extra inputs are not permitted` (nested: `metadata.x: …`) | — |
/// | chat | `Unrecognized request argument supplied: bogus_field` (several: `arguments …: a, b`); nested: `Unknown parameter: 'stream_options.x'.` | null / null; nested: the path / `unknown_parameter` |
/// | responses | `Unknown parameter: 'bogus_field'.` | the field / `unknown_parameter` |
/// | gemini | `Invalid JSON payload received. Unknown name "bogus_field": Cannot find field.` (nested: `… at 'generation_config': …`) | the containing path, rendered as a google.rpc.BadRequest field violation |
extension RequestFields {
    /// The `code` of a Gemini unknown-field error, which its envelope renders with
    /// google.rpc.BadRequest details (Gemini's envelope shows no `code` string otherwise).
    static let unknownFieldCode = "unknown_field"

    /// The request header that overrides `--unknown-fields` for one request.
    static let policyHeader = "x-mock-unknown-fields"

    /// Checks `body` and throws the provider's 400 for its unknown members, if any.
    func check(_ body: JSONObject) throws(GatewayError) {
        let found = unknown(in: body)
        guard let first = found.first else { return }
        throw error(first, all: found)
    }

    /// The error for `first` (Chat names every unknown top-level argument in one message).
    func error(_ first: Unknown, all: [Unknown]) -> GatewayError {
        switch dialect {
        case .anthropic:
            let path = (first.container.flatMap { step in [step.name] + (step.index.map { [String($0)] } ?? []) } + [first.key])
                .joined(separator: ".")
            return .badRequest("\(path): Extra inputs are not permitted", code: "invalid_request_error", param: path)
        case .chat where first.container.isEmpty:
            let names = all.filter(\.container.isEmpty).map(\.key)
            let what = names.count == 1 ? "argument" : "arguments"
            return GatewayError(.invalidRequest, status: .badRequest,
                                message: "Unrecognized request \(what) supplied: \(names.joined(separator: ", "))",
                                param: nil)  // OpenAI sends `param: null, code: null` here
        case .chat, .responses:
            let path = Self.openAIPath(first)
            return GatewayError(.invalidRequest, status: .badRequest, message: "Unknown parameter: '\(path)'.",
                                code: "unknown_parameter", param: path)
        case .gemini:
            let at = first.container.map { step in
                Self.snakeCase(step.name) + (step.index.map { "[\($0)]" } ?? "")
            }.joined(separator: ".")
            let place = at.isEmpty ? "" : " at '\(at)'"
            // `param` is the containing object (nil at the top level): the envelope's
            // google.rpc.BadRequest `fieldViolations[].field`.
            return .badRequest("Invalid JSON payload received. Unknown name \"\(first.key)\"\(place): Cannot find field.",
                               code: Self.unknownFieldCode, param: at.isEmpty ? nil : at)
        }
    }

    /// `input[0].foo`, `stream_options.foo`.
    private static func openAIPath(_ u: Unknown) -> String {
        var out = ""
        for step in u.container {
            out += (out.isEmpty ? "" : ".") + step.name + (step.index.map { "[\($0)]" } ?? "")
        }
        return out.isEmpty ? u.key : out + "." + u.key
    }

    /// The policy for one request: its `X-Mock-Unknown-Fields` header, else `fallback`. A header
    /// value other than `reject` or `ignore` is a 400 naming the header.
    static func policy(header: String?, fallback: UnknownFieldPolicy) -> Result<UnknownFieldPolicy, GatewayError> {
        guard let header else { return .success(fallback) }
        let word = header.trimmingSpaces.lowercased()
        guard let p = UnknownFieldPolicy(rawValue: word) else {
            return .failure(.badRequest("X-Mock-Unknown-Fields: expected 'reject' or 'ignore', found '\(header)'",
                                        param: "X-Mock-Unknown-Fields"))
        }
        return .success(p)
    }
}

private extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
