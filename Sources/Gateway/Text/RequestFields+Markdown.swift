/// The tables as Markdown, for `docs/request-fields.md`: the page holds this text between two
/// markers, and a test fails when the two differ (`RECORD_GOLDEN=1` rewrites the page's copy).
extension RequestFields {
    /// Every endpoint's table, in the order the docs list them.
    static let all: [RequestFields] = [messages, countTokens, chat, responses, gemini, geminiCountTokens, images]

    /// The marker lines around the generated part of `docs/request-fields.md`.
    static let beginMarker = "<!-- request-fields:begin (generated from Sources/Gateway/Text/RequestFields+*.swift) -->"
    static let endMarker = "<!-- request-fields:end -->"

    /// All tables, one section each.
    static var markdown: String {
        all.map(\.section).joined(separator: "\n")
    }

    /// `### title`, the routes, and one row per field (nested fields by their dotted path).
    var section: String {
        var out = "### \(title)\n\n\(routes)\n\n| field | use | note |\n|---|---|---|\n"
        for object in objects where object.inDocs {
            let prefix = object.path.isEmpty ? "" : object.path + "."
            for f in object.fields {
                out += "| `\(prefix)\(f.name)` | \(f.use.rawValue) | \(f.note) |\n"
            }
        }
        return out
    }
}
