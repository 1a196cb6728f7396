import Glibc
import HTTPCore

/// Loads the built-in fixtures, applies an optional override directory, and validates the result.
///
/// Each file in the directory (`catalog.json`, `keys.json`, `replies.json`, `faults.json`, `media.json`) extends the built-in file of the same
/// name by id, or replaces it when it says `"mode": "replace"`. Any other file name in the
/// directory, or a directory with none of these, is a problem too. Every problem is reported,
/// not just the first: each file is checked against its shape (``FixtureSchema``), then each
/// entry is decoded on its own and the cross-references are checked (``FixtureValidator``).
///
/// Concurrency: stateless; a load runs on the caller's thread.
public enum FixtureLoader {
    public static let fileNames = FixtureSchema.all.map(\.file)

    /// The fixture set, or a ``FixtureReport`` with every problem found.
    public static func load(directory: String? = nil) throws(FixtureReport) -> FixtureSet {
        let problems = FixtureProblems()
        let set = build(directory: directory, problems)
        guard problems.isEmpty, let set else { throw problems.report }
        return set
    }

    private static func build(directory: String?, _ problems: FixtureProblems) -> FixtureSet? {
        var present: [String: [UInt8]] = [:]
        if let directory {
            guard let overrides = readDirectory(directory, problems) else { return nil }
            present = overrides
        }
        func path(_ name: String) -> String {
            guard let directory else { return name }
            return directory.hasSuffix("/") ? directory + name : directory + "/" + name
        }
        /// The file's top-level reader after its shape check; nil when it is not a JSON object.
        func root(_ name: String, builtIn: String?) -> (base: FixtureReader?, override: FixtureReader?) {
            let shape = FixtureSchema.object(forFile: name)!
            func read(_ bytes: [UInt8], _ file: String) -> FixtureReader? {
                guard let r = problems.collect(file: file, path: "", { () throws(FixtureError) in try FixtureReader.root(bytes, file: file) }) else {
                    return nil
                }
                shape.check(r.object, file: file, path: "", into: problems)
                return r
            }
            return (builtIn.map { read(Array($0.utf8), "\(name) (built-in)") } ?? nil, present[name].flatMap { read($0, path(name)) })
        }
        func decode<T>(_ r: FixtureReader?, _ body: (FixtureReader) throws(FixtureError) -> T) -> T? {
            guard let r else { return nil }
            return problems.collect(file: r.file, path: "", { () throws(FixtureError) in try body(r) })
        }

        let catalogFiles = root("catalog.json", builtIn: EmbeddedFixtures.catalog)
        let builtInCatalog = decode(catalogFiles.base) { (r) throws(FixtureError) in try CatalogFile(r, problems) }
        var models = builtInCatalog?.models ?? [], retired = builtInCatalog?.retired ?? []
        if let o = decode(catalogFiles.override, { (r) throws(FixtureError) in try CatalogFile(r, problems) }) {
            models = merge(models, o.models, replace: o.mode == .replace, id: \.id)
            retired = merge(retired, o.retired, replace: o.mode == .replace, id: \.id)
        }
        let keyFiles = root("keys.json", builtIn: EmbeddedFixtures.keys)
        let builtInKeys = decode(keyFiles.base) { (r) throws(FixtureError) in try KeysFile(r, problems) }
        var groups = builtInKeys?.groups ?? [], accounts = builtInKeys?.accounts ?? [], keys = builtInKeys?.keys ?? []
        var transactions = builtInKeys?.transactions ?? []
        if let o = decode(keyFiles.override, { (r) throws(FixtureError) in try KeysFile(r, problems) }) {
            let replace = o.mode == .replace
            groups = merge(groups, o.groups, replace: replace, id: \.name)
            accounts = merge(accounts, o.accounts, replace: replace, id: \.id)
            keys = merge(keys, o.keys, replace: replace, id: \.id)
            transactions = replace ? o.transactions : transactions + o.transactions
        }
        let replyFiles = root("replies.json", builtIn: EmbeddedFixtures.replies)
        let builtInReplies = decode(replyFiles.base) { (r) throws(FixtureError) in try RepliesFile(r, problems) }
        var rules = builtInReplies?.rules ?? [], pacing = builtInReplies?.pacing
        if let o = decode(replyFiles.override, { (r) throws(FixtureError) in try RepliesFile(r, problems) }) {
            rules = o.mode == .replace ? o.rules : o.rules + rules.filter { r in !o.rules.contains { $0.id == r.id } }
            if o.mode == .replace || o.pacing != nil { pacing = o.pacing }
            var seen = Set<String>()
            for r in o.rules where !seen.insert(r.id).inserted {
                problems.add(FixtureError(file: path("replies.json"), field: "replies", problem: "id '\(r.id)' is used twice"))
            }
        }
        var set = FixtureValidator(problems: problems).build(models: models, retired: retired, groups: groups, accounts: accounts,
                                                             keys: keys, transactions: transactions)
        set.replies = rules
        set.pacing = pacing
        let mediaFiles = root("media.json", builtIn: EmbeddedFixtures.media)
        let builtInMedia = decode(mediaFiles.base) { (r) throws(FixtureError) in try MediaFile(r, problems) }
        let overrideMedia = decode(mediaFiles.override) { (r) throws(FixtureError) in try MediaFile(r, problems) }
        if let builtInMedia {
            set.media = MediaFile.build(builtInMedia, overrideMedia, models: set.models, problems: problems)
        }
        let faultFiles = root("faults.json", builtIn: nil)
        if let faults = decode(faultFiles.override, { (r) throws(FixtureError) in try FaultsFile.read(r, problems: problems) }) {
            set.faults = faults
        }
        return set
    }

