import Dispatch
import HTTPCore
import HTTPServer
import Synchronization

/// `POST /v1/images/generations` (JSON) and `POST /v1/images/edits` (multipart, OpenAI's shape):
/// synchronous, billed per image from the catalog price, errors never billed. Each image is a
/// real PNG of the requested size, rendered from the prompt and seed (same prompt, size and
/// `seed` → same bytes), returned as a `/files/…` URL that expires, or inline as `b64_json`.
extension Gateway {
    /// A validated image request, generations and edits alike.
    struct ImageJob {
        var model: CatalogModel
        var prompt: String
        var count: Int
        var size: ImageSize
        var inline: Bool
        var quality: String?
        /// Mixed into every image's seed: the request's `seed`, or (edits) the input image.
        var salt: String
    }

    func serveImages(_ endpoint: Endpoint, _ ex: Exchange, _ responder: Responder, _ caller: Caller) {
        let job: Result<ImageJob, GatewayError> = endpoint == .imageEdits
            ? decodeImageEdit(ex.request, ex.view)
            : EndpointSupport.jsonObject(ex.request.body, required: true).flatMap { object in
                do throws(GatewayError) { try checkFields(.images, object, ex) } catch { return .failure(error) }
                return decodeImageGeneration(BodyReader(object), ex.view)
            }
        switch job {
        case .failure(let e): fail(e, ex, responder)
        case .success(let job):
            withFaults(ex, model: job.model.id, stream: false, responder) { [self] ex, _ in
                generateImages(job, ex, responder, caller)
            }
        }
    }

    private func generateImages(_ job: ImageJob, _ ex: Exchange, _ responder: Responder, _ caller: Caller) {
        let now = clock.now
        let admission: Admission
        switch accounting.admit(caller, model: job.model.id, catalog: ex.view.catalog, now: now) {
        case .success(let a): admission = a
        case .failure(let e): return fail(e, ex, responder)
        }
        let base = publicBase(ex.request)
        let entries = (0..<job.count).map { i in
            let seed = ReplyEngine.hash(self.seed, job.model.id, job.prompt, job.size.text, job.salt, String(i))
            return files.add(.png(width: job.size.width, height: job.size.height, seed: seed), accountID: caller.account.id,
                             session: ex.session, now: now, ttl: ex.view.fixtures.media.fileTTLSeconds)
        }
        accounting.bill(admission, usage: Usage(images: job.count), pricing: job.model.pricing, surface: "images",
                        requestID: ex.requestID, now: now)
        accounting.release(admission)
        let store = files
        let finish: @Sendable ([[UInt8]]) -> [UInt8] = { pngs in
            var w = JSONWriter(capacity: 256 + pngs.reduce(0) { $0 + $1.count * 4 / 3 })
            w.objectStart()
            w.key("created"); w.int(now)
            w.key("data"); w.arrayStart()
            for (i, e) in entries.enumerated() {
                w.objectStart()
                if job.inline {
                    w.key("b64_json"); w.raw([0x22] + base64(pngs[i]) + [0x22])
                } else {
                    w.key("url"); w.string(base + "/files/" + e.name)
                }
                w.key("revised_prompt"); w.string(job.prompt)
                w.objectEnd()
            }
            w.arrayEnd()
            w.key("model"); w.string(job.model.id)
            w.key("size"); w.string(job.size.text)
            w.key("output_format"); w.string("png")
            if let q = job.quality { w.key("quality"); w.string(q) }
            w.key("expires_at"); w.int(entries.first?.expiresAt ?? now)
            w.objectEnd()
            return w.bytes
        }
        guard job.inline else { return send(.ok, finish([]), ex, responder) }
        // Inline images are rendered off the loop: a 4096² PNG takes a while in a debug build.
        nonisolated(unsafe) let r = responder
        nonisolated(unsafe) let exchange = ex  // only used back on the loop
        let loop = responder.loop
        Self.renderQueue.async {
            let pngs = entries.map { store.bytes(of: $0) }
            let body = finish(pngs)
            loop.execute { [self] in send(.ok, body, exchange, r) }
        }
    }

    /// `http://HOST` for URLs the client follows back to this server: the `Host` header, else
    /// the loopback address and the port the server listens on.
    func publicBase(_ request: Request) -> String {
        if let host = request.host, !host.isEmpty { return "http://" + host }
        return "http://127.0.0.1:\(listeningPort.load(ordering: .relaxed))"
    }

