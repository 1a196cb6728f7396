// fuzz-modules: HTTPCore CSystem HTTPServer Media BytespikeMock
// fuzz-max-len: 2048
// The reply-rule matcher: the input's lines are a regex, a `contains` needle, a model glob and a
// model id; the rest is the user text. The rule is built the way fixtures and the control API
// build it (so an invalid regex is rejected there), then matched. `contains` must agree with a
// plain byte search, and a match must not take long (libFuzzer's -timeout catches a runaway
// regex, the "(a+)+$" freeze).
@testable import BytespikeMock
@testable import HTTPCore

func naiveContains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    if needle.isEmpty { return true }
    guard haystack.count >= needle.count else { return false }
    return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReplyRule(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    var lines = bytes.split(separator: 0x0A, maxSplits: 4, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    while lines.count < 5 { lines.append("") }
    let (regex, needle, pattern, model, text) = (lines[0], lines[1], lines[2], lines[3], lines[4])
    var match = JSONObject()
    if !regex.isEmpty { match.append("regex", .string(regex)) }
    if !needle.isEmpty { match.append("contains", .string(needle)) }
    if !pattern.isEmpty { match.append("model", .string(pattern)) }
    var reply = JSONObject()
    reply.append("text", .string("ok"))
    var object = JSONObject()
    object.append("match", .object(match))
    object.append("reply", .object(reply))
    let rule: ReplyRule
    do throws(FixtureError) {
        rule = try ReplyRule(FixtureReader(file: "replies.json", path: "", object: object), defaultID: "r1", origin: "runtime")
    } catch {
        return 0  // an invalid regex is refused where the rule is added
    }
    for surface in TextSurface.allCases {
        let matched = rule.match.matches(text: text, toolResult: false, surface: surface, model: model)
        if matched, !needle.isEmpty, !naiveContains(Array(text.utf8), Array(needle.utf8)) {
            fuzzFailure("matched although '\(needle)' is not in the text")
        }
    }
    if regex.isEmpty, pattern.isEmpty {
        let expected = naiveContains(Array(text.utf8), Array(needle.utf8))
        guard rule.match.matches(text: text, toolResult: true, surface: .chat, model: model) == expected else {
            fuzzFailure("contains '\(needle)' disagrees with a byte search (expected \(expected))")
        }
    }
    return 0
}
