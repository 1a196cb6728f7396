// fuzz-modules: HTTPCore CSystem HTTPServer Media BytespikeMock
// fuzz-max-len: 2048
// The fault grammar (`X-Mock-Fault`, `--fault`, `POST /__mock/faults`): any text (or JSON, when
// the input starts with `{` or `"`) parses or fails with a message. A parsed rule's canonical
// text parses back to the same text, and the engine deciding a few requests with the rules
// (schedules, probabilities, latency draws) neither traps nor produces a negative delay.
@testable import BytespikeMock
@testable import HTTPCore

let contextPaths = ["/v1/messages", "/v1/chat/completions", "/v1/responses", "/v1beta/models/gemini-2-5-flash:generateContent",
                    "/v1/models", "/v1/images/generations", "/v1/tasks/submit"]
let contextSurfaces = ["messages", "chat", "responses", "gemini", "models", "images", "tasks", "keys", "account", "files"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFaultGrammar(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let now = 1_795_000_000
    var rules: [FaultRule] = []
    do throws(FaultSpecError) {
        if let first = bytes.first, first == 0x7B || first == 0x22 {
            guard let value = try? JSONParser.parse(bytes) else { return 0 }
            rules = [try FaultRule.parse(value, origin: "runtime", now: now)]
        } else {
            rules = try FaultRule.parseList(String(decoding: bytes, as: UTF8.self), origin: "header", now: now)
        }
    } catch {
        guard !error.message.isEmpty else { fuzzFailure("a rejected spec with an empty message") }
        return 0
    }
    for rule in rules {
        let text = rule.text
        let again: FaultRule
        do throws(FaultSpecError) { again = try FaultRule.parse(text, origin: "header", now: now) } catch {
            fuzzFailure("canonical text \(text.debugDescription) does not parse back: \(error.message.debugDescription)")
        }
        guard again.text == text else { fuzzFailure("canonical text \(text.debugDescription) parses back as \(again.text.debugDescription)") }
    }
    // Decide a few requests: the counters, schedules and latency draws run for real.
    let engine = FaultEngine(rules: rules, seed: fuzzHash(bytes))
    let h = fuzzHash(bytes)
    for n in 0..<4 {
        let pick = Int((h >> UInt64(8 * n)) & 0xFF)
        let ctx = FaultContext(session: n % 2 == 0 ? "" : "s1", surface: contextSurfaces[pick % contextSurfaces.count],
                               method: pick & 1 == 0 ? "POST" : "GET", path: contextPaths[pick % contextPaths.count],
                               model: pick & 2 == 0 ? "gpt-5-4-mini" : nil, keyID: "key-1", secret: nil,
                               stream: pick & 4 == 0, attempt: 1 + n / 2, seq: n + 1, now: now + n)
        let decision = engine.decide(ctx, header: rules)
        guard decision.delayMillis >= 0 else { fuzzFailure("negative delay \(decision.delayMillis) ms") }
        for a in decision.applied where (a.latencyMillis ?? 0) < 0 { fuzzFailure("negative latency in \(a.action)") }
    }
    _ = engine.acceptFault(now: now)
    return 0
}
