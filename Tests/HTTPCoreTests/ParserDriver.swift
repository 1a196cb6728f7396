@testable import HTTPCore

/// Feeds bytes to a `RequestParser` the way a connection does (a growing buffer, consumed
/// requests dropped from its front), in chunks of a chosen size.
struct ParserDriver {
    enum Outcome: Equatable {
        case request(method: String, target: String, body: [UInt8], keepAlive: Bool)
        case error(ParseError)
    }

    /// How the input is split into arrivals.
    enum Feeding: CaseIterable, CustomStringConvertible {
        case whole, byteByByte, threeBytes
        var description: String { "\(self == .whole ? "whole" : self == .byteByByte ? "byte by byte" : "3 bytes")" }
        func chunks(_ bytes: [UInt8]) -> [[UInt8]] {
            switch self {
            case .whole: [bytes]
            case .byteByByte: bytes.map { [$0] }
            case .threeBytes: stride(from: 0, to: bytes.count, by: 3).map { Array(bytes[$0..<min($0 + 3, bytes.count)]) }
            }
        }
    }

    static func run(_ text: String, _ feeding: Feeding, limits: ParserLimits = ParserLimits()) -> [Outcome] {
        run(Array(text.utf8), feeding, limits: limits)
    }

    static func run(_ bytes: [UInt8], _ feeding: Feeding, limits: ParserLimits = ParserLimits()) -> [Outcome] {
        var parser = RequestParser(limits: limits)
        var buffer: [UInt8] = []
        var out: [Outcome] = []
        for chunk in feeding.chunks(bytes) {
            buffer += chunk
            loop: while !buffer.isEmpty {
                switch parser.parse(buffer) {
                case .needMore: break loop
                case .request(let r, let consumed):
                    out.append(.request(method: r.method.rawValue, target: r.target, body: r.body, keepAlive: r.keepAlive))
                    buffer.removeFirst(consumed)
                case .error(let e):
                    out.append(.error(e))
                    return out
                }
            }
        }
        return out
    }

    /// Parses one complete request, whole.
    static func request(_ text: String) -> Request? {
        var parser = RequestParser()
        if case .request(let r, _) = parser.parse(Array(text.utf8)) { return r }
        return nil
    }
}
