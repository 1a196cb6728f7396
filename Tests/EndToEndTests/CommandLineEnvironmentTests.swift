import Glibc
import Testing
import TestSupport

/// `--version` and the environment variables every flag reads, against the built binary.
/// Variables are set for the child only, through `/bin/sh -c 'NAME=value exec …'`.
@Suite struct CommandLineEnvironmentTests {
    /// The version as its one source of truth spells it (Sources/Gateway/MockServer+Version.swift).
    static var sourceVersion: String {
        let root = String(#filePath).split(separator: "/").dropLast(3).joined(separator: "/")
        let text = readText("/" + root + "/Sources/Gateway/MockServer+Version.swift")
        guard let line = text.split(separator: "\n").first(where: { $0.contains("public static let version = \"") }) else { return "?" }
        return String(line.split(separator: "\"")[1])
    }

    /// Runs the binary to completion (at most 10 s) with `environment` (shell assignments) and `arguments`.
    func run(_ environment: String, _ arguments: [String]) throws -> (code: Int32?, stdout: String, stderr: String) {
        let child = try ChildProcess(MockProcess.binary, arguments, shellPrefix: environment)
        let code = child.waitExit(seconds: 10)
        return (code, child.stdout, child.stderr)
    }

    @Test func version_printsTheSourceVersionAndExits0() throws {
        let r = try run("", ["--version"])
        #expect(r.code == 0)
        #expect(r.stdout == "bytespike-mock \(Self.sourceVersion)\n")
        #expect(Self.sourceVersion.split(separator: ".").count == 3 && Self.sourceVersion.split(separator: ".").allSatisfy { Int($0) != nil })
    }

    @Test func versionAndHelp_answerEvenWithABadVariable() throws {
        let version = try run("BYTESPIKE_MOCK_PORT=abc", ["--version"])
        #expect(version.code == 0 && version.stdout.hasPrefix("bytespike-mock "))
        let help = try run("BYTESPIKE_MOCK_PORT=abc", ["--help"])
        #expect(help.code == 0 && help.stdout.contains("environment:"))
    }

    @Test func help_namesTheVariableOfEveryValueFlagAndSwitch() throws {
        let help = try run("", ["--help"]).stdout
        let optionLines = help.split(separator: "\n").filter { $0.hasPrefix("  --") }
        #expect(optionLines.count >= 25, "\(help)")
        for line in optionLines {
            let flag = String(line.dropFirst(2).prefix(while: { $0 != " " }))
            if flag == "--help" || flag == "--version" { continue }
            let variable = "BYTESPIKE_MOCK_" + String(flag.dropFirst(2).uppercased().map { $0 == "-" ? "_" : $0 })
            #expect(help.split(separator: "\n").contains { $0.hasPrefix("  \(variable) ") && $0.hasSuffix(" \(flag)") },
                    "no variable line for \(flag)")
        }
        #expect(!help.contains("BYTESPIKE_MOCK_HELP") && !help.contains("BYTESPIKE_MOCK_VERSION"))
    }

    @Test func environment_setsPortAndPortFileWithNoArguments() throws {
        let portFile = makeTempDirectory() + "/port"
        let child = try ChildProcess(MockProcess.binary, [], shellPrefix: "BYTESPIKE_MOCK_PORT=0 BYTESPIKE_MOCK_PORT_FILE=\(portFile)")
        var port = 0
        _ = waitUntil(10) {
            port = Int(readText(portFile).split(separator: "\n").first ?? "") ?? 0
            return port > 0 || child.waitExit(seconds: 0) != nil
        }
        #expect(port > 0, "\(child.stderr)")
        #expect(waitUntil(5) { child.stdout.contains("listening on http://127.0.0.1:\(port)") }, "\(child.stdout)")
        child.signal(SIGTERM)
        #expect(child.waitExit(seconds: 30) == 0)
    }

    /// The signal handlers exist before the port file does: a harness that stops the mock the moment
    /// it reads the port gets a clean exit, never a lost signal and a hang (as it did 1 run in 3).
    @Test func sigtermRightAfterThePortFileAppears_stopsCleanly() throws {
        for _ in 0..<8 {
            let mock = try MockProcess()
            #expect(mock.stop() == 0, "\(mock.child.stderr)")
        }
    }

