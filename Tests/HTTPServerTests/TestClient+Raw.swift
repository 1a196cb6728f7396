import Glibc
import TestSupport

extension TestClient {
    /// Reads straight from the socket until EOF or an error, bypassing the client's own buffer
    /// (use it only on a client nothing was read from yet). `errno` is 0 for EOF, else the failed
    /// `recv`'s errno: ECONNRESET for a reset, EAGAIN when the 5 s receive timeout passed.
    func readRaw() -> (bytes: [UInt8], errno: Int32) {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return (out, 0) }
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                return (out, Glibc.errno)
            }
            out += chunk[0..<n]
        }
    }

    /// Sends `bytes` and reports the errno of a failed send (0 when all was sent).
    func sendRaw(_ text: String) -> Int32 {
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
        return n < 0 ? Glibc.errno : 0
    }
}

/// A raw response cut apart: the head (up to and without the blank line) and the decoded chunked
/// body. `terminated` is true when the last-chunk `0\r\n\r\n` arrived; `rest` holds bytes after
/// the last complete chunk (a partial chunk, or anything after the terminator).
struct RawChunkedResponse {
    var head: String
    var payload: [UInt8] = []
    var chunkCount = 0
    var terminated = false
    var rest: [UInt8] = []

    init?(_ bytes: [UInt8]) {
        let sep: [UInt8] = [13, 10, 13, 10]
        guard let end = (0...max(0, bytes.count - 4)).first(where: { Array(bytes[$0..<min($0 + 4, bytes.count)]) == sep }),
              bytes.count >= 4 else { return nil }
        head = String(decoding: bytes[0..<end], as: UTF8.self)
        var i = end + 4
        while i < bytes.count {
            guard let lineEnd = (i..<(bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                  let size = Int(String(decoding: bytes[i..<lineEnd], as: UTF8.self), radix: 16) else { break }
            if size == 0 {
                if bytes.count >= lineEnd + 4 { terminated = true; i = lineEnd + 4 }
                break
            }
            let start = lineEnd + 2
            guard bytes.count >= start + size + 2 else { break }
            payload += bytes[start..<(start + size)]
            chunkCount += 1
            i = start + size + 2
        }
        rest = Array(bytes[min(i, bytes.count)...])
    }
}
