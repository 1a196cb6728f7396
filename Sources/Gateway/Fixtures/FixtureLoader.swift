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

        var catalog = try decode(CatalogFile.self, Array(EmbeddedFixtures.catalog.utf8), file: "catalog.json")
        if let bytes = try override("catalog.json") {
            let o = try decode(CatalogFile.self, bytes, file: path("catalog.json"))
            let replace = o.mode == .replace
            catalog.models = merge(catalog.models, o.models, replace: replace, id: \.id)
            catalog.retired = merge(catalog.retired, o.retired, replace: replace, id: \.id)
        }
        var keys = try decode(KeysFile.self, Array(EmbeddedFixtures.keys.utf8), file: "keys.json")
        if let bytes = try override("keys.json") {
            let o = try decode(KeysFile.self, bytes, file: path("keys.json"))
            let replace = o.mode == .replace
            keys.groups = merge(keys.groups, o.groups, replace: replace, id: \.name)
            keys.accounts = merge(keys.accounts, o.accounts, replace: replace, id: \.id)
            keys.keys = merge(keys.keys, o.keys, replace: replace, id: \.id)
        }
        return try FixtureValidator(catalogFile: path("catalog.json"), keysFile: path("keys.json"))
            .build(catalog: catalog, keys: keys)
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

    private static func merge<T>(_ base: [T]?, _ extra: [T]?, replace: Bool, id: KeyPath<T, String>) -> [T]? {
        guard let extra else { return replace ? [] : base }
        var out = replace ? [] : (base ?? [])
        for item in extra {
            if let i = out.firstIndex(where: { $0[keyPath: id] == item[keyPath: id] }) { out[i] = item } else { out.append(item) }
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
