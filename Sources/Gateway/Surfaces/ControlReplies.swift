import HTTPCore

/// `/__mock/replies` and `/__mock/pacing`: scripted replies and stream pacing at run time.
///
/// - `GET /__mock/replies`: every rule in the order tried (runtime first, then fixtures).
/// - `POST /__mock/replies`: add a rule (same JSON as a `replies.json` entry); an existing
///   runtime rule with the same id is replaced. Returns the rule.
/// - `DELETE /__mock/replies`: remove all runtime rules. `DELETE /__mock/replies/{id}`: one.
/// - `GET|POST|DELETE /__mock/pacing`: read, set (`{"first_token_ms","tokens_per_second"}`)
///   or clear the runtime default pacing.
extension Gateway {
    func serveControlReplies(_ endpoint: Endpoint, _ request: Request, session: String?) -> Result<[UInt8], GatewayError> {
        switch (endpoint, request.method) {
        case (.controlReplies, .post):
            return EndpointSupport.jsonObject(request.body).flatMap { body in
                do throws(FixtureError) {
                    var rule = try ReplyRule(FixtureReader(file: "request body", path: "", object: body), defaultID: "", origin: "runtime")
                    rule.session = session
                    let added = replies.addRule(rule)
                    var w = JSONWriter()
                    added.write(to: &w)
                    return .success(w.bytes)
                } catch {
                    return .failure(.badRequest("\(error.field): \(error.problem)", code: "invalid_reply_rule", param: error.field))
                }
            }
        case (.controlReplies, .delete):
            replies.clearRuntimeRules(session: session)
            return .success(rulesList(session))
        case (.controlReplies, _):
            return .success(rulesList(session))
        case (.controlReply(let id), .delete):
            guard replies.removeRule(id, session: session) else { return .failure(.notFound("no runtime reply rule '\(id)'", code: "rule_not_found")) }
            return .success(Array(#"{"deleted":true}"#.utf8))
        case (.controlReply(let id), _):
            guard let rule = replies.rules(session: session).first(where: { $0.id == id }) else {
                return .failure(.notFound("no reply rule '\(id)'", code: "rule_not_found"))
            }
            var w = JSONWriter()
            rule.write(to: &w)
            return .success(w.bytes)
        case (.controlPacing, .post):
            return EndpointSupport.jsonObject(request.body).flatMap { body in
                do throws(FixtureError) {
                    replies.setPacing(try Pacing(FixtureReader(file: "request body", path: "", object: body)))
                    return .success(pacingState())
                } catch {
                    return .failure(.badRequest("\(error.field): \(error.problem)", code: "invalid_pacing", param: error.field))
                }
            }
        case (.controlPacing, .delete):
            replies.setPacing(nil)
            return .success(pacingState())
        default:
            return .success(pacingState())
        }
    }

    private func rulesList(_ session: String?) -> [UInt8] {
        var w = JSONWriter(capacity: 2048)
        w.objectStart()
        w.key("replies"); w.arrayStart()
        for r in replies.rules(session: session) { r.write(to: &w) }
        w.arrayEnd()
        w.objectEnd()
        return w.bytes
    }

    private func pacingState() -> [UInt8] {
        var w = JSONWriter()
        replies.pacing.write(to: &w)
        return w.bytes
    }
}
