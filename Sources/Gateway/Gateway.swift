import HTTPCore
import HTTPServer
import Synchronization

/// The gateway: one pipeline every request walks (surface → route → authenticate → endpoint →
/// encode with the accounting envelope and request id). Surfaces only decode and encode.
///
/// Concurrency: Sendable; immutable except the shared stores, which lock internally, and the
/// fixture view (fixtures, catalog, model lists), one reference behind a Mutex that a fixture
/// reload (`--watch`, ``reload(_:)``) swaps whole. A request takes that reference once, on
/// arrival (``Exchange/view``), and reads only it: one lock per request, and no request sees
/// two catalogs when a reload lands while it runs.
public final class Gateway: HTTPHandler {
    let view: Mutex<FixtureView>
    public let accounting: Accounting
    public let clock: GatewayClock
    let ids: RequestIDs
    let secrets: SecretGenerator
    let router = Router()
    let replies: ReplyEngine
    let responseStore = ResponseStore()
    let promptCache = PromptCache()
    let seed: UInt64
    let faults: FaultEngine
    let journal: Journal
    let adminToken: String?
    let files: FileStore
    let tasks: TaskEngine
    /// Events an unpaced text stream sends at once (`--stream-batch`).
    let streamBatch: Int
    /// The longest a text stream runs (`--max-stream-seconds`).
    let maxStreamSeconds: Int
    /// `--unknown-fields`: what unknown request fields get unless the request's header says otherwise.
    let unknownFields: UnknownFieldPolicy
    /// The bound port, once listening (URLs for requests without a `Host`).
    public let listeningPort = Atomic<Int>(0)
    /// Gateway requests that arrived (control calls aside): in flight = arrived − recorded.
    let arrivals = Atomic<Int>(0)
    /// Response streams open now (text and task streams).
    let openStreams = Atomic<Int>(0)
    /// Reads the server's open connections (set by ``MockServer``; nil without a server).
    let connectionGauge = Mutex<(@Sendable () -> Int)?>(nil)

    public init(fixtures: FixtureSet, seed: UInt64 = 0, clock: GatewayClock = GatewayClock(),
                options: GatewayOptions = GatewayOptions()) throws(FaultSpecError) {
        view = Mutex(FixtureView(fixtures))
        accounting = Accounting(keys: fixtures.keys, accounts: fixtures.accounts, transactions: fixtures.transactions,
                                ledgerSize: options.ledgerSize)
        self.clock = clock
        ids = RequestIDs(seed: seed)
        secrets = SecretGenerator(seed: seed)
        replies = ReplyEngine(rules: fixtures.replies, pacing: fixtures.pacing, seed: seed)
        self.seed = seed
        var rules = fixtures.faults
        for (i, spec) in options.faults.enumerated() {
            var r = try FaultRule.parse(spec, origin: "cli", now: clock.now)
            if r.id.isEmpty { r.id = "cli-\(i + 1)" }
            rules.insert(r, at: i)
        }
        faults = FaultEngine(rules: rules, seed: seed)
        let log = options.log == .off ? nil : RequestLog(format: options.log)
        log?.start()
        let journal = Journal(capacity: options.journalSize, byteLimit: options.journalBytes, bodyLimit: options.journalBodyBytes,
                              log: log)
        self.journal = journal
        adminToken = options.adminToken
        streamBatch = options.streamBatch
        maxStreamSeconds = min(max(options.maxStreamSeconds, 1), GatewayOptions.maxStreamSecondsRange.upperBound)
        unknownFields = options.unknownFields
        let files = FileStore(seed: seed)
        self.files = files
        let callbacks = CallbackSender(options: options.tasks, journal: journal, ids: ids, clock: clock)
        tasks = TaskEngine(options: options.tasks, clock: clock, files: files, accounting: accounting,
                           fileTTL: fixtures.media.fileTTLSeconds, seed: seed) { task, step in callbacks.deliver(task, step) }
    }

    /// What the pipeline knows about a request while answering it. A class: the pipeline hands it
    /// through several stages and closures, and one reference costs one retain where a struct
    /// would retain each of its fields. It belongs to the event loop answering the request.
    final class Exchange {
        let request: Request
        let path: String
        let requestID: String
        let surface: Surface
        /// The fixtures, catalog and model lists in force when the request arrived.
        let view: FixtureView
        var caller: Caller?
        /// Monotonic nanoseconds at arrival.
        let started: UInt64
        /// `X-Mock-Session`, or empty.
        let session: String
        /// The endpoint family faults and the journal name (`chat`, `models`, …).
        var family = "none"
        var seq = 0
        var attempt = 1
        var time = 0
        var model: String?
        var stream = false
        /// Faults applied so far (journal).
        var faults: [AppliedFault] = []
        /// A `malformed` fault on a complete response: the 2xx body is cut in half.
        var truncateBody = false
        /// The protocol that carried the request (journal).
        var transport: Transport = .http1

