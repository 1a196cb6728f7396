import HTTPCore
import HTTPServer

/// The async task API in its three documented shapes, all on one task store:
/// - `POST /v1/tasks/submit` with `params` (utility pages) or flat fields (video pages);
/// - `POST|GET /v1/tasks/query`, `POST /v1/tasks/cancel[/{id}]`, `GET /v1/tasks/stream/{id}` (SSE);
/// - `POST /v1/videos/generations` + `GET /v1/videos/tasks/{id}` (model pages; `size` instead of
///   `resolution` + `aspect_ratio`).
///
/// Bodies are capped at 1 MiB (413). Queries and cancels are free; the terminal step bills
/// (see ``MediaTask/credits(for:)``). Tasks belong to the caller's account: another account's
/// task id is 404 `task_not_found`, like an unknown one.
extension Gateway {
    static let taskBodyLimit = 1 << 20

    func serveTasks(_ endpoint: Endpoint, _ ex: Exchange, _ responder: Responder, _ caller: Caller) {
        if ex.request.body.count > Self.taskBodyLimit {
            return fail(GatewayError(.requestTooLarge, status: .contentTooLarge,
                                     message: "request body is \(ex.request.body.count) bytes; /v1/tasks/* accepts at most 1 MiB (1048576 bytes)",
                                     code: "request_too_large"), ex, responder)
        }
        switch endpoint {
        case .taskSubmit, .videoSubmit:
            let decoded = EndpointSupport.jsonObject(ex.request.body, required: true).flatMap { body -> Result<MediaTask, GatewayError> in
                do throws(GatewayError) {
                    return .success(try decodeTask(body, videos: endpoint == .videoSubmit, ex: ex, caller: caller))
                } catch {
                    return .failure(Self.asParamError(error))
                }
            }
            switch decoded {
            case .failure(let e): return fail(e, ex, responder)
            case .success(let t):
                withFaults(ex, model: t.model.id, stream: false, responder) { [self] ex, fault in
                    submitTask(t, fault, ex, responder, caller)
                }
            }
        case .taskStream(let id):
            withFaults(ex, model: nil, stream: true, responder) { [self] ex, fault in
                streamTask(id, fault, ex, responder, caller)
            }
        default:
            withFaults(ex, model: nil, stream: false, responder) { [self] ex, _ in
                switch lookupTask(endpoint, ex, caller) {
                case .success(let t): send(.ok, encodeTask(t), ex, responder)
                case .failure(let e): fail(e, ex, responder)
                }
            }
        }
    }

    /// The task's state now, in the shared task object.
    func encodeTask(_ t: MediaTask) -> [UInt8] {
        t.encode(t.steps(at: clock.nowMillis).last!, base: t.base)
    }

    private func submitTask(_ task: MediaTask, _ fault: FaultRule?, _ ex: Exchange, _ responder: Responder, _ caller: Caller) {
        var task = task
        switch accounting.admit(caller, model: task.model.id, catalog: ex.view.catalog, now: clock.now) {
        case .success(let a): accounting.release(a)  // a task holds no concurrency slot while it renders
        case .failure(let e): return fail(e, ex, responder)
        }
        if let f = fault, f.action == .fail {
            let at = f.failAt < 0 ? "in the queue" : "at \(f.failAt)%"
            task.failure = (f.failAt, f.code ?? "render_failed",
                            f.message ?? "the render failed \(at) (injected by bytespike-mock fault rule \(f.id))")
        }
        task.id = tasks.newID(now: clock.nowMillis)
        task.submittedAt = clock.nowMillis
        switch tasks.submit(task) {
        case .created(let t), .existing(let t):
            tasks.settle()
            send(.ok, encodeTask(tasks.task(t.id) ?? t), ex, responder)
        case .conflict(let old):
            var e = GatewayError(.invalidRequest, status: .conflict,
                                 message: "out_task_id '\(old.outTaskID ?? "")' already names task \(old.id) with different model or params",
                                 code: "duplicate_out_task_id")
            e.param = "out_task_id"
            fail(e, ex, responder)
        }
    }

