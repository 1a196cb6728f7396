import ArgumentParser
import Dispatch
import Gateway
import Glibc
import HTTPCore
import HTTPServer

/// `bytespike-mock`: parse flags, start the mock, print where it listens, wait for a signal.
struct BytespikeMockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bytespike-mock",
        abstract: "A local, offline, fixture-driven stand-in for the ByteSpike LLM gateway.")

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind; 0 picks a free one.") var port = 8787
    @Option(help: "Write the bound port to this file once listening (for harnesses).") var portFile: String?
    @Option(help: "Directory of fixture files that extend or replace the built-in ones.") var fixtures: String?
    @Option(help: "Seed for deterministic ids and replies.") var seed: UInt64 = 0
    @Option(help: "Event-loop threads.") var loops = 1
    @Option(help: "Maximum open connections; more are answered 503.") var maxConnections = 10_000
    @Option(help: "Maximum request-line bytes (414 beyond).") var maxRequestLine = 8 * 1024
    @Option(help: "Maximum header-block bytes (431 beyond).") var maxHeaderBytes = 64 * 1024
    @Option(help: "Maximum header fields (431 beyond).") var maxHeaderCount = 100
    @Option(help: "Maximum request-body bytes (413 beyond).") var maxBodyBytes = 32 * 1024 * 1024
    @Option(help: "Seconds to receive a complete request head (408 beyond).") var headerTimeout = 10.0
    @Option(help: "Seconds a request body may stall (408 beyond).") var bodyTimeout = 30.0
    @Option(help: "Seconds an idle keep-alive connection stays open.") var idleTimeout = 60.0
    @Option(help: "Seconds a response may wait on a client that reads nothing before it is cut.") var writeTimeout = 30.0
    @Option(help: "Seconds a graceful shutdown waits for in-flight responses and streams.") var shutdownGrace = 5.0
    @Flag(help: "Validate the fixtures and exit (0 when valid, 2 when not).") var checkFixtures = false

    func validate() throws {
        for (name, v) in [("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout), ("--idle-timeout", idleTimeout),
                          ("--write-timeout", writeTimeout), ("--shutdown-grace", shutdownGrace)] where !(v > 0) {
            throw ValidationError("\(name) must be a positive number of seconds")
        }
        for (name, v) in [("--loops", loops), ("--max-connections", maxConnections), ("--max-request-line", maxRequestLine),
                          ("--max-header-bytes", maxHeaderBytes), ("--max-header-count", maxHeaderCount)] where v <= 0 {
            throw ValidationError("\(name) must be positive")
        }
        if maxBodyBytes < 0 { throw ValidationError("--max-body-bytes must not be negative") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() throws {
        var options = MockOptions()
        options.fixturesDirectory = fixtures
        options.seed = seed
        options.server.host = host
        options.server.port = port
        options.server.loops = loops
        options.server.maxConnections = maxConnections
        options.server.parser.maxRequestLine = maxRequestLine
        options.server.parser.maxHeaderBytes = maxHeaderBytes
        options.server.parser.maxHeaderCount = maxHeaderCount
        options.server.parser.maxBodyBytes = maxBodyBytes
        options.server.headerTimeout = .seconds(headerTimeout)
        options.server.bodyTimeout = .seconds(bodyTimeout)
        options.server.idleTimeout = .seconds(idleTimeout)
        options.server.writeTimeout = .seconds(writeTimeout)
        options.server.shutdownGrace = .seconds(shutdownGrace)

        if checkFixtures {
            do {
                let set = try FixtureLoader.load(directory: fixtures)
                print("fixtures ok: \(set.models.count) models, \(set.groups.count) groups, \(set.accounts.count) accounts, \(set.keys.count) keys")
                return
            } catch {
                printError("bytespike-mock: \(error)")
                throw ExitCode(2)
            }
        }

        let mock: MockServer
        do {
            mock = try MockServer.start(options)
        } catch {
            printError("bytespike-mock: \(error)")
            throw ExitCode(2)
        }
        if let portFile { try writePortFile(portFile, mock.port) }
        print("bytespike-mock listening on \(mock.baseURL)")
        fflush(nil)
        SignalWaiter.waitForTermination()
        mock.stop()
        printError("bytespike-mock: stopped")
    }

    private func writePortFile(_ path: String, _ port: Int) throws {
        let tmp = path + ".tmp"
        guard let f = fopen(tmp, "w") else {
            printError("bytespike-mock: cannot write --port-file \(path)")
            throw ExitCode(2)
        }
        fputs("\(port)\n", f)
        fclose(f)
        rename(tmp, path)
    }
}

func printError(_ text: String) {
    let line = Array((text + "\n").utf8)
    line.withUnsafeBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
}

/// Blocks the calling thread until SIGINT or SIGTERM.
///
/// The signal sources are created inside this non-isolated type, never in top-level code, whose
/// closures would be main-actor isolated and trap when Dispatch runs them on another queue.
enum SignalWaiter {
    static func waitForTermination() {
        let done = DispatchSemaphore(value: 0)
        let queue = DispatchQueue(label: "bytespike-mock.signals")
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { done.signal() }
            source.resume()
            sources.append(source)
        }
        done.wait()
        for s in sources { s.cancel() }
    }
}