    private func decodeImageGeneration(_ r: BodyReader, _ view: FixtureView) -> Result<ImageJob, GatewayError> {
        do throws(GatewayError) {
            let (model, spec) = try imageModel(try r.requiredString("model"), edits: false, in: view)
            var job = ImageJob(model: model, prompt: try mediaPrompt(r.requiredString("prompt"), in: view), count: 1,
                               size: ImageSize(spec.defaultSize)!, inline: false, quality: nil, salt: "")
            try applyImageOptions(&job, spec, int: { (k) throws(GatewayError) in try r.int(k) },
                                  string: { (k) throws(GatewayError) in try Self.optionString(r, k) })
            if let s = try r.int("seed") { job.salt = "seed=\(s)" }
            return .success(job)
        } catch {
            return .failure(Self.asParamError(error))
        }
    }

    /// OpenAI's multipart edit: `image` (or `image[]`, one or more files), optional `mask`, `prompt`,
    /// `model`, `n`, `size`, `response_format`, `quality`. The images are checked to be PNG, JPEG
    /// or WebP by their signature; the output is seeded by the prompt and the input bytes.
    private func decodeImageEdit(_ request: Request, _ view: FixtureView) -> Result<ImageJob, GatewayError> {
        guard let type = request.header("content-type"), let boundary = Multipart.boundary(contentType: type) else {
            return .failure(.badRequest("/v1/images/edits takes multipart/form-data (image, prompt, model, …)",
                                        code: "invalid_content_type"))
        }
        let parts: [MultipartPart]
        switch Multipart.parse(request.body, boundary: boundary) {
        case .success(let p): parts = p
        case .failure(let e): return .failure(.badRequest("multipart body: \(e.message)", code: "invalid_multipart"))
        }
        func text(_ name: String) -> String? {
            parts.first { $0.name == name && $0.filename == nil }.map { String(decoding: $0.body, as: UTF8.self) }
        }
        do throws(GatewayError) {
            let images = parts.filter { $0.name == "image" || $0.name == "image[]" }
            guard !images.isEmpty else { throw GatewayError.badRequest("image: at least one image file is required", param: "image") }
            var salt = ""
            for (i, img) in images.enumerated() {
                guard Self.imageSignature(img.body) != nil else {
                    throw GatewayError.badRequest("image[\(i)]: not a PNG, JPEG or WebP file", code: "invalid_image", param: "image")
                }
                salt += String(PartHash.fnv1a(img.body)) + ","
            }
            if let mask = parts.first(where: { $0.name == "mask" }), Self.imageSignature(mask.body) != "image/png" {
                throw GatewayError.badRequest("mask: must be a PNG file", code: "invalid_image", param: "mask")
            }
            guard let prompt = text("prompt") else { throw GatewayError.badRequest("prompt: field required", param: "prompt") }
            let (model, spec) = try imageModel(text("model") ?? "gpt-image-2", edits: true, in: view)
            var job = ImageJob(model: model, prompt: try mediaPrompt(prompt, in: view), count: 1, size: ImageSize(spec.defaultSize)!,
                               inline: false, quality: nil, salt: salt)
            try applyImageOptions(&job, spec, int: { (k) throws(GatewayError) in
                guard let t = text(k) else { return nil }
                guard let n = Int(t) else { throw GatewayError.badRequest("\(k): expected an integer, found '\(t)'", param: k) }
                return n
            }, string: { k in text(k) })
            return .success(job)
        } catch {
            return .failure(Self.asParamError(error))
        }
    }

