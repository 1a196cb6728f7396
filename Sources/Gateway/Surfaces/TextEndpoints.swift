import HTTPCore
import HTTPServer
import Synchronization

/// The text pipeline shared by the four protocols: parse → decode (surface) → validate against
/// the catalog → admit (accounting) → reply engine → encode (surface) → send or stream → bill.
///
/// Billing: a 2xx non-streaming reply bills its usage before the response is written (so its
/// headers show the charge). A stream sends its headers first (pre-charge state) and bills when
/// it ends: all of it when complete, the input and the output sent so far when the client goes
/// away, nothing when a scripted in-band error breaks it. Every admitted request releases its
/// concurrency slot exactly once, when its response is complete.
extension Gateway {
    enum TextCall {
        case messages, chatCompletions, responses
        case gemini(model: String, stream: Bool)

        var surface: TextSurface {
            switch self {
            case .messages: .messages
            case .chatCompletions: .chat
            case .responses: .responses
            case .gemini: .gemini
            }
        }
    }

    func serveText(_ call: TextCall, _ ex: Exchange, _ responder: Responder, _ caller: Caller) {
        let request: ChatRequest
        switch decodeText(call, ex) {
        case .success(let r): request = r
        case .failure(let e): return fail(e, ex, responder)
        }
        if faultFree(ex, model: request.model, stream: request.stream) {
            return generate(call, request, ex, responder, caller, streamFault: nil)
        }
        withFaults(ex, model: request.model, stream: request.stream, responder) { [self] ex, fault in
            generate(call, request, ex, responder, caller, streamFault: fault)
        }
    }

