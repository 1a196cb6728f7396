import HTTPCore

/// Numbers, strings and string formats of a schema instance.
extension SchemaInstance {
    /// Integers are 1 and numbers 1.5 where the bounds allow (plus `variant`); otherwise the
    /// least value in range that is a multiple of `multipleOf`.
    func number(_ s: JSONObject, integer: Bool, variant: Int) -> JSONValue {
        var lo = s["minimum"]?.number
        var hi = s["maximum"]?.number
        var loOpen = false, hiOpen = false
        // Draft 4 spells exclusivity as a boolean beside minimum/maximum; later drafts as a bound.
        if s["exclusiveMinimum"] == .bool(true) { loOpen = true }
        if s["exclusiveMaximum"] == .bool(true) { hiOpen = true }
        if let e = s["exclusiveMinimum"]?.number, lo.map({ e >= $0 }) ?? true { lo = e; loOpen = true }
        if let e = s["exclusiveMaximum"]?.number, hi.map({ e <= $0 }) ?? true { hi = e; hiOpen = true }
        let step: Double? = s["multipleOf"]?.number.flatMap { $0 > 0 && $0.isFinite ? $0 : nil } ?? (integer ? 1 : nil)
        let inRange: (Double) -> Bool = { v in
            v.isFinite && (lo.map { loOpen ? v > $0 : v >= $0 } ?? true) && (hi.map { hiOpen ? v < $0 : v <= $0 } ?? true)
        }
        let fits: (Double) -> Bool = { v in
            guard inRange(v) else { return false }
            guard let m = step else { return true }
            let q = v / m
            return q.isFinite && q == q.rounded()
        }
        let preferred = (integer ? 1.0 : 1.5) + Double(variant)
        var v = preferred
        if !fits(v) {
            if let m = step {
                let base = lo ?? (hi.map { $0 - m * 4 } ?? preferred)
                var k = (base / m).rounded(.up) + Double(variant)
                if loOpen, let l = lo, k * m <= l { k += 1 }
                v = k * m
            } else if let l = lo, let h = hi {
                v = (l + h) / 2
            } else if let l = lo {
                v = l + (loOpen ? 1 : 0) + Double(variant)
            } else if let h = hi {
                v = h - (hiOpen ? 1 : 0) - Double(variant)
            }
        }
        if !v.isFinite { v = 0 }
        if integer || (v == v.rounded() && step.map { $0 == $0.rounded() } == true) {
            if abs(v) < 9.0e15 { return .int(Int(v)) }
        }
        return .double(v)
    }

    /// A string for the node: a `format` value, a value matching a simple `pattern`, or the hint
    /// (with the variant appended in a `uniqueItems` array), fitted to `minLength`/`maxLength`.
    mutating func string(_ s: JSONObject, variant: Int) -> JSONValue {
        let base = variant == 0 ? hint : "\(hint)\(variant + 1)"
        if case .string(let f)? = s["format"], let formatted = format(f.lowercased(), variant: variant) { return .string(formatted) }
        if case .string(let p)? = s["pattern"] {
            let regex = try? BoundedRegex(p)
            if regex?.matches(base) != .match, let made = SimplePattern.sample(p), regex?.matches(made) != .noMatch {
                return .string(made)
            }
        }
        var scalars = Array(base.unicodeScalars)
        let minLength = min(Self.int(s["minLength"]) ?? 0, Self.maxString, max(0, Self.maxChars - chars))
        if let maxLength = Self.int(s["maxLength"]), scalars.count > maxLength { scalars = Array(scalars.prefix(maxLength)) }
        while scalars.count < minLength { scalars.append("x") }
        chars += scalars.count
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return .string(String(out))
    }

    /// A value of a string `format`, or nil for formats not known here.
    func format(_ f: String, variant: Int) -> String? {
        let day = 15 + variant % 10
        switch f {
        case "date": return "2026-01-\(day)"
        case "date-time": return "2026-01-\(day)T09:30:00Z"
        case "time": return "09:30:00Z"
        case "duration": return "PT\(variant + 1)H"
        case "email": return "\(slug)\(variant == 0 ? "" : String(variant + 1))@example.com"
        case "uri", "url", "iri": return "https://example.com/\(slug)\(variant == 0 ? "" : "/\(variant + 1)")"
        case "uri-reference", "iri-reference": return "/\(slug)"
        case "hostname": return "\(slug).example.com"
        case "ipv4": return "192.0.2.\(1 + variant % 250)"
        case "ipv6": return "2001:db8::\(1 + variant % 250)"
        case "uuid": return uuid(variant)
        default: return nil
        }
    }

    /// The hint in lower-case ASCII letters and digits ("user" when nothing is left).
    var slug: String {
        let kept = hint.lowercased().unicodeScalars.filter { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") }
        return kept.isEmpty ? "user" : String(String.UnicodeScalarView(kept))
    }

    /// A version-4 UUID drawn from the seed, the hint and the variant.
    func uuid(_ variant: Int) -> String {
        var h = ReplyEngine.hash(seed, "uuid", hint, String(variant))
        var bytes: [UInt8] = []
        for _ in 0..<16 {
            h = h &* 6364136223846793005 &+ 1442695040888963407
            bytes.append(UInt8(truncatingIfNeeded: h >> 33))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for (i, b) in bytes.enumerated() {
            if [4, 6, 8, 10].contains(i) { out.append(0x2D) }
            out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
