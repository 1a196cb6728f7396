/// A JSON value. Objects keep their keys in document order.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// An integer literal that fits in `Int` (no fraction, no exponent).
    case int(Int)
    /// Any other number.
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// The value as a number, if it is one.
    public var number: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    /// A short name of the value's JSON type, for error messages ("a string", "an array", …).
    public var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON object: members in document order (a later duplicate key wins on lookup).
public struct JSONObject: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue
    }

    /// The members in document order: one array (one allocation per object, to build and to free).
    public private(set) var members: [Member] = []

    public init() {}

    /// An empty object with room for `capacity` members (no regrowth while it fills).
    public init(capacity: Int) {
        members.reserveCapacity(capacity)
    }

    public mutating func append(_ key: String, _ value: JSONValue) {
        members.append(Member(key: key, value: value))
    }

    /// The keys in document order (an array made on each call).
    public var keys: [String] { members.map(\.key) }

    /// The values in document order (an array made on each call).
    public var values: [JSONValue] { members.map(\.value) }

    public subscript(key: String) -> JSONValue? {
        // Backwards (a later duplicate wins); the byte count, which a string knows without
        // counting, rules most keys out before any comparison.
        let n = key.utf8.count
        var i = members.count - 1
        while i >= 0 {
            if members[i].key.utf8.count == n, members[i].key == key { return members[i].value }
            i -= 1
        }
        return nil
    }

    public var count: Int { members.count }
}
