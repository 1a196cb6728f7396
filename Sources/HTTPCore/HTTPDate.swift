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
        let (days, secs) = CivilCalendar.split(seconds)
        let weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday
        let (y, m, d) = CivilCalendar.date(fromDays: days)
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

    private static func two(_ v: Int, _ out: inout [UInt8]) {
        out.append(0x30 + UInt8(v / 10))
        out.append(0x30 + UInt8(v % 10))
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
}
