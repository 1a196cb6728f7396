import HTTPCore

/// Reads one JSON object of a request body field by field. Every problem is a 400
/// `invalid_request_error` naming the field's path (`messages[2].content`) as `param`, so each
/// surface renders it in its own envelope.
struct BodyReader {
    let object: JSONObject
    /// The path of this object is `parent.key[index]`, spelled out only when an error or a
    /// nested reader needs it: most requests have no error, and most element readers no children.
    private let parent: String
    private let key: String
    /// The array index, or -1.
    private let index: Int

    init(_ object: JSONObject, path: String = "") {
        self.init(object, parent: path, key: "", index: -1)
    }

    private init(_ object: JSONObject, parent: String, key: String, index: Int) {
        self.object = object
        self.parent = parent
        self.key = key
        self.index = index
    }

    /// Path of this object inside the body ("" for the body itself), e.g. `messages[2]`.
    var path: String {
        if key.isEmpty { return parent }
        let named = parent.isEmpty ? key : "\(parent).\(key)"
        return index < 0 ? named : "\(named)[\(index)]"
    }

    func at(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fail(_ key: String, _ problem: String) -> GatewayError {
        .badRequest("\(at(key)): \(problem)", code: "invalid_request_error", param: at(key))
    }

    /// The member, treating JSON null as absent.
    func value(_ key: String) -> JSONValue? {
        guard let v = object[key], v != .null else { return nil }
        return v
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    /// For proto3 JSON (Gemini): the lowerCamel key if present, else its snake_case spelling.
    func pick(_ camel: String) -> String {
        if object[camel] != nil { return camel }
        let snake = RequestFields.snakeCase(camel)
        return snake.utf8.count != camel.utf8.count && object[snake] != nil ? snake : camel
    }

    func string(_ key: String) throws(GatewayError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw fail(key, "expected a string, found \(v.typeDescription)") }
        return s
    }

    func requiredString(_ key: String) throws(GatewayError) -> String {
        guard let s = try string(key) else { throw fail(key, "field required") }
        return s
    }

    /// An integer; a number with no fractional part (`100.0`) is accepted.
    func int(_ key: String) throws(GatewayError) -> Int? {
        guard let v = value(key) else { return nil }
        switch v {
        case .int(let n): return n
        case .double(let d) where d == d.rounded() && abs(d) < 1e15: return Int(d)
        default: throw fail(key, "expected an integer, found \(v.typeDescription)")
        }
    }

    func requiredInt(_ key: String) throws(GatewayError) -> Int {
        guard let n = try int(key) else { throw fail(key, "field required") }
        return n
    }

    func double(_ key: String) throws(GatewayError) -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = v.number else { throw fail(key, "expected a number, found \(v.typeDescription)") }
        return d
    }

    func bool(_ key: String) throws(GatewayError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw fail(key, "expected a boolean, found \(v.typeDescription)") }
        return b
    }

    func object(_ key: String) throws(GatewayError) -> BodyReader? {
        guard let v = value(key) else { return nil }
        guard case .object(let o) = v else { throw fail(key, "expected an object, found \(v.typeDescription)") }
        return BodyReader(o, parent: path, key: key, index: -1)
    }

    func array(_ key: String) throws(GatewayError) -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard case .array(let a) = v else { throw fail(key, "expected an array, found \(v.typeDescription)") }
        return a
    }

    func requiredArray(_ key: String) throws(GatewayError) -> [JSONValue] {
        guard let a = try array(key) else { throw fail(key, "field required") }
        return a
    }

    /// Strings, or a single string standing for a one-element list (OpenAI `stop`).
    func strings(_ key: String) throws(GatewayError) -> [String]? {
        guard let v = value(key) else { return nil }
        if case .string(let s) = v { return [s] }
        guard case .array(let a) = v else { throw fail(key, "expected a string or an array of strings, found \(v.typeDescription)") }
        var out: [String] = []
        for (i, e) in a.enumerated() {
            guard case .string(let s) = e else { throw fail("\(key)[\(i)]", "expected a string, found \(e.typeDescription)") }
            out.append(s)
        }
        return out
    }

    /// The objects of the array member `key`, each as a reader with its indexed path.
    func objects(_ key: String) throws(GatewayError) -> [BodyReader]? {
        guard let a = try array(key) else { return nil }
        var out: [BodyReader] = []
        out.reserveCapacity(a.count)
        let parent = path
        for i in a.indices {
            guard case .object(let o) = a[i] else { throw fail("\(key)[\(i)]", "expected an object, found \(a[i].typeDescription)") }
            out.append(BodyReader(o, parent: parent, key: key, index: i))
        }
        return out
    }

    /// The member as compact JSON ("{}" when absent).
    func json(_ key: String) -> [UInt8] { value(key)?.encoded ?? Array("{}".utf8) }
}

/// The media type of a `data:` URL (`image/png` from `data:image/png;base64,…`), or nil when
/// `url` is not one or names no type.
func dataURLMediaType(_ url: String) -> String? {
    guard url.hasPrefix("data:") else { return nil }
    let rest = url.dropFirst(5)
    let type = rest[..<(rest.firstIndex { $0 == ";" || $0 == "," } ?? rest.endIndex)]
    return type.isEmpty ? nil : String(type)
}
