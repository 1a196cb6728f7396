import Glibc

/// A child process started with posix_spawn, its stdout and stderr captured to files.
public final class ChildProcess {
    public let pid: pid_t
    public let stdoutPath: String
    public let stderrPath: String
    private var exitStatus: Int32?

    /// Starts `path` with `arguments`; `environment` entries are added to the current environment.
    public init(_ path: String, _ arguments: [String], shellPrefix: String? = nil) throws {
        let dir = makeTempDirectory()
        stdoutPath = dir + "/stdout"
        stderrPath = dir + "/stderr"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [String]
        let exe: String
        if let shellPrefix {
            exe = "/bin/sh"
            argv = ["/bin/sh", "-c", shellPrefix + " exec " + ([path] + arguments).map(shellQuote).joined(separator: " ")]
        } else {
            exe = path
            argv = [path] + arguments
        }
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, nil, &cargs, environ)
        guard rc == 0 else { throw TestClient.Failure("posix_spawn \(path): \(rc)") }
        self.pid = pid
    }

    deinit {
        if exitStatus == nil { kill(pid, SIGKILL); _ = waitExit(seconds: 5) }
    }

    public func signal(_ sig: Int32) { kill(pid, sig) }

    /// Waits up to `seconds` for exit; returns the exit code (128+signal when killed), or nil on timeout.
    public func waitExit(seconds: Double) -> Int32? {
        if let exitStatus { return exitStatus }
        let deadline = monotonicSeconds() + seconds
        while monotonicSeconds() < deadline {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
                exitStatus = code
                return code
            }
            usleep(5_000)
        }
        return nil
    }

    public var stdout: String { readText(stdoutPath) }
    public var stderr: String { readText(stderrPath) }

    /// CPU time (user + system) consumed so far, in clock ticks.
    public var cpuTicks: Int {
        let stat = readText("/proc/\(pid)/stat")
        guard let close = stat.lastIndex(of: ")") else { return -1 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13 else { return -1 }
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }
}

public func readText(_ path: String) -> String {
    guard let f = fopen(path, "rb") else { return "" }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, 4096, f) }
        if n > 0 { out += buf[0..<n] }
        if n < 4096 { break }
    }
    return String(decoding: out, as: UTF8.self)
}

public func writeText(_ path: String, _ text: String) {
    guard let f = fopen(path, "wb") else { return }
    fputs(text, f)
    fclose(f)
}

public func makeTempDirectory() -> String {
    var template = Array("/tmp/bytespike-test-XXXXXX".utf8CString)
    let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    return p.map { String(cString: $0) } ?? "/tmp"
}

func shellQuote(_ s: String) -> String { "'" + s.map { $0 == "'" ? "'\\''" : String($0) }.joined() + "'" }
