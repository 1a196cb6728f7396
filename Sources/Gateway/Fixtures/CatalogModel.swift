/// One model of the catalog, as the gateway uses it at run time.
public struct CatalogModel: Sendable, Equatable {
    public enum Kind: String, Sendable { case text, image, video }

    /// Prices in credits (micro-USD): per 1M tokens for text, per image, per video second.
    public struct Pricing: Sendable, Equatable {
        public var inputPerMTok = Credits.zero
        public var outputPerMTok = Credits.zero
        public var cacheReadPerMTok = Credits.zero
        public var cacheWritePerMTok = Credits.zero
        public var perImage = Credits.zero
        public var perVideoSecond = Credits.zero
    }

    public var id: String
    public var object: String
    public var ownedBy: String
    public var family: String
    public var kind: Kind
    public var capabilities: [String]
    public var contextWindow: Int
    public var maxOutputTokens: Int
    public var inputModalities: [String]
    public var outputModalities: [String]
    public var pricingURL: String
    public var created: Int
    /// Text surfaces that accept this model: `messages`, `chat`, `responses`, `gemini`.
    public var protocols: [String]
    public var aliases: [String]
    public var pricing: Pricing

    public func has(_ capability: String) -> Bool { capabilities.contains(capability) }

    /// Capability tags the gateway documents; fixtures may use only these.
    public static let knownCapabilities: Set = ["text", "vision", "audio", "video", "tool_use", "streaming",
                                                "cache_control", "thinking", "json_schema", "logprobs",
                                                "image_gen", "video_gen"]
    static let knownModalities: Set = ["text", "image", "audio", "video"]
    static let knownProtocols: Set = ["messages", "chat", "responses", "gemini"]
    /// Provider names (`owned_by`) the `family` filter takes.
    public static let knownOwners: Set = ["anthropic", "openai", "google", "deepseek", "moonshot", "zhipu",
                                          "minimax", "bytedance"]
}

/// A slug that used to exist; requests naming it get `400 unsupported_model`.
public struct RetiredModel: Sendable, Equatable {
    public var id: String
    public var replacement: String?
}

/// A routing group: the set of models a key can reach.
public struct RoutingGroup: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var description: String
    /// Glob patterns (`claude-*`, `*`) over model ids, as written in the fixture.
    public var patterns: [String]

    func matches(_ modelID: String) -> Bool { patterns.contains { glob($0, modelID) } }
}

/// `*` matches any run of characters; everything else matches itself.
func glob(_ pattern: String, _ text: String) -> Bool {
    let p = Array(pattern.utf8), t = Array(text.utf8)
    var pi = 0, ti = 0, star = -1, mark = 0
    while ti < t.count {
        if pi < p.count, p[pi] == t[ti] { pi += 1; ti += 1 }
        else if pi < p.count, p[pi] == 0x2A { star = pi; pi += 1; mark = ti }
        else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
        else { return false }
    }
    while pi < p.count, p[pi] == 0x2A { pi += 1 }
    return pi == p.count
}
