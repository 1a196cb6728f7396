import HTTPCore

/// Everything that shapes the HTTP server: where it listens and every limit it enforces.
///
/// Each limit has a default and a command-line flag (see the executable's `--help`).
public struct ServerConfiguration: Sendable {
    /// Address to bind; loopback by default so a mock is never exposed by accident.
    public var host = "127.0.0.1"
    /// Port to bind; 0 picks a free port (read it back from ``HTTPServer/port``).
    public var port = 8787
    /// Event-loop threads; each owns a share of the connections.
    public var loops = 1
    /// Parser limits: request line (414), header block and count (431), body (413).
    public var parser = ParserLimits()
    /// Complete the request head within this long of its first byte, or get 408 and a close.
    public var headerTimeout: Duration = .seconds(10)
    /// Close (after a 408) when a request body makes no progress for this long.
    public var bodyTimeout: Duration = .seconds(30)
    /// Close a keep-alive connection idle for this long between requests.
    public var idleTimeout: Duration = .seconds(60)
    /// Abort a response when the client accepts no bytes for this long.
    public var writeTimeout: Duration = .seconds(30)
    /// Connections above this count are answered 503 and closed.
    public var maxConnections = 10_000
    /// Pending output above which a stream is told to pause.
    public var highWatermark = 64 * 1024
    /// Pending output below which a paused stream is resumed.
    public var lowWatermark = 16 * 1024
    /// Pending output at which a connection that ignores backpressure is aborted.
    public var hardOutputLimit = 4 * 1024 * 1024
    /// What slow readers may hold in total across all connections: queued output plus the state
    /// streams declare for what they have not written yet. Above it, a connection blocked on its
    /// reader with a high watermark queued is cut (see ``OutputBudget``).
    public var outputBudget = 32 * 1024 * 1024
    /// How long a graceful shutdown waits for in-flight responses and streams before cutting them.
    public var shutdownGrace: Duration = .seconds(5)
    /// HTTP/2 (h2c with prior knowledge) settings and limits.
    public var http2 = HTTP2Limits()
    /// `listen(2)` backlog.
    public var backlog: Int32 = 4096

    public init() {}
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var nanoseconds: UInt64 {
        let (s, atto) = components
        if s < 0 { return 0 }
        let (ns, overflow) = UInt64(s).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? UInt64.max / 2 : ns + UInt64(atto / 1_000_000_000)
    }
}
