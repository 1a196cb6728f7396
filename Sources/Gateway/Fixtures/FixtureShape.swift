/// What a fixture value may be: one description that both the loader's first pass
/// (``FixtureShape/check(_:file:path:into:)``) and the repository's JSON Schemas
/// (``FixtureObject/jsonSchema(file:)``) are made from, so the two cannot drift apart.
///
/// The shape covers structure: types, required and known fields, enumerations and number
/// ranges. Rules that span fields or files (a key's group exists, `default_size` is one of
/// `sizes`) stay in ``FixtureValidator`` and the decoders.
///
/// Concurrency: an immutable value; the file shapes are `static let`s shared by every thread.
indirect enum FixtureShape: Sendable {
    /// A string; with `values`, one of them (an enumeration), and `format` is then the noun
    /// messages use (`capability tag`). Without values, `format` names a textual rule the
    /// validator checks (`date-time`, `slug`, `cidr`, `size`).
    case string(values: [String]? = nil, format: String? = nil)
    /// An integer in `range` (nil: any).
    case integer(ClosedRange<Int>? = nil)
    /// A number (integer or fraction) from `min` to `max`.
    case number(min: Double? = nil, max: Double? = nil)
    case bool
    /// An array of `items`.
    case array(FixtureShape)
    /// An object with known fields only (unknown ones are errors).
    case object(FixtureObject)
    /// An object whose member names are free and whose values are all `values`.
    case map(FixtureShape)
    /// Any of the listed shapes (a string or a list of strings, …).
    case anyOf([FixtureShape], description: String)
    /// Any JSON value; its own parser checks it (fault rules, tool-call arguments).
    case any(description: String)

    /// A one-line name of the expected kind of value, for messages (`an integer from 1 to 10`).
    var expectation: String {
        switch self {
        case .string(let values, _):
            values.map { "one of \($0.joined(separator: ", "))" } ?? "a string"
        case .integer(let range):
            range.map { r in
                r.upperBound == .max ? "an integer of at least \(r.lowerBound)" : "an integer from \(r.lowerBound) to \(r.upperBound)"
            } ?? "an integer"
        case .number(let lo, let hi):
            switch (lo, hi) {
            case let (lo?, hi?): "a number from \(Self.format(lo)) to \(Self.format(hi))"
            case let (lo?, nil): "a number of at least \(Self.format(lo))"
            default: "a number"
            }
        case .bool: "true or false"
        case .array(let items): "an array of \(items.plural)"
        case .object, .map: "an object"
        case .anyOf(_, let description), .any(let description): description
        }
    }

    /// `strings`, `objects`: how a message names several of these.
    private var plural: String {
        switch self {
        case .string: "strings"
        case .integer: "integers"
        case .number: "numbers"
        case .bool: "booleans"
        case .array: "arrays"
        case .object, .map: "objects"
        case .anyOf, .any: "values"
        }
    }

    static func format(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }
}

/// One field of a fixture object: its name, shape, whether it must be present, and a
/// sentence for the reader (it becomes the schema's `description`, which editors show).
struct FixtureField: Sendable {
    let name: String
    let shape: FixtureShape
    let required: Bool
    let doc: String

    static func required(_ name: String, _ shape: FixtureShape, _ doc: String) -> FixtureField {
        FixtureField(name: name, shape: shape, required: true, doc: doc)
    }

    static func optional(_ name: String, _ shape: FixtureShape, _ doc: String) -> FixtureField {
        FixtureField(name: name, shape: shape, required: false, doc: doc)
    }
}

/// An object with a fixed set of fields, in the order the documentation lists them.
struct FixtureObject: Sendable {
    let title: String
    let fields: [FixtureField]

    init(_ title: String, _ fields: [FixtureField]) {
        self.title = title
        self.fields = fields
    }

    /// The field names, for the decoders' `allowOnly` (one list, here).
    var names: Set<String> { Set(fields.map(\.name)) }

    func field(_ name: String) -> FixtureField? { fields.first { $0.name == name } }

    /// `object` one level down: the shape of an object-valued field.
    func object(_ name: String) -> FixtureObject {
        switch field(name)?.shape {
        case .object(let o)?: return o
        case .array(.object(let o))?: return o
        default: preconditionFailure("\(title).\(name) is not an object field")
        }
    }
}
