import Glibc
import Synchronization

/// `--watch`: reloads the fixture files of a directory when they change.
///
/// An inotify watch on the directory (not on the files, so editors that save by writing a
/// temporary file and renaming it are seen too) wakes a dedicated thread. Bursts of events are
/// debounced: the reload runs once nothing has changed for ``quietMillis`` (at most
/// ``maxDelayMillis`` after the first event). The reload validates the whole directory first:
/// a good set goes to `apply` (the gateway swaps it in for the next request); a broken one is
/// logged with every problem, and the running set stays.
///
/// Concurrency: the watch thread alone reads the inotify descriptor and loads; `stop()` wakes it
/// through a pipe and joins it. The class is Sendable: its descriptors are immutable and
/// the thread handle sits behind a Mutex.
public final class FixtureWatcher: Sendable {
    public let directory: String
    /// Quiet time that ends a burst of changes.
    public static let quietMillis = 150
    /// Longest wait after the first change of a burst that never goes quiet.
    public static let maxDelayMillis = 2000

    private let inotifyFD: Int32
    /// A pipe: `stop()` writes to the second, the thread polls the first.
    private let wake: (Int32, Int32)
    private let apply: @Sendable (FixtureSet) -> Void
    private let log: @Sendable (String) -> Void
    private let thread = Mutex<pthread_t?>(nil)

    public struct WatchError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts watching `directory`. `apply` runs on the watch thread with each good set;
    /// `log` receives one message per reload (good or rejected).
    public init(directory: String, apply: @escaping @Sendable (FixtureSet) -> Void,
                log: @escaping @Sendable (String) -> Void) throws(WatchError) {
        self.directory = directory
        self.apply = apply
        self.log = log
        let fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { throw WatchError(description: "--watch: inotify_init1 failed: \(String(cString: strerror(errno)))") }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)
        guard inotify_add_watch(fd, directory, mask) >= 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw WatchError(description: "--watch: cannot watch \(directory): \(reason)")
        }
        inotifyFD = fd
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            close(fd)
            throw WatchError(description: "--watch: pipe failed")
        }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        wake = (ends[0], ends[1])
        let box = Unmanaged.passRetained(self)
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let watcher = Unmanaged<FixtureWatcher>.fromOpaque(arg!).takeRetainedValue()
            watcher.run()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            close(fd)
            close(wake.0)
            close(wake.1)
            throw WatchError(description: "--watch: cannot start the watch thread")
        }
        thread.withLock { $0 = tid }
    }

    /// Stops the watch thread and waits for it (a reload in progress finishes first).
    public func stop() {
        guard let tid = thread.withLock({ t -> pthread_t? in defer { t = nil }; return t }) else { return }
        var one: UInt8 = 1
        _ = write(wake.1, &one, 1)
        pthread_join(tid, nil)
        close(inotifyFD)
        close(wake.0)
        close(wake.1)
    }

    /// Whether a change to `name` can change what the loader reads (hidden files and editor
    /// backups are skipped by the loader, so they are skipped here too).
    static func matters(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.hasSuffix("~")
    }

    private func run() {
        var fds = [pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.0, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var firstChange: UInt64?, lastChange: UInt64 = 0
        while true {
            var timeout: Int32 = -1
            if let first = firstChange {
                let now = Self.millis()
                let due = min(lastChange + UInt64(Self.quietMillis), first + UInt64(Self.maxDelayMillis))
                timeout = due > now ? Int32(due - now) : 0
            }
            fds[0].revents = 0
            fds[1].revents = 0
            let n = poll(&fds, 2, timeout)
            if n < 0, errno == EINTR { continue }
            if fds[1].revents != 0 { return }
            if fds[0].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(inotifyFD, $0.baseAddress, $0.count) }
                guard count > 0 else { continue }
                let (changed, gone) = Self.scan(buffer, count)
                if gone {
                    log("bytespike-mock: --watch: \(directory) was removed or moved; no longer watching it")
                    return
                }
                if changed {
                    lastChange = Self.millis()
                    if firstChange == nil { firstChange = lastChange }
                }
                continue
            }
            if firstChange != nil {
                firstChange = nil
                reload()
            }
        }
    }

    /// Whether the events in `buffer` touch a file that matters, and whether the directory went away.
    static func scan(_ buffer: [UInt8], _ count: Int) -> (changed: Bool, gone: Bool) {
        var changed = false, gone = false
        buffer.withUnsafeBytes { raw in
            var offset = 0
            let header = MemoryLayout<inotify_event>.size
            while offset + header <= count {
                let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let nameBytes = raw[(offset + header)..<min(count, offset + header + length)].prefix { $0 != 0 }
                let name = String(decoding: nameBytes, as: UTF8.self)
                if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 { gone = true }
                if mask & UInt32(IN_Q_OVERFLOW) != 0 || matters(name) { changed = true }
                offset += header + length
            }
        }
        return (changed, gone)
    }

    private func reload() {
        do {
            let set = try FixtureLoader.load(directory: directory)
            apply(set)
            log("bytespike-mock: fixtures reloaded from \(directory): \(set.models.count) models, \(set.groups.count) groups, "
                + "\(set.accounts.count) accounts, \(set.keys.count) keys")
        } catch {
            log("bytespike-mock: fixtures in \(directory) not reloaded; still serving the previous set. \(error)")
        }
    }

    private static func millis() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}
