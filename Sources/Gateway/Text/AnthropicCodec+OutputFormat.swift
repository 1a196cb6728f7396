import HTTPCore

/// Anthropic structured outputs: `output_config.format` (generally available) and the beta
/// top-level `output_format` (sent with `anthropic-beta: structured-outputs-…`), both
/// `{"type": "json_schema", "schema": {…}}`. Either makes the reply's text a JSON document valid
/// against the schema; the schema's path is recorded as the `json_schema` feature, so a model
/// without that capability gets the catalog's 400 naming it.
///
/// ```json
/// {"output_config": {"format": {"type": "json_schema",
///   "schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}}
/// ```
extension AnthropicCodec {
    /// The efforts `output_config.effort` takes.
    static let outputEfforts: Set<String> = ["low", "medium", "high", "xhigh", "max"]

    /// Reads `output_config` and `output_format` into `request.responseFormat`. When both carry a
    /// format, `output_config.format` wins (the SDKs merge the beta field into it).
    static func outputFormat(_ r: BodyReader, _ request: inout ChatRequest) throws(GatewayError) {
        var format: BodyReader?
        if let config = try r.object("output_config") {
            if let effort = try config.string("effort"), !outputEfforts.contains(effort) {
                throw config.fail("effort", "Input should be 'low', 'medium', 'high', 'xhigh' or 'max', found '\(effort)'")
            }
            format = try config.object("format")
        }
        if format == nil { format = try r.object("output_format") }
        guard let format else { return }
        let type = try format.requiredString("type")
        guard type == "json_schema" else {
            throw format.fail("type", "Input should be 'json_schema', found '\(type)'")
        }
        guard let schema = try format.object("schema") else { throw format.fail("schema", "field required") }
        request.responseFormat = .jsonSchema(name: "output", schema: JSONValue.object(schema.object).encoded)
        request.featureParams[.jsonSchema] = format.path
    }
}
