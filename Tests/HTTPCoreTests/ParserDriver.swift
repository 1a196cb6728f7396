@testable import HTTPCore

/// Feeds bytes to a `RequestParser` the way a connection does (a growing buffer, consumed
/// requests dropped from its front), in chunks of a chosen size.
struct ParserDriver {
    enum Outcome: Equatable {
        case request(method: String, target: String, body: [UInt8], keepAlive: Bool)
        case error(ParseError)
        /// The input ended inside a message, this many bytes into it.
        case incomplete(Int)
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
        let (out, _) = drive(feeding.chunks(bytes).map { $0[...] }, limits: limits)
        return out
    }

    /// Every outcome of `bytes` arriving in pieces cut at `cuts` (ascending offsets), the way a
    /// connection sees them, ending with ``Outcome/incomplete(_:)`` when bytes are left over.
    static func outcomes(_ bytes: [UInt8], cuts: [Int], limits: ParserLimits = ParserLimits()) -> [Outcome] {
        var pieces: [ArraySlice<UInt8>] = []
        var from = 0
        for end in cuts + [bytes.count] where end >= from {
            pieces.append(bytes[from..<end])
            from = end
        }
        var (out, left) = drive(pieces, limits: limits)
        if left > 0 { out.append(.incomplete(left)) }
        return out
    }

    /// Parses `pieces` as they arrive one after another; the outcomes, and how many bytes were left unparsed.
    private static func drive(_ pieces: [ArraySlice<UInt8>], limits: ParserLimits) -> ([Outcome], Int) {
        var parser = RequestParser(limits: limits)
        var buffer: [UInt8] = []
        var out: [Outcome] = []
        for piece in pieces {
            buffer += piece
            loop: while !buffer.isEmpty {
                switch parser.parse(buffer) {
                case .needMore: break loop
                case .request(let r, let consumed):
                    out.append(.request(method: r.method.rawValue, target: r.target, body: r.body, keepAlive: r.keepAlive))
                    buffer.removeFirst(consumed)
                case .error(let e):
                    out.append(.error(e))
                    return (out, 0)
                }
            }
        }
        return (out, buffer.count)
    }

    /// Parses one complete request, whole.
    static func request(_ text: String) -> Request? {
        var parser = RequestParser()
        if case .request(let r, _) = parser.parse(Array(text.utf8)) { return r }
        return nil
    }
}