    /// `n`, `size` / `aspect_ratio`, `response_format` and the per-model options.
    private func applyImageOptions(_ job: inout ImageJob, _ spec: MediaSpec.Image,
                                   int: (String) throws(GatewayError) -> Int?,
                                   string: (String) throws(GatewayError) -> String?) throws(GatewayError) {
        if let n = try int("n") {
            if let problem = spec.countProblem(n) { throw GatewayError.badRequest("n: \(problem)", param: "n") }
            job.count = n
        }
        if let text = try string("size"), text != "auto" {
            guard let s = spec.size(text) else { throw GatewayError.badRequest("size: \(spec.sizeProblem(text))", param: "size") }
            job.size = s
        }
        if let format = try string("response_format") {
            guard format == "url" || format == "b64_json" else {
                throw GatewayError.badRequest("response_format: must be url or b64_json, got '\(format)'", param: "response_format")
            }
            job.inline = format == "b64_json"
        }
        for name in Self.imageOptionNames {
            guard let value = try string(name) else { continue }
            guard let allowed = spec.options[name] else {
                let hint = name == "source_image" ? "; image-to-image needs a model that takes source_image (e.g. nano-banana-v2)" : ""
                throw GatewayError.badRequest("\(name): not supported by \(job.model.id)\(hint)", param: name)
            }
            if !allowed.isEmpty, !allowed.contains(value) {
                throw GatewayError.badRequest("\(name): '\(value)' is not supported by \(job.model.id); use one of \(allowed.joined(separator: ", "))",
                                              param: name)
            }
            if name == "aspect_ratio" {
                // The first listed size with that ratio.
                let parts = value.split(separator: ":").compactMap { Int($0) }.filter { (1...10_000).contains($0) }
                if parts.count == 2, let s = spec.sizes.compactMap(ImageSize.init).first(where: { $0.width * parts[1] == $0.height * parts[0] }) {
                    job.size = s
                }
            }
            if name == "quality" { job.quality = value }
        }
        if let c = try int("output_compression") {
            guard spec.options["output_compression"] != nil else {
                throw GatewayError.badRequest("output_compression: not supported by \(job.model.id)", param: "output_compression")
            }
            guard (0...100).contains(c) else {
                throw GatewayError.badRequest("output_compression: must be from 0 to 100, got \(c)", param: "output_compression")
            }
        }
    }

    /// Options some image models take; a model that does not list one rejects it.
    static let imageOptionNames = ["quality", "style", "output_format", "background", "negative_prompt", "source_image", "aspect_ratio"]

    private static func optionString(_ r: BodyReader, _ key: String) throws(GatewayError) -> String? {
        guard let v = r.value(key) else { return nil }
        switch v {
        case .string(let s): return s
        case .int(let n): return String(n)
        default: throw r.fail(key, "expected a string, found \(v.typeDescription)")
        }
    }

    /// The image model `name` names, with its media options.
    private func imageModel(_ name: String, edits: Bool, in view: FixtureView) throws(GatewayError) -> (CatalogModel, MediaSpec.Image) {
        let model = try mediaModel(name, in: view.catalog)
        guard model.kind == .image, let spec = view.fixtures.media.images[model.id] else {
            let route = model.kind == .video ? "POST /v1/tasks/submit" : model.kind == .text ? "a text endpoint" : "no route (no media options in media.json)"
            throw GatewayError.badRequest("model: '\(model.id)' is not an image model; call it through \(route)", param: "model")
        }
        if edits, !spec.edits {
            let able = view.fixtures.media.images.values.filter(\.edits).map(\.model).sorted().joined(separator: ", ")
            throw GatewayError.badRequest("model: '\(model.id)' does not edit images; use one of \(able)", param: "model")
        }
        return (model, spec)
    }

    /// A catalog model for a media endpoint (OpenAI's wording for unknown ones).
    func mediaModel(_ name: String, in catalog: Catalog) throws(GatewayError) -> CatalogModel {
        try catalogModel(name, param: "model", in: catalog) { Self.openAIUnknownModel(name) }
    }

    /// The prompt, checked: not empty, not longer than `max_prompt_chars` (413), no blocked term (451).
    func mediaPrompt(_ prompt: String, param: String = "prompt", in view: FixtureView) throws(GatewayError) -> String {
        guard !prompt.allSatisfy(\.isWhitespace) else { throw GatewayError.badRequest("\(param): must not be empty", param: param) }
        let limit = view.fixtures.media.maxPromptChars
        let length = prompt.unicodeScalars.count
        if length > limit {
            var e = GatewayError(.requestTooLarge, status: .contentTooLarge,
                                 message: "prompt is too long: \(length) characters, the limit is \(limit)", code: "prompt_too_long")
            e.param = param
            throw e
        }
        if let term = view.fixtures.media.blockedTerm(in: prompt) {
            var e = GatewayError(.invalidRequest, status: .unavailableForLegalReasons,
                                 message: "the prompt was blocked by the content safety policy (matched '\(term)')",
                                 code: "content_policy_violation")
            e.param = param
            throw e
        }
        return prompt
    }

    /// Field errors of the media endpoints use the gateway's `invalid_param` code.
    static func asParamError(_ e: GatewayError) -> GatewayError {
        var e = e
        if e.code == "invalid_request_error" { e.code = "invalid_param" }
        return e
    }

    /// The media type of an image file by its signature, or nil.
    static func imageSignature(_ b: [UInt8]) -> String? {
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if b.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if b.count >= 12, b.starts(with: Array("RIFF".utf8)), Array(b[8..<12]) == Array("WEBP".utf8) { return "image/webp" }
        return nil
    }
}
