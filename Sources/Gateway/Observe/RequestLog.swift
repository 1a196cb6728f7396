import Glibc
import HTTPCore
import Synchronization

/// How the request log is written (`--log`).
public enum LogFormat: String, Sendable, CaseIterable {
    /// One line per request a developer scans (the command line's default).
    case text
    /// One JSON object per line, the same fields.
    case json
    /// No request log.
    case off
}

/// One line per finished gateway request on stderr, written off the loop threads: the journal
/// hands each entry over under a short lock (a copy of references, no formatting), and a log
/// thread formats and writes what gathered every ``interval`` in one `write`. When the writer
/// falls behind by more than ``maxPending`` lines, newer lines are counted and dropped, and a
/// line says how many.
///
/// Concurrency: Sendable; the pending lines sit behind a Mutex; the log thread owns formatting.
public final class RequestLog: Sendable {
    private struct Pending {
        var entries: [LogLine] = []
        var dropped = 0
        var stopped = false
    }

    let format: LogFormat
    private let fd: Int32
    private let pending = Mutex(Pending())
    static let maxPending = 100_000
    static let interval: Duration = .milliseconds(50)

    init(format: LogFormat, fd: Int32 = 2) {
        self.format = format
        self.fd = fd
    }

    /// Starts the log thread (once).
    func start() {
        let box = Unmanaged.passRetained(self)
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let log = Unmanaged<RequestLog>.fromOpaque(arg!).takeRetainedValue()
            log.run()
            return nil
        }, box.toOpaque())
        precondition(rc == 0, "pthread_create failed")
        pthread_detach(tid)
    }

    func append(_ line: LogLine) {
        pending.withLock { p in
            if p.entries.count < Self.maxPending { p.entries.append(line) } else { p.dropped += 1 }
        }
    }

    /// Writes what is pending now and stops the thread.
    func stop() {
        pending.withLock { $0.stopped = true }
        flush()
    }

    private func run() {
        while true {
            var ts = timespec(tv_sec: 0, tv_nsec: Int(Self.interval.components.attoseconds / 1_000_000_000))
            nanosleep(&ts, nil)
            if pending.withLock({ $0.stopped }) { return }
            flush()
        }
    }

    /// Formats and writes the pending lines (called by the log thread, and on stop).
    func flush() {
        let (entries, dropped) = pending.withLock { p -> ([LogLine], Int) in
            defer { p.entries = []; p.dropped = 0 }
            return (p.entries, p.dropped)
        }
        guard !entries.isEmpty || dropped > 0 else { return }
        var out: [UInt8] = []
        out.reserveCapacity(entries.count * 160)
        for e in entries { LogLine.write(e, format, to: &out) }
        if dropped > 0 { out += Array("bytespike-mock: \(dropped) log lines dropped (the log fell behind)\n".utf8) }
        var offset = 0
        while offset < out.count {
            let n = out.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, out.count - offset) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}
