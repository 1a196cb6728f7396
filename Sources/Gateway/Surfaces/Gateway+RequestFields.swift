import HTTPCore

/// The strict-field check of the text routes, between parsing the body and decoding it.
extension Gateway {
    /// The known-field table of a generation call.
    static func fieldTable(_ call: TextCall) -> RequestFields {
        switch call {
        case .messages: .messages
        case .chatCompletions: .chat
        case .responses: .responses
        case .gemini: .gemini
        }
    }

    /// The strict-field check (`RequestFields`) under this request's policy: the header
    /// `X-Mock-Unknown-Fields`, else `--unknown-fields`.
    func checkFields(_ table: RequestFields, _ object: JSONObject, _ ex: Exchange) throws(GatewayError) {
        let policy = try RequestFields.policy(header: ex.request.header(RequestFields.policyHeader), fallback: unknownFields).get()
        if policy == .reject { try table.check(object) }
    }
}
