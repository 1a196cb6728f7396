/// Every fixture problem one load found, in the order found (file by file, field by field).
///
/// The loader keeps going after a problem, so one run of `--check-fixtures` (or one failed
/// start, or one rejected `--watch` reload) lists all of them. Confined to the thread that loads.
final class FixtureProblems {
    private(set) var list: [FixtureError] = []
    /// Ids and names of entries left out as broken: references to them are not reported again.
    var brokenNames = Set<String>()

    /// Problems kept; past it they are only counted (a generated file gone wrong could hold millions).
    static let limit = 500
    /// Problems found beyond ``limit``.
    private(set) var dropped = 0

    var isEmpty: Bool { list.isEmpty }

    func add(_ problem: FixtureError) {
        if list.count < Self.limit { list.append(problem) } else { dropped += 1 }
    }

    /// The report of everything found.
    var report: FixtureReport { FixtureReport(list, more: dropped) }

    /// Whether a problem was already recorded in `file` at `path` or below it (`models[3]`
    /// covers `models[3].id`, not `models[30]`). The empty path covers the whole file.
    func has(file: String, under path: String) -> Bool {
        list.contains { p in
            guard p.file == file else { return false }
            if path.isEmpty || p.field == path { return true }
            guard p.field.hasPrefix(path) else { return false }
            let next = p.field.utf8[p.field.utf8.index(p.field.utf8.startIndex, offsetBy: path.utf8.count)]
            return next == UInt8(ascii: ".") || next == UInt8(ascii: "[")
        }
    }

    /// Runs a decoder; on failure records its problem (unless the shape check already reported
    /// something at or below `path`, which the decoder merely tripped over again) and gives nil.
    func collect<T>(file: String, path: String, _ body: () throws(FixtureError) -> T) -> T? {
        do { return try body() } catch {
            if !has(file: file, under: path) { add(error) }
            return nil
        }
    }
}

/// All the problems of a fixture load: the error ``FixtureLoader/load(directory:)`` throws.
/// Its description has one line per problem, each naming the file and the field's path.
public struct FixtureReport: Error, CustomStringConvertible, Sendable {
    public let problems: [FixtureError]
    /// Problems found but not listed (beyond the first 500).
    public let more: Int

    /// Grouped by file (in the order files were first reported), each file's in the order found.
    public init(_ problems: [FixtureError], more: Int = 0) {
        self.more = more
        var order: [String] = []
        for p in problems where !order.contains(p.file) { order.append(p.file) }
        self.problems = order.flatMap { file in problems.filter { $0.file == file } }
    }

    public var description: String {
        var lines = problems.map(\.description)
        guard lines.count > 1 else { return lines.first ?? "fixtures: no problem" }
        if more > 0 { lines.append("… and \(more) more") }
        return "\(problems.count + more) fixture problems:\n" + lines.map { "  " + $0 }.joined(separator: "\n")
    }
}
