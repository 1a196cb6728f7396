import HTTPCore
import HTTPServer

/// `POST /__mock/verify`: asserts on what the clients sent (see ``Verification`` for the body).
/// 200 with the matched entries when it holds; 422 `verification_failed` when not, with a
/// message that says how many matched and the closest near misses field by field, plus the
/// same as values (`matched`, `near_misses`). With `X-Mock-Session` only that session's
/// requests count.
extension Gateway {
    func serveVerify(_ ex: Exchange, _ responder: Responder) {
        let verification: Verification
        switch EndpointSupport.jsonObject(ex.request.body, required: true).flatMap(Verification.parse) {
        case .success(let v): verification = v
        case .failure(let e): return fail(e, ex, responder)
        }
        let result = verify(verification, session: ex.session.isEmpty ? nil : ex.session)
        send(result.passed ? .ok : Status(code: 422), Self.encode(result), ex, responder)
    }

    func verify(_ v: Verification, session: String?) -> VerifyResult {
        Verifier.run(v, over: journal.all(session: session))
    }

    static func encode(_ r: VerifyResult) -> [UInt8] {
        var w = JSONWriter(capacity: 1024 + r.matched.count * 2000)
        w.objectStart()
        w.key("ok"); w.bool(r.passed)
        if !r.passed {
            w.key("error"); w.objectStart()
            w.key("message"); w.string(r.message)
            w.key("type"); w.string("invalid_request_error")
            w.key("param"); w.null()
            w.key("code"); w.string("verification_failed")
            w.objectEnd()
        }
        w.key("message"); w.string(r.message)
        w.key("matched"); w.int(r.matched.count)
        w.key("considered"); w.int(r.considered)
        w.key("entries"); w.arrayStart()
        for e in r.matched { e.write(to: &w, capture: true) }
        w.arrayEnd()
        w.key("near_misses"); w.arrayStart()
        for m in r.nearMisses {
            w.objectStart()
            w.key("differences"); w.arrayStart()
            for d in m.differences {
                w.objectStart()
                w.key("field"); w.string(d.field)
                w.key("expected"); w.string(d.expected)
                w.key("actual"); w.string(d.actual)
                w.objectEnd()
            }
            w.arrayEnd()
            w.key("entry"); m.entry.write(to: &w, capture: true)
            w.objectEnd()
        }
        w.arrayEnd()
        w.objectEnd()
        return w.bytes
    }
}
