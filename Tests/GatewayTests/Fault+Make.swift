@testable import BytespikeMock
import HTTPCore
import Testing

/// Small builders shared by the fault-rule, fault-engine and journal unit tests.
enum FaultMake {
    /// One rule in the text grammar; a parse failure fails the calling test.
    static func rule(_ spec: String, id: String? = nil, origin: String = "cli", now: Int = 0) throws -> FaultRule {
        var r = try FaultRule.parse(spec, origin: origin, now: now)
        if let id { r.id = id }
        return r
    }

    /// The message of the `FaultSpecError` that `spec` is rejected with, or nil when it parses.
    static func rejection(_ spec: String, now: Int = 0) -> String? {
        do throws(FaultSpecError) {
            _ = try FaultRule.parse(spec, origin: "cli", now: now)
            return nil
        } catch {
            return error.message
        }
    }

    /// A JSON text parsed to a value (for the object form of a rule).
    static func json(_ text: String) throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    /// A rule from JSON text.
    static func rule(json text: String, origin: String = "fixture", now: Int = 0) throws -> FaultRule {
        try FaultRule.parse(try json(text), origin: origin, now: now)
    }

    /// The message a JSON rule is rejected with, or nil when it parses.
    static func rejection(json value: JSONValue, now: Int = 0) -> String? {
        do throws(FaultSpecError) {
            _ = try FaultRule.parse(value, origin: "fixture", now: now)
            return nil
        } catch {
            return error.message
        }
    }

    /// A chat request as the engine sees it; every field can be overridden.
    static func context(session: String = "", surface: String = "chat", method: String = "POST",
                        path: String = "/v1/chat/completions", model: String? = "gpt-5-4-nano",
                        keyID: String? = "key_default", secret: String? = "sk-byts-default-test-key-0001",
                        stream: Bool = false, attempt: Int = 1, seq: Int = 1, now: Int = 0) -> FaultContext {
        FaultContext(session: session, surface: surface, method: method, path: path, model: model, keyID: keyID,
                     secret: secret, stream: stream, attempt: attempt, seq: seq, now: now)
    }

    /// The request numbers (1…`count`) on which rule `id` acted, deciding `ctx` each time.
    static func indices(_ engine: FaultEngine, rule id: String, count: Int, context ctx: FaultContext = context(),
                        header: [FaultRule] = []) -> [Int] {
        (1...count).filter { _ in engine.decide(ctx, header: header).applied.contains { $0.ruleID == id } }
    }

    /// A journal entry with sensible defaults.
    static func entry(_ id: String, session: String = "", surface: String = "chat", path: String = "/v1/chat/completions",
                      model: String? = "gpt-5-4-nano", keyID: String? = "key_default", stream: Bool = false,
                      status: Int = 200, faults: [AppliedFault] = [], seq: Int = 1) -> JournalEntry {
        JournalEntry(id: id, seq: seq, session: session, time: 0, method: "POST", path: path, surface: surface,
                     keyID: keyID, model: model, stream: stream, status: status, attempt: 1, faults: faults,
                     events: 0, bytes: 0, durationMillis: 1)
    }

    /// An applied fault naming `rule`, for journal entries.
    static func applied(_ rule: String) -> AppliedFault {
        AppliedFault(ruleID: rule, origin: "runtime", stage: .response, action: "500", reason: "n=1: always", n: 1)
    }
}
