import Glibc
import HTTPCore
import Synchronization

/// A hardened HTTP/1.1 server on epoll loop threads.
///
/// ```swift
/// var config = ServerConfiguration()
/// config.port = 0
/// let server = try HTTPServer(configuration: config, handler: MyHandler())
/// print(server.port)      // the bound port
/// server.shutdown()       // graceful: stop accepting, finish or cut in-flight work
/// ```
///
/// Concurrency: immutable after `init`; the loops own all connection state.
public final class HTTPServer: Sendable {
    /// The port actually bound (useful with port 0).
    public let port: Int
    public let configuration: ServerConfiguration
    let loops: [EventLoop]
    private let context: ServerContext
    private let stopped = Mutex<Bool>(false)

    /// Binds, listens and starts the loop threads.
    public init(configuration: ServerConfiguration, handler: any HTTPHandler) throws(SystemError) {
        ignoreSIGPIPE
        MemoryReturn.configure
        self.configuration = configuration
        context = ServerContext(config: configuration, handler: handler)
        let (fd, bound) = try Sys.listen(host: configuration.host, port: configuration.port, backlog: configuration.backlog)
        port = bound
        var made: [EventLoop] = []
        for i in 0..<max(1, configuration.loops) { made.append(try EventLoop(index: i)) }
        loops = made
        for l in loops { l.start() }
        let acceptor = Acceptor(fd: fd, loops: loops, context: context)
        let first = loops[0]
        // `Acceptor` is confined to the first loop; it is created here and never touched again.
        nonisolated(unsafe) let handoff = acceptor
        first.execute { handoff.start() }
    }

    /// Connections currently open.
    public var openConnections: Int { context.openConnections.load(ordering: .relaxed) }

    /// What slow readers hold now across all connections (see ``ServerConfiguration/outputBudget``).
    public var heldOutput: Int { context.budget.total }

    /// Stops accepting, lets in-flight responses and streams finish for up to the configured
    /// grace period, cuts what remains, and stops the loop threads. Call from any thread but a
    /// loop thread; later calls return at once.
    public func shutdown() {
        let already = stopped.withLock { s -> Bool in defer { s = true }; return s }
        if already { return }
        context.beginShutdown()
        for l in loops { l.execute { l.forEachSink { $0.shutdownRequested() } } }
        let graceEnd = Sys.monotonicNanos() &+ configuration.shutdownGrace.nanoseconds
        while openConnections > 0, Sys.monotonicNanos() < graceEnd { usleep(5_000) }
        for l in loops { l.execute { l.forEachSink { $0.terminate() } } }
        let hardEnd = Sys.monotonicNanos() &+ 1_000_000_000
        while openConnections > 0, Sys.monotonicNanos() < hardEnd { usleep(2_000) }
        for l in loops { l.stop() }
        for l in loops { l.join() }
    }
}

/// Writing to a socket the peer reset raises SIGPIPE, which kills the process by default.
/// Every send passes MSG_NOSIGNAL too; this covers any other write.
private let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()
