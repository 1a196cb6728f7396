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
    static func events(_ reply: Reply, _ request: ChatRequest, _ meta: ReplyMeta) -> [StreamEvent]

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
    /// A deterministic id token of `length` base-62 characters for item `index` of this reply.
    func token(_ index: Int, length: Int = 24) -> String {
        var x = seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(length)
        for _ in 0..<length {
            x = x &+ 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            out.append(alphabet[Int(z % 62)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
