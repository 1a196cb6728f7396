/// IMF-fixdate formatting (RFC 9110 §5.6.7) from Unix seconds, by civil-calendar arithmetic.
public enum HTTPDate {
    /// `Sun, 06 Nov 1994 08:49:37 GMT` for `seconds` since the epoch.
    public static func format(_ seconds: Int) -> String {
        String(decoding: bytes(seconds), as: UTF8.self)
    }

    /// The complete header line `Date: …\r\n`.
    public static func headerLine(_ seconds: Int) -> [UInt8] {
        Array("Date: ".utf8) + bytes(seconds) + [0x0D, 0x0A]
    }

    static func bytes(_ seconds: Int) -> [UInt8] {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secs = seconds - days * 86_400
        let weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday
        let (y, m, d) = civil(fromDays: days)
        var out: [UInt8] = []
        out.reserveCapacity(29)
        out += Array(weekdays[weekday].utf8) + [0x2C, 0x20]
        two(d, &out); out.append(0x20)
        out += Array(months[m - 1].utf8); out.append(0x20)
        appendDecimal(y, to: &out); out.append(0x20)
        two(secs / 3600, &out); out.append(0x3A)
        two(secs / 60 % 60, &out); out.append(0x3A)
        two(secs % 60, &out)
        out += Array(" GMT".utf8)
        return out
    }

    /// Howard Hinnant's days-to-civil algorithm.
    static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    private static func two(_ v: Int, _ out: inout [UInt8]) {
        out.append(0x30 + UInt8(v / 10))
        out.append(0x30 + UInt8(v % 10))
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
}
