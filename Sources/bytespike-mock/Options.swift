import BytespikeMock
import HTTPCore
import HTTPServer

/// The command line, parsed by hand: a table of flags, each with its help text and how it sets
/// the options. Every flag also reads an environment variable derived from its name
/// (`Options+Environment.swift`). (swift-argument-parser was dropped: its reflection cost 3 ms of
/// start-up and it pulled FoundationEssentials into an otherwise Foundation-free binary.)
///
/// A value built once on the main thread at start-up; never shared.
struct Options {
    var mock = Options.defaults
    var portFile: String?
    var checkFixtures = false
    var help = false
    var version = false

    /// The library's defaults, with the request log on (a person runs the command).
    static var defaults: MockOptions {
        var o = MockOptions()
        o.gateway.log = .text
        return o
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Flag: Sendable {
        let name: String
        let value: String?  // placeholder for the value; nil for a switch
        let help: String
        /// How the flag's environment variable is read (one value unless the table says otherwise).
        var environment: EnvironmentUse = .value
        let apply: @Sendable (inout Options, String) throws(Failure) -> Void
    }

    static let flags: [Flag] = [
        Flag(name: "--host", value: "ADDR", help: "address to bind (default 127.0.0.1)") { o, v in o.mock.server.host = v },
        Flag(name: "--port", value: "N", help: "port to bind; 0 picks a free one (default 8787)") { o, v throws(Failure) in
            o.mock.server.port = try int(v, "--port", 0...65535) },
        Flag(name: "--port-file", value: "PATH", help: "write the bound port to PATH once listening") { o, v in o.portFile = v },
        Flag(name: "--fixtures", value: "DIR", help: "fixture files that extend or replace the built-in ones") { o, v in o.mock.fixturesDirectory = v },
        Flag(name: "--watch", value: nil, help: "reload the --fixtures DIR files when they change; a broken edit is logged and the running set kept") { o, _ in o.mock.watchFixtures = true },
        Flag(name: "--seed", value: "N", help: "seed for deterministic ids (default 0)") { o, v throws(Failure) in
            guard let s = UInt64(v) else { throw Failure(description: "--seed expects a non-negative integer, got '\(v)'") }
            o.mock.seed = s },
        Flag(name: "--loops", value: "N", help: "event-loop threads (default 1)") { o, v throws(Failure) in
            o.mock.server.loops = try int(v, "--loops", 1...256) },
        Flag(name: "--max-connections", value: "N", help: "open connections; more are answered 503 (default 10000)") { o, v throws(Failure) in
            o.mock.server.maxConnections = try int(v, "--max-connections", 1...10_000_000) },
        Flag(name: "--max-request-line", value: "BYTES", help: "request-line limit, 414 beyond (default 8192)") { o, v throws(Failure) in
            o.mock.server.parser.maxRequestLine = try int(v, "--max-request-line", 16...(1 << 30)) },
        Flag(name: "--max-header-bytes", value: "BYTES", help: "header-block limit, 431 beyond (default 65536)") { o, v throws(Failure) in
            o.mock.server.parser.maxHeaderBytes = try int(v, "--max-header-bytes", 16...(1 << 30)) },
        Flag(name: "--max-header-count", value: "N", help: "header-field limit, 431 beyond (default 100)") { o, v throws(Failure) in
            o.mock.server.parser.maxHeaderCount = try int(v, "--max-header-count", 1...100_000) },
        Flag(name: "--max-body-bytes", value: "BYTES", help: "request-body limit, 413 beyond (default 33554432)") { o, v throws(Failure) in
            o.mock.server.parser.maxBodyBytes = try int(v, "--max-body-bytes", 0...(1 << 40)) },
        Flag(name: "--header-timeout", value: "SECONDS", help: "time to receive a request head, 408 beyond (default 10)") { o, v throws(Failure) in
            o.mock.server.headerTimeout = try seconds(v, "--header-timeout") },
        Flag(name: "--body-timeout", value: "SECONDS", help: "time a request body may stall, 408 beyond (default 30)") { o, v throws(Failure) in
            o.mock.server.bodyTimeout = try seconds(v, "--body-timeout") },
        Flag(name: "--idle-timeout", value: "SECONDS", help: "idle keep-alive lifetime (default 60)") { o, v throws(Failure) in
            o.mock.server.idleTimeout = try seconds(v, "--idle-timeout") },
        Flag(name: "--write-timeout", value: "SECONDS", help: "time a client may read nothing before its response is cut (default 30)") { o, v throws(Failure) in
            o.mock.server.writeTimeout = try seconds(v, "--write-timeout") },
        Flag(name: "--output-budget", value: "BYTES", help: "response bytes slow readers may hold in total (queued output and unsent stream events); a stream blocked beyond it is cut (default 33554432)") { o, v throws(Failure) in
            o.mock.server.outputBudget = try int(v, "--output-budget", (1 << 20)...(1 << 40)) },
        Flag(name: "--shutdown-grace", value: "SECONDS", help: "how long shutdown waits for in-flight work (default 5)") { o, v throws(Failure) in
            o.mock.server.shutdownGrace = try seconds(v, "--shutdown-grace") },
        Flag(name: "--h2-max-concurrent-streams", value: "N", help: "HTTP/2 streams a client may have open at once; more are refused (default 100)") { o, v throws(Failure) in
            o.mock.server.http2.maxConcurrentStreams = try int(v, "--h2-max-concurrent-streams", HTTP2Limits.concurrentStreamsRange) },
        Flag(name: "--h2-max-header-list", value: "BYTES", help: "HTTP/2 request header list size (RFC 9113 counting), 431 beyond (default 65536)") { o, v throws(Failure) in
            o.mock.server.http2.maxHeaderListSize = try int(v, "--h2-max-header-list", HTTP2Limits.headerListRange) },
        Flag(name: "--h2-initial-window", value: "BYTES", help: "HTTP/2 receive window per stream and per connection for request bodies (default 1048576)") { o, v throws(Failure) in
            o.mock.server.http2.initialWindowSize = try int(v, "--h2-initial-window", HTTP2Limits.windowRange) },
        Flag(name: "--h2-reset-burst", value: "N", help: "HTTP/2 stream resets a client may cause in a burst before the connection is ended (default 1000)") { o, v throws(Failure) in
            o.mock.server.http2.resetBurst = try int(v, "--h2-reset-burst", HTTP2Limits.resetBurstRange) },
        Flag(name: "--h2-reset-rate", value: "N", help: "HTTP/2 stream resets per second the burst refills at (default 33)") { o, v throws(Failure) in
            o.mock.server.http2.resetRate = try int(v, "--h2-reset-rate", HTTP2Limits.resetRateRange) },
        Flag(name: "--fault", value: "SPEC", help: "a fault rule, e.g. '429 retry_after=1 first=2' (repeatable; see README)",
             environment: .list) { o, v throws(Failure) in
            if let problem = faultSpecProblem(v) { throw Failure(description: "--fault '\(v)': \(problem)") }
            o.mock.gateway.faults.append(v) },
        Flag(name: "--admin-token", value: "TOKEN", help: "require this bearer token on /__mock/ (health excepted)") { o, v throws(Failure) in
            guard !v.isEmpty else { throw Failure(description: "--admin-token needs a non-empty token") }
            o.mock.gateway.adminToken = v },
        Flag(name: "--journal-size", value: "N", help: "requests the journal keeps, oldest dropped (default 10000)") { o, v throws(Failure) in
            o.mock.gateway.journalSize = try int(v, "--journal-size", 1...10_000_000) },
        Flag(name: "--journal-bytes", value: "BYTES", help: "memory the journal's captures may hold, oldest dropped (default 67108864)") { o, v throws(Failure) in
            o.mock.gateway.journalBytes = try int(v, "--journal-bytes", 4096...(1 << 40)) },
        Flag(name: "--journal-body-bytes", value: "BYTES", help: "most bytes of one body a journal entry keeps (default 1048576)") { o, v throws(Failure) in
            o.mock.gateway.journalBodyBytes = try int(v, "--journal-body-bytes", 0...(1 << 32)) },
        Flag(name: "--log", value: "FORMAT", help: "request log on stderr: text, json or off (default text)") { o, v throws(Failure) in
            guard let f = LogFormat(rawValue: v) else { throw Failure(description: "--log expects text, json or off, got '\(v)'") }
            o.mock.gateway.log = f },
        Flag(name: "--ledger-size", value: "N", help: "billed requests the usage rows list, oldest dropped; totals keep them (default 1000000)") { o, v throws(Failure) in
            o.mock.gateway.ledgerSize = try int(v, "--ledger-size", 1...100_000_000) },
        Flag(name: "--stream-batch", value: "N", help: "events of an unpaced text stream in its first send, later sends 4 x N (default 16; 1 = a send per event)") { o, v throws(Failure) in
            o.mock.gateway.streamBatch = try int(v, "--stream-batch", 1...1024) },
        Flag(name: "--max-stream-seconds", value: "SECONDS", help: "a text stream still running after this is ended with an in-band error (default 600)") { o, v throws(Failure) in
            o.mock.gateway.maxStreamSeconds = try int(v, "--max-stream-seconds", GatewayOptions.maxStreamSecondsRange) },
        Flag(name: "--unknown-fields", value: "POLICY", help: "a text or image-generation request field the provider does not define: reject (the provider's 400, default) or ignore; the X-Mock-Unknown-Fields header overrides it per request") { o, v throws(Failure) in
            guard let p = UnknownFieldPolicy(rawValue: v) else { throw Failure(description: "--unknown-fields expects reject or ignore, got '\(v)'") }
            o.mock.gateway.unknownFields = p },
        Flag(name: "--time-scale", value: "X", help: "task timelines run X times faster than the clock (default 1)") { o, v throws(Failure) in
            guard let x = Double(v), x >= 0.001, x <= 1_000_000 else {
                throw Failure(description: "--time-scale expects a number from 0.001 to 1000000, got '\(v)'")
            }
            o.mock.gateway.tasks.timeScale = x },
        Flag(name: "--task-heartbeat", value: "SECONDS", help: "keep-alive comment on idle task streams (default 15)") { o, v throws(Failure) in
            o.mock.gateway.tasks.heartbeatMillis = try millis(v, "--task-heartbeat") },
        Flag(name: "--callback-secret", value: "SECRET", help: "HMAC-SHA256 key for task callbacks (default bytespike-mock-callback-secret)") { o, v throws(Failure) in
            guard !v.isEmpty else { throw Failure(description: "--callback-secret needs a non-empty secret") }
            o.mock.gateway.tasks.callbackSecret = v },
        Flag(name: "--callback-attempts", value: "N", help: "delivery attempts per task callback (default 5)") { o, v throws(Failure) in
            o.mock.gateway.tasks.callbackAttempts = try int(v, "--callback-attempts", 1...100) },
        Flag(name: "--callback-backoff", value: "SECONDS", help: "first wait between callback attempts, doubling (default 1)") { o, v throws(Failure) in
            o.mock.gateway.tasks.callbackBackoffMillis = try millis(v, "--callback-backoff") },
        Flag(name: "--callback-timeout", value: "SECONDS", help: "time a callback receiver has to answer (default 5)") { o, v throws(Failure) in
            o.mock.gateway.tasks.callbackTimeoutMillis = try millis(v, "--callback-timeout") },
        Flag(name: "--check-fixtures", value: nil, help: "validate the fixtures and exit (0 valid, 2 not)") { o, _ in o.checkFixtures = true },
        Flag(name: "--version", value: nil, help: "print the version and exit", environment: .none) { o, _ in o.version = true },
        Flag(name: "--help", value: nil, help: "show this help", environment: .none) { o, _ in o.help = true },
    ]

    /// Parses `arguments` (without the program name), over the environment variables `environment`
    /// answers: the command line wins over the environment, which wins over the defaults.
    init(_ arguments: [String], environment: (String) -> String? = { _ in nil }) throws(Failure) {
        let given = try Self.parse(arguments)
        // --help and --version answer without reading the environment, so a bad variable never hides them.
        if !given.contains(where: { $0.flag.environment == .none }) {
            for flag in Self.flags where !given.contains(where: { $0.flag.name == flag.name }) {
                try self.apply(flag, fromEnvironment: environment)
            }
        }
        for (flag, value) in given { try flag.apply(&self, value) }
    }

    /// The flags of `arguments` with their values, in order. Accepts `--flag value` and `--flag=value`.
    private static func parse(_ arguments: [String]) throws(Failure) -> [(flag: Flag, value: String)] {
        var given: [(flag: Flag, value: String)] = []
        var i = 0
        while i < arguments.count {
            var arg = arguments[i]
            var inline: String?
            if let eq = arg.firstIndex(of: "="), arg.hasPrefix("--") {
                inline = String(arg[arg.index(after: eq)...])
                arg = String(arg[..<eq])
            }
            if arg == "-h" { arg = "--help" }
            guard let flag = flags.first(where: { $0.name == arg }) else {
                throw Failure(description: "unknown option '\(arguments[i])' (see --help)")
            }
            var value = ""
            if flag.value != nil {
                if let inline { value = inline } else {
                    i += 1
                    guard i < arguments.count else { throw Failure(description: "\(arg) needs a value (\(flag.value!))") }
                    value = arguments[i]
                }
            } else if inline != nil {
                throw Failure(description: "\(arg) takes no value")
            }
            given.append((flag, value))
            i += 1
        }
        return given
    }

    static var usage: String {
        var s = "bytespike-mock: a local, offline, fixture-driven stand-in for the ByteSpike LLM gateway.\n\n"
        s += "usage: bytespike-mock [options]\n\noptions:\n"
        let lefts = flags.map { f in f.name + (f.value.map { " \($0)" } ?? "") }
        let width = (lefts.map(\.count).max() ?? 0) + 2  // the help texts line up after the longest flag
        for (f, left) in zip(flags, lefts) {
            s += "  " + left + String(repeating: " ", count: width - left.count) + f.help + "\n"
        }
        return s + environmentUsage
    }

    private static func int(_ v: String, _ name: String, _ range: ClosedRange<Int>) throws(Failure) -> Int {
        guard let n = Int(v), range.contains(n) else {
            throw Failure(description: "\(name) expects an integer in \(range.lowerBound)...\(range.upperBound), got '\(v)'")
        }
        return n
    }

    private static func millis(_ v: String, _ name: String) throws(Failure) -> Int {
        guard let d = Double(v), d >= 0.001, d < 1e6 else { throw Failure(description: "\(name) expects a positive number of seconds, got '\(v)'") }
        return Int((d * 1000).rounded())
    }

    private static func seconds(_ v: String, _ name: String) throws(Failure) -> Duration {
        guard let d = Double(v), d > 0, d < 1e7 else { throw Failure(description: "\(name) expects a positive number of seconds, got '\(v)'") }
        return .milliseconds(Int64((d * 1000).rounded(.up)))
    }
}
