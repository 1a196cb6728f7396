#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import Synchronization
import Testing
import TestSupport

/// Many clients bill one key at once over real HTTP; afterwards the ledger, the headers and the
/// usage totals agree to the credit. (The billable path here is the control API's synthetic
/// spend, which goes through the same engine as the text surfaces.)
@Suite(.serialized) struct AccountingConcurrencyTests {
    struct Spent: Decodable { var request_id: String; var credits: Int }
    struct Totals: Decodable { var requests: Int; var credits: Int }
    struct UsagePage: Decodable { var totals: Totals; var data: [Row] }
    struct Row: Decodable { var request_id: String; var credits: Int }

    static func micros(_ usd: String?) -> Int {
        let parts = (usd ?? "").split(separator: ".")
        return (Int(parts.first ?? "") ?? 0) * 1_000_000 + (Int(parts.count > 1 ? parts[1] : "") ?? 0)
    }

    @Test func hammeringOneKey_losesAndDoublesNothing() throws {
        let mock = try MockProcess(["--loops", "2"])
        defer { _ = mock.stop() }
        let auth = ["Authorization": "Bearer sk-byts-org-test-key-0001"]
        let before = try mock.request("/v1/models", auth)
        let threads = 8, perThread = 60, port = mock.port
        let billed = Mutex<[Spent]>([])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            do {
                let c = try TestClient(port: port)
                for i in 0..<perThread {
                    let body = #"{"key":"key_org","model":"claude-sonnet-4-6","input_tokens":\#(100 + i),"output_tokens":\#(7 * t + 1)}"#
                    try c.send("POST /__mock/spend HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
                    let r = try c.readResponse()
                    guard r.status == 200 else { failures.withLock { $0.append("\(r.status) \(r.text)") }; continue }
                    let s = try JSONDecoder().decode(Spent.self, from: Data(r.body))
                    billed.withLock { $0.append(s) }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0.prefix(3) })")
        let rows = billed.withLock { $0 }
        #expect(rows.count == threads * perThread)
        #expect(Set(rows.map(\.request_id)).count == rows.count)
        let sum = rows.reduce(0) { $0 + $1.credits }

        let after = try mock.request("/v1/models", auth)
        #expect(Self.micros(before.header("x-quota-remaining-credits")) - Self.micros(after.header("x-quota-remaining-credits")) == sum)
        #expect(Self.micros(before.header("x-org-quota-remaining-credits")) - Self.micros(after.header("x-org-quota-remaining-credits")) == sum)
        #expect(Self.micros(before.header("x-ratelimit-remaining")) - Self.micros(after.header("x-ratelimit-remaining")) == sum)

        let usage = try JSONDecoder().decode(UsagePage.self, from: Data(try mock.request("/v1/usage?page_size=1000", auth).body))
        #expect(usage.totals.requests == rows.count)
        #expect(usage.totals.credits == sum)
        #expect(Set(usage.data.map(\.request_id)) == Set(rows.map(\.request_id)))
        #expect(usage.data.reduce(0) { $0 + $1.credits } == sum)
    }
}
