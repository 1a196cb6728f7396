#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TestSupport

/// The fixture files decoded independently of the server, as the expected side of comparisons.
struct Fixtures {
    struct Model: Codable, Equatable {
        var id: String
        var object: String?
        var owned_by: String
        var family: String
        var capabilities: [String]
        var context_window: Int
        var max_output_tokens: Int
        var input_modalities: [String]
        var output_modalities: [String]
        var pricing_url: String?
        var created: Int
    }
    struct Catalog: Decodable { var models: [Model] }
    struct Group: Decodable { var name: String; var models: [String] }
    struct Key: Decodable { var id: String; var secret: String; var group: String; var account: String; var quota: Double? }
    struct Account: Decodable { var id: String; var kind: String; var balance: Double }
    struct Keys: Decodable { var groups: [Group]; var keys: [Key]; var accounts: [Account] }

    let models: [Model]
    let keys: Keys

    static let repo = "/" + #filePath.split(separator: "/").dropLast(3).joined(separator: "/")

    init() throws {
        models = try JSONDecoder().decode(Catalog.self, from: Data(readText(Self.repo + "/Fixtures/catalog.json").utf8)).models
        keys = try JSONDecoder().decode(Keys.self, from: Data(readText(Self.repo + "/Fixtures/keys.json").utf8))
    }

    func key(_ id: String) -> Key { keys.keys.first { $0.id == id }! }

    /// The models a group reaches, in catalog order (`*` globs, as the fixture documents).
    func models(inGroup name: String) -> [Model] {
        let patterns = keys.groups.first { $0.name == name }!.models
        return models.filter { m in patterns.contains { Self.glob($0, m.id) } }
    }

    static func glob(_ p: String, _ s: String) -> Bool {
        if p == "*" { return true }
        if p.hasSuffix("*") { return s.hasPrefix(String(p.dropLast())) }
        return p == s
    }
}

struct ModelList: Decodable {
    var object: String
    var data: [Fixtures.Model]
}

struct ErrorBody: Decodable {
    struct Inner: Decodable { var message: String; var type: String; var param: String?; var code: String? }
    var error: Inner
}
