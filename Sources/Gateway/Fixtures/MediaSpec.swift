import HTTPCore

/// What `media.json` says about images and videos: per-model options and limits, task timings,
/// blocked prompt terms, and how long served files live. Immutable after loading.
public struct MediaSpec: Sendable {
    /// How a cancel while `running` bills: nothing, the seconds rendered so far, or all of it.
    public enum CancelBilling: String, Sendable { case free, partial, full }

    /// One image model's request options.
    public struct Image: Sendable {
        public var model: String
        public var maxImages: Int
        /// `WxH`, in the order the gateway documents them.
        public var sizes: [String]
        public var defaultSize: String
        /// Whether `/v1/images/edits` accepts the model.
        public var edits: Bool
        /// Per-model options: name → allowed values (empty = any value of the right type).
        public var options: [String: [String]]

        /// Why `n` images per request are refused, or nil.
        func countProblem(_ n: Int) -> String? {
            (1...maxImages).contains(n) ? nil : "\(model) generates 1 to \(maxImages) images per request, got \(n)"
        }

        /// The size `text` names if the model lists it.
        func size(_ text: String) -> ImageSize? { sizes.contains(text) ? ImageSize(text) : nil }

        func sizeProblem(_ text: String) -> String {
            "'\(text)' is not supported by \(model); use one of \(sizes.joined(separator: ", "))"
        }
    }

    /// One video model: its limits and its render timeline.
    public struct Video: Sendable {
        public var model: String
        public var maxSeconds: Int
        public var resolutions: [String]
        public var defaultResolution: String
        /// Virtual seconds in `pending`, then in `running` (divided by `--time-scale`).
        public var queueSeconds: Double
        public var renderSeconds: Double
        public var cancelBilling: CancelBilling
        public var options: [String: [String]]
    }

    public var fileTTLSeconds = 86_400
    public var maxPromptChars = 4000
    /// Lowercased; a prompt containing one is refused with 451.
    public var blockedTerms: [String] = []
    public var images: [String: Image] = [:]
    public var videos: [String: Video] = [:]
    /// Timeline of an image model submitted as a task.
    public var imageTaskQueueSeconds = 1.0
    public var imageTaskRenderSeconds = 8.0

    /// The blocked term `prompt` contains, if any (case-insensitive).
    func blockedTerm(in prompt: String) -> String? {
        guard !blockedTerms.isEmpty else { return nil }
        let lower = prompt.lowercased()
        return blockedTerms.first { lower.contains($0) }
    }
}

/// `media.json`, read strictly.
struct MediaFile {
    var mode: FixtureMode
    var ttl: Int?
    var maxPromptChars: Int?
    var blockedTerms: [String]?
    var images: [Sourced<MediaSpec.Image>]
    var videos: [Sourced<MediaSpec.Video>]
    var imageTasks: (Double, Double)?

    init(_ r: FixtureReader, _ problems: FixtureProblems) throws(FixtureError) {
        try r.allowOnly(FixtureSchema.media.names)
        mode = try r.mode()
        if let f = try r.optionalObject("files") {
            try f.allowOnly(FixtureSchema.files.names)
            ttl = try f.optionalInt("ttl_seconds")
            if let t = ttl, !(1...31_536_000).contains(t) { throw f.fail("ttl_seconds", "must be from 1 to 31536000 (a year)") }
        }
        maxPromptChars = try r.optionalInt("max_prompt_chars")
        if let m = maxPromptChars, !(1...10_000_000).contains(m) { throw r.fail("max_prompt_chars", "must be from 1 to 10000000") }
        blockedTerms = try r.optionalStrings("blocked_terms")?.map { $0.lowercased() }
        images = try r.entries("images", problems) { (i) throws(FixtureError) in try Self.image(i) }
        videos = try r.entries("videos", problems) { (v) throws(FixtureError) in try Self.video(v) }
        if let t = try r.optionalObject("image_tasks") {
            try t.allowOnly(FixtureSchema.imageTasks.names)
            imageTasks = (try Self.seconds(t, "queue_seconds", min: 0), try Self.seconds(t, "render_seconds", min: 0.001))
        }
    }

    private static func seconds(_ r: FixtureReader, _ key: String, min: Double) throws(FixtureError) -> Double {
        let s = try r.double(key)
        guard s >= min, s <= 86_400 else { throw r.fail(key, "must be between \(min) and 86400 seconds") }
        return s
    }

    private static func options(_ r: FixtureReader) throws(FixtureError) -> [String: [String]] {
        guard let o = try r.optionalObject("options") else { return [:] }
        var out: [String: [String]] = [:]
        for name in o.object.keys { out[name] = try o.strings(name) }
        return out
    }

    private static func image(_ r: FixtureReader) throws(FixtureError) -> MediaSpec.Image {
        try r.allowOnly(FixtureSchema.image.names)
        let sizes = try r.strings("sizes")
        for (i, s) in sizes.enumerated() where ImageSize(s) == nil {
            throw r.fail("sizes[\(i)]", "expected WIDTHxHEIGHT with sides from 1 to 4096, found '\(s)'")
        }
        let def = try r.string("default_size")
        guard sizes.contains(def) else { throw r.fail("default_size", "'\(def)' is not one of sizes") }
        let n = try r.int("n_max")
        guard (1...10).contains(n) else { throw r.fail("n_max", "must be from 1 to 10") }
        return MediaSpec.Image(model: try r.string("model"), maxImages: n, sizes: sizes, defaultSize: def,
                               edits: try r.optionalBool("edits") ?? false, options: try options(r))
    }