        /// An HTTP/2 fault met an HTTP/1.1 request: its journal reason says it was skipped.
        func noteHTTP2Skipped(_ rule: FaultRule) {
            if let i = faults.lastIndex(where: { $0.ruleID == rule.id }) { faults[i].reason += FaultRule.skipNote }
        }

        init(request: Request, path: String, requestID: String, surface: Surface, view: FixtureView, started: UInt64,
             session: String) {
            self.request = request
            self.path = path
            self.requestID = requestID
            self.surface = surface
            self.view = view
            self.started = started
            self.session = session
        }
    }

    public func handle(_ request: Request, responder: Responder) {
        let path = request.path
        let surface = Surface.detect(path: path, request: request)
        let ex = Exchange(request: request, path: path, requestID: ids.next(), surface: surface, view: view.withLock { $0 },
                          started: monotonicNanos(), session: request.header("x-mock-session") ?? "")
        ex.transport = responder.transport
        if surface != .control {
            arrivals.add(1, ordering: .relaxed)
            arrive(ex)
        }
        let endpoint: Endpoint
        switch router.match(request.method, path) {
        case .success(let e): endpoint = e
        case .failure(let error):
            identify(ex, responder)
            return fail(error, ex, responder)
        }
        if surface == .control {
            return serveControl(endpoint, ex, responder)
        }
        ex.family = endpoint.family
        if case .file(let name) = endpoint {  // pre-signed, like the gateway's CDN URLs: no key
            return withFaults(ex, model: nil, stream: false, responder) { [self] ex, _ in serveFile(name, ex, responder) }
        }
        let (caller, authError) = identify(ex, responder)
        if let authError { return fail(authError, ex, responder) }
        guard let caller else { return fail(.unauthorized("missing API key"), ex, responder) }
        switch endpoint {
        case .messages, .chatCompletions, .responses, .countTokens, .geminiAction:
            return serveTextEndpoint(endpoint, ex, responder, caller)
        case .imageGenerations, .imageEdits:
            return serveImages(endpoint, ex, responder, caller)
        case .taskSubmit, .taskQuery, .taskCancel, .taskStream, .videoSubmit, .videoTask:
            return serveTasks(endpoint, ex, responder, caller)
        default:
            withFaults(ex, model: endpoint.pathModel, stream: false, responder) { [self] ex, _ in
                serveUtility(endpoint, ex, responder, caller)
            }
        }
    }

    private func serveTextEndpoint(_ endpoint: Endpoint, _ ex: Exchange, _ responder: Responder, _ caller: Caller) {
        switch endpoint {
        case .messages: return serveText(.messages, ex, responder, caller)
        case .chatCompletions: return serveText(.chatCompletions, ex, responder, caller)
        case .responses: return serveText(.responses, ex, responder, caller)
        case .countTokens: return serveCountTokens(.messages, model: nil, ex, responder, caller)
        case .geminiAction(let model, let action):
            switch action {
            case "generateContent": return serveText(.gemini(model: model, stream: false), ex, responder, caller)
            case "streamGenerateContent": return serveText(.gemini(model: model, stream: true), ex, responder, caller)
            case "countTokens": return serveCountTokens(.gemini, model: model, ex, responder, caller)
            default:
                return fail(.notFound("method '\(action)' is not supported; use generateContent, streamGenerateContent or countTokens"), ex, responder)
            }
        default: break
        }
    }

    /// The endpoints that are not text generation: models, stored responses, accounting, keys.
    private func serveUtility(_ endpoint: Endpoint, _ ex: Exchange, _ responder: Responder, _ caller: Caller) {
        let request = ex.request
        let path = ex.path
        let catalog = ex.view.catalog
        if endpoint == .listModels {  // the hot path: a pre-encoded body
            switch ex.surface {
            case .gemini: return reply(geminiModelList(caller, Query(request.query), catalog), ex, responder)
            case .anthropic: return reply(anthropicModelList(caller, Query(request.query), catalog), ex, responder)
            default: return send(.ok, ex.view.modelLists.body(group: caller.key.group, query: request.query), ex, responder)
            }
        }
        let now = clock.now
        let query = Query(request.query)
        let result: Result<(Status, [UInt8]), GatewayError>
        switch endpoint {
        case .getModel(let name):
            switch ex.surface {
            case .gemini: result = geminiModel(name, caller: caller, catalog).map { (.ok, $0) }
            case .anthropic: result = modelObject(name, caller: caller, catalog).map { _ in (.ok, anthropicModel(name, catalog)) }
            default: result = modelObject(name, caller: caller, catalog).map { (.ok, $0) }
            }
        case .getResponse(let id): result = storedResponse(id, caller: caller).map { (.ok, $0) }
        case .deleteResponse(let id): result = deleteStoredResponse(id, caller: caller).map { (.ok, $0) }
        case .usageRows: result = usageRows(caller, query).map { (.ok, $0) }
        case .balance: result = .success((.ok, balance(caller, now: now)))
        case .meAccount: result = .success((.ok, meAccount(caller, catalog)))
        case .meUsage: result = meUsage(caller, query, now: now).map { (.ok, $0) }
        case .billingTransactions: result = billingTransactions(caller, query).map { (.ok, $0) }
        case .groupsAvailable, .listKeys, .createKey, .getKey, .updateKey, .revokeKey, .rotateKey, .revealKey:
            result = manageKeys(endpoint, caller, request, now: now, catalog)
        default:  // text and control endpoints are dispatched before this
            result = .failure(.notFound("no route for \(request.method.rawValue) \(path)"))
        }
        switch result {
        case .success(let (status, body)): send(status, body, ex, responder)
        case .failure(let e): fail(e, ex, responder)
        }
    }

