/// One model of the catalog, as the gateway uses it at run time. Immutable and shared (a class):
/// every text request carries its model through validation, billing and the stream's end, and a
/// reference copies as one retain where a struct's strings and arrays would each take one.
public final class CatalogModel: Sendable, Equatable {
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

    public let id: String
    public let object: String
    public let ownedBy: String
    public let family: String
    public let kind: Kind
    public let capabilities: [String]
    public let contextWindow: Int
    public let maxOutputTokens: Int
    public let inputModalities: [String]
    public let outputModalities: [String]
    public let pricingURL: String
    public let created: Int
    /// Text surfaces that accept this model: `messages`, `chat`, `responses`, `gemini`.
    public let protocols: [String]
    public let aliases: [String]
    public let pricing: Pricing

    public init(id: String, object: String, ownedBy: String, family: String, kind: Kind, capabilities: [String],
                contextWindow: Int, maxOutputTokens: Int, inputModalities: [String], outputModalities: [String],
                pricingURL: String, created: Int, protocols: [String], aliases: [String], pricing: Pricing) {
        self.id = id
        self.object = object
        self.ownedBy = ownedBy
        self.family = family
        self.kind = kind
        self.capabilities = capabilities
        self.contextWindow = contextWindow
        self.maxOutputTokens = maxOutputTokens
        self.inputModalities = inputModalities
        self.outputModalities = outputModalities
        self.pricingURL = pricingURL
        self.created = created
        self.protocols = protocols
        self.aliases = aliases
        self.pricing = pricing
    }

    public static func == (a: CatalogModel, b: CatalogModel) -> Bool {
        a === b || (a.id == b.id && a.object == b.object && a.ownedBy == b.ownedBy && a.family == b.family
            && a.kind == b.kind && a.capabilities == b.capabilities && a.contextWindow == b.contextWindow
            && a.maxOutputTokens == b.maxOutputTokens && a.inputModalities == b.inputModalities
            && a.outputModalities == b.outputModalities && a.pricingURL == b.pricingURL && a.created == b.created
            && a.protocols == b.protocols && a.aliases == b.aliases && a.pricing == b.pricing)
    }

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
    var pattern = pattern, text = text
    return pattern.withUTF8 { p in
        text.withUTF8 { t in
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
    }
}