    private static func video(_ r: FixtureReader) throws(FixtureError) -> MediaSpec.Video {
        try r.allowOnly(FixtureSchema.video.names)
        let res = try r.strings("resolutions")
        for (i, s) in res.enumerated() where VideoFormat.height(resolution: s) == nil {
            throw r.fail("resolutions[\(i)]", "expected 480p, 720p or 1080p, found '\(s)'")
        }
        let def = try r.string("default_resolution")
        guard res.contains(def) else { throw r.fail("default_resolution", "'\(def)' is not one of resolutions") }
        let max = try r.int("max_seconds")
        guard (1...60).contains(max) else { throw r.fail("max_seconds", "must be from 1 to 60") }
        let billing = try r.optionalString("cancel_billing") ?? "partial"
        guard let cancel = MediaSpec.CancelBilling(rawValue: billing) else { throw r.fail("cancel_billing", "must be free, partial or full") }
        return MediaSpec.Video(model: try r.string("model"), maxSeconds: max, resolutions: res, defaultResolution: def,
                               queueSeconds: try seconds(r, "queue_seconds", min: 0),
                               renderSeconds: try seconds(r, "render_seconds", min: 0.001),
                               cancelBilling: cancel, options: try options(r))
    }

    /// The spec from the built-in file and an optional override, checked against the catalog;
    /// an entry naming a model the catalog lacks (or of the wrong kind) is recorded and left out.
    static func build(_ base: MediaFile, _ override: MediaFile?, models: [CatalogModel], problems: FixtureProblems) -> MediaSpec {
        var spec = MediaSpec()
        var images: [Sourced<MediaSpec.Image>] = []
        var videos: [Sourced<MediaSpec.Video>] = []
        for file in [base] + (override.map { [$0] } ?? []) {
            if file.mode == .replace { images = []; videos = []; spec = MediaSpec() }
            if let t = file.ttl { spec.fileTTLSeconds = t }
            if let m = file.maxPromptChars { spec.maxPromptChars = m }
            if let b = file.blockedTerms { spec.blockedTerms = b }
            if let (q, r) = file.imageTasks { spec.imageTaskQueueSeconds = q; spec.imageTaskRenderSeconds = r }
            for i in file.images { images.removeAll { $0.value.model == i.value.model }; images.append(i) }
            for v in file.videos { videos.removeAll { $0.value.model == v.value.model }; videos.append(v) }
        }
        // Built-in entries for models a replaced catalog dropped are left out; an override's must match.
        let known = Set(models.map(\.id))
        images.removeAll { $0.file.hasSuffix("(built-in)") && !known.contains($0.value.model) }
        videos.removeAll { $0.file.hasSuffix("(built-in)") && !known.contains($0.value.model) }
        func check(_ id: String, _ kind: CatalogModel.Kind, file: String, path: String) -> Bool {
            guard let m = models.first(where: { $0.id == id }) else {
                if problems.brokenNames.contains(id) { return false }
                let ofKind = models.filter { $0.kind == kind }.map(\.id)
                problems.add(FixtureError(file: file, field: "\(path).model",
                                          problem: FixtureValidator.noSuch("no \(kind.rawValue) model in the catalog named", id, ofKind)))
                return false
            }
            guard m.kind == kind else {
                problems.add(FixtureError(file: file, field: "\(path).model", problem: "'\(id)' is a \(m.kind.rawValue) model, not \(kind.rawValue)"))
                return false
            }
            return true
        }
        for i in images where check(i.value.model, .image, file: i.file, path: i.path) { spec.images[i.value.model] = i.value }
        for v in videos where check(v.value.model, .video, file: v.file, path: v.path) { spec.videos[v.value.model] = v.value }
        return spec
    }
}

/// `1024x1536`: an image's width and height.
struct ImageSize: Sendable, Equatable {
    var width: Int
    var height: Int

    init?(_ text: String) {
        let parts = text.split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), (1...4096).contains(w), (1...4096).contains(h) else {
            return nil
        }
        width = w
        height = h
    }

    var text: String { "\(width)x\(height)" }
}

/// Video resolutions and aspect ratios, and the (smaller) frame size the mock actually renders.
enum VideoFormat {
    static let aspectRatios = ["16:9", "9:16", "1:1"]

    static func height(resolution: String) -> Int? {
        switch resolution {
        case "480p": 480
        case "720p": 720
        case "1080p": 1080
        default: nil
        }
    }

    /// Nominal pixel size for a resolution and aspect ratio (`1080p`, `9:16` → 1080×1920).
    static func nominal(resolution: String, aspect: String) -> (Int, Int) {
        let h = height(resolution: resolution) ?? 720
        switch aspect {
        case "9:16": return (h, h * 16 / 9)
        case "1:1": return (h, h)
        default: return (h * 16 / 9, h)
        }
    }

    /// The size of the file the mock serves: the nominal aspect ratio at 320 px on the long side,
    /// so a result is a real, playable video of a few kilobytes rather than megabytes.
    static func rendered(aspect: String) -> (Int, Int) {
        switch aspect {
        case "9:16": (180, 320)
        case "1:1": (240, 240)
        default: (320, 180)
        }
    }

    /// `1280x720` → (`720p`, `16:9`), for the `/v1/videos/generations` shape.
    static func fromSize(_ size: String) -> (resolution: String, aspect: String)? {
        guard let s = ImageSize(size) else { return nil }
        let short = min(s.width, s.height)
        let resolution = short >= 1080 ? "1080p" : short >= 720 ? "720p" : "480p"
        let aspect = s.width == s.height ? "1:1" : s.width > s.height ? "16:9" : "9:16"
        return (resolution, aspect)
    }
}
