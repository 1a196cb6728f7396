@testable import BytespikeMock

/// The field tables of docs/fixtures.md, rendered from the loader's shapes (``FixtureSchema``):
/// one table per object, nested objects after their parent, named by their path (`models[]`).
extension FixtureObject {
    func markdownTables(path: String) -> String {
        var out = "`\(path)`\n\n| field | type and range | required | meaning |\n|---|---|---|---|\n"
        var nested: [(String, FixtureObject)] = []
        for f in fields {
            let type: String
            switch f.shape {
            case .object(let o):
                type = "object (`\(Self.join(path, f.name))`)"
                nested.append((Self.join(path, f.name), o))
            case .array(.object(let o)):
                type = "array of objects (`\(Self.join(path, f.name))[]`)"
                nested.append((Self.join(path, f.name) + "[]", o))
            default:
                type = f.shape.expectation
            }
            out += "| `\(f.name)` | \(type) | \(f.required ? "yes" : "no") | \(f.doc.replacing("|", with: "\\|")) |\n"
        }
        for (p, o) in nested { out += "\n" + o.markdownTables(path: p) }
        return out
    }

    private static func join(_ path: String, _ name: String) -> String {
        path.hasSuffix(".json") ? name : "\(path).\(name)"
    }
}
