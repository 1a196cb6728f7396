import Glibc
@testable import HTTPServer
import Testing

/// HTTP/2's output as iovecs (``H2Output``) through a real socket pair whose send buffer is
/// small, so writes are partial and resume in the middle of copied and referenced pieces.
@Suite struct H2OutputTests {
    /// A connected AF_UNIX stream pair: the writer non-blocking with a small send buffer.
    private func socketPair() -> (writer: Int32, reader: Int32) {
        var fds: [Int32] = [0, 0]
        precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        var size: Int32 = 4096
        _ = setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        return (fds[0], fds[1])
    }

    /// Reads what is there (at most `limit` bytes) without blocking.
    private func readSome(_ fd: Int32, limit: Int, into out: inout [UInt8]) {
        var buf = [UInt8](repeating: 0, count: limit)
        let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, limit) }
        if n > 0 { out.append(contentsOf: buf[0..<n]) }
    }

    private func bytes(_ count: Int, seed: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 7 &+ 1) }
    }

    @Test func partialWrites_resumeInsideCopiedAndReferencedPieces_andDeliverEveryByteInOrder() throws {
        let (w, r) = socketPair()
        defer { close(w); close(r) }
        var out = H2Output()
        var expected: [UInt8] = []
        var received: [UInt8] = []
        var partial = 0
        var written = 0
        for round in 0..<200 {
            // A frame header, a payload (large ones referenced, small ones copied), padding.
            let header = bytes(9, seed: round)
            header.withUnsafeBufferPointer { out.append($0) }
            expected += header
            let size = [40, 16_384, 1_000, 5_000, 2_047, 2_048][round % 6]
            let payload = bytes(size + 10, seed: round + 1)
            out.append(payload: payload, range: 5..<(5 + size))
            expected += payload[5..<(5 + size)]
            if round % 5 == 0 { out.append(7); out.appendZeros(6); expected += [7, 0, 0, 0, 0, 0, 0] }
            #expect(out.pending + written == expected.count, "every byte appended is pending or written")
            // Write once (the buffer is small: usually partial), read a little.
            let before = out.pending
            if case .done(let n) = try out.write(to: w) {
                #expect(out.pending == before - n, "the pending count drops by what the kernel took")
                written += n
                if n < before { partial += 1 }
            }
            readSome(r, limit: 3_000 + round * 13 % 5_000, into: &received)
        }
        // Drain.
        var spins = 0
        while !out.isEmpty, spins < 100_000 {
            _ = try out.write(to: w)
            readSome(r, limit: 65_536, into: &received)
            spins += 1
        }
        while received.count < expected.count, spins < 200_000 {
            readSome(r, limit: 65_536, into: &received)
            spins += 1
        }
        #expect(out.isEmpty)
        #expect(partial > 20, "the test must exercise partial writes (\(partial))")
        #expect(received.count == expected.count)
        #expect(received == expected)
        #expect(out.pieces.isEmpty && out.framing.isEmpty, "everything written: the pieces and copies are dropped")
    }

    @Test func pendingCounts_copiedAndReferencedBytesAlike() {
        var out = H2Output()
        let big = bytes(20_000, seed: 3)
        out.append(payload: big, range: 0..<16_384)
        out.append(payload: big, range: 16_384..<16_400)
        out.appendZeros(3)
        #expect(out.pending == 16_384 + 16 + 3)
        #expect(out.framing.count == 19, "only the short payload and the padding are copied")
        out.consume(16_390)
        #expect(out.pending == 13)
        #expect(out.pieces[out.first].payload == nil, "the referenced piece is released once written")
    }

    @Test func aReferencedPayload_isNotChangedByLaterWritesToTheQueue() throws {
        let (w, r) = socketPair()
        defer { close(w); close(r) }
        var out = H2Output()
        var queue = bytes(4_000, seed: 9)
        let original = queue
        out.append(payload: queue, range: 0..<4_000)
        queue.removeAll(keepingCapacity: true)  // the stream compacts and writes on
        queue.append(contentsOf: [UInt8](repeating: 0xEE, count: 4_000))
        var received: [UInt8] = []
        var spins = 0
        while received.count < 4_000, spins < 100_000 {
            _ = try out.write(to: w)
            readSome(r, limit: 1_024, into: &received)
            spins += 1
        }
        #expect(received == original)
    }
}
