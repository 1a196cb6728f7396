#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Loads the built-in fixtures, applies an optional override directory, and validates the result.
///
/// Each file in the directory (`catalog.json`, `keys.json`) extends the built-in file of the same
/// name by id, or replaces it when it says `"mode": "replace"`. Any problem is a ``FixtureError``
/// naming the file and the field.
public enum FixtureLoader {
    public static let fileNames = ["catalog.json", "keys.json"]

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

        let builtInCatalog = try decode(CatalogFile.self, Array(EmbeddedFixtures.catalog.utf8), file: "catalog.json")
        var models = sourced(builtInCatalog.models, "catalog.json (built-in)", "models")
        var retired = sourced(builtInCatalog.retired, "catalog.json (built-in)", "retired")
        if let bytes = try override("catalog.json") {
            let file = path("catalog.json")
            let o = try decode(CatalogFile.self, bytes, file: file)
            let replace = o.mode == .replace
            models = merge(models, sourced(o.models, file, "models"), replace: replace, id: \.id)
            retired = merge(retired, sourced(o.retired, file, "retired"), replace: replace, id: \.id)
        }
        let builtInKeys = try decode(KeysFile.self, Array(EmbeddedFixtures.keys.utf8), file: "keys.json")
        var groups = sourced(builtInKeys.groups, "keys.json (built-in)", "groups")
        var accounts = sourced(builtInKeys.accounts, "keys.json (built-in)", "accounts")
        var keys = sourced(builtInKeys.keys, "keys.json (built-in)", "keys")
        if let bytes = try override("keys.json") {
            let file = path("keys.json")
            let o = try decode(KeysFile.self, bytes, file: file)
            let replace = o.mode == .replace
            groups = merge(groups, sourced(o.groups, file, "groups"), replace: replace, id: \.name)
            accounts = merge(accounts, sourced(o.accounts, file, "accounts"), replace: replace, id: \.id)
            keys = merge(keys, sourced(o.keys, file, "keys"), replace: replace, id: \.id)
        }
        return try FixtureValidator().build(models: models, retired: retired, groups: groups, accounts: accounts, keys: keys)
    }

    private static func sourced<T>(_ items: [T]?, _ file: String, _ array: String) -> [Sourced<T>] {
        (items ?? []).enumerated().map { Sourced(value: $0.element, file: file, path: "\(array)[\($0.offset)]") }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], file: String) throws(FixtureError) -> T {
        let data = Data(bytes)
        let name = String(file.split(separator: "/").last ?? Substring(file))
        do {
            let tree = try JSONDecoder().decode(JSONValue.self, from: data)
            guard case .object = tree else {
                throw FixtureError(file: file, field: "(top level)", problem: "expected a JSON object")
            }
            if let unknown = FixtureSchema.unknownField(in: tree, file: name) {
                throw FixtureError(file: file, field: unknown, problem: "unknown field (misspelt?)")
            }
            return try JSONDecoder().decode(T.self, from: data)
        } catch let e as FixtureError {
            throw e
        } catch let e as DecodingError {
            let text = describe(e)
            let split = text.firstIndex(of: ":").map { (String(text[..<$0]), String(text[text.index($0, offsetBy: 2)...])) }
            throw FixtureError(file: file, field: split?.0 ?? "(top level)", problem: split?.1 ?? text)
        } catch {
            throw FixtureError(file: file, field: "(top level)", problem: "\(error)")
        }
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

/// A fixture entry and where it was written, so errors point into the right file.
struct Sourced<T> {
    var value: T
    var file: String
    /// `keys[3]`: the entry's position in its own file.
    var path: String
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
