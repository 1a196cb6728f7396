/// One request the gateway harness sends: framing (Host, Content-Length, Connection: close) is
/// always added by `bytes`, so every input is a complete, well-framed request whatever its
/// method, target, headers and body, and a missing answer is the gateway's fault, not framing's.
struct FuzzRequest {
    var method = "GET"
    var target = "/"
    var headers: [(String, String)] = []
    var body: [UInt8] = []

    /// Headers the harness owns (framing); an input's own copies are dropped.
    static let framing: Set = ["host", "content-length", "transfer-encoding", "connection", "expect", "upgrade"]

    var bytes: [UInt8] {
        var out = Array("\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8)
        for (name, value) in headers where !Self.framing.contains(name.lowercased()) {
            out += Array("\(name): \(value)\r\n".utf8)
        }
        out += Array("Connection: close\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
        return out + body
    }

    // MARK: text form (the seed corpus)

    /// The text form: `METHOD TARGET` on the first line, `Name: value` lines, an empty line, the
    /// body. Whatever the bytes, the result is made valid (token method, printable target,
    /// clean header names and values), so mutations of a seed stay requests.
    init(text bytes: [UInt8]) {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0, bodyStart = bytes.count
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x0A {
                var line = bytes[start..<i]
                if line.last == 0x0D { line = line.dropLast() }
                if line.isEmpty, !lines.isEmpty { bodyStart = i + 1; break }
                lines.append(line)
                start = i + 1
            }
            i += 1
        }
        if i == bytes.count, start < bytes.count { lines.append(bytes[start...]) }
        if let first = lines.first {
            let parts = first.split(separator: 0x20, maxSplits: 1)
            let m = (parts.first ?? []).filter(isTokenByte)
            method = m.isEmpty ? "GET" : String(decoding: m.prefix(20), as: UTF8.self)
            if parts.count > 1 { target = Self.cleanTarget(parts[1]) }
        }
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: 0x3A) else { continue }
            let name = line[line.startIndex..<colon].filter(isTokenByte)
            guard !name.isEmpty else { continue }
            let value = line[(colon + 1)...].filter { $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }
            headers.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self).trimmed))
        }
        body = bodyStart < bytes.count ? Array(bytes[bodyStart...]) : []
    }

    /// Printable ASCII only, starting with `/`; percent-encodes anything else.
    static func cleanTarget<C: Collection<UInt8>>(_ raw: C) -> String {
        var out = ""
        for b in raw {
            if b > 0x20, b < 0x7F { out.unicodeScalars.append(Unicode.Scalar(b)) } else { out += "%" + String(b, radix: 16, uppercase: true).leftPadded }
        }
        if out.first != "/" { out = "/" + out }
        return String(out.prefix(2000))
    }
}

func isTokenByte(_ b: UInt8) -> Bool {
    switch b {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
    default: "!#$%&'*+-.^_`|~".utf8.contains(b)
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
    var leftPadded: String { count < 2 ? "0" + self : self }
}