    /// Validation, admission, the reply and its encoding, for a decoded request past the faults.
    private func generate(_ call: TextCall, _ decoded: consuming ChatRequest, _ ex: Exchange, _ responder: Responder, _ caller: Caller,
                          streamFault: FaultRule?) {
        let surface = call.surface
        var requestPacing: Pacing?
        if let h = ex.request.header("x-mock-pacing") {
            switch Pacing.parseHeader(h) {
            case .success(let p): requestPacing = p
            case .failure(let e): return fail(e, ex, responder)
            }
        }
        let now = clock.now
        let model: CatalogModel
        let admission: Admission
        do throws(GatewayError) {
            model = try validate(decoded, surface: surface, in: ex.view.catalog)
            admission = try accounting.admission(caller, model: model.id, catalog: ex.view.catalog, now: now)
        } catch {
            return fail(error, ex, responder)
        }
        // A `let`: the stream's completion captures it, and a captured `var` would live in a heap
        // box that every later use copies the whole request out of.
        let request: ChatRequest
        if surface == .responses, let prev = decoded.previousResponseID {
            guard let stored = responseStore.get(prev, accountID: caller.account.id) else {
                accounting.release(admission)
                return fail(.badRequest("Previous response with id '\(prev)' not found.", code: "previous_response_not_found",
                                        param: "previous_response_id"), ex, responder)
            }
            var continued = decoded
            continued.messages = stored.messages + continued.messages
            request = continued
        } else {
            request = decoded
        }
        var replied: Reply
        switch replies.reply(to: request, surface: surface, model: model, requestPacing: requestPacing, session: ex.session) {
        case .success(let r): replied = r
        case .failure(let e):
            accounting.release(admission)
            return fail(e, ex, responder)
        }
        replied.cache = CacheRules.usage(request, inputTokens: replied.inputTokens, surface: surface, model: model, cache: promptCache,
                                         scope: .init(account: caller.account.id, session: ex.session), now: clock.nowMillis)
        let reply = replied
        let metaSeed = ReplyEngine.hash(seed, ex.requestID)
        let meta = ReplyMeta(responseID: surface.responseID(idToken(seed: metaSeed, index: 0)),
                             created: now, requestID: ex.requestID, seed: metaSeed)
        let codec = surface.codec
        if !request.stream {
            let body = codec.body(reply, request, meta)
            bill(admission, reply.usage, model, surface, ex)
            accounting.release(admission)
            store(surface, request, reply, meta, caller) { body }
            return send(.ok, body, ex, responder, contentType: codec.bodyContentType)
        }
        // Stream: the head carries the envelope as it stands before this request is billed.
        let head = head(ex, contentType: codec.streamContentType(request), extra: ["Cache-Control": "no-cache"])
        // The head leaves with the first events (the driver flushes it first when they are paced).
        guard let stream = responder.startStream(status: .ok, flushHead: false, headers: { head.write(to: &$0) }) else {
            accounting.release(admission)
            return record(ex, status: 0, bytes: 0)
        }
        openStreams.add(1, ordering: .relaxed)
        let events = codec.events(reply, request, meta)
        // A break always comes before the stream's terminal event.
        let last = max(0, events.count - 1)
        var fault: (kind: StreamDriver.Fault, after: Int)?
        if let e = reply.streamError {
            let at = min(reply.errorAfterEvents, last)
            fault = (.inBand(codec.streamError(e, reply, request, meta, sent: at)), at)
        }
        var pacing = reply.pacing
        if let f = streamFault {
            let at = min(f.afterEvents ?? 0, last)
            switch f.action {
            case .status: fault = (.inBand(codec.streamError(f.error, reply, request, meta, sent: at)), at)
            case .end: fault = (.end, at)
            case .cut, .reset: fault = (.disconnect(f.action.disconnect), at)
            case .stall: fault = (.stall(.milliseconds(f.stallMillis)), at)
            case .malformed: fault = (.malformed, at)
            case .drip: pacing = Pacing(firstTokenMillis: f.firstTokenMillis, tokensPerSecond: f.tokensPerSecond)
            case .rstStream, .goaway, .dataStall:
                if let h = f.http2Fault { fault = (.http2(h, skipped: { ex.noteHTTP2Skipped(f) }), at) }
            case .latency, .garbage, .fail, .windowStall, .h2Settings: break
            }
        }
        let limit = StreamDriver.Limit(after: .seconds(maxStreamSeconds)) { [self] at in
            codec.streamError(streamTimeLimitError, reply, request, meta, sent: min(at, last))
        }
        let driver = StreamDriver(stream: stream, events: events, pacing: pacing, batch: streamBatch, fault: fault,
                                  limit: limit) { [self] outcome, sent in
            openStreams.subtract(1, ordering: .relaxed)
            record(ex, status: 200, events: sent.events, bytes: sent.bytes,
                   response: CapturedResponse(head: head, body: .stream(sent.transcript)))
            switch outcome {
            case .completed:
                bill(admission, reply.usage, model, surface, ex)
                store(surface, request, reply, meta, caller) { codec.body(reply, request, meta) }
            case .aborted(let sent), .expired(let sent):
                let thinking = min(sent, reply.thinkingTokens)
                let output = min(sent - thinking, reply.outputTokens)
                var usage = reply.usage
                usage.outputTokens = output
                usage.thinkingTokens = thinking
                bill(admission, usage, model, surface, ex)
            case .failed:
                break
            }
            accounting.release(admission)
        }
        driver.start()
    }

    /// The in-band error a stream ends with when it reaches `--max-stream-seconds`.
    private var streamTimeLimitError: GatewayError {
        GatewayError(status: 504, message: "the stream reached the mock's time limit of \(maxStreamSeconds) s (--max-stream-seconds) and was ended; the output sent so far is billed",
                     code: "stream_time_limit")
    }

    private func bill(_ admission: Admission, _ usage: Usage, _ model: CatalogModel, _ surface: TextSurface, _ ex: Exchange) {
        accounting.bill(admission, usage: usage, pricing: model.pricing, surface: surface.rawValue,
                        requestID: ex.requestID, now: clock.now)
    }

    /// Keeps a Responses reply for `GET /v1/responses/{id}` and `previous_response_id`; `body`
    /// is only encoded when the reply is stored.
    private func store(_ surface: TextSurface, _ request: ChatRequest, _ reply: Reply, _ meta: ReplyMeta,
                       _ caller: Caller, body: () -> [UInt8]) {
        guard surface == .responses, request.store else { return }
        var parts: [ChatPart] = []
        for b in reply.blocks {
            switch b {
            case .text(let t), .refusal(let t): parts.append(.text(t))
            case .thinking(let t, _): parts.append(.thinking(t))
            case .toolCall(let id, let name, let args): parts.append(.toolCall(id: id, name: name, arguments: args))
            }
        }
        responseStore.put(meta.responseID, .init(accountID: caller.account.id, body: body(),
                                                 messages: request.messages + [ChatMessage(role: .assistant, parts: parts)]))
    }