    /// Query, cancel and the video alias: the task the request names.
    private func lookupTask(_ endpoint: Endpoint, _ ex: Exchange, _ caller: Caller) -> Result<MediaTask, GatewayError> {
        var id: String?
        var outID: String?
        let request = ex.request
        switch endpoint {
        case .videoTask(let i): id = i
        case .taskQuery where request.method != .post:
            let q = Query(request.query)
            id = q.first("task_id")
            outID = q.first("out_task_id")
        default:
            do throws(GatewayError) {
                let r = BodyReader(try EndpointSupport.jsonObject(request.body).get())
                id = try r.string("task_id")
                outID = try r.string("out_task_id")
            } catch {
                return .failure(Self.asParamError(error))
            }
            if case .taskCancel(let path?) = endpoint {
                id = path  // the path beats the body
                outID = nil
            }
        }
        if id != nil, outID != nil {
            return .failure(.badRequest("send exactly one of task_id and out_task_id, not both", param: "task_id"))
        }
        guard id != nil || outID != nil else {
            return .failure(.badRequest("task_id or out_task_id is required", param: "task_id"))
        }
        let found = if case .taskCancel = endpoint {
            tasks.cancel(id: id, outTaskID: outID, accountID: caller.account.id)
        } else {
            tasks.find(id: id, outTaskID: outID, accountID: caller.account.id)
        }
        guard let t = found else {
            let what = id.map { "task '\($0)'" } ?? "out_task_id '\(outID ?? "")'"
            return .failure(.notFound("no \(what) for this account", code: "task_not_found"))
        }
        return .success(t)
    }

    static let videoOptionNames = ["style_preset", "motion_intensity", "audio"]

    /// A submit body as a task (id and time are stamped after the faults).
    private func decodeTask(_ body: JSONObject, videos: Bool, ex: Exchange, caller: Caller) throws(GatewayError) -> MediaTask {
        let top = BodyReader(body)
        let model = try mediaModel(try top.requiredString("model"), in: ex.view.catalog)
        let wrapped = !videos && top.has("params")
        let shape: MediaTask.Shape = videos ? .videos : wrapped ? .params : .flat
        let r = wrapped ? (try top.object("params"))! : top
        guard model.kind != .text else {
            throw GatewayError.badRequest("model: '\(model.id)' is a text model; /v1/tasks/submit takes video and image models",
                                          param: "model")
        }
        let prompt = try mediaPrompt(try r.requiredString("prompt"), param: r.at("prompt"), in: ex.view)
        var identity: [(String, JSONValue)] = [("model", .string(model.id))]
        let fields = wrapped ? (body["params"].flatMap { if case .object(let o) = $0 { o } else { nil } } ?? JSONObject()) : body
        for (k, v) in zip(fields.keys, fields.values) where !["model", "out_task_id", "callback_url", "callback_secret", "stream"].contains(k) {
            identity.append((k, v))
        }
        let seedValue = try r.int("seed")
        let seed = ReplyEngine.hash(self.seed, model.id, prompt, seedValue.map { "seed=\($0)" } ?? "")
        var task = MediaTask(id: "", outTaskID: try top.string("out_task_id"), model: model, shape: shape,
                             identity: canonicalJSON(identity), prompt: prompt, seed: seed, keyID: caller.key.id,
                             accountID: caller.account.id, session: ex.session, submittedAt: 0, queueMillis: 0, renderMillis: 0,
                             estimated: .zero, callbackSecret: tasks.options.callbackSecret, base: publicBase(ex.request))
        if let out = task.outTaskID, out.isEmpty || out.utf8.count > 128 {
            throw GatewayError.badRequest("out_task_id: must be 1 to 128 characters", param: "out_task_id")
        }
        if let url = try top.string("callback_url") {
            // https is accepted (and journaled as not delivered); both must be well-formed.
            let lower = url.lowercased()
            let asHTTP = lower.hasPrefix("https://") ? "http://" + url.dropFirst(8) : lower.hasPrefix("http://") ? "http://" + url.dropFirst(7) : ""
            guard !asHTTP.isEmpty, CallbackPost.parse(url: asHTTP) != nil else {
                throw GatewayError.badRequest("callback_url: must be an absolute http(s) URL (http://host[:port]/path)", param: "callback_url")
            }
            task.callbackURL = lower.hasPrefix("https://") ? url : asHTTP
        }
        if let secret = try top.string("callback_secret") {
            guard !secret.isEmpty else { throw GatewayError.badRequest("callback_secret: must not be empty", param: "callback_secret") }
            task.callbackSecret = secret
        }
        if model.kind == .video {
            guard let spec = ex.view.fixtures.media.videos[model.id] else {
                throw GatewayError.badRequest("model: '\(model.id)' has no video settings in media.json", param: "model")
            }
            try decodeVideo(&task, r, spec, videos: videos)
            task.queueMillis = tasks.scaled(spec.queueSeconds)
            task.renderMillis = tasks.scaled(spec.renderSeconds)
            task.cancelBilling = spec.cancelBilling
            task.estimated = model.pricing.cost(of: Usage(videoSeconds: task.seconds))
        } else {
            guard let spec = ex.view.fixtures.media.images[model.id] else {
                throw GatewayError.badRequest("model: '\(model.id)' has no image settings in media.json", param: "model")
            }
            task.size = ImageSize(spec.defaultSize)!
            if let n = try r.int("n") {
                if let problem = spec.countProblem(n) { throw r.fail("n", problem) }
                task.count = n
            }
            if let text = try r.string("size") {
                guard let s = spec.size(text) else { throw r.fail("size", spec.sizeProblem(text)) }
                task.size = s
            }
            task.queueMillis = tasks.scaled(ex.view.fixtures.media.imageTaskQueueSeconds)
            task.renderMillis = tasks.scaled(ex.view.fixtures.media.imageTaskRenderSeconds)
            task.estimated = model.pricing.cost(of: Usage(images: task.count))
        }
        return task
    }

