import Glibc
import TestSupport

/// The built `bytespike-mock` binary, started on port 0 for one test.
final class MockProcess {
    let child: ChildProcess
    let port: Int

    /// The executable next to the test bundle (same build configuration), or `$BYTESPIKE_MOCK_BIN`.
    static var binary: String {
        if let env = getenv("BYTESPIKE_MOCK_BIN") { return String(cString: env) }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, 4095)
        let exe = String(decoding: buf[0..<max(n, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var dir = exe.split(separator: "/").dropLast()
        if dir.last?.hasSuffix(".xctest") == true { dir = dir.dropLast() }  // bundle directory layouts
        return "/" + dir.joined(separator: "/") + "/bytespike-mock"
    }

    init(_ arguments: [String] = [], shellPrefix: String? = nil) throws {
        let portFile = makeTempDirectory() + "/port"
        let child = try ChildProcess(Self.binary, ["--port", "0", "--port-file", portFile] + arguments, shellPrefix: shellPrefix)
        self.child = child
        var port = 0
        _ = waitUntil(10) {
            port = Int(readText(portFile).split(separator: "\n").first ?? "") ?? 0
            return port > 0 || child.waitExit(seconds: 0) != nil
        }
        guard port > 0 else { throw TestClient.Failure("mock did not start: \(child.stderr)") }
        self.port = port
    }

    /// Sends one request on a fresh connection and reads the response.
    func request(_ path: String, _ headers: [String: String] = [:], method: String = "GET") throws -> TestClient.Response {
        let c = try TestClient(port: port)
        try c.send(TestClient.get(path, headers, method: method))
        return try c.readResponse(head: method == "HEAD")
    }

    /// SIGTERM, then the exit code.
    func stop() -> Int32? {
        child.signal(SIGTERM)
        return child.waitExit(seconds: 30)  // the 5 s grace plus room for a loaded CI machine
    }
}
