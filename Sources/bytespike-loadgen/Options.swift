import Glibc

/// The load to generate, parsed from the command line by hand (no ArgumentParser, no Foundation).
struct Options {
    var host = "127.0.0.1"
    var port = 8787
    var method = "GET"
    var path = "/"
    var headers: [String] = []
    var body: [UInt8] = []
    var connections = 100
    var duration = 10.0
    var warmup = 2.0
    /// Events every response must carry; `nil` accepts any count.
    var eventsPerResponse: Int?
    /// A connect, request write or response that makes no progress for this long is an error.
    var timeout = 5.0
    var verbose = false
    var help = false

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let usage = """
        usage: bytespike-loadgen [options]
          --host ADDR                 server address (default 127.0.0.1)
          --port N                    server port (default 8787)
          --method GET|POST           request method (default GET)
          --path PATH                 request target (default /)
          --header 'Name: value'      extra request header; repeatable
          --body STRING               request body (Content-Length is added)
          --body-file PATH            request body read from a file
          --connections N             persistent keep-alive connections (default 100)
          --duration SECONDS          measured time (default 10)
          --warmup SECONDS            unmeasured time before it (default 2)
          --events-per-response N     expected SSE events ("\\n\\n"-separated) per response;
                                      another count is an error (default: not checked)
          --timeout SECONDS           no progress for this long is an error (default 5)
          --verbose                   describe the first errors on stderr
          --help                      show this help
        Prints one line: responses=… events=… events_per_s=… ttfe_p50_ms=… ttfe_p99_ms=… errors=… …
        Exit status: 0 when the run had no error, 1 when it had some, 2 on a usage error.
        """

    /// Parses `arguments` (without the program name). Accepts `--flag value` and `--flag=value`.
    static func parse(_ arguments: [String]) throws(Failure) -> Options {
        var o = Options()
        var i = 0
        while i < arguments.count {
            var name = arguments[i]
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            i += 1
            func value() throws(Failure) -> String {
                if let v = inline { return v }
                guard i < arguments.count else { throw Failure(description: "\(name) needs a value") }
                i += 1
                return arguments[i - 1]
            }
            switch name {
            case "--host": o.host = try value()
            case "--port": o.port = try int(try value(), name, 1...65535)
            case "--method":
                o.method = try value().uppercased()
                guard o.method == "GET" || o.method == "POST" else { throw Failure(description: "--method expects GET or POST") }
            case "--path":
                o.path = try value()
                guard o.path.hasPrefix("/") else { throw Failure(description: "--path must start with '/'") }
            case "--header":
                let h = try value()
                guard let colon = h.firstIndex(of: ":"), colon != h.startIndex else {
                    throw Failure(description: "--header expects 'Name: value', got '\(h)'")
                }
                o.headers.append(h)
            case "--body": o.body = Array(try value().utf8)
            case "--body-file": o.body = try readFile(try value())
            case "--connections": o.connections = try int(try value(), name, 1...1_000_000)
            case "--duration": o.duration = try seconds(try value(), name, allowZero: false)
            case "--warmup": o.warmup = try seconds(try value(), name, allowZero: true)
            case "--events-per-response": o.eventsPerResponse = try int(try value(), name, 0...100_000_000)
            case "--timeout": o.timeout = try seconds(try value(), name, allowZero: false)
            case "--verbose": o.verbose = true
            case "--help", "-h": o.help = true
            default: throw Failure(description: "unknown option '\(name)' (see --help)")
            }
        }
        return o
    }

    private static func int(_ s: String, _ flag: String, _ range: ClosedRange<Int>) throws(Failure) -> Int {
        guard let v = Int(s), range.contains(v) else {
            throw Failure(description: "\(flag) expects an integer in \(range.lowerBound)...\(range.upperBound), got '\(s)'")
        }
        return v
    }

    private static func seconds(_ s: String, _ flag: String, allowZero: Bool) throws(Failure) -> Double {
        guard let v = Double(s), v.isFinite, v >= 0, allowZero || v > 0, v <= 86_400 else {
            throw Failure(description: "\(flag) expects seconds (\(allowZero ? ">= 0" : "> 0")), got '\(s)'")
        }
        return v
    }

    private static func readFile(_ path: String) throws(Failure) -> [UInt8] {
        guard let f = fopen(path, "rb") else {
            throw Failure(description: "--body-file: cannot open '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n > 0 { out.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count { break }
        }
        guard ferror(f) == 0 else { throw Failure(description: "--body-file: cannot read '\(path)'") }
        return out
    }
}
