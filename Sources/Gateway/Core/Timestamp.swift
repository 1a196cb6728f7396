/// Parses and formats RFC 3339 UTC timestamps (`2026-01-04T07:11:00Z`) without Foundation.
enum Timestamp {
    /// Unix seconds for `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`, or nil.
    static func parse(_ s: String) -> Int? {
        let b = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= b.count else { return nil }
            var v = 0
            for i in from..<(from + len) {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard b.count >= 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54 || b[10] == 0x74 || b[10] == 0x20,
              b[13] == 0x3A, b[16] == 0x3A,
              let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2),
              let h = num(11, 2), let mi = num(14, 2), let sec = num(17, 2),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61 else { return nil }
        var i = 19
        if i < b.count, b[i] == 0x2E {
            i += 1
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == 0x5A || b[i] == 0x7A {
            i += 1
        } else if b[i] == 0x2B || b[i] == 0x2D, let oh = num(i + 1, 2), b.count > i + 3, b[i + 3] == 0x3A, let om = num(i + 4, 2) {
            offset = (oh * 3600 + om * 60) * (b[i] == 0x2B ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        return CivilCalendar.days(year: y, month: mo, day: d) * 86_400 + h * 3600 + mi * 60 + sec - offset
    }

    /// The Unix seconds RFC 3339 can write: 0000-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
    static let writable = -62_167_219_200...253_402_300_799

    /// `2026-01-04T07:11:00Z` for Unix seconds; a time beyond what four year digits can write is
    /// written as the nearest one that fits (inputs are range-checked where they enter; this keeps
    /// a stray value from trapping the calendar arithmetic).
    static func format(_ t: Int) -> String {
        let (days, secs) = CivilCalendar.split(min(max(t, writable.lowerBound), writable.upperBound))
        let (y, m, d) = CivilCalendar.date(fromDays: days)
        func p2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let year = String(y)
        return "\(String(repeating: "0", count: max(0, 4 - year.count)))\(year)-\(p2(m))-\(p2(d))T\(p2(secs / 3600)):\(p2(secs / 60 % 60)):\(p2(secs % 60))Z"
    }
}

import HTTPCore
