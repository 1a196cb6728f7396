import Testing
import TestSupport

/// The filtered model list on the real binary with `--watch`: a body cached under a query string
/// is not served after a reload changed the catalog, for the same query string sent again.
@Suite(.serialized) struct ModelListWatchTests {
    static func model(_ id: String, _ capabilities: [String]) -> String {
        let caps = capabilities.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"id":"\#(id)","owned_by":"acme","family":"acme","kind":"text","capabilities":[\#(caps)],"context_window":8000,"max_output_tokens":500,"input_modalities":["text"],"output_modalities":["text"],"created":1700000000}"#
    }

    func list(_ mock: MockProcess, _ query: String) -> String {
        (try? mock.request("/v1/models?" + query, ["Authorization": "Bearer sk-byts-default-test-key-0001"]).text) ?? ""
    }

    @Test func reload_replacesTheCachedFilteredBodies() throws {
        let dir = makeTempDirectory()
        writeText(dir + "/catalog.json", #"{"models":[\#(Self.model("acme-one", ["text", "vision"]))]}"#)
        let mock = try MockProcess(["--fixtures", dir, "--watch"])
        defer { _ = mock.stop() }
        let query = "capability=vision&family=acme"
        for _ in 0..<3 {  // the first request fills the cache, the others are served from it
            let body = list(mock, query)
            #expect(body.hasPrefix(#"{"object":"list","data":[{"id":"acme-one""#), "\(body)")
            #expect(body.split(separator: "\"id\":").count == 2, "one model: \(body)")
        }
        #expect(!list(mock, query).contains("acme-two"))

        writeText(dir + "/catalog.json",
                  #"{"models":[\#(Self.model("acme-one", ["text"])), \#(Self.model("acme-two", ["text", "vision"]))]}"#)
        #expect(waitUntil(10) { list(mock, query).contains(#""id":"acme-two""#) }, "\(mock.child.stderr)")
        let after = list(mock, query)
        #expect(!after.contains(#""id":"acme-one""#), "acme-one lost vision in the reload: \(after)")
        // The same filter spelled differently agrees with the new catalog too.
        #expect(list(mock, "family=ACME&capability=vision") == after)
    }
}
