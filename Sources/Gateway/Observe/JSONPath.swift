import HTTPCore

/// A path into a JSON document, in either of two spellings:
/// - simple: `stream`, `messages[-1].content`, `tools[*].name`, `$.metadata.user_id`
///   (`[-1]` counts from the end, `[*]` and `.*` take every element or member);
/// - JSON Pointer (RFC 6901): `/messages/0/content` (`~1` is `/`, `~0` is `~`).
///
/// Evaluating yields every value the path reaches (several through a wildcard, none when it
/// leads nowhere).
///
/// Concurrency: an immutable value (Sendable).
struct JSONPath: Sendable, CustomStringConvertible {
    enum Step: Sendable, Equatable {
        case key(String)
        case index(Int)
        case all
    }

    let steps: [Step]
    let description: String
    static let maxSteps = 32

    struct SyntaxError: Error { let message: String }

    init(_ source: String) throws(SyntaxError) {
        description = source
        var steps: [Step] = []
        if source.hasPrefix("/") {
            for part in source.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
                let key = part.replacingOccurrences("~1", "/").replacingOccurrences("~0", "~")
                steps.append(Int(key).map { .index($0) } ?? .key(key))
            }
        } else {
            var s = Substring(source)
            if s.hasPrefix("$") { s = s.dropFirst(); if s.hasPrefix(".") { s = s.dropFirst() } }
            var name = ""
            func flush() { if !name.isEmpty { steps.append(name == "*" ? .all : .key(name)); name = "" } }
            while let c = s.first {
                s = s.dropFirst()
                switch c {
                case ".": flush()
                case "[":
                    flush()
                    guard let close = s.firstIndex(of: "]") else { throw SyntaxError(message: "'[' without ']' in '\(source)'") }
                    let inner = s[..<close].trimmingSpaces
                    s = s[s.index(after: close)...]
                    if inner == "*" { steps.append(.all) } else if let n = Int(inner), abs(n) < 1_000_000 { steps.append(.index(n)) } else {
                        let quoted = inner.count >= 2 && (inner.first == "\"" || inner.first == "'") && inner.last == inner.first
                        guard quoted else { throw SyntaxError(message: "'[\(inner)]' must be an index, -1 for the last, * or a quoted key") }
                        steps.append(.key(String(inner.dropFirst().dropLast())))
                    }
                default: name.append(c)
                }
            }
            flush()
        }
        guard steps.count <= Self.maxSteps else { throw SyntaxError(message: "a path has at most \(Self.maxSteps) steps") }
        self.steps = steps
    }

    /// Whether the path can reach more than one value.
    var hasWildcard: Bool { steps.contains(.all) }

    func evaluate(_ root: JSONValue) -> [JSONValue] {
        var current = [root]
        for step in steps {
            var next: [JSONValue] = []
            for v in current {
                switch (step, v) {
                case (.key(let k), .object(let o)): if let x = o[k] { next.append(x) }
                case (.index(let i), .array(let a)):
                    let j = i < 0 ? a.count + i : i
                    if a.indices.contains(j) { next.append(a[j]) }
                case (.index(let i), .object(let o)): if let x = o[String(i)] { next.append(x) }
                case (.all, .array(let a)): next += a
                case (.all, .object(let o)): next += o.values
                default: break
                }
            }
            current = next
            if current.isEmpty { break }
        }
        return current
    }
}

extension StringProtocol {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard contains(target) else { return String(self) }
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
