import Synchronization
import HTTPCore

/// What every connection of one server shares. Sendable: immutable, plus atomics.
final class ServerContext: Sendable {
    let config: ServerConfiguration
    let handler: any HTTPHandler
    let timeouts: ConnectionStateMachine.Timeouts
    let openConnections = Atomic<Int>(0)
    /// HTTP/2 connections begun so far: numbers them from 1 (``Transport/h2c(connection:stream:)``).
    private let h2Connections = Atomic<UInt64>(0)
    let budget: OutputBudget
    private let shuttingDown = Atomic<Bool>(false)

    init(config: ServerConfiguration, handler: any HTTPHandler) {
        self.config = config
        self.handler = handler
        budget = OutputBudget(limit: config.outputBudget)
        timeouts = .init(header: config.headerTimeout.nanoseconds, body: config.bodyTimeout.nanoseconds,
                         idle: config.idleTimeout.nanoseconds, write: config.writeTimeout.nanoseconds)
    }

    var isShuttingDown: Bool { shuttingDown.load(ordering: .relaxed) }
    func beginShutdown() { shuttingDown.store(true, ordering: .relaxed) }

    /// The next HTTP/2 connection number.
    func nextH2ConnectionNumber() -> UInt64 { h2Connections.add(1, ordering: .relaxed).newValue }

    func connectionClosed() { openConnections.subtract(1, ordering: .relaxed) }
}
