import HTTPCore
import HTTPServer

/// The mock's own API under `/__mock/`: health, reset, the virtual clock, wallet top-ups,
/// synthetic spend, keys, and (in their own files) replies, faults and the journal. Never
/// billed, no accounting envelope, not journaled. With `--admin-token`, every call but health
/// and the inspector page needs the token.
extension Gateway {
    func serveControl(_ endpoint: Endpoint, _ ex: Exchange, _ responder: Responder) {
        // The page holds no data (its calls carry the token), so it is served without one.
        if let token = adminToken, endpoint != .controlHealth, endpoint != .controlUI {
            let request = ex.request
            guard request.header("authorization") == "Bearer \(token)" || request.header("x-mock-admin-token") == token else {
                return fail(.unauthorized("the control API needs the admin token: send Authorization: Bearer TOKEN or X-Mock-Admin-Token: TOKEN",
                                          code: "invalid_admin_token"), ex, responder)
            }
        }
        if endpoint == .controlJournalWait { return serveJournalWait(ex, responder) }
        if endpoint == .controlVerify { return serveVerify(ex, responder) }
        if endpoint == .controlUI {
            return send(.ok, InspectorPage.bytes, ex, responder, extra: ["Cache-Control": "no-store"], contentType: "text/html; charset=utf-8")
        }
        if endpoint == .controlOpenAPI { return send(.ok, OpenAPIDocument.bytes, ex, responder) }
        if endpoint == .controlMetrics {
            return send(.ok, Array(metricsSnapshot().render().utf8), ex, responder, contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        let result: Result<[UInt8], GatewayError>
        switch endpoint {
        case .controlHealth:
            var w = JSONWriter()
            w.objectStart()
            w.key("status"); w.string("ok")
            w.key("models"); w.int(ex.view.catalog.models.count)
            w.key("keys"); w.int(ex.view.fixtures.keys.count)
            w.key("now"); w.int(clock.now)
            w.key("faults"); w.int(faults.list(session: nil).count)
            w.key("journal"); w.int(journal.counts.total)
            w.key("tasks"); w.int(tasks.count)
            w.key("files"); w.int(files.count)
            w.objectEnd()
            result = .success(w.bytes)
        case .controlReset:
            if !ex.session.isEmpty {
                // One session: its runtime rules, counters and journal entries only.
                faults.reset(session: ex.session)
                replies.reset(session: ex.session)
                journal.clear(session: ex.session)
                tasks.reset(session: ex.session)
                files.reset(session: ex.session)
                promptCache.reset(session: ex.session)
                result = .success(Array(#"{"status":"reset","session":"#.utf8) + JSONValue.string(ex.session).encoded + [0x7D])
            } else {
                accounting.reset()
                clock.reset()
                replies.reset(session: nil)
                responseStore.reset()
                promptCache.reset()
                faults.reset(session: nil)
                journal.clear(session: nil)
                tasks.reset(session: nil)  // also wakes the task streams, which end
                files.reset(session: nil)
                result = .success(Array(#"{"status":"reset"}"#.utf8))
            }
        case .controlClock:
            result = ex.request.method == .post ? EndpointSupport.jsonObject(ex.request.body).flatMap(changeClock) : .success(clockState())
        case .controlTopUp(let account):
            result = EndpointSupport.jsonObject(ex.request.body).flatMap { topUp(account, $0) }
        case .controlSpend:
            result = EndpointSupport.jsonObject(ex.request.body).flatMap { spend($0, requestID: ex.requestID, ex.view.catalog) }
        case .controlKey(let id):
            result = ex.request.method == .get || ex.request.method == .head
                ? (accounting.caller(keyID: id).map { .success(encodeKey($0.key, secret: true, ex.view.catalog)) } ?? .failure(.notFound("no key '\(id)'", code: "key_not_found")))
                : EndpointSupport.jsonObject(ex.request.body).flatMap { changeKey(id, $0, ex.view.catalog) }
        case .controlReplies, .controlReply, .controlPacing:
            result = serveControlReplies(endpoint, ex.request, session: ex.session.isEmpty ? nil : ex.session)
        case .controlFaults, .controlFault:
            result = serveControlFaults(endpoint, ex)
        case .controlJournal, .controlJournalEntry, .controlJournalPlan:
            result = serveControlJournal(endpoint, ex)
        case .controlKeys:
            result = .success(controlKeyList())
        case .controlTasks:
            result = .success(controlTaskList(session: ex.session.isEmpty ? nil : ex.session))
        default:
            result = .failure(.notFound("no route for \(ex.request.method.rawValue) \(ex.path)"))
        }
        switch result {
        case .success(let body): send(.ok, body, ex, responder)
        case .failure(let e): fail(e, ex, responder)
        }
    }

    /// Key state changes without an admin key: every management field plus `revoked` (bool) and
    /// `expires_at` (RFC 3339, Unix seconds or null).
    private func changeKey(_ id: String, _ body: JSONObject, _ catalog: Catalog) -> Result<[UInt8], GatewayError> {
        guard var key = accounting.caller(keyID: id)?.key else { return .failure(.notFound("no key '\(id)'", code: "key_not_found")) }
        var rest = JSONObject()
        for (k, v) in zip(body.keys, body.values) {
            switch k {
            case "revoked":
                guard case .bool(let b) = v else { return .failure(.badRequest("'revoked' must be true or false", param: k)) }
                key.revoked = b
            case "expires_at":
                switch v {
                case .null: key.expiresAt = nil
                case .int(let t) where GatewayClock.range.contains(t): key.expiresAt = t
                case .string(let s) where Timestamp.parse(s).map(GatewayClock.range.contains) == true: key.expiresAt = Timestamp.parse(s)
                default:
                    return .failure(.badRequest("'expires_at' must be null, Unix seconds from 0 to \(GatewayClock.range.upperBound) or an RFC 3339 time from 1970 to 9999",
                                                param: k))
                }
            default: rest.append(k, v)
            }
        }
        if case .failure(let e) = apply(rest, to: &key, now: clock.now, creating: false, catalog: catalog) { return .failure(e) }
        let updated = key
        return .success(encodeKey(accounting.updateKey(id) { $0 = updated } ?? updated, secret: true, catalog))
    }

    private func clockState() -> [UInt8] {
        var w = JSONWriter()
        w.objectStart()
        w.key("now"); w.int(clock.now)
        w.key("now_iso"); w.time(clock.now)
        w.key("now_ms"); w.int(clock.nowMillis)
        w.key("frozen"); w.bool(clock.isFrozen)
        w.key("time_scale"); w.raw(Array(JSONWriter.format(tasks.options.timeScale).utf8))
        w.objectEnd()
        return w.bytes
    }

    /// `{"action": "freeze" | "advance" | "set" | "resume" | "reset", "seconds": N, "ms": N, "time": T}`.
    /// Times are Unix seconds or RFC 3339 within ``GatewayClock/range``; an advance may not move
    /// the clock past its end.
    private func changeClock(_ body: JSONObject) -> Result<[UInt8], GatewayError> {
        guard case .string(let action)? = body["action"] else {
            return .failure(.badRequest("'action' must be freeze, advance, set, resume or reset", param: "action"))
        }
        let range = GatewayClock.range
        /// The `time` member: nil when absent, else a time within range or a 400.
        func time() -> Result<Int?, GatewayError> {
            let t: Int?
            switch body["time"] {
            case nil, .null?: return .success(nil)
            case .int(let n)?: t = n
            case .string(let s)?: t = Timestamp.parse(s)
            default: t = nil
            }
            guard let t, range.contains(t) else {
                return .failure(.badRequest("'time' must be Unix seconds from 0 to \(range.upperBound) or an RFC 3339 time from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z",
                                            param: "time"))
            }
            return .success(t)
        }
        switch action {
        case "freeze":
            switch time() {
            case .success(let t): clock.freeze(at: t)
            case .failure(let e): return .failure(e)
            }
        case "resume": clock.resume()
        case "reset": clock.reset()
        case "advance":
            // `ms` (a whole number) or `seconds` (may be fractional).
            let millis: Int
            let field: String
            if let v = body["ms"] {
                field = "ms"
                guard case .int(let ms) = v, ms >= 0, ms <= GatewayClock.millisRange.upperBound else {
                    return .failure(.badRequest("'ms' must be a whole number of milliseconds from 0 to \(GatewayClock.millisRange.upperBound)", param: "ms"))
                }
                millis = ms
            } else if let v = body["seconds"] {
                field = "seconds"
                guard let s = v.number, s >= 0, s <= Double(range.upperBound) else {
                    return .failure(.badRequest("'seconds' must be a number of seconds from 0 to \(range.upperBound)", param: "seconds"))
                }
                millis = Int((s * 1000).rounded())
            } else {
                return .failure(.badRequest("'seconds' (a non-negative number) or 'ms' (a non-negative integer) is required", param: "seconds"))
            }
            guard clock.canAdvance(millis: millis) else {
                return .failure(.badRequest("'\(field)': advancing the clock from \(Timestamp.format(clock.now)) by \(millis) ms would pass 9999-12-31T23:59:59Z, the latest time it can show",
                                            param: field))
            }
            clock.advance(millis: millis)
        case "set":
            switch time() {
            case .success(let t?): clock.freeze(at: t)
            case .success(nil): return .failure(.badRequest("'time' must be Unix seconds or RFC 3339", param: "time"))
            case .failure(let e): return .failure(e)
            }
        default:
            return .failure(.badRequest("unknown action '\(action)'", param: "action"))
        }
        tasks.clockChanged()
        return .success(clockState())
    }

    /// `{"amount_usd": 100, "method": "card_visa_4242"}`: credits the wallet with the bonus ladder.
    private func topUp(_ accountID: String, _ body: JSONObject) -> Result<[UInt8], GatewayError> {
        guard let usd = body["amount_usd"]?.number, let amount = Credits(usd: usd) else {
            return .failure(.badRequest("'amount_usd' must be a USD amount", param: "amount_usd"))
        }
        var method = "card_visa_4242"
        if case .string(let m)? = body["method"] { method = m }
        let now = clock.now
        return accounting.topUp(accountID: accountID, amount: amount, now: now,
                                source: [("provider", "mock"), ("receipt_id", "mock_\(now)"), ("method", method)]).map { rows in
            var w = JSONWriter()
            w.objectStart()
            w.key("transactions"); w.arrayStart()
            for t in rows {
                w.objectStart()
                w.key("id"); w.int(t.id)
                w.key("kind"); w.string(t.kind.rawValue)
                w.key("amount_usd"); w.usd(t.amount)
                w.key("balance_after_usd"); w.usd(t.balanceAfter)
                w.objectEnd()
            }
            w.arrayEnd()
            w.key("balance_usd"); w.usd(accounting.account(accountID)?.account.balance ?? .zero)
            w.objectEnd()
            return w.bytes
        }
    }
}