    /// Resolves the caller from the credential (also for rejected keys, whose state the headers show).
    @discardableResult
    private func identify(_ ex: Exchange, _ responder: Responder) -> (Caller?, GatewayError?) {
        let request = ex.request
        let credential = CredentialSource.extract({ request.withHeaderValue($0, $1) }, queryKey: { Query(request.query).first("key") })
        let now = clock.now
        let (caller, error) = Authenticator.check(credential, surface: ex.surface, store: accounting, now: now,
                                                  peer: { responder.peerAddress })
        ex.caller = caller
        return (caller, error)
    }

    private func modelObject(_ name: String, caller: Caller, _ catalog: Catalog) -> Result<[UInt8], GatewayError> {
        if let r = catalog.retired[name] {
            let hint = r.replacement.map { "; use \($0)" } ?? ""
            return .failure(.notFound("model '\(name)' has been retired\(hint)", code: "model_not_found"))
        }
        guard let i = catalog.index(of: name), catalog.group(caller.key.group, reaches: catalog.models[i].id) else {
            return .failure(.notFound("model '\(name)' does not exist or is not available to this key's routing group",
                                      code: "model_not_found"))
        }
        return .success(catalog.encodedModels[i])
    }

    // MARK: encoding

    func reply(_ result: Result<[UInt8], GatewayError>, _ ex: Exchange, _ responder: Responder) {
        switch result {
        case .success(let body): send(.ok, body, ex, responder)
        case .failure(let e): fail(e, ex, responder)
        }
    }

    func send(_ status: Status, _ body: [UInt8], _ ex: Exchange, _ responder: Responder, extra: HeaderList = HeaderList(),
              contentType: String = "application/json") {
        let head = head(ex, contentType: contentType, extra: extra)
        var body = body
        if ex.truncateBody, (200..<300).contains(status.code) { body = Array(body.prefix(body.count / 2)) }
        responder.send(status: status, body: body) { head.write(to: &$0) }
        if ex.surface != .control {
            record(ex, status: status.code, bytes: body.count, response: CapturedResponse(head: head, body: .complete(body)))
        }
    }

    /// The header lines every gateway response carries, complete or streamed: content type,
    /// request id (also as `request-id` for Anthropic clients) and the accounting envelope.
    struct Head: Sendable {
        var contentType: String
        var requestID: String
        var surface: Surface
        var envelope: Envelope
        var extra: HeaderList

        func write(to out: inout [UInt8]) {
            out.appendHeader("Content-Type", contentType)
            out.appendHeader("X-Request-Id", requestID)
            if surface == .anthropic { out.appendHeader("request-id", requestID) }
            if surface != .control { envelope.write(to: &out) }
            appendHeaders(extra, to: &out)
        }
    }

    /// The head for `ex`, its envelope computed now: after the endpoint ran (it may have changed
    /// the caller's own key, or billed), so the headers show the state the client observes next.
    func head(_ ex: Exchange, contentType: String, extra: HeaderList = HeaderList()) -> Head {
        let envelope = ex.caller.map { accounting.envelope($0, now: clock.now) } ?? Envelope()
        return Head(contentType: contentType, requestID: ex.requestID, surface: ex.surface, envelope: envelope, extra: extra)
    }

    func fail(_ error: GatewayError, _ ex: Exchange, _ responder: Responder) {
        send(error.status, ex.surface.errorBody(error, requestID: ex.requestID), ex, responder, extra: error.headers)
    }

    /// Server-level rejections (bad framing, limits, timeouts) in the gateway's OpenAI-style envelope,
    /// with a request id and the (unauthenticated, all-zero) accounting envelope like every response.
    public func protocolErrorResponse(status: Status, message: String) -> Response {
        var r = defaultProtocolErrorResponse(status: status, message: message)
        r.headers.add("X-Request-Id", ids.next())
        r.headers.append(contentsOf: Envelope().headerList)
        return r
    }
}
