import Glibc
import HTTPServer
import Synchronization

/// Options for starting the whole mock: what the command line's flags set, as one value.
///
/// The defaults are the command line's (127.0.0.1:8787, the built-in fixtures, seed 0); a test
/// usually wants ``init(port:fixturesDirectory:seed:)`` with port 0, which picks a free port.
/// A plain value; copy and change it freely.
public struct MockOptions: Sendable {
    /// Listener, limits and timeouts (`--host`, `--port`, `--max-body-bytes`, …). Port 0 picks a free port.
    public var server = ServerConfiguration()
    /// A directory whose fixture files extend or replace the built-in ones.
    public var fixturesDirectory: String?
    /// Reload the files of ``fixturesDirectory`` when they change (``FixtureWatcher``).
    public var watchFixtures = false
    /// Seed for everything random: request ids, replies, fault probabilities and latencies.
    public var seed: UInt64 = 0
    /// Faults, admin token, journal size.
    public var gateway = GatewayOptions()

    /// The command line's defaults: 127.0.0.1:8787, the built-in fixtures, seed 0.
    public init() {}

    /// Options for a test: `port` 0 (the default here) picks a free port, read it back from
    /// ``MockServer/port`` or ``MockServer/baseURL``.
    public init(port: Int = 0, fixturesDirectory: String? = nil, seed: UInt64 = 0) {
        server.port = port
        self.fixturesDirectory = fixturesDirectory
        self.seed = seed
    }

    /// The port to bind (`server.port`); 0 picks a free one.
    public var port: Int {
        get { server.port }
        set { server.port = newValue }
    }
}

/// The mock gateway, running in this process: for Swift tests and harnesses that want it
/// without a child process. It serves on its own event-loop thread(s) until ``stop()``.
///
/// ```swift
/// import BytespikeMock
///
/// let mock = try MockServer.start(MockOptions(port: 0))   // 0: a free port
/// defer { mock.stop() }
/// // point a client at mock.baseURL, e.g. http://127.0.0.1:41234,
/// // with a key from the built-in fixtures: Authorization: Bearer sk-byts-default-test-key-0001
/// ```
///
/// Sendable: its two parts are immutable references whose shared state sits behind locks.
public final class MockServer: Sendable {
    /// The gateway behind the server (fixtures, accounting, journal, clock).
    public let gateway: Gateway
    /// The HTTP server: the listener and its event loops.
    public let server: HTTPServer
    /// The `--watch` watcher, when asked for.
    public let watcher: FixtureWatcher?

    /// Why ``MockServer/start(_:)`` failed; `description` is the message the command line prints.
    public enum StartError: Error, CustomStringConvertible {
        case fixtures(FixtureReport)
        case fault(String)
        case system(SystemError)
        case watch(String)
        public var description: String {
            switch self {
            case .fixtures(let e): e.description
            case .fault(let message): "--fault: \(message)"
            case .system(let e): e.description
            case .watch(let message): message
            }
        }
    }

    private init(gateway: Gateway, server: HTTPServer, watcher: FixtureWatcher?) {
        self.gateway = gateway
        self.server = server
        self.watcher = watcher
    }

    /// Loads the fixtures, binds the listener and starts serving; returns once the port accepts
    /// connections. With `watchFixtures`, also starts watching the fixtures directory (reload
    /// messages go to `log`, standard error by default). Throws ``StartError`` for invalid
    /// fixtures or fault rules, a failed bind (a port in use) or a directory that cannot be
    /// watched. Call ``stop()`` when done.
    public static func start(_ options: MockOptions = MockOptions(),
                             log: @escaping @Sendable (String) -> Void = MockServer.standardError) throws(StartError) -> MockServer {
        if options.watchFixtures, options.fixturesDirectory == nil { throw .watch("--watch needs --fixtures DIR (the directory to watch)") }
        let fixtures: FixtureSet
        do { fixtures = try FixtureLoader.load(directory: options.fixturesDirectory) } catch { throw .fixtures(error) }
        let gateway: Gateway
        do { gateway = try Gateway(fixtures: fixtures, seed: options.seed, options: options.gateway) } catch { throw .fault(error.message) }
        let server: HTTPServer
        do { server = try HTTPServer(configuration: options.server, handler: gateway) } catch { throw .system(error) }
        gateway.listeningPort.store(server.port, ordering: .relaxed)
        gateway.connectionGauge.withLock { $0 = { [weak server] in server?.openConnections ?? 0 } }
        var watcher: FixtureWatcher?
        if options.watchFixtures, let directory = options.fixturesDirectory {
            do { watcher = try FixtureWatcher(directory: directory, apply: { [gateway] set in gateway.reload(set) }, log: log) } catch {
                server.shutdown()
                throw .watch(error.description)
            }
        }
        return MockServer(gateway: gateway, server: server, watcher: watcher)
    }

    /// Writes one line to standard error (the default log of ``start(_:log:)``).
    public static let standardError: @Sendable (String) -> Void = { text in
        let line = Array((text + "\n").utf8)
        line.withUnsafeBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// The bound port (the one chosen when the options asked for port 0).
    public var port: Int { server.port }

    /// `http://HOST:PORT`, with IPv6 hosts bracketed: the base URL for a client of any surface
    /// (`/v1/chat/completions`, `/v1/messages`, `/v1beta/models/…`, `/__mock/…`).
    public var baseURL: String {
        let host = server.configuration.host
        return host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }

    /// Stops gracefully and returns when done: the `--watch` watcher first, then no new
    /// connections; in-flight responses and streams get `server.shutdownGrace` (5 s by default)
    /// to finish, then are cut. Call it from any thread but one of the server's own (never from a
    /// request handler); later calls return at once.
    public func stop() {
        watcher?.stop()
        server.shutdown()
        gateway.journal.log?.stop()
    }
}