    /// Parses the body and decodes it with the surface's codec.
    private func decodeText(_ call: TextCall, _ ex: Exchange) -> Result<ChatRequest, GatewayError> {
        EndpointSupport.jsonObject(ex.request.body, required: true).flatMap { decodeText(call, $0, ex) }
    }

    /// The body is first checked against the call's known-field table, unless the caller did
    /// (`checked`: count_tokens checks against its own table).
    private func decodeText(_ call: TextCall, _ object: JSONObject, _ ex: Exchange,
                            checked: Bool = false) -> Result<ChatRequest, GatewayError> {
        do throws(GatewayError) {
            if !checked { try checkFields(Self.fieldTable(call), object, ex) }
            switch call {
            case .messages: return .success(try AnthropicCodec.decode(object, pathModel: nil))
            case .chatCompletions: return .success(try ChatCodec.decode(object, pathModel: nil))
            case .responses: return .success(try ResponsesCodec.decode(object, pathModel: nil))
            case .gemini(let model, let stream):
                var r = try GeminiCodec.decode(object, pathModel: Self.geminiModelName(model))
                r.stream = stream
                r.jsonArrayStream = stream && Query(ex.request.query).first("alt") != "sse"
                return .success(r)
            }
        } catch {
            return .failure(error)
        }
    }

    /// `models/gemini-2.5-flash` or `gemini-2.5-flash` → `gemini-2.5-flash`.
    static func geminiModelName(_ s: String) -> String {
        s.hasPrefix("models/") ? String(s.dropFirst(7)) : s
    }

    /// Resolves the model and checks the request against its catalog entry: unknown (404, each
    /// protocol's own wording), retired or non-text or not served on this protocol (400
    /// `unsupported_model`), and features the model lacks (400 naming the parameter).
    /// The catalog model `name` names (id or alias): a retired slug is 400 `unsupported_model`
    /// (naming its replacement), an unknown one 404 `model_not_found` with the surface's `message`.
    func catalogModel(_ name: String, param: String?, in catalog: Catalog, notFound message: () -> String) throws(GatewayError) -> CatalogModel {
        if let model = catalog.model(named: name) { return model }
        if let r = catalog.retired[name] {
            let hint = r.replacement.map { "; use '\($0)' instead" } ?? ""
            throw GatewayError.badRequest("model '\(name)' has been retired\(hint)", code: "unsupported_model", param: "model")
        }
        var e = GatewayError.notFound(message(), code: "model_not_found")
        e.param = param
        throw e
    }

    static func openAIUnknownModel(_ name: String) -> String {
        "The model `\(name)` does not exist or you do not have access to it."
    }

    /// The request features a model must have a capability for, with the words errors use.
    private static let featureNeeds: [(ChatRequest.Feature, String, String)] = [
        (.vision, "vision", "image input"), (.tools, "tool_use", "tools"),
        (.jsonSchema, "json_schema", "structured output (JSON schema)"), (.logprobs, "logprobs", "logprobs"),
    ]

    func validate(_ request: ChatRequest, surface: TextSurface, in catalog: Catalog) throws(GatewayError) -> CatalogModel {
        let name = request.model
        let model = try catalogModel(name, param: surface == .gemini ? nil : "model", in: catalog) {
            switch surface {
            case .messages: "model: \(name)"
            case .chat, .responses: Self.openAIUnknownModel(name)
            case .gemini: "models/\(name) is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."
            }
        }
        guard model.kind == .text else {
            let route = model.kind == .image ? "POST /v1/images/generations" : "POST /v1/tasks/submit"
            throw GatewayError.badRequest("model '\(model.id)' is a\(model.kind == .image ? "n image" : " video") model; call it through \(route)",
                                        code: "unsupported_model", param: "model")
        }
        guard model.protocols.contains(surface.rawValue) else {
            let served = TextSurface.allCases.filter { model.protocols.contains($0.rawValue) }.map(\.title).joined(separator: ", ")
            throw GatewayError.badRequest("model '\(model.id)' is not available through \(surface.title); it is served by \(served)",
                                        code: "unsupported_model", param: "model")
        }
        for (feature, capability, what) in Self.featureNeeds where !request.featureParams.isEmpty {
            if let param = request.featureParams[feature], !model.has(capability) {
                throw GatewayError.badRequest("model '\(model.id)' does not support \(what)", code: "unsupported_\(capability)",
                                            param: param)
            }
        }
        if request.stream, !model.has("streaming") {
            throw GatewayError.badRequest("model '\(model.id)' does not support streaming; send the request without streaming",
                                        code: "unsupported_streaming", param: surface.streamParam)
        }
        if let max = request.maxTokens {
            guard max >= 1 else {
                throw GatewayError.badRequest("\(surface.maxTokensParam): must be at least 1", code: "invalid_value", param: surface.maxTokensParam)
            }
            if model.maxOutputTokens > 0, max > model.maxOutputTokens {
                throw GatewayError.badRequest("\(surface.maxTokensParam): \(max) > \(model.maxOutputTokens), which is the maximum allowed number of output tokens for \(model.id)",
                                            code: "invalid_value", param: surface.maxTokensParam)
            }
        }
        if request.choices != 1 {
            throw GatewayError.badRequest("only one choice per request is supported (n / candidateCount must be 1)",
                                        code: "invalid_value", param: surface == .gemini ? "generationConfig.candidateCount" : "n")
        }
        return model
    }

