import HTTPCore

/// Building a matcher from the two spellings clients use: query parameters (`GET /__mock/journal`,
/// `journal/wait`) and a JSON object (`POST /__mock/verify`, `POST /__mock/journal/wait`).
/// Both take the same names; every value is checked here, where it enters.
///
/// Query form: `method`, `surface`, `path` (glob), `model` (glob), `key`, `status` (`429`,
/// `4xx`, `200,503`), `faulted`, `rule`, `stream`, `body_contains=TEXT` (repeatable),
/// `json=PATH=VALUE` (VALUE as JSON when it parses, else a string), `json=PATH~REGEX`,
/// `json=PATH` (present), `header=NAME` (present), `header=NAME:VALUE` (equal).
///
/// JSON form: the same names, plus `body` (a JSON value the body contains), `json` as an object
/// `{PATH: VALUE | {"equals": V} | {"matches": "REGEX"} | {"present": BOOL}}` and `headers` as an
/// object `{NAME: "VALUE" | true | false | {"matches": "REGEX"}}`; `body_contains` may be a
/// string or a list of strings, `status` a number or a string as in the query form.
extension JournalFilter {
    /// Names both forms accept.
    static let matcherNames: Set = ["method", "surface", "path", "model", "key", "status", "faulted", "rule", "stream",
                                    "body_contains", "json", "header", "headers", "body"]

    static let maxConditions = 64
    static let maxTextBytes = 64 * 1024

    /// Applies one query parameter that names a matcher condition; false for other names.
    mutating func apply(query name: String, _ value: String) -> Result<Bool, GatewayError> {
        guard value.utf8.count <= Self.maxTextBytes else { return .failure(.badRequest("'\(name)' is longer than \(Self.maxTextBytes) bytes", param: name)) }
        switch name {
        case "method": method = value.uppercased()
        case "surface": surface = value
        case "path": path = value
        case "model": model = value
        case "key": key = value
        case "rule": rule = value
        case "faulted", "stream":
            guard value == "true" || value == "false" else { return .failure(.badRequest("'\(name)' must be true or false, found '\(value)'", param: name)) }
            if name == "faulted" { faulted = value == "true" } else { stream = value == "true" }
        case "status":
            switch Self.statuses(value) { case .success(let s): status = s; case .failure(let e): return .failure(e) }
        case "body_contains":
            bodyContains.append(value)
        case "json":
            guard let cut = value.firstIndex(where: { $0 == "=" || $0 == "~" }) else {
                return Self.jsonPath(value).map { json.append(JSONCondition(path: $0, test: .present(true))); return true }
            }
            let rest = String(value[value.index(after: cut)...])
            let test: JSONCondition.Test
            if value[cut] == "~" {
                switch Self.pattern(rest, "json") { case .success(let p): test = .matches(p); case .failure(let e): return .failure(e) }
            } else {
                test = .equals((try? JSONParser.parse(Array(rest.utf8), maxDepth: 32)) ?? .string(rest))
            }
            return Self.jsonPath(String(value[..<cut])).map { json.append(JSONCondition(path: $0, test: test)); return true }
        case "header":
            if let colon = value.firstIndex(of: ":") {
                headers.append(HeaderCondition(name: String(value[..<colon]).trimmingSpaces,
                                               test: .equals(String(value[value.index(after: colon)...]).trimmingSpaces)))
            } else {
                headers.append(HeaderCondition(name: value.trimmingSpaces, test: .present(true)))
            }
        default: return .success(false)
        }
        return conditionCount <= Self.maxConditions ? .success(true)
            : .failure(.badRequest("a matcher takes at most \(Self.maxConditions) conditions", param: name))
    }

    private var conditionCount: Int { bodyContains.count + json.count + headers.count }

