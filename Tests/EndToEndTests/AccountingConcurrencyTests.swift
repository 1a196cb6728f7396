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

/// The same invariant through the real text surfaces: concurrent non-streaming and streaming
/// calls on all four protocols each bill exactly once, with the tokens the response reported,
/// and the ledger, the headers and the usage totals agree to the credit.
@Suite(.serialized) struct TextSurfaceBillingConcurrencyTests {
    struct Row: Decodable { var request_id: String; var credits: Int; var prompt_tokens: Int; var completion_tokens: Int }
    struct Totals: Decodable { var requests: Int; var credits: Int }
    struct UsagePage: Decodable { var totals: Totals; var data: [Row] }

    static let key = "sk-byts-org-test-key-0001"

    /// (request, the usage the response reports: prompt, completion) for call `i` of thread `t`.
    static func request(_ t: Int, _ i: Int) -> String {
        let prompt = "thread \(t) call \(i) says hello"
        let stream = i % 2 == 1
        let (path, auth, body): (String, String, String)
        switch (t + i) % 4 {
        case 0:
            (path, auth, body) = ("/v1/messages", "x-api-key: \(key)\r\nanthropic-version: 2023-06-01",
                                  #"{"model":"claude-sonnet-4-6","max_tokens":200,"stream":\#(stream),"messages":[{"role":"user","content":"\#(prompt)"}]}"#)
        case 1:
            (path, auth, body) = ("/v1/chat/completions", "Authorization: Bearer \(key)",
                                  #"{"model":"gpt-5-4","stream":\#(stream),"messages":[{"role":"user","content":"\#(prompt)"}]}"#)
        case 2:
            (path, auth, body) = ("/v1/responses", "Authorization: Bearer \(key)",
                                  #"{"model":"gpt-5-4","stream":\#(stream),"input":"\#(prompt)"}"#)
        default:
            (path, auth, body) = ("/v1beta/models/gemini-3-1-pro:\(stream ? "streamGenerateContent?alt=sse" : "generateContent")",
                                  "x-goog-api-key: \(key)", #"{"contents":[{"parts":[{"text":"\#(prompt)"}]}]}"#)
        }
        return "POST \(path) HTTP/1.1\r\nHost: x\r\n\(auth)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    @Test func concurrentTextCalls_billOnceEachAndAgreeToTheCredit() throws {
        let mock = try MockProcess(["--loops", "2"])
        defer { _ = mock.stop() }
        let auth = ["Authorization": "Bearer \(Self.key)"]
        let before = try mock.request("/v1/models", auth)
        let threads = 8, perThread = 24, port = mock.port
        let ids = Mutex<[String]>([])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            do {
                let c = try TestClient(port: port)
                for i in 0..<perThread {
                    try c.send(Self.request(t, i))
                    let r = try c.readResponse()
                    guard r.status == 200, let id = r.header("x-request-id") else {
                        failures.withLock { $0.append("\(r.status) \(r.text.prefix(200))") }
                        continue
                    }
                    ids.withLock { $0.append(id) }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0.prefix(3) })")
        let got = ids.withLock { $0 }
        #expect(got.count == threads * perThread)
        let after = try mock.request("/v1/models", auth)
        let usage = try JSONDecoder().decode(UsagePage.self, from: Data(try mock.request("/v1/usage?page_size=1000", auth).body))
        #expect(usage.totals.requests == got.count)
        #expect(Set(usage.data.map(\.request_id)) == Set(got))
        #expect(usage.data.allSatisfy { $0.prompt_tokens > 0 && $0.completion_tokens > 0 && $0.credits > 0 })
        let sum = usage.data.reduce(0) { $0 + $1.credits }
        #expect(usage.totals.credits == sum)
        let drop = AccountingConcurrencyTests.micros(before.header("x-quota-remaining-credits"))
            - AccountingConcurrencyTests.micros(after.header("x-quota-remaining-credits"))
        #expect(drop == sum)
        let balance = try mock.request("/v1/balance", auth)
        #expect(balance.text.contains(#""in_flight":0"#), "\(balance.text)")
    }
}