    @Test func commandLine_winsOverTheEnvironment() throws {
        // The variable asks for another token (and would be a bad port): the flags given decide.
        let mock = try MockProcess(["--admin-token", "from-flag"],
                                   shellPrefix: "BYTESPIKE_MOCK_ADMIN_TOKEN=from-env BYTESPIKE_MOCK_PORT=not-a-port")
        #expect(try mock.request("/__mock/faults", ["Authorization": "Bearer from-flag"]).status == 200)
        #expect(try mock.request("/__mock/faults", ["Authorization": "Bearer from-env"]).status == 401)
        #expect(mock.stop() == 0)
    }

    @Test func environment_appliesWhereNoFlagIsGiven() throws {
        let mock = try MockProcess([], shellPrefix: "BYTESPIKE_MOCK_ADMIN_TOKEN=from-env")
        #expect(try mock.request("/__mock/faults").status == 401)
        #expect(try mock.request("/__mock/faults", ["Authorization": "Bearer from-env"]).status == 200)
        #expect(mock.stop() == 0)
    }

    @Test func faultVariable_takesSeveralRulesSeparatedBySemicolons() throws {
        let mock = try MockProcess([], shellPrefix: "BYTESPIKE_MOCK_FAULT='503 first=1; 429 path=/v1/models message=\"a;b\"'")
        let body = try mock.request("/__mock/faults").text
        #expect(body.contains(#""spec":"503 first=1""#), "\(body)")
        #expect(body.contains(#"message=\"a;b\""#) && body.contains("path=/v1/models"), "\(body)")
        #expect(body.split(separator: "\"origin\":\"cli\"", omittingEmptySubsequences: false).count == 3, "\(body)")
        #expect(mock.stop() == 0)
    }

    @Test func faultFlag_replacesTheVariableRatherThanAddingToIt() throws {
        let mock = try MockProcess(["--fault", "500 first=1"], shellPrefix: "BYTESPIKE_MOCK_FAULT='503 first=1'")
        let body = try mock.request("/__mock/faults").text
        #expect(body.contains(#""spec":"500 first=1""#) && !body.contains("503"), "\(body)")
        #expect(mock.stop() == 0)
    }

    @Test(arguments: ["1", "true", "YES"])
    func switchVariable_onValuesTurnItOn(_ value: String) throws {
        let r = try run("BYTESPIKE_MOCK_CHECK_FIXTURES=\(value)", [])
        #expect(r.code == 0)
        #expect(r.stdout.hasPrefix("fixtures ok: "), "\(r.stdout)\(r.stderr)")
    }

    @Test(arguments: ["0", "false", "no", ""])
    func switchVariable_offValuesOrEmptyLeaveItOff(_ value: String) throws {
        let mock = try MockProcess([], shellPrefix: "BYTESPIKE_MOCK_CHECK_FIXTURES=\(value)")
        #expect(try mock.request("/__mock/health").status == 200)
        #expect(mock.stop() == 0)
    }

    @Test(arguments: [
        ("BYTESPIKE_MOCK_PORT=70000", "environment variable BYTESPIKE_MOCK_PORT='70000': --port expects an integer in 0...65535"),
        ("BYTESPIKE_MOCK_SEED=-1", "environment variable BYTESPIKE_MOCK_SEED='-1': --seed expects a non-negative integer"),
        ("BYTESPIKE_MOCK_TIME_SCALE=0", "environment variable BYTESPIKE_MOCK_TIME_SCALE='0': --time-scale expects a number"),
        ("BYTESPIKE_MOCK_HEADER_TIMEOUT=soon", "environment variable BYTESPIKE_MOCK_HEADER_TIMEOUT='soon': --header-timeout expects a positive number"),
        ("BYTESPIKE_MOCK_FAULT=timeout", "environment variable BYTESPIKE_MOCK_FAULT='timeout': --fault 'timeout': "),
        ("BYTESPIKE_MOCK_FAULT=';;'", "environment variable BYTESPIKE_MOCK_FAULT=';;': no value between the ';' separators"),
        ("BYTESPIKE_MOCK_CHECK_FIXTURES=maybe", "environment variable BYTESPIKE_MOCK_CHECK_FIXTURES='maybe': --check-fixtures is a switch; use 1, true or yes"),
    ])
    func badVariable_exitsWith2NamingIt(_ environment: String, _ message: String) throws {
        let r = try run(environment, [])
        #expect(r.code == 2)
        #expect(r.stderr.contains("bytespike-mock: " + message), "\(r.stderr)")
    }
}
