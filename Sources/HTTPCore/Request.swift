/// A complete, parsed HTTP request: head plus fully read (de-chunked) body.
///
/// The head is kept as one byte array with field ranges into it, so parsing allocates twice
/// per request and strings are materialised only for values a handler reads.
public struct Request: Sendable {
    /// Byte range of one header field inside `rawHead`.
    struct FieldRange: Sendable {
        var nameStart: Int32, nameEnd: Int32, valueStart: Int32, valueEnd: Int32
    }

    public let method: Method
    public let version: Version
    /// Whether the connection may be reused after the response (version default and `Connection`).
    public let keepAlive: Bool
    public var body: [UInt8]

    let rawHead: [UInt8]
    /// The path and query of the target (for an absolute-form target, what follows its authority).
    let targetRange: Range<Int>
    /// The authority of an absolute-form target, or nil for origin form.
    let authorityRange: Range<Int>?
    let fieldRanges: [FieldRange]
    /// One bit per field name (``nameBit(length:first:last:)``): a look-up for a header that is
    /// not there, the common case, usually ends here without comparing any name.
    let nameFilter: UInt64

    init(method: Method, version: Version, keepAlive: Bool, rawHead: [UInt8], targetRange: Range<Int>,
         authorityRange: Range<Int>? = nil, fieldRanges: [FieldRange], body: [UInt8]) {
        self.method = method
        self.version = version
        self.keepAlive = keepAlive
        self.rawHead = rawHead
        self.targetRange = targetRange
        self.authorityRange = authorityRange
        self.fieldRanges = fieldRanges
        self.body = body
        var filter: UInt64 = 0
        for f in fieldRanges where f.nameEnd > f.nameStart {
            filter |= Self.nameBit(length: Int(f.nameEnd - f.nameStart), first: rawHead[Int(f.nameStart)],
                                   last: rawHead[Int(f.nameEnd) - 1])
        }
        nameFilter = filter
    }

    /// The filter bit of a name of `length` bytes from its first and last bytes, case-insensitively.
    static func nameBit(length: Int, first: UInt8, last: UInt8) -> UInt64 {
        1 << UInt64((length &* 7 &+ Int(asciiLower(first)) &* 3 &+ Int(asciiLower(last))) & 63)
    }

    /// The request target in origin form, e.g. `/v1/models?capability=vision`: as sent, or for an
    /// absolute-form target (`http://host/v1/models?…`, RFC 9112 §3.2.2) what follows the authority
    /// (`/` when that has no path).
    public var target: String {
        let t = String(decoding: rawHead[targetRange], as: UTF8.self)
        return authorityRange != nil && !t.hasPrefix("/") ? "/" + t : t
    }

    /// Bytes the head occupies in memory (its raw bytes and field index): what keeping the
    /// request costs besides its body.
    public var headBytes: Int { rawHead.count + fieldRanges.count * 16 }

    /// The target without its query string (`/` for an absolute-form target without a path).
    public var path: String {
        let end = queryStart.map { $0 - 1 } ?? targetRange.upperBound
        if authorityRange != nil, end == targetRange.lowerBound { return "/" }
        return String(decoding: rawHead[targetRange.lowerBound..<end], as: UTF8.self)
    }

    /// The host the request is for: the authority of an absolute-form target, which wins over the
    /// `Host` field (RFC 9112 §3.2.2), else the `Host` field's value; nil when neither is there.
    public var host: String? {
        if let a = authorityRange { return String(decoding: rawHead[a], as: UTF8.self) }
        return header("host")
    }

    /// The raw query string after `?`, or nil.
    public var query: String? {
        queryStart.map { String(decoding: rawHead[$0..<targetRange.upperBound], as: UTF8.self) }
    }

    private var queryStart: Int? {
        rawHead[targetRange].firstIndex(of: UInt8(ascii: "?")).map { $0 + 1 }
    }

    /// The first value of the header `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? {
        withHeaderValue(name) { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether a header named `name` is present.
    public func hasHeader(_ name: String) -> Bool { valueRange(name) != nil }

    /// `read` applied to the value bytes of the first header `name` (case-insensitive), or nil
    /// when there is none; the bytes are only valid inside `read`. (Not generic: a generic method
    /// called from another module runs unspecialised.)
    public func withHeaderValue(_ name: String, _ read: (UnsafeBufferPointer<UInt8>) -> String) -> String? {
        guard let r = valueRange(name) else { return nil }
        return rawHead.withUnsafeBufferPointer { read(UnsafeBufferPointer(rebasing: $0[r])) }
    }

    /// Where the value of the first header `name` (case-insensitive) sits in `rawHead`.
    private func valueRange(_ name: String) -> Range<Int>? {
        var name = name
        return name.withUTF8 { n -> Range<Int>? in
            // The filter rules most absent names out without comparing any.
            guard let first = n.first, let last = n.last,
                  nameFilter & Self.nameBit(length: n.count, first: first, last: last) != 0 else { return nil }
            return rawHead.withUnsafeBufferPointer { head -> Range<Int>? in
                for f in fieldRanges where Int(f.nameEnd - f.nameStart) == n.count {
                    let start = Int(f.nameStart)
                    var j = 0
                    while j < n.count, asciiLower(head[start + j]) == asciiLower(n[j]) { j += 1 }
                    if j == n.count { return Int(f.valueStart)..<Int(f.valueEnd) }
                }
                return nil
            }
        }
    }

    /// All header fields in order, materialised.
    public var headers: HeaderList {
        HeaderList(fieldRanges.map {
            (String(decoding: rawHead[Int($0.nameStart)..<Int($0.nameEnd)], as: UTF8.self),
             String(decoding: rawHead[Int($0.valueStart)..<Int($0.valueEnd)], as: UTF8.self))
        })
    }
}
