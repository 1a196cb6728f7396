import HTTPCore

/// One text surface's wire format: request decoding, and reply encoding as a JSON body or as
/// its exact event stream. Pure functions of their inputs (no clock, no randomness), so the
/// bytes are reproducible and golden-testable.
protocol TextCodec {
    /// Decodes the parsed body into a neutral request. `pathModel` is the model named in the
    /// URL (Gemini); the others read it from the body. Errors are 400s naming the field.
    static func decode(_ body: JSONObject, pathModel: String?) throws(GatewayError) -> ChatRequest

    /// The complete non-streaming response body.
    static func body(_ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta) -> [UInt8]

    /// The stream as framed events, in order, including any closing event (`[DONE]`, `]`).
    static func events(_ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta) -> StreamEvents

    /// The in-band error that breaks a stream after `sent` of its events were written; the
    /// stream closes right after it.
    static func streamError(_ error: GatewayError, _ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta,
                            sent: Int) -> [UInt8]

    /// `Content-Type` of the JSON body (`application/json`, Gemini's `application/json; charset=UTF-8`).
    static var bodyContentType: String { get }

    /// `Content-Type` of the stream (`text/event-stream; charset=utf-8`, …).
    static func streamContentType(_ request: ChatRequest) -> String
}

extension ReplyMeta {
    /// A deterministic id token for item `index` of this reply (see ``idToken(seed:index:length:)``).
    func token(_ index: Int, length: Int = 24) -> String { idToken(seed: seed, index: index, length: length) }
}
