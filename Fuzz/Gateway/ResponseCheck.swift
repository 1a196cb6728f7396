@testable import HTTPCore

/// Checks that the bytes a connection received are exactly one complete HTTP/1.1 response:
/// a status line, header fields, then a body framed by Content-Length or chunked encoding, and
/// nothing after it. With `strictBodies`, a JSON body (and every `data:` line of an event
/// stream) must also parse. Returns a description of the first problem, or nil.
enum ResponseCheck {
    struct Head {
        var status: Int
        var headers: [(name: String, value: String)]
        func value(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
    }

    static func problem(_ bytes: [UInt8], isHead: Bool, strictBodies: Bool) -> String? {
        guard let headEnd = find([0x0D, 0x0A, 0x0D, 0x0A], in: bytes, from: 0) else {
            return bytes.isEmpty ? "no response at all" : "the response head never ends"
        }
        let lines = String(decoding: bytes[0..<headEnd], as: UTF8.self).components("\r\n")
        let statusLine = lines[0]
        guard statusLine.hasPrefix("HTTP/1.1 "), statusLine.utf8.count >= 12,
              let status = Int(statusLine.dropFirst(9).prefix(3)), (100...599).contains(status) else {
            return "bad status line '\(statusLine)'"
        }
        var head = Head(status: status, headers: [])
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { return "bad header line '\(line)'" }
            head.headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmed))
        }
        let bodyStart = headEnd + 4
        if status == 100 {  // interim: the real response follows
            return problem(Array(bytes[bodyStart...]), isHead: isHead, strictBodies: strictBodies)
        }
        var body: [UInt8]
        let te = head.value("transfer-encoding"), cl = head.value("content-length")
        if te != nil, cl != nil { return "both Content-Length and Transfer-Encoding" }
        if isHead || status == 204 || status == 304 {
            body = []
            guard bytes.count == bodyStart else { return "\(bytes.count - bodyStart) bytes after a body-less response" }
        } else if let cl {
            guard let n = Int(cl), n >= 0 else { return "bad Content-Length '\(cl)'" }
            guard bytes.count - bodyStart == n else { return "Content-Length \(n) but \(bytes.count - bodyStart) bytes followed" }
            body = Array(bytes[bodyStart...])
        } else if te?.lowercased() == "chunked" {
            switch dechunk(bytes, from: bodyStart) {
            case .failure(let e): return e.why
            case .success(let (b, end)):
                guard end == bytes.count else { return "\(bytes.count - end) bytes after the last chunk" }
                body = b
            }
        } else {
            return "no framing (neither Content-Length nor chunked) for status \(status)"
        }
        guard strictBodies else { return nil }
        let type = head.value("content-type")?.lowercased() ?? ""
        if type.hasPrefix("application/json"), !body.isEmpty {
            do { _ = try JSONParser.parse(body) } catch { return "JSON body does not parse (\(error)): \(preview(body))" }
        } else if type.hasPrefix("text/event-stream") {
            // Lines end in LF, CRLF (Gemini, as Google sends it) or CR; split by byte, since a
            // String search for "\n" does not see the LF inside a CRLF, which is one Character.
            for raw in body.split(omittingEmptySubsequences: true, whereSeparator: { $0 == 0x0A || $0 == 0x0D })
            where raw.starts(with: "data:".utf8) {
                let data = String(decoding: raw.dropFirst(5), as: UTF8.self).trimmed
                guard data != "[DONE]", !data.isEmpty else { continue }
                do { _ = try JSONParser.parse(Array(data.utf8)) } catch { return "event data does not parse (\(error)): \(data.prefix(200))" }
            }
        }
        return nil
    }

    struct Malformed: Error { var why: String }

    static func dechunk(_ bytes: [UInt8], from start: Int) -> Result<([UInt8], Int), Malformed> {
        var i = start
        var body: [UInt8] = []
        while true {
            guard let lineEnd = find([0x0D, 0x0A], in: bytes, from: i) else { return .failure(Malformed(why: "chunked body cut before its last chunk")) }
            let sizeText = String(decoding: bytes[i..<lineEnd], as: UTF8.self)
            guard let size = Int(sizeText, radix: 16), size >= 0 else { return .failure(Malformed(why: "bad chunk size '\(sizeText)'")) }
            i = lineEnd + 2
            if size == 0 {
                guard bytes.count >= i + 2, bytes[i] == 0x0D, bytes[i + 1] == 0x0A else { return .failure(Malformed(why: "last chunk not followed by CRLF")) }
                return .success((body, i + 2))
            }
            guard bytes.count >= i + size + 2 else { return .failure(Malformed(why: "chunked body cut inside a chunk")) }
            body += bytes[i..<(i + size)]
            guard bytes[i + size] == 0x0D, bytes[i + size + 1] == 0x0A else { return .failure(Malformed(why: "chunk data not followed by CRLF")) }
            i += size + 2
        }
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8], from: Int) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var i = from
        while i <= bytes.count - needle.count {
            if bytes[i] == needle[0], bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    static func preview(_ bytes: [UInt8]) -> String { String(decoding: bytes.prefix(300), as: UTF8.self) }
}

extension String {
    /// Split on a separator string (no Foundation).
    func components(_ separator: String) -> [String] {
        var out: [String] = []
        var rest = Substring(self)
        while let r = rest.firstRange(of: separator) {
            out.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        out.append(String(rest))
        return out
    }
}
