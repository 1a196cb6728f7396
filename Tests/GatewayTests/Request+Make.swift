import HTTPCore

/// Requests for journal tests, made by the real parser from wire bytes.
enum RequestMake {
    static func post(_ path: String, body: String, headers: [(String, String)] = [("Content-Type", "application/json")]) -> Request {
        var wire = "POST \(path) HTTP/1.1\r\nHost: t\r\n"
        for (n, v) in headers { wire += "\(n): \(v)\r\n" }
        wire += "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        var parser = RequestParser()
        guard case .request(let r, _) = parser.parse(Array(wire.utf8)) else { fatalError("unparseable test request") }
        return r
    }
}
