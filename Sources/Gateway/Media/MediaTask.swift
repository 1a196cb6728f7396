import HTTPCore

/// One async generation task and its timeline. The state is a pure function of the task and the
/// virtual clock: `pending` for the queue time, `running` with progress steps over the render
/// time, then `completed`, or `failed` at an injected point; a cancel cuts the timeline. So
/// polling, streaming and callbacks always agree, and a frozen clock advanced step by step
/// walks the same states as real time. Sendable value.
struct MediaTask: Sendable {
    /// Which documented API shape submitted the task; its answers use that shape's status names.
    enum Shape: Sendable { case params, flat, videos }

    enum Status: String, Sendable {
        case pending, running, completed, failed, cancelled
        var isTerminal: Bool { self == .completed || self == .failed || self == .cancelled }
    }

    /// One step of the timeline: what a query answers from `at` on, and one SSE event.
    struct Step: Sendable, Equatable {
        var at: Int
        var status: Status
        var progress: Int
    }

    var id: String
    /// Order of submission (1, 2, …), set by the engine.
    var number = 0
    var outTaskID: String?
    var model: CatalogModel
    var shape: Shape
    /// Canonical model + params, for `out_task_id` idempotency.
    var identity: [UInt8]
    var prompt: String
    /// Video: output seconds, resolution, aspect ratio. Image tasks: `count` images of `size`.
    var seconds = 0
    var resolution = ""
    var aspect = "16:9"
    var count = 1
    var size = ImageSize("1024x1024")!
    var seed: UInt64
    var keyID: String
    var accountID: String
    var session: String
    var submittedAt: Int
    var queueMillis: Int
    var renderMillis: Int
    var progressStep = 10
    /// Injected failure: progress percent (-1 = leaving the queue), code, message.
    var failure: (at: Int, code: String, message: String)?
    var cancelledAt: Int?
    var cancelledProgress = 0
    var cancelBilling = MediaSpec.CancelBilling.partial
    var estimated: Credits
    /// What the terminal state billed (set when settled).
    var creditsUsed = Credits.zero
    var settled = false
    var callbackURL: String?
    var callbackSecret: String
    /// `http://HOST` of the submit request: result URLs point back at the mock as the client reached it.
    var base: String
    /// Result files, made when the task completes.
    var files: [FileStore.Entry] = []

    var isVideo: Bool { model.kind == .video }

    /// Every step the task will take if nothing cancels it.
    var plan: [Step] {
        var steps = [Step(at: submittedAt, status: .pending, progress: 0)]
        let start = submittedAt + queueMillis
        if let f = failure, f.at < 0 {
            steps.append(Step(at: start, status: .failed, progress: 0))
            return steps
        }
        // Failing at 0 % fails as it starts: no `running` step a query could never see.
        if failure?.at != 0 { steps.append(Step(at: start, status: .running, progress: 0)) }
        var p = progressStep
        while p < 100 {
            if let f = failure, f.at <= p { break }
            steps.append(Step(at: start + renderMillis * p / 100, status: .running, progress: p))
            p += progressStep
        }
        if let f = failure {
            steps.append(Step(at: start + renderMillis * f.at / 100, status: .failed, progress: f.at))
        } else {
            steps.append(Step(at: start + renderMillis, status: .completed, progress: 100))
        }
        return steps
    }

    /// When the task reaches its terminal step (a cancel, a failure, or completion): cheap, for
    /// the engine's scans.
    var endsAt: Int {
        if let c = cancelledAt { return c }
        let start = submittedAt + queueMillis
        guard let f = failure else { return start + renderMillis }
        return f.at < 0 ? start : start + renderMillis * f.at / 100
    }

    /// The steps visible at `now` (milliseconds): at least the first; a cancel ends them.
    func steps(at now: Int) -> [Step] {
        let limit = cancelledAt.map { min($0, now) } ?? now
        var out = plan.filter { $0.at <= limit }
        if out.isEmpty { out = [plan[0]] }
        if let c = cancelledAt, c <= now, out.last.map({ !$0.status.isTerminal }) ?? true {
            out.append(Step(at: c, status: .cancelled, progress: cancelledProgress))
        }
        return out
    }

    /// When the next step after `now` happens, or nil when the task is over (or cancelled).
    func nextStep(after now: Int) -> Int? {
        if cancelledAt != nil { return nil }
        return plan.first { $0.at > now }?.at
    }

    /// The status word this task's API shape uses (`queued` for the flat video shape).
    func word(_ s: Status) -> String { s == .pending && shape == .flat ? "queued" : s.rawValue }

    /// Credits the terminal `step` bills, at the catalog price.
    func credits(for step: Step) -> Credits { model.pricing.cost(of: usage(for: step)) }

