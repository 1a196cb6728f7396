// fuzz-modules: HTTPCore CSystem HTTPServer Media BytespikeMock
// fuzz-generated: routes
// fuzz-sources: Fuzz/Gateway
// fuzz-max-len: 8192
// The whole gateway in-process. An input is either the text form of a request (`METHOD TARGET`,
// header lines, an empty line, the body: what the seed corpus holds) or, when its first byte is
// below 'A', a string of choices for the request grammar built from the Router's route table.
// Either way the harness frames it (Host, Content-Length, Connection: close), sends it to the
// gateway on a real loop over a socketpair, and asserts that exactly one well-formed response
// comes back and the connection closes, with parseable JSON bodies unless the request asked for
// a fault. A trap anywhere in the gateway kills the process: libFuzzer keeps the input.
@testable import BytespikeMock
@testable import HTTPCore
import Glibc
@testable import HTTPServer

nonisolated(unsafe) var rig: GatewayRig!
nonisolated(unsafe) var profile = ExchangeProfile()

@_cdecl("LLVMFuzzerInitialize")
public func fuzzGatewayInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    rig = GatewayRig()
    // The route table came from Router.swift's text: every route must resolve for each of its methods.
    for route in routerRoutes {
        let path = route.pattern.split(separator: "/").map { $0.hasPrefix("{") ? "x" : String($0) }.joined(separator: "/")
        for m in route.methods {
            guard case .success = rig.gateway.router.match(Method(m), "/" + path) else {
                fatalError("generated route \(m) \(route.pattern) does not resolve: scripts/fuzz read Router.swift wrongly")
            }
        }
    }
    return 0
}

/// Words that make a slow or cut answer legitimate: the request asked for a fault, a delay, a
/// long wait or a slow stream.
let faultWords = ["fault", "malformed", "garbage", "reset", "cut", "empty", "stall", "end"]
/// A slow request is watched for at most `slowPatience` seconds, and given up once it has sent
/// nothing for `slowSilence` seconds: then it waits on a timer (a journal wait's default 5 s, a
/// latency fault, a stall), and the code that runs when the timer fires is what inputs with shorter
/// timers reach. Measured (FUZZ_GATEWAY_PROFILE): slow requests that are answered at all are
/// answered within 10 ms in 99.7% of cases, while waiting out each journal wait took 88% of the run.
let slowPatience = 0.3, slowSilence = 0.02
let slowWords = ["latency", "stall", "drip", "pacing", "tps", "ttft", "delay", "wait", "stream", "clock", "fault", "tasks"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGateway(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let request: FuzzRequest
    if let first = input.bytes.first, first < 0x41 {
        _ = input.byte()
        request = FuzzRequest(choices: &input)
    } else {
        request = FuzzRequest(text: input.bytes)
    }
    let bytes = request.bytes
    if getenv("FUZZ_GATEWAY_SHOW") != nil { fputs(String(decoding: bytes, as: UTF8.self) + "\n", stderr) }  // replaying: show the request
    // ASCII-lowercased bytes searched byte by byte: `String.contains` walked Characters and took
    // half of the fuzzing thread's time (perf, 24% of the whole process).
    let lowered = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
    let asksForFault = faultWords.contains { lowered.containsBytes($0.utf8) }
    let mayBeSlow = slowWords.contains { lowered.containsBytes($0.utf8) }
    var lower: String { String(decoding: lowered, as: UTF8.self) }
    let start = ExchangeProfile.enabled ? Sys.monotonicNanos() : 0
    let reply = rig.exchange(bytes, patience: mayBeSlow ? slowPatience : 8, silence: mayBeSlow ? slowSilence : nil)
    let exchanged = ExchangeProfile.enabled ? Sys.monotonicNanos() : 0
    defer {
        let checked = ExchangeProfile.enabled ? Sys.monotonicNanos() : 0
        rig.reset()
        if ExchangeProfile.enabled {
            profile.add(bytes, answered: reply.closedByServer, exchange: exchanged - start, check: checked - exchanged,
                        reset: Sys.monotonicNanos() - checked)
        }
    }
    if !reply.closedByServer {
        if mayBeSlow { return 0 }
        fuzzFailure("no complete answer within 8 s (got \(reply.bytes.count) bytes) to:\n\(lower.prefix(600))")
    }
    // A fault may cut, garble or drop the answer on purpose; otherwise it must be exactly one response.
    if !asksForFault, let problem = ResponseCheck.problem(reply.bytes, isHead: request.method == "HEAD", strictBodies: true) {
        fuzzFailure("\(problem)\nrequest:\n\(lower.prefix(600))\nresponse:\n\(String(decoding: reply.bytes.prefix(getenv("FUZZ_GATEWAY_SHOW") != nil ? 1 << 20 : 600), as: UTF8.self))")
    }
    return 0
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in these bytes (a naive scan: requests are at most 8 KiB).
    func containsBytes(_ needle: String.UTF8View) -> Bool {
        let pattern = Array(needle)
        guard let first = pattern.first, pattern.count <= count else { return pattern.isEmpty }
        var i = 0
        while i + pattern.count <= count {
            if self[i] == first, self[i ..< i + pattern.count].elementsEqual(pattern) { return true }
            i += 1
        }
        return false
    }
}