    private func decodeVideo(_ task: inout MediaTask, _ r: BodyReader, _ spec: MediaSpec.Video, videos: Bool) throws(GatewayError) {
        guard let seconds = try r.int("duration_seconds") else {
            throw r.fail("duration_seconds", "field required (1 to \(spec.maxSeconds) for \(spec.model))")
        }
        guard (1...spec.maxSeconds).contains(seconds) else {
            throw r.fail("duration_seconds", "\(spec.model) renders 1 to \(spec.maxSeconds) seconds, got \(seconds)")
        }
        task.seconds = seconds
        task.resolution = spec.defaultResolution
        if let size = try r.string("size") {
            guard let (res, aspect) = VideoFormat.fromSize(size), spec.resolutions.contains(res) else {
                let sizes = spec.resolutions.map { r in VideoFormat.nominal(resolution: r, aspect: "16:9") }.map { "\($0.0)x\($0.1)" }
                throw r.fail("size", "'\(size)' is not supported by \(spec.model); use e.g. \(sizes.joined(separator: ", "))")
            }
            task.resolution = res
            task.aspect = aspect
        }
        if let res = try r.string("resolution") {
            guard spec.resolutions.contains(res) else {
                throw r.fail("resolution", "'\(res)' is not supported by \(spec.model); use \(spec.resolutions.joined(separator: " or "))")
            }
            task.resolution = res
        }
        if let aspect = try r.string("aspect_ratio") {
            guard VideoFormat.aspectRatios.contains(aspect) else {
                throw r.fail("aspect_ratio", "must be one of \(VideoFormat.aspectRatios.joined(separator: ", ")), got '\(aspect)'")
            }
            task.aspect = aspect
        }
        for name in Self.videoOptionNames where r.has(name) {
            guard let allowed = spec.options[name] else { throw r.fail(name, "not supported by \(spec.model)") }
            if name == "audio" {
                guard (try r.bool(name)) != nil else { continue }
            } else if let v = try r.string(name), !allowed.isEmpty, !allowed.contains(v) {
                throw r.fail(name, "'\(v)' is not supported by \(spec.model); use one of \(allowed.joined(separator: ", "))")
            }
        }
        for name in ["image_init", "source_image"] { _ = try r.string(name) }
    }
}

/// JSON with object members sorted by key at every level: equal values, equal bytes.
func canonicalJSON(_ members: [(String, JSONValue)]) -> [UInt8] {
    var w = JSONWriter()
    func write(_ v: JSONValue) {
        switch v {
        case .object(let o):
            w.objectStart()
            for (k, v) in zip(o.keys, o.values).sorted(by: { $0.0 < $1.0 }) { w.key(escaping: k); write(v) }
            w.objectEnd()
        case .array(let a):
            w.arrayStart()
            for x in a { write(x) }
            w.arrayEnd()
        default:
            w.raw(v.encoded)
        }
    }
    w.objectStart()
    for (k, v) in members.sorted(by: { $0.0 < $1.0 }) { w.key(escaping: k); write(v) }
    w.objectEnd()
    return w.bytes
}
