import HTTPCore

/// The model list and model object in the Anthropic and Gemini shapes, for the SDKs that call
/// `GET /v1/models` (told apart by `anthropic-version` and `x-goog-*` headers) and for
/// `/v1beta/models`. Same catalog and routing-group filter as the gateway's own list.
extension Gateway {
    /// `{"data":[{"type":"model","id","display_name","created_at"}],"has_more","first_id","last_id"}`,
    /// paged by `limit` (1–1000, default 20), `after_id` and `before_id`.
    func anthropicModelList(_ caller: Caller, _ q: Query, _ catalog: Catalog) -> Result<[UInt8], GatewayError> {
        let limit = q.first("limit").map { Int($0) ?? 0 } ?? 20
        guard (1...1000).contains(limit) else {
            return .failure(.badRequest("limit: must be an integer from 1 to 1000", param: "limit"))
        }
        var models = reachable(caller, catalog)
        if let after = q.first("after_id") {
            guard let i = models.firstIndex(where: { $0.id == after }) else { return .failure(.badRequest("after_id: unknown model '\(after)'", param: "after_id")) }
            models = Array(models[(i + 1)...])
        } else if let before = q.first("before_id") {
            guard let i = models.firstIndex(where: { $0.id == before }) else { return .failure(.badRequest("before_id: unknown model '\(before)'", param: "before_id")) }
            models = Array(models[max(0, i - limit)..<i])
        }
        let page = models.prefix(limit)
        var w = JSONWriter(capacity: 4096)
        w.objectStart()
        w.key("data"); w.arrayStart()
        for m in page { writeAnthropic(m, &w) }
        w.arrayEnd()
        w.key("has_more"); w.bool(models.count > page.count)
        w.key("first_id"); w.optionalString(page.first?.id)
        w.key("last_id"); w.optionalString(page.last?.id)
        w.objectEnd()
        return .success(w.bytes)
    }

    func anthropicModel(_ name: String, _ catalog: Catalog) -> [UInt8] {
        var w = JSONWriter()
        if let m = catalog.model(named: name) { writeAnthropic(m, &w) }
        return w.bytes
    }

    private func writeAnthropic(_ m: CatalogModel, _ w: inout JSONWriter) {
        w.objectStart()
        w.key("type"); w.string("model")
        w.key("id"); w.string(m.id)
        w.key("display_name"); w.string(Self.displayName(m.id))
        w.key("created_at"); w.time(m.created)
        w.objectEnd()
    }

    /// `{"models":[…],"nextPageToken"}`, paged by `pageSize` (default 50, at most 1000) and
    /// `pageToken` (opaque: the index of the next model).
    func geminiModelList(_ caller: Caller, _ q: Query, _ catalog: Catalog) -> Result<[UInt8], GatewayError> {
        let size = min(1000, q.first("pageSize").map { Int($0) ?? -1 } ?? 50)
        guard size >= 0 else { return .failure(.badRequest("pageSize must be a non-negative integer", param: "pageSize")) }
        let pageSize = size == 0 ? 50 : size
        var start = 0
        if let token = q.first("pageToken"), !token.isEmpty {
            guard token.hasPrefix("p"), let n = Int(token.dropFirst()), n >= 0, n <= 1_000_000 else {
                return .failure(.badRequest("pageToken is not valid", param: "pageToken"))
            }
            start = n
        }
        let models = reachable(caller, catalog)
        let end = min(models.count, start + pageSize)
        var w = JSONWriter(capacity: 8192)
        w.objectStart()
        w.key("models"); w.arrayStart()
        if start < end { for m in models[start..<end] { writeGemini(m, &w) } }
        w.arrayEnd()
        if end < models.count { w.key("nextPageToken"); w.string("p\(end)") }
        w.objectEnd()
        return .success(w.bytes)
    }

    func geminiModel(_ name: String, caller: Caller, _ catalog: Catalog) -> Result<[UInt8], GatewayError> {
        let id = Self.geminiModelName(name)
        guard let m = catalog.model(named: id), catalog.group(caller.key.group, reaches: m.id) else {
            return .failure(.notFound("models/\(id) is not found for API version v1beta, or is not supported for this key."))
        }
        var w = JSONWriter()
        writeGemini(m, &w)
        return .success(w.bytes)
    }

    private func writeGemini(_ m: CatalogModel, _ w: inout JSONWriter) {
        w.objectStart()
        w.key("name"); w.string("models/" + m.id)
        w.key("version"); w.string("001")
        w.key("displayName"); w.string(Self.displayName(m.id))
        w.key("description"); w.string("\(Self.displayName(m.id)) through the ByteSpike gateway (\(m.ownedBy))")
        w.key("inputTokenLimit"); w.int(m.contextWindow)
        w.key("outputTokenLimit"); w.int(m.maxOutputTokens)
        w.key("supportedGenerationMethods")
        w.strings(m.kind == .text ? ["generateContent", "streamGenerateContent", "countTokens"] : ["predict"])
        if m.kind == .text {
            w.key("temperature"); w.raw(Array("1.0".utf8))
            w.key("maxTemperature"); w.raw(Array("2.0".utf8))
            w.key("topP"); w.raw(Array("0.95".utf8))
            w.key("topK"); w.int(64)
            w.key("thinking"); w.bool(m.has("thinking"))
        }
        w.objectEnd()
    }

    private func reachable(_ caller: Caller, _ catalog: Catalog) -> [CatalogModel] {
        guard let g = catalog.groupIndex(named: caller.key.group) else { return [] }
        return catalog.membersByGroup[g].map { catalog.models[$0] }
    }

    /// `claude-sonnet-4-5` → `Claude Sonnet 4.5`; `gpt-5-4-mini` → `GPT 5.4 Mini`.
    static func displayName(_ id: String) -> String {
        var words: [String] = []
        for part in id.split(separator: "-") {
            let s = String(part)
            if let last = words.last, s.allSatisfy(\.isNumber), last.allSatisfy({ $0.isNumber || $0 == "." }) {
                words[words.count - 1] = last + "." + s
            } else if ["gpt", "glm"].contains(s) {
                words.append(s.uppercased())
            } else {
                words.append(s.prefix(1).uppercased() + s.dropFirst())
            }
        }
        return words.joined(separator: " ")
    }
}
