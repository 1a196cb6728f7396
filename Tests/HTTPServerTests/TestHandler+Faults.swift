import HTTPCore
@testable import HTTPServer
import Synchronization

/// Routes of ``TestHandler`` that tear their connection down on purpose.
extension TestHandler {
    /// Bytes `/cut/garbage` writes before closing: not HTTP at all.
    static let garbage: [UInt8] = Array("\u{1}not http at all\r\n\u{0}\u{FF}".utf8)

    /// `/cut/close`, `/cut/garbage`, `/cut/reset`; `/cut/twice` disconnects twice, then tries to
    /// answer: only the first call may act.
    func cut(_ kind: String, _ responder: Responder) {
        switch kind {
        case "garbage":
            responder.disconnect(.close, after: Self.garbage)
        case "reset":
            responder.disconnect(.reset)
        case "twice":
            responder.disconnect(.close)
            responder.disconnect(.reset, after: Array("late".utf8))
            responder.send(Response(status: .ok, body: Array("too late".utf8)))
        default:
            responder.disconnect(.close)
        }
    }

    /// `/streamcut/<n>/<close|reset>`: n events `event i\n`, one per millisecond, then the cut.
    func streamCut(count: Int, how: Disconnect, _ responder: Responder) {
        guard let s = responder.startStream(status: .ok, headers: ["Content-Type": "text/event-stream"]) else { return }
        s.onClose = { [self] in self.stats.withLock { $0.streamsClosed += 1 } }
        var i = 0
        func tick() {
            i += 1
            s.write(Array("event \(i)\n".utf8))
            if i >= count {
                s.disconnect(how)
                s.disconnect(how)  // idempotent
                s.write(Array("after the cut\n".utf8))  // ignored
                return
            }
            s.schedule(after: .milliseconds(1)) { tick() }
        }
        tick()
    }

    /// `/floodcut/<close|reset>`: writes 16 KiB pieces until backpressure pauses the stream,
    /// records how much it wrote, then disconnects while paused.
    func floodCut(how: Disconnect, _ responder: Responder) {
        guard let s = responder.startStream(status: .ok, headers: [:]) else { return }
        s.onClose = { [self] in self.stats.withLock { $0.streamsClosed += 1 } }
        var written = 0
        var n: UInt8 = 0
        while written < 16 * 1024 * 1024 {
            n &+= 1
            let piece = [UInt8](repeating: 0x61 &+ n % 26, count: 16 * 1024)
            written += piece.count
            if !s.write(piece) { break }
        }
        let paused = !s.isWritable
        stats.withLock { $0.cutWritten = written; if paused { $0.pauses += 1 } }
        s.disconnect(how)
    }
}
