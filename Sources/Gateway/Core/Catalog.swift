import HTTPCore

/// The model catalog: lookup by id or alias, routing-group membership, and the JSON of each
/// model pre-encoded once. Immutable and Sendable; a class, so handing the current catalog out
/// of the gateway's reloadable fixture view (`--watch`) costs one retain.
public final class Catalog: Sendable {
    public let models: [CatalogModel]
    public let retired: [String: RetiredModel]
    public let groups: [RoutingGroup]
    private let byName: [String: Int]
    /// For each group (same order as `groups`), the indices of the models it reaches.
    let membersByGroup: [[Int]]
    /// Each model's `/v1/models` object, encoded.
    let encodedModels: [[UInt8]]

    public init(models: [CatalogModel], retired: [RetiredModel], groups: [RoutingGroup]) {
        self.models = models
        self.groups = groups
        var names: [String: Int] = [:]
        for (i, m) in models.enumerated() {
            names[m.id] = i
            for a in m.aliases { names[a] = i }
        }
        byName = names
        self.retired = Dictionary(retired.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        membersByGroup = groups.map { g in models.indices.filter { g.matches(models[$0].id) } }
        encodedModels = models.map(Catalog.encode)
    }

    /// The model named by `name` (its id or an alias).
    public func model(named name: String) -> CatalogModel? { byName[name].map { models[$0] } }

    func index(of name: String) -> Int? { byName[name] }

    public func group(named name: String) -> RoutingGroup? { groups.first { $0.name == name } }

    func groupIndex(named name: String) -> Int? { groups.firstIndex { $0.name == name } }

    /// Whether the group `group` routes the model `modelID` (a canonical id).
    public func group(_ group: String, reaches modelID: String) -> Bool {
        guard let g = groupIndex(named: group), let m = byName[modelID] else { return false }
        return membersByGroup[g].contains(m)
    }

    /// 403 `model_not_in_group` when the key's routing group does not reach `modelID`.
    func routingError(group: String, model modelID: String) -> GatewayError? {
        self.group(group, reaches: modelID) ? nil
            : .forbidden("model '\(modelID)' is not in routing group '\(group)' of this key", code: "model_not_in_group")
    }

    /// A model object exactly as the catalog page documents it.
    static func encode(_ m: CatalogModel) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.objectStart()
        w.key("id"); w.string(m.id)
        w.key("object"); w.string(m.object)
        w.key("owned_by"); w.string(m.ownedBy)
        w.key("family"); w.string(m.family)
        w.key("capabilities"); w.strings(m.capabilities)
        w.key("context_window"); w.int(m.contextWindow)
        w.key("max_output_tokens"); w.int(m.maxOutputTokens)
        w.key("input_modalities"); w.strings(m.inputModalities)
        w.key("output_modalities"); w.strings(m.outputModalities)
        w.key("pricing_url"); w.string(m.pricingURL)
        w.key("created"); w.int(m.created)
        w.objectEnd()
        return w.bytes
    }

    /// `{"object":"list","data":[…]}` for the given model indices.
    func encodeList(_ indices: [Int]) -> [UInt8] {
        var out: [UInt8] = Array(#"{"object":"list","data":["#.utf8)
        for (n, i) in indices.enumerated() {
            if n > 0 { out.append(0x2C) }
            out += encodedModels[i]
        }
        out += Array("]}".utf8)
        return out
    }
}