    /// A matcher from a JSON object; unknown names are a 400 that lists the known ones.
    static func parse(_ object: JSONObject, field: String = "match") -> Result<JournalFilter, GatewayError> {
        var f = JournalFilter()
        for m in object.members {
            let name = m.key
            let where_ = "\(field).\(name)"
            func bad(_ what: String) -> Result<JournalFilter, GatewayError> { .failure(.badRequest("'\(where_)' \(what)", param: where_)) }
            switch (name, m.value) {
            case ("method", .string(let s)), ("surface", .string(let s)), ("path", .string(let s)), ("model", .string(let s)),
                 ("key", .string(let s)), ("rule", .string(let s)):
                if case .failure(let e) = f.apply(query: name, s) { return .failure(e) }
            case ("faulted", .bool(let b)): f.faulted = b
            case ("stream", .bool(let b)): f.stream = b
            case ("status", .int(let n)):
                guard (0...599).contains(n) else { return bad("must be a status from 0 to 599") }
                f.status = [n...n]
            case ("status", .string(let s)):
                switch statuses(s) { case .success(let st): f.status = st; case .failure(let e): return .failure(e) }
            case ("body_contains", .string(let s)): f.bodyContains.append(s)
            case ("body_contains", .array(let list)):
                for v in list {
                    guard case .string(let s) = v else { return bad("must be a string or a list of strings") }
                    f.bodyContains.append(s)
                }
            case ("body", let v): f.body = v
            case ("json", .object(let o)):
                for c in o.members {
                    let path: JSONPath
                    switch jsonPath(c.key) { case .success(let p): path = p; case .failure(let e): return .failure(e) }
                    let test: JSONCondition.Test
                    switch c.value {
                    case .object(let spec) where spec.count == 1 && ["equals", "matches", "present"].contains(spec.members[0].key):
                        switch (spec.members[0].key, spec.members[0].value) {
                        case ("equals", let v): test = .equals(v)
                        case ("matches", .string(let re)):
                            switch pattern(re, where_) { case .success(let p): test = .matches(p); case .failure(let e): return .failure(e) }
                        case ("present", .bool(let b)): test = .present(b)
                        default: return bad("'\(c.key)': 'matches' takes a string, 'present' true or false")
                        }
                    default: test = .equals(c.value)
                    }
                    f.json.append(JSONCondition(path: path, test: test))
                }
            case ("headers", .object(let o)), ("header", .object(let o)):
                for h in o.members {
                    switch h.value {
                    case .string(let v): f.headers.append(HeaderCondition(name: h.key, test: .equals(v)))
                    case .bool(let b): f.headers.append(HeaderCondition(name: h.key, test: .present(b)))
                    case .object(let spec) where spec.count == 1:
                        guard case .string(let re)? = spec["matches"] else { return bad("'\(h.key)': use a string, true, false or {\"matches\": REGEX}") }
                        switch pattern(re, where_) {
                        case .success(let p): f.headers.append(HeaderCondition(name: h.key, test: .matches(p)))
                        case .failure(let e): return .failure(e)
                        }
                    default: return bad("'\(h.key)': use a string, true, false or {\"matches\": REGEX}")
                    }
                }
            case ("header", .string(let s)):
                if case .failure(let e) = f.apply(query: "header", s) { return .failure(e) }
            default:
                if matcherNames.contains(name) { return bad("has the wrong type (\(m.value.typeDescription))") }
                return .failure(.badRequest("unknown matcher '\(name)'; use \(matcherNames.sorted().joined(separator: ", "))", param: where_))
            }
            if f.conditionCount > maxConditions { return bad("makes the matcher longer than \(maxConditions) conditions") }
        }
        return .success(f)
    }

    static func statuses(_ s: String) -> Result<[ClosedRange<Int>], GatewayError> {
        var out: [ClosedRange<Int>] = []
        for part in s.split(separator: ",") {
            let p = part.lowercased().trimmingSpaces
            if p.count == 3, p.hasSuffix("xx"), let d = Int(p.prefix(1)), (1...5).contains(d) {
                out.append(d * 100...d * 100 + 99)
            } else if let n = Int(p), (0...599).contains(n) {
                out.append(n...n)
            } else {
                return .failure(.badRequest("'status' must list statuses or classes such as 429, 4xx, 0 (dropped), found '\(part)'", param: "status"))
            }
        }
        return .success(out)
    }

    static func jsonPath(_ s: String) -> Result<JSONPath, GatewayError> {
        guard !s.isEmpty, s.utf8.count <= 512 else { return .failure(.badRequest("a JSON path must be 1 to 512 bytes", param: "json")) }
        do throws(JSONPath.SyntaxError) { return .success(try JSONPath(s)) } catch {
            return .failure(.badRequest("json path: \(error.message)", param: "json"))
        }
    }

    static func pattern(_ s: String, _ param: String) -> Result<TextPattern, GatewayError> {
        do throws(TextPattern.SyntaxError) { return .success(try TextPattern(s)) } catch {
            return .failure(.badRequest("regex '\(s)': \(error.message)", param: param))
        }
    }
}
