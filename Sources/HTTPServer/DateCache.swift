/// The `Date:` header line, reformatted at most once per second. Confined to one loop thread.
final class DateCache {
    private var second = -1
    private var line: [UInt8] = []

    /// The current `Date: …\r\n` line.
    var current: [UInt8] {
        let now = Sys.unixSeconds()
        if now != second {
            second = now
            line = HTTPDate.headerLine(now)
        }
        return line
    }
}

import HTTPCore
