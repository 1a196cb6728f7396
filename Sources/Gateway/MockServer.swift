import HTTPServer
import Synchronization

/// Options for starting the whole mock.
public struct MockOptions: Sendable {
    /// Listener, limits and timeouts. Port 0 picks a free port.
    public var server = ServerConfiguration()
    /// A directory whose fixture files extend or replace the built-in ones.
    public var fixturesDirectory: String?
    /// Seed for everything random: request ids, replies, fault probabilities and latencies.
    public var seed: UInt64 = 0
    /// Faults, admin token, journal size.
    public var gateway = GatewayOptions()

    public init() {}
}

/// The mock gateway, running: for harnesses and Swift tests that want it in-process.
///
/// ```swift
/// var options = MockOptions()
/// options.server.port = 0
/// let mock = try MockServer.start(options)
/// defer { mock.stop() }
/// // point a client at mock.baseURL, e.g. http://127.0.0.1:41234
/// ```
public final class MockServer: Sendable {
    public let gateway: Gateway
    public let server: HTTPServer

    public enum StartError: Error, CustomStringConvertible {
        case fixtures(FixtureError)
        case fault(String)
        case system(SystemError)
        public var description: String {
            switch self {
            case .fixtures(let e): e.description
            case .fault(let message): "--fault: \(message)"
            case .system(let e): e.description
            }
        }
    }

    private init(gateway: Gateway, server: HTTPServer) {
        self.gateway = gateway
        self.server = server
    }

    /// Loads fixtures, binds and starts serving.
    public static func start(_ options: MockOptions = MockOptions()) throws(StartError) -> MockServer {
        let fixtures: FixtureSet
        do { fixtures = try FixtureLoader.load(directory: options.fixturesDirectory) } catch { throw .fixtures(error) }
        let gateway: Gateway
        do { gateway = try Gateway(fixtures: fixtures, seed: options.seed, options: options.gateway) } catch { throw .fault(error.message) }
        do {
            let server = try HTTPServer(configuration: options.server, handler: gateway)
            gateway.listeningPort.store(server.port, ordering: .relaxed)
            return MockServer(gateway: gateway, server: server)
        } catch { throw .system(error) }
    }

    /// The bound port.
    public var port: Int { server.port }

    /// `http://HOST:PORT`, with IPv6 hosts bracketed.
    public var baseURL: String {
        let host = server.configuration.host
        return host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }

    /// Graceful stop (see ``HTTPServer/shutdown()``).
    public func stop() { server.shutdown() }
}
