import HTTPCore
@testable import HTTPServer
import Synchronization
import TestSupport

/// A handler for server tests. Routes:
/// - `/echo`: 200 with the method, target and body echoed as text.
/// - `/delay/<ms>`: answers after a loop timer (for pipelining order).
/// - `/stream/<n>/<ms>`: n chunked events `event i\n`, one every ms; n = 0 streams until closed.
/// - `/big`: a 16 KiB body.
/// - `/flood`: writes 16 KiB pieces while writable, pausing on backpressure, 32 MiB in all.
/// - `/cut/...`, `/streamcut/...`, `/floodcut/...`: deliberate disconnects (`TestHandler+Faults.swift`).
///
/// Connections are dropped at accept time as long as `acceptFaults` holds entries (one each).
final class TestHandler: HTTPHandler {
    struct Stats {
        var streamsClosed = 0
        var streamsEnded = 0
        var pauses = 0
        var floodWritten = 0
        var maxPendingTimers = 0
        /// Payload bytes a `/floodcut` stream wrote before it disconnected.
        var cutWritten = 0
        var acceptFaultsAsked = 0
    }
    let stats = Mutex(Stats())
    /// Faults for the next accepted connections, first entry first.
    let acceptFaults = Mutex<[Disconnect]>([])

    func acceptFault(peer: String) -> Disconnect? {
        stats.withLock { $0.acceptFaultsAsked += 1 }
        return acceptFaults.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }

    func handle(_ request: Request, responder: Responder) {
        let parts = request.path.split(separator: "/").map(String.init)
        switch parts.first {
        case "delay":
            let ms = Int(parts[1]) ?? 0
            responder.schedule(after: .milliseconds(ms)) {
                responder.send(Response(status: .ok, body: Array("delayed \(ms)".utf8)))
            }
        case "stream":
            stream(count: Int(parts[1]) ?? 1, intervalMS: Int(parts[2]) ?? 1, responder)
        case "flood":
            flood(responder)
        case "cut":
            cut(parts.dropFirst().first ?? "close", responder)
        case "streamcut":
            streamCut(count: Int(parts[1]) ?? 1, how: parts[2] == "reset" ? .reset : .close, responder)
        case "floodcut":
            floodCut(how: parts[1] == "reset" ? .reset : .close, responder)
        case "big":
            responder.send(Response(status: .ok, body: [UInt8](repeating: 0x62, count: 16 * 1024)))
        default:
            let text = "\(request.method.rawValue) \(request.target) \(String(decoding: request.body, as: UTF8.self))"
            responder.send(Response(status: .ok, headers: ["Content-Type": "text/plain"], body: Array(text.utf8)))
        }
    }

    private func stream(count: Int, intervalMS: Int, _ responder: Responder) {
        guard let s = responder.startStream(status: .ok, headers: ["Content-Type": "text/event-stream"]) else { return }
        s.onClose = { [self] in self.stats.withLock { $0.streamsClosed += 1 } }
        var i = 0
        func tick() {
            i += 1
            s.write(Array("event \(i)\n".utf8))
            if count > 0, i >= count {
                s.end()
                stats.withLock { $0.streamsEnded += 1 }
                return
            }
            s.schedule(after: .milliseconds(intervalMS)) { tick() }
        }
        tick()
    }

    private func flood(_ responder: Responder) {
        guard let s = responder.startStream(status: .ok, headers: [:]) else { return }
        let piece = [UInt8](repeating: 0x78, count: 16 * 1024)
        let total = 32 * 1024 * 1024
        var written = 0
        func pump() {
            while written < total {
                written += piece.count
                let more = s.write(piece)
                stats.withLock { $0.floodWritten = written }
                if !more {
                    stats.withLock { $0.pauses += 1 }
                    return  // resumed by onWritable
                }
            }
            s.end()
        }
        s.onWritable = { pump() }
        s.onClose = { [self] in self.stats.withLock { $0.streamsClosed += 1 } }
        pump()
    }
}

/// Starts a server on 127.0.0.1:0 with a test handler and optional tweaks.
func makeServer(_ tweak: (inout ServerConfiguration) -> Void = { _ in }) throws -> (HTTPServer, TestHandler) {
    var config = ServerConfiguration()
    config.port = 0
    tweak(&config)
    let handler = TestHandler()
    return (try HTTPServer(configuration: config, handler: handler), handler)
}
