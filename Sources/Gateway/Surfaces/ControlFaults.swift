import HTTPCore

/// `/__mock/faults`: fault rules at run time. With `X-Mock-Session: NAME`, rules added are
/// scoped to that session, and listing, counters and clearing see only that session.
///
/// - `GET /__mock/faults`: every rule in the order tried, with `matched` and `applied` counters.
/// - `POST /__mock/faults`: add rules. The body is a spec in the grammar (`429 first=1`, as
///   plain text or a JSON string; `;` separates several), a rule object (`{"fault": 429,
///   "first": 1}`), or `{"faults": [...]}` (a faults file, e.g. an exported plan). A rule with
///   an existing id replaces it.
/// - `DELETE /__mock/faults`: remove the runtime rules. `GET|DELETE /__mock/faults/{id}`: one rule.
extension Gateway {
    func serveControlFaults(_ endpoint: Endpoint, _ ex: Exchange) -> Result<[UInt8], GatewayError> {
        let request = ex.request
        let session = ex.session.isEmpty ? nil : ex.session
        switch (endpoint, request.method) {
        case (.controlFaults, .post):
            return parseFaultBody(request.body).flatMap { rules in
                var scoped = rules
                for i in scoped.indices {
                    if let s = scoped[i].session, let session, s != session {
                        return .failure(.badRequest("faults[\(i)]: session=\(s) differs from the X-Mock-Session header (\(session))",
                                                    code: "invalid_fault", param: "session"))
                    }
                    if scoped[i].session == nil { scoped[i].session = session }
                }
                return .success(encodeFaults(faults.add(scoped).map { FaultEngine.Listed(rule: $0, matched: 0, applied: 0) }))
            }
        case (.controlFaults, .delete):
            faults.clearRuntime(session: session)
            return .success(encodeFaults(faults.list(session: session)))
        case (.controlFaults, _):
            return .success(encodeFaults(faults.list(session: session)))
        case (.controlFault(let id), .delete):
            guard faults.remove(id, session: session) else { return .failure(.notFound("no fault rule '\(id)'", code: "fault_not_found")) }
            return .success(Array(#"{"deleted":true}"#.utf8))
        case (.controlFault(let id), _):
            guard let listed = faults.list(session: session).first(where: { $0.rule.id == id }) else {
                return .failure(.notFound("no fault rule '\(id)'", code: "fault_not_found"))
            }
            var w = JSONWriter()
            write(listed, to: &w)
            return .success(w.bytes)
        default:
            return .failure(.notFound("no route for \(request.method.rawValue) \(ex.path)"))
        }
    }

    /// The rules of a `POST /__mock/faults` body, or a 400 naming the mistake.
    private func parseFaultBody(_ body: [UInt8]) -> Result<[FaultRule], GatewayError> {
        func invalid(_ message: String) -> Result<[FaultRule], GatewayError> {
            .failure(.badRequest(message, code: "invalid_fault"))
        }
        let firstByte = body.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        guard let firstByte else { return invalid("the body is empty; send a fault spec such as '429 first=1' or a JSON rule") }
        let now = clock.now
        if firstByte != 0x7B, firstByte != 0x5B, firstByte != 0x22 {
            do throws(FaultSpecError) {
                return .success(try FaultRule.parseList(String(decoding: body, as: UTF8.self), origin: "runtime", now: now))
            } catch {
                return invalid(error.message)
            }
        }
        let value: JSONValue
        do { value = try JSONParser.parse(body) } catch { return invalid("request body is not valid JSON: \(error)") }
        // A faults file (`{"faults": [...]}`, e.g. an exported plan) or a bare array of rules.
        var list: JSONValue?
        if case .object(let o) = value, let l = o["faults"] {
            for k in o.keys where !FaultsFile.fields.contains(k) {
                return invalid("\(k): unknown field; a faults file has only 'faults'")
            }
            list = l
        } else if case .array = value {
            list = value
        }
        if let list {
            do throws(FixtureError) {
                return .success(try FaultsFile.rules(list, origin: "runtime", now: now, file: "request body"))
            } catch {
                return invalid("\(error.field): \(error.problem)")
            }
        }
        do throws(FaultSpecError) {
            return .success([try FaultRule.parse(value, origin: "runtime", now: now)])
        } catch {
            return invalid(error.message)
        }
    }

    private func encodeFaults(_ list: [FaultEngine.Listed]) -> [UInt8] {
        var w = JSONWriter(capacity: 1024)
        w.objectStart()
        w.key("faults"); w.arrayStart()
        for l in list { write(l, to: &w) }
        w.arrayEnd()
        w.objectEnd()
        return w.bytes
    }

    private func write(_ l: FaultEngine.Listed, to w: inout JSONWriter) {
        w.objectStart()
        w.key("id"); w.string(l.rule.id)
        w.key("spec"); w.string(l.rule.text)
        w.key("origin"); w.string(l.rule.origin)
        w.key("stage"); w.string(l.rule.stage.rawValue)
        w.key("session"); w.optionalString(l.rule.session)
        w.key("matched"); w.int(l.matched)
        w.key("applied"); w.int(l.applied)
        w.objectEnd()
    }
}