    /// The fixture files of `directory` by name. Any other entry (hidden files and editor
    /// backups ending in `~` aside) and a directory with no fixture file are problems.
    private static func readDirectory(_ directory: String, _ problems: FixtureProblems) -> [String: [UInt8]]? {
        guard let dir = opendir(directory) else {
            problems.add(FixtureError(file: directory, field: "(directory)", problem: "not a readable directory"))
            return nil
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(".") || name.hasSuffix("~") { continue }
            names.append(name)
        }
        closedir(dir)
        var out: [String: [UInt8]] = [:]
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        for name in names.sorted() {
            guard fileNames.contains(name) else {
                let hint = FixtureShape.didYouMean(name, fileNames)
                problems.add(FixtureError(file: base + name, field: "(file)",
                                          problem: "not a fixture file name\(hint). Fixture files: \(fileNames.joined(separator: ", "))"))
                continue
            }
            guard let bytes = readFile(base + name) else {
                problems.add(FixtureError(file: base + name, field: "(file)", problem: "cannot be read"))
                continue
            }
            out[name] = bytes
        }
        if problems.isEmpty, out.isEmpty {
            problems.add(FixtureError(file: directory, field: "(directory)",
                                      problem: "holds no fixture file; add one or more of \(fileNames.joined(separator: ", "))"))
        }
        return out
    }

    /// Built-in entries, then the override's: same id replaces in place, new ids append.
    /// With `replace`, the built-in entries are dropped (also when the override omits the array).
    private static func merge<T>(_ base: [Sourced<T>], _ extra: [Sourced<T>], replace: Bool, id: KeyPath<T, String>) -> [Sourced<T>] {
        var out = replace ? [] : base
        for item in extra {
            if let i = out.firstIndex(where: { $0.value[keyPath: id] == item.value[keyPath: id] }) { out[i] = item } else { out.append(item) }
        }
        return out
    }
}

/// Reads a whole file, or nil.
func readFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n > 0 { out.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count { break }
    }
    return ferror(f) == 0 ? out : nil
}
