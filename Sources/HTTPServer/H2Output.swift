import CSystem
import Glibc

/// What an HTTP/2 connection has serialised and not yet handed to the kernel, as a list of
/// pieces written with one `sendmsg` of several iovecs: frame headers, HPACK blocks and small
/// DATA payloads are copied into ``framing``; a large DATA payload is not copied at all, its piece
/// keeps the stream's queued byte array (a retained, never mutated copy of the value) and the
/// range the frame carries, until the kernel took those bytes.
///
/// ``pending`` counts every byte not yet written, copied or not, so the high watermark and the
/// ``OutputBudget`` see the same bytes as when payloads were copied. A partial write resumes in
/// the middle of a piece.
///
/// A plain value, owned by one ``H2Connection`` and used on its loop thread only.
struct H2Output {
    /// One run of bytes to write: `framing[start..<end]` when `payload` is nil, else `payload[start..<end]`.
    struct Piece {
        var payload: [UInt8]?
        var start: Int
        var end: Int
    }

    /// Payloads shorter than this are copied into ``framing`` (an iovec of its own costs more).
    static let copyBelow = 2048
    /// Iovecs per `sendmsg` (Linux allows 1024; a batch rarely has more than 2 per stream).
    static let maxIovecs = 64

    /// The copied bytes; the pieces without a payload point into it.
    var framing: [UInt8] = []
    private(set) var pieces: [Piece] = []
    /// The first piece not written completely, and how much of it was written.
    private(set) var first = 0
    private(set) var firstSent = 0
    /// Bytes queued and not yet written.
    private(set) var pending = 0

    var isEmpty: Bool { pending == 0 }

    // MARK: appending

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count > 0 else { return }
        framing.append(contentsOf: bytes)
        grewFraming(by: bytes.count)
    }

    mutating func append(_ byte: UInt8) {
        framing.append(byte)
        grewFraming(by: 1)
    }

    mutating func appendZeros(_ count: Int) {
        guard count > 0 else { return }
        framing.append(contentsOf: repeatElement(0, count: count))
        grewFraming(by: count)
    }

    /// `payload[range]`: copied when short, else referenced (the array is retained, not copied).
    mutating func append(payload: [UInt8], range: Range<Int>) {
        guard !range.isEmpty else { return }
        if range.count < Self.copyBelow {
            payload.withUnsafeBufferPointer { append(UnsafeBufferPointer(rebasing: $0[range])) }
            return
        }
        pieces.append(Piece(payload: payload, start: range.lowerBound, end: range.upperBound))
        pending += range.count
    }

    private mutating func grewFraming(by n: Int) {
        let end = framing.count
        if let last = pieces.indices.last, pieces[last].payload == nil, pieces[last].end == end - n {
            pieces[last].end = end
        } else {
            pieces.append(Piece(payload: nil, start: end - n, end: end))
        }
        pending += n
    }

    // MARK: writing

    /// One `sendmsg` of the pending pieces (at most ``maxIovecs``); what the kernel took is
    /// dropped from the front. Nothing pending: `.done(0)` without a system call.
    mutating func write(to fd: Int32) throws(SystemError) -> IOResult<Int> {
        guard pending > 0 else { return .done(0) }
        let count = min(pieces.count - first, Self.maxIovecs)
        let r = try withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { (v) throws(SystemError) -> IOResult<Int> in
            framing.withUnsafeBytes { f in
                for k in 0..<count {
                    let p = pieces[first + k]
                    let skip = k == 0 ? firstSent : 0
                    let base: UnsafeRawPointer? = if p.payload == nil {
                        f.baseAddress
                    } else {
                        // The piece holds the array and nobody mutates that copy: its storage
                        // stays where it is until the piece is dropped.
                        p.payload!.withUnsafeBytes { $0.baseAddress }
                    }
                    v[k] = iovec(iov_base: UnsafeMutableRawPointer(mutating: base! + p.start + skip),
                                 iov_len: p.end - p.start - skip)
                }
            }
            var msg = msghdr()
            msg.msg_iov = v.baseAddress
            msg.msg_iovlen = count
            return try Sys.call("sendmsg") { Glibc.sendmsg(fd, &msg, Int32(MSG_NOSIGNAL)) }
        }
        if case .done(let n) = r { consume(n) }
        return r
    }

    /// Drops `n` written bytes from the front.
    mutating func consume(_ n: Int) {
        precondition(n >= 0 && n <= pending, "consumed \(n) of \(pending) pending bytes")
        pending -= n
        var left = n
        while left > 0 {
            let rest = pieces[first].end - pieces[first].start - firstSent
            if left < rest {
                firstSent += left
                break
            }
            left -= rest
            pieces[first].payload = nil  // the kernel has these bytes: release the array now
            first += 1
            firstSent = 0
        }
        if pending == 0 {
            pieces.removeAll(keepingCapacity: true)
            first = 0
            firstSent = 0
            framing.removeAll(keepingCapacity: true)
        } else if first >= 32, first * 2 >= pieces.count {
            compact()
        }
    }

    /// Drops the written pieces and the copied bytes no pending piece needs (output that keeps
    /// flowing without ever emptying must not grow without bound).
    private mutating func compact() {
        pieces.removeFirst(first)
        first = 0
        guard let cut = pieces.first(where: { $0.payload == nil })?.start, cut > 0 else { return }
        framing.removeFirst(cut)
        for i in pieces.indices where pieces[i].payload == nil { pieces[i].start -= cut; pieces[i].end -= cut }
    }

    /// Forgets everything (the connection is closing); returns the copy buffer for reuse.
    mutating func reset() -> [UInt8] {
        let f = framing
        self = H2Output()
        return f
    }
}
