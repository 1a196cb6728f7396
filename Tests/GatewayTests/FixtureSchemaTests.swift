import Glibc
import HTTPCore
import Testing
import TestSupport
@testable import BytespikeMock

/// The JSON Schemas in `Fixtures/schema/` and the loader's checks come from one description
/// (``FixtureSchema``); these tests keep the committed files equal to it.
/// `RECORD_GOLDEN=1 swift test --filter FixtureSchemaTests` rewrites the files (and fails the run).
@Suite struct FixtureSchemaTests {
    static let directory = FixtureLoaderTests.repo + "/Fixtures/schema"

    static func path(_ file: String) -> String { directory + "/" + file.dropLast(5) + ".schema.json" }

    @Test(arguments: FixtureSchema.all.map(\.file))
    func schemaFile_isTheRenderingOfTheLoadersShape(_ file: String) {
        let rendered = FixtureSchema.object(forFile: file)!.jsonSchema(file: file)
        if getenv("RECORD_GOLDEN") != nil {
            writeText(Self.path(file), rendered)
            Issue.record("recorded \(Self.path(file)); rerun without RECORD_GOLDEN")
            return
        }
        #expect(readText(Self.path(file)) == rendered, "\(Self.path(file)) is stale: record it with RECORD_GOLDEN=1")
    }

    /// Every field the loader knows, at every depth, is a property of the committed schema, and
    /// the schema has no property the loader would reject.
    @Test(arguments: FixtureSchema.all.map(\.file))
    func everyFieldTheLoaderKnows_isInTheCommittedSchema(_ file: String) throws {
        let schema = try JSONParser.parse(Array(readText(Self.path(file)).utf8))
        var checked = 0
        func walk(_ object: FixtureObject, _ node: JSONValue?, _ at: String) {
            guard case .object(let props)? = node?["properties"] else {
                Issue.record("\(file): \(at) has no properties")
                return
            }
            #expect(Set(props.keys) == object.names, "\(file): \(at)")
            #expect(node?["additionalProperties"] == .bool(false), "\(file): \(at) must reject unknown fields")
            let required = Set(object.fields.filter(\.required).map(\.name))
            if case .array(let list)? = node?["required"] {
                #expect(Set(list.compactMap { if case .string(let s) = $0 { s } else { nil } }) == required, "\(file): \(at)")
            } else {
                #expect(required.isEmpty, "\(file): \(at) lists no required fields")
            }
            checked += 1
            for f in object.fields {
                switch f.shape {
                case .object(let o): walk(o, props[f.name], "\(at).\(f.name)")
                case .array(.object(let o)): walk(o, props[f.name]?["items"], "\(at).\(f.name)[]")
                default: break
                }
            }
        }
        walk(try #require(FixtureSchema.object(forFile: file)), schema, "(top level)")
        #expect(checked >= 1)
    }

    @Test func capabilityTagsSurfacesAndKinds_areEnumeratedInTheSchemas() {
        let catalog = readText(Self.path("catalog.json"))
        for tag in CatalogModel.knownCapabilities { #expect(catalog.contains("\"\(tag)\"")) }
        let replies = readText(Self.path("replies.json"))
        for surface in TextSurface.allCases { #expect(replies.contains("\"\(surface.rawValue)\"")) }
        let keys = readText(Self.path("keys.json"))
        for kind in WalletTransaction.Kind.allCases { #expect(keys.contains("\"\(kind.rawValue)\"")) }
    }
}

/// docs/fixtures.md lists every field of every file with its type, range and meaning: the
/// tables between `<!-- fields: FILE -->` and `<!-- end fields -->` are the shapes' rendering.
/// `RECORD_GOLDEN=1` rewrites them.
@Suite struct FixtureDocsTests {
    static let path = FixtureLoaderTests.repo + "/docs/fixtures.md"

    @Test func fieldTables_matchTheLoadersShapes() {
        var text = readText(Self.path)
        var stale: [String] = []
        for (file, object) in FixtureSchema.all {
            let open = "<!-- fields: \(file) -->\n", close = "<!-- end fields -->"
            guard let start = text.firstRange(of: open)?.upperBound,
                  let end = text[start...].firstRange(of: close)?.lowerBound else {
                Issue.record("docs/fixtures.md has no \(open)")
                continue
            }
            let rendered = object.markdownTables(path: file)
            if String(text[start..<end]) != rendered {
                stale.append(file)
                text.replaceSubrange(start..<end, with: rendered)
            }
        }
        if getenv("RECORD_GOLDEN") != nil, !stale.isEmpty {
            writeText(Self.path, text)
            Issue.record("recorded the tables of \(stale) in \(Self.path); rerun without RECORD_GOLDEN")
            return
        }
        #expect(stale.isEmpty, "docs/fixtures.md tables are stale for \(stale): record them with RECORD_GOLDEN=1")
    }
}