    /// What a terminal step bills: output seconds (or images), all of them when completed, the
    /// `cancel_billing` share when cancelled while running, none otherwise.
    func usage(for step: Step) -> Usage {
        let all = isVideo ? seconds : count
        let units: Int = switch (step.status, cancelBilling) {
        case (.completed, _), (.cancelled, .full): all
        case (.cancelled, .partial): all * step.progress / 100
        default: 0
        }
        return isVideo ? Usage(videoSeconds: units) : Usage(images: units)
    }
}

extension MediaTask {
    /// The task as a query answers at `step`: one object for every API shape (the fields of
    /// each documented shape side by side), so a client written against any page finds its fields.
    func encode(_ step: Step, base: String) -> [UInt8] {
        var w = JSONWriter(capacity: 768)
        w.objectStart()
        w.key("task_id"); w.string(id)
        w.key("object"); w.string("task")
        // `out_task_id` and `started_at` are in every state and every shape, null when unknown.
        w.key("out_task_id"); if let outTaskID { w.string(outTaskID) } else { w.null() }
        w.key("model"); w.string(model.id)
        w.key("status"); w.string(word(step.status))
        w.key("progress"); w.int(step.progress)
        w.key("estimated_credits"); w.usd(estimated)
        w.key("estimated_seconds"); w.raw(Array(Self.seconds(queueMillis + renderMillis).utf8))
        w.key("submitted_at"); w.time(submittedAt / 1000)
        w.key("created_at"); w.int(submittedAt / 1000)
        let start = submittedAt + queueMillis
        let neverRan = step.status == .failed && (failure?.at ?? 0) < 0
        w.key("started_at")
        if step.status != .pending, step.at >= start, !neverRan { w.time(start / 1000) } else { w.null() }
        if isVideo {
            w.key("duration_seconds"); w.int(seconds)
            w.key("resolution"); w.string(resolution)
            w.key("aspect_ratio"); w.string(aspect)
        } else {
            w.key("n"); w.int(count)
            w.key("size"); w.string(size.text)
        }
        switch step.status {
        case .pending, .running: break
        case .completed:
            w.key("completed_at"); w.time(step.at / 1000)
            let credits = credits(for: step)
            w.key("credits_used"); w.usd(credits)
            w.key("credits"); w.usd(credits)
            encodeOutput(&w, base: base)
        case .failed:
            w.key("failed_at"); w.time(step.at / 1000)
            w.key("credits_used"); w.usd(.zero)
            w.key("credits"); w.usd(.zero)
            w.key("error"); w.objectStart()
            w.key("code"); w.string(failure?.code ?? "render_failed")
            w.key("message"); w.string(failure?.message ?? "the render failed")
            w.objectEnd()
        case .cancelled:
            w.key("cancelled_at"); w.time(step.at / 1000)
            let credits = credits(for: step)
            w.key("credits_used"); w.usd(credits)
            w.key("credits"); w.usd(credits)
        }
        w.objectEnd()
        return w.bytes
    }

    private func encodeOutput(_ w: inout JSONWriter, base: String) {
        let urls = files.map { base + "/files/" + $0.name }
        w.key("output"); w.arrayStart()
        for (i, f) in files.enumerated() {
            w.objectStart()
            w.key("type"); w.string(isVideo ? "video" : "image")
            w.key("url"); w.string(urls[i])
            switch f.recipe {
            case .mp4(let width, let height, let s, _):
                w.key("duration_seconds"); w.int(s)
                w.key("resolution"); w.string(resolution)
                w.key("aspect_ratio"); w.string(aspect)
                w.key("width"); w.int(width)
                w.key("height"); w.int(height)
            case .png(let width, let height, _):
                w.key("width"); w.int(width)
                w.key("height"); w.int(height)
            }
            w.key("mime_type"); w.string(f.recipe.contentType)
            w.key("expires_at"); w.time(f.expiresAt)
            w.objectEnd()
        }
        w.arrayEnd()
        w.key("result"); w.objectStart()
        if isVideo {
            w.key("video_url"); w.string(urls.first ?? "")
            w.key("duration_seconds"); w.int(seconds)
            w.key("resolution"); w.string(resolution)
            w.key("aspect_ratio"); w.string(aspect)
        } else {
            w.key("image_urls"); w.strings(urls)
        }
        w.objectEnd()
        w.key("result_url"); w.string(urls.first ?? "")
    }

    /// Milliseconds as seconds: `35`, or `3.5` under a time scale.
    static func seconds(_ ms: Int) -> String {
        ms % 1000 == 0 ? String(ms / 1000) : JSONWriter.format(Double(ms) / 1000)
    }
}
