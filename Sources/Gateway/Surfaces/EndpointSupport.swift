import HTTPCore

/// Small shared pieces of the JSON endpoints: body parsing, time and paging parameters.
enum EndpointSupport {
    /// The request body as a JSON object; an empty body is an empty object, or a 400 when the
    /// endpoint `requires` a body.
    static func jsonObject(_ body: [UInt8], required: Bool = false) -> Result<JSONObject, GatewayError> {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return required ? .failure(.badRequest("the request body is empty; send a JSON object", code: "invalid_request_error"))
                : .success(JSONObject())
        }
        do {
            guard case .object(let o) = try JSONParser.parse(body) else {
                return .failure(.badRequest("request body must be a JSON object", code: "invalid_json"))
            }
            return .success(o)
        } catch {
            return .failure(.badRequest("request body is not valid JSON: \(error)", code: "invalid_json"))
        }
    }

    /// The earliest and latest instants a time parameter may name: 0001-01-01T00:00:00Z and
    /// 9999-12-31T23:59:59Z, as Unix seconds. Arithmetic on two of them cannot overflow.
    static let timeRange = -62_135_596_800...253_402_300_799

    /// The largest `page`: pages past the data are empty, and `(page - 1) * page_size` stays far
    /// from overflow.
    static let maxPage = 1_000_000_000

    /// A time parameter: RFC 3339, a date (`2026-05-21`, midnight UTC), or Unix seconds, within
    /// ``timeRange``; anything else is a 400 naming the parameter.
    static func time(_ q: Query, _ name: String) -> Result<Int?, GatewayError> {
        guard let raw = q.first(name), !raw.isEmpty else { return .success(nil) }
        let parsed: Int?
        if let n = Int(raw) {
            parsed = n
        } else if case let digits = raw.drop(while: { $0 == "-" || $0 == "+" }), digits.count == raw.count - 1 || digits.count == raw.count,
                  !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
            // Digits that do not fit an Int: out of range rather than malformed.
            return .failure(outOfRange(name))
        } else {
            parsed = Timestamp.parse(raw) ?? (raw.count == 10 ? Timestamp.parse(raw + "T00:00:00Z") : nil)
        }
        guard let t = parsed else {
            return .failure(.badRequest("'\(name)' must be an RFC 3339 timestamp, a date (YYYY-MM-DD) or Unix seconds", param: name))
        }
        guard timeRange.contains(t) else { return .failure(outOfRange(name)) }
        return .success(t)
    }

    private static func outOfRange(_ name: String) -> GatewayError {
        .badRequest("'\(name)' must be from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z (Unix seconds \(timeRange.lowerBound) to \(timeRange.upperBound))",
                    param: name)
    }

    /// `page` (1...``maxPage``) and `page_size` (1...max).
    static func paging(_ q: Query, defaultSize: Int, maxSize: Int) -> Result<(page: Int, size: Int), GatewayError> {
        let page = q.first("page").map { Int($0) ?? 0 } ?? 1
        let size = q.first("page_size").map { Int($0) ?? 0 } ?? defaultSize
        guard (1...maxPage).contains(page) else {
            return .failure(.badRequest("'page' must be an integer from 1 to \(maxPage)", param: "page"))
        }
        guard (1...maxSize).contains(size) else {
            return .failure(.badRequest("'page_size' must be an integer from 1 to \(maxSize)", param: "page_size"))
        }
        return .success((page, size))
    }

    /// The common filter trio of the listing endpoints: `since`, `until` and paging.
    static func listing(_ q: Query, defaultSize: Int, maxSize: Int) -> Result<(since: Int?, until: Int?, page: (page: Int, size: Int)), GatewayError> {
        time(q, "since").flatMap { since in
            time(q, "until").flatMap { until in
                paging(q, defaultSize: defaultSize, maxSize: maxSize).map { (since, until, $0) }
            }
        }
    }

    static func page<T>(_ items: [T], _ p: (page: Int, size: Int)) -> ArraySlice<T> {
        let start = min(items.count, (p.page - 1) * p.size)
        return items[start..<min(items.count, start + p.size)]
    }
}

extension JSONWriter {
    /// USD with six decimals from credits: exact to the credit.
    mutating func usd(_ c: Credits) { fixed(c.micros, decimals: 6) }

    mutating func time(_ t: Int) { string(Timestamp.format(t)) }

    mutating func optionalString(_ s: String?) { if let s { string(s) } else { null() } }

    /// A key's spend windows as `[{name, limit_usd, spent_usd, remaining_usd, reset}]`: the shape
    /// `/v1/balance` and `GET /__mock/keys` share.
    mutating func windows(_ list: [WindowState]) {
        arrayStart()
        for win in list {
            objectStart()
            key("name"); string(win.name)
            key("limit_usd"); usd(win.limit)
            key("spent_usd"); usd(win.spent)
            key("remaining_usd"); usd(win.remaining)
            key("reset"); int(win.reset)
            objectEnd()
        }
        arrayEnd()
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