    /// `POST /v1/messages/count_tokens` and Gemini `:countTokens`: the input tokens the same
    /// request would bill, without admission or billing.
    func serveCountTokens(_ surface: TextSurface, model pathModel: String?, _ ex: Exchange, _ responder: Responder, _ caller: Caller) {
        let call: TextCall = surface == .messages ? .messages : .gemini(model: pathModel ?? "", stream: false)
        let table: RequestFields = surface == .messages ? .countTokens : .geminiCountTokens
        let result = EndpointSupport.jsonObject(ex.request.body, required: true).flatMap { object -> Result<ChatRequest, GatewayError> in
            do throws(GatewayError) { try checkFields(table, object, ex) } catch { return .failure(error) }
            var o = object
            // Anthropic's count_tokens takes a Messages body without `max_tokens`.
            if surface == .messages, o["max_tokens"] == nil { o.append("max_tokens", .int(1)) }
            return decodeText(call, o, ex, checked: true)
        }
        guard case .success(let decoded) = result else {
            if case .failure(let e) = result { fail(e, ex, responder) }
            return
        }
        withFaults(ex, model: decoded.model, stream: false, responder) { [self] ex, _ in
            countTokens(surface, decoded, ex, responder, caller)
        }
    }

    private func countTokens(_ surface: TextSurface, _ decoded: ChatRequest, _ ex: Exchange, _ responder: Responder, _ caller: Caller) {
        var request = decoded
        request.maxTokens = nil
        request.stream = false
        let model: CatalogModel
        do throws(GatewayError) {
            model = try validate(request, surface: surface, in: ex.view.catalog)
        } catch {
            return fail(error, ex, responder)
        }
        if let e = ex.view.catalog.routingError(group: caller.key.group, model: model.id) { return fail(e, ex, responder) }
        let n = ReplyEngine.inputTokens(request)
        var w = JSONWriter()
        w.objectStart()
        if surface == .messages {
            w.key("input_tokens"); w.int(n)
        } else {
            w.key("totalTokens"); w.int(n)
            w.key("promptTokensDetails"); w.arrayStart()
            w.objectStart(); w.key("modality"); w.string("TEXT"); w.key("tokenCount"); w.int(n); w.objectEnd()
            w.arrayEnd()
        }
        w.objectEnd()
        send(.ok, w.bytes, ex, responder, contentType: surface.codec.bodyContentType)
    }

    func storedResponse(_ id: String, caller: Caller) -> Result<[UInt8], GatewayError> {
        guard let e = responseStore.get(id, accountID: caller.account.id) else {
            return .failure(.notFound("Response with id '\(id)' not found.", code: "response_not_found"))
        }
        return .success(e.body)
    }

    func deleteStoredResponse(_ id: String, caller: Caller) -> Result<[UInt8], GatewayError> {
        guard responseStore.remove(id, accountID: caller.account.id) else {
            return .failure(.notFound("Response with id '\(id)' not found.", code: "response_not_found"))
        }
        var w = JSONWriter()
        w.objectStart(); w.key("id"); w.string(id); w.key("object"); w.string("response"); w.key("deleted"); w.bool(true); w.objectEnd()
        return .success(w.bytes)
    }
}
