import HTTPCore

/// Constraints written into a `description` instead of keywords. The `anthropic` SDK's
/// `transform_schema` (used by `messages.parse(output_format=Model)`) keeps only the keywords
/// Anthropic's structured outputs enforce and appends the rest to the description as
/// `{minimum: 18, maximum: 99}`, for the model to follow; the SDK then validates the reply against
/// the original model. A model reads that block, so the generator does too: each listed keyword
/// the node lacks is restored from it before the value is built.
///
/// ```text
/// {"type": "integer", "description": "Age\n\n{minimum: 18, maximum: 99}"}
///   is generated as {"type": "integer", "minimum": 18, "maximum": 99}
/// ```
extension SchemaInstance {
    /// Keywords restored from a description block, with whether the value is a number.
    static let hintKeywords: [String: Bool] = [
        "minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true, "multipleOf": true,
        "minLength": true, "maxLength": true, "minItems": true, "maxItems": true, "minProperties": true,
        "maxProperties": true, "uniqueItems": false, "pattern": false, "format": false,
    ]
    /// Longest description block read (longer ones are ignored).
    static let maxHintBlock = 1_024

    /// `s` with the keywords of its description's trailing `{key: value, …}` block added where
    /// `s` lacks them; `s` itself when there is no such block.
    static func withDescriptionHints(_ s: JSONObject) -> JSONObject {
        guard case .string(let description)? = s["description"], description.utf8.last == UInt8(ascii: "}"),
              let block = hintBlock(description) else { return s }
        var out = s
        for (key, text) in hintPairs(block) where s[key] == nil {
            guard let isNumber = hintKeywords[key] else { continue }
            if isNumber {
                guard let d = Double(text), d.isFinite else { continue }
                out.append(key, d == d.rounded() && abs(d) < 1e15 ? .int(Int(d)) : .double(d))
            } else if key == "uniqueItems" {
                if text == "True" || text == "true" { out.append(key, .bool(true)) }
            } else {
                out.append(key, .string(text))
            }
        }
        return out
    }

    /// The text inside the block's braces: the whole description, or what follows its last
    /// blank line, when that starts with `{` (and the description ends with `}`).
    static func hintBlock(_ description: String) -> Substring? {
        let end = description.suffix(maxHintBlock + 2)  // a longer block is not read, so not scanned
        let pieces = end.split(separator: "\n\n", omittingEmptySubsequences: false)
        guard let tail = pieces.last, pieces.count > 1 || end.startIndex == description.startIndex else { return nil }
        guard tail.first == "{", tail.count >= 2 else { return nil }
        return tail.dropFirst().dropLast()
    }

    /// `key: value` pairs separated by `, `. A piece that does not start with a known keyword and
    /// `: ` belongs to the previous value (a pattern may hold `, `).
    static func hintPairs(_ block: Substring) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for piece in block.split(separator: ", ", omittingEmptySubsequences: false) {
            if let colon = piece.firstRange(of: ": "), hintKeywords[String(piece[..<colon.lowerBound])] != nil {
                pairs.append((String(piece[..<colon.lowerBound]), String(piece[colon.upperBound...])))
            } else if !pairs.isEmpty {
                pairs[pairs.count - 1].1 += ", " + piece
            }
        }
        return pairs
    }
}
