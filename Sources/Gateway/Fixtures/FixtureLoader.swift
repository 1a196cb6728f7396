import Glibc

/// Loads the built-in fixtures, applies an optional override directory, and validates the result.
///
/// Each file in the directory (`catalog.json`, `keys.json`, `replies.json`, `faults.json`, `media.json`) extends the built-in file of the same
/// name by id, or replaces it when it says `"mode": "replace"`. Any problem is a ``FixtureError``
/// naming the file and the field.
public enum FixtureLoader {
    public static let fileNames = ["catalog.json", "keys.json", "replies.json", "faults.json", "media.json"]

    public static func load(directory: String? = nil) throws(FixtureError) -> FixtureSet {
        if let directory {
            var st = stat()
            guard stat(directory, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                throw FixtureError(file: directory, field: "(directory)", problem: "not a readable directory")
            }
        }
        func override(_ name: String) throws(FixtureError) -> [UInt8]? {
            guard let directory else { return nil }
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            guard access(path, F_OK) == 0 else { return nil }
            guard let bytes = readFile(path) else {
                throw FixtureError(file: path, field: "(file)", problem: "cannot be read")
            }
            return bytes
        }
        func path(_ name: String) -> String { directory.map { "\($0)/\(name)" } ?? name }

        let builtInCatalog = try CatalogFile(.root(Array(EmbeddedFixtures.catalog.utf8), file: "catalog.json (built-in)"))
        var models = builtInCatalog.models, retired = builtInCatalog.retired
        if let bytes = try override("catalog.json") {
            let o = try CatalogFile(.root(bytes, file: path("catalog.json")))
            let replace = o.mode == .replace
            models = merge(models, o.models, replace: replace, id: \.id)
            retired = merge(retired, o.retired, replace: replace, id: \.id)
        }
        let builtInKeys = try KeysFile(.root(Array(EmbeddedFixtures.keys.utf8), file: "keys.json (built-in)"))
        var groups = builtInKeys.groups, accounts = builtInKeys.accounts, keys = builtInKeys.keys
        var transactions = builtInKeys.transactions
        if let bytes = try override("keys.json") {
            let o = try KeysFile(.root(bytes, file: path("keys.json")))
            let replace = o.mode == .replace
            groups = merge(groups, o.groups, replace: replace, id: \.name)
            accounts = merge(accounts, o.accounts, replace: replace, id: \.id)
            keys = merge(keys, o.keys, replace: replace, id: \.id)
            transactions = replace ? o.transactions : transactions + o.transactions
        }
        let builtInReplies = try RepliesFile(.root(Array(EmbeddedFixtures.replies.utf8), file: "replies.json (built-in)"))
        var rules = builtInReplies.rules, pacing = builtInReplies.pacing
        if let bytes = try override("replies.json") {
            let o = try RepliesFile(.root(bytes, file: path("replies.json")))
            rules = o.mode == .replace ? o.rules : o.rules + rules.filter { r in !o.rules.contains { $0.id == r.id } }
            if o.mode == .replace || o.pacing != nil { pacing = o.pacing }
            var seen = Set<String>()
            for r in o.rules where !seen.insert(r.id).inserted {
                throw FixtureError(file: path("replies.json"), field: "replies", problem: "id '\(r.id)' is used twice")
            }
        }
        var set = try FixtureValidator().build(models: models, retired: retired, groups: groups, accounts: accounts, keys: keys,
                                               transactions: transactions)
        set.replies = rules
        set.pacing = pacing
        let builtInMedia = try MediaFile(.root(Array(EmbeddedFixtures.media.utf8), file: "media.json (built-in)"))
        let overrideMedia = try override("media.json").map { (b) throws(FixtureError) in try MediaFile(.root(b, file: path("media.json"))) }
        set.media = try MediaFile.build(builtInMedia, overrideMedia, models: set.models)
        if let bytes = try override("faults.json") {
            set.faults = try FaultsFile.read(bytes, file: path("faults.json"))
        }
        return set
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
