import HTTPCore
import HTTPServer

/// The mock's own API under `/__mock/`: health, reset, the virtual clock, wallet top-ups,
/// synthetic spend, keys, and (in their own files) replies, faults and the journal. Never
/// billed, no accounting envelope, not journaled. With `--admin-token`, every call but health
/// needs the token.
extension Gateway {
    func serveControl(_ endpoint: Endpoint, _ ex: Exchange, _ responder: Responder) {
        if let token = adminToken, endpoint != .controlHealth {
            let request = ex.request
            guard request.header("authorization") == "Bearer \(token)" || request.header("x-mock-admin-token") == token else {
                return fail(.unauthorized("the control API needs the admin token: send Authorization: Bearer TOKEN or X-Mock-Admin-Token: TOKEN",
                                          code: "invalid_admin_token"), ex, responder)
            }
        }
        if endpoint == .controlJournalWait { return serveJournalWait(ex, responder) }
        let result: Result<[UInt8], GatewayError>
        switch endpoint {
        case .controlHealth:
            var w = JSONWriter()
            w.objectStart()
            w.key("status"); w.string("ok")
            w.key("models"); w.int(catalog.models.count)
            w.key("keys"); w.int(fixtures.keys.count)
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
                result = .success(Array(#"{"status":"reset","session":"#.utf8) + JSONValue.string(ex.session).encoded + [0x7D])
            } else {
                accounting.reset()
                clock.reset()
                replies.reset(session: nil)
                responseStore.reset()
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
            result = EndpointSupport.jsonObject(ex.request.body).flatMap { spend($0, requestID: ex.requestID) }
        case .controlKey(let id):
            result = ex.request.method == .get || ex.request.method == .head
                ? (accounting.caller(keyID: id).map { .success(encodeKey($0.key, secret: true)) } ?? .failure(.notFound("no key '\(id)'", code: "key_not_found")))
                : EndpointSupport.jsonObject(ex.request.body).flatMap { changeKey(id, $0) }
        case .controlReplies, .controlReply, .controlPacing:
            result = serveControlReplies(endpoint, ex.request, session: ex.session.isEmpty ? nil : ex.session)
        case .controlFaults, .controlFault:
            result = serveControlFaults(endpoint, ex)
        case .controlJournal, .controlJournalEntry, .controlJournalPlan:
            result = serveControlJournal(endpoint, ex)
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
    private func changeKey(_ id: String, _ body: JSONObject) -> Result<[UInt8], GatewayError> {
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
                case .int(let t): key.expiresAt = t
                case .string(let s) where Timestamp.parse(s) != nil: key.expiresAt = Timestamp.parse(s)
                default: return .failure(.badRequest("'expires_at' must be RFC 3339, Unix seconds or null", param: k))
                }
            default: rest.append(k, v)
            }
        }
        if case .failure(let e) = apply(rest, to: &key, now: clock.now, creating: false) { return .failure(e) }
        let updated = key
        return .success(encodeKey(accounting.updateKey(id) { $0 = updated } ?? updated, secret: true))
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

    /// `{"action": "freeze" | "advance" | "set" | "resume" | "reset", "seconds": N, "time": T}`.
    private func changeClock(_ body: JSONObject) -> Result<[UInt8], GatewayError> {
        guard case .string(let action)? = body["action"] else {
            return .failure(.badRequest("'action' must be freeze, advance, set, resume or reset", param: "action"))
        }
        func time() -> Int? {
            switch body["time"] {
            case .int(let t)?: t
            case .string(let s)?: Timestamp.parse(s)
            default: nil
            }
        }
        switch action {
        case "freeze": clock.freeze(at: time())
        case "resume": clock.resume()
        case "reset": clock.reset()
        case "advance":
            // `seconds` (may be fractional) or `ms`.
            if case .int(let ms)? = body["ms"], ms >= 0 {
                clock.advance(millis: ms)
            } else if let s = body["seconds"]?.number, s >= 0, s < 1e12 {
                clock.advance(millis: Int((s * 1000).rounded()))
            } else {
                return .failure(.badRequest("'seconds' (a non-negative number) or 'ms' (a non-negative integer) is required", param: "seconds"))
            }
        case "set":
            guard let t = time() else { return .failure(.badRequest("'time' must be Unix seconds or RFC 3339", param: "time")) }
            clock.freeze(at: t)
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

    /// Bills synthetic usage through the same engine as real traffic: `{"key": id or secret,
    /// "model": id, "input_tokens", "output_tokens", "thinking_tokens", "cache_read_tokens",
    /// "cache_write_tokens", "images", "video_seconds", "enforce": true}`. With `enforce` (the
    /// default) the key-state and admission checks run and their error is returned, as real
    /// traffic would see it (IP rules excepted: synthetic spend has no client address).
    private func spend(_ body: JSONObject, requestID: String) -> Result<[UInt8], GatewayError> {
        guard case .string(let keyRef)? = body["key"],
              let caller = accounting.caller(keyID: keyRef) ?? accounting.lookup(secret: keyRef) else {
            return .failure(.badRequest("'key' must name a key by id or secret", param: "key"))
        }
        guard case .string(let modelName)? = body["model"], let model = catalog.model(named: modelName) else {
            return .failure(.badRequest("'model' must be a catalog model", param: "model"))
        }
        var usage = Usage()
        for (field, path) in [("input_tokens", \Usage.inputTokens), ("output_tokens", \.outputTokens), ("thinking_tokens", \.thinkingTokens),
                              ("cache_read_tokens", \.cacheReadTokens), ("cache_write_tokens", \.cacheWriteTokens),
                              ("images", \.images), ("video_seconds", \.videoSeconds)] {
            guard let v = body[field] else { continue }
            guard case .int(let n) = v, n >= 0 else { return .failure(.badRequest("'\(field)' must be a non-negative integer", param: field)) }
            usage[keyPath: path] = n
        }
        var enforce = true
        if case .bool(let b)? = body["enforce"] { enforce = b }
        let now = clock.now
        let admission: Admission
        if enforce {
            if let e = Authenticator.keyState(caller, now: now) { return .failure(e) }
            switch accounting.admit(caller, model: model.id, catalog: catalog, now: now) {
            case .success(let a): admission = a
            case .failure(let e): return .failure(e)
            }
        } else {
            admission = accounting.unchecked(keyID: caller.key.id, accountID: caller.account.id, model: model.id)
        }
        let row = accounting.bill(admission, usage: usage, pricing: model.pricing, surface: "control", requestID: requestID, now: now)
        if enforce { accounting.release(admission) }
        var w = JSONWriter()
        w.objectStart()
        w.key("request_id"); w.string(row.requestID)
        w.key("api_key_id"); w.string(row.keyID)
        w.key("model"); w.string(row.model)
        w.key("credits"); w.int(row.credits.micros)
        w.key("cost_usd"); w.usd(row.credits)
        w.objectEnd()
        return .success(w.bytes)
    }
}
