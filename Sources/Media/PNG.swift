extension Media {
    /// Largest width and height `png` accepts.
    public static let pngMaxSide = 4096

    /// A PNG of exactly width×height showing a simple, recognisable pattern derived from `seed`: a
    /// background-coloured grid holding a checkerboard of two colours, a diagonal of accent tiles and a
    /// seed-chosen scattering of other palette colours. The same arguments always give the same bytes.
    /// Indexed colour (16-entry palette), 8 bits per pixel. Width and height must be in 1...`pngMaxSide`.
    public static func png(width: Int, height: Int, seed: UInt64) -> [UInt8] {
        precondition((1...pngMaxSide).contains(width) && (1...pngMaxSide).contains(height),
                     "Media.png: width and height must be in 1...\(pngMaxSide)")
        let pattern = PNGPattern(width: width, height: height, seed: seed)
        let idat = PNGEncoder.imageData(pattern)

        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        out.reserveCapacity(8 + 25 + 12 + pattern.palette.count + 12 + idat.count + 12)
        var header: [UInt8] = []
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header += [8, 3, 0, 0, 0]  // bit depth 8, colour type 3 (indexed), deflate, adaptive filters, no interlace
        PNGEncoder.appendChunk("IHDR", header, to: &out)
        PNGEncoder.appendChunk("PLTE", pattern.palette, to: &out)
        PNGEncoder.appendChunk("IDAT", idat, to: &out)
        PNGEncoder.appendChunk("IEND", [], to: &out)
        return out
    }

    /// The palette colour (r, g, b) the pattern puts at pixel (x, y) — the same function the encoder draws with,
    /// so tests (and the gateway's docs) can state what a pixel must be.
    public static func pngPixel(x: Int, y: Int, width: Int, height: Int, seed: UInt64) -> (UInt8, UInt8, UInt8) {
        precondition((0..<width).contains(x) && (0..<height).contains(y), "Media.pngPixel: pixel outside the image")
        let pattern = PNGPattern(width: width, height: height, seed: seed)
        return pattern.colour(pattern.index(x: x, y: y))
    }
}

/// The picture `Media.png` draws: a palette and a tile grid, both derived from the seed and the size.
/// `index(x:y:)` defines it; `drawRow` is the encoder's span-filling equivalent. Sendable value.
struct PNGPattern: Sendable {
    static let paletteSize = 16
    /// Palette index of the background and grid lines.
    static let background: UInt8 = 0

    let width: Int
    let height: Int
    /// `paletteSize` RGB triples, as PLTE stores them.
    let palette: [UInt8]
    /// Side of one grid cell (tile plus its share of grid line), in pixels.
    let pitch: Int
    /// Grid-line pixels at the start and at the end of each cell (so lines between tiles are their sum).
    let lineBefore: Int
    let lineAfter: Int
    /// Shift that centres the grid, so partial cells at opposite edges are equal.
    let offsetX: Int
    let offsetY: Int
    private let tileSeed: UInt64

    init(width: Int, height: Int, seed: UInt64) {
        self.width = width
        self.height = height
        var state = seed
        let layout = splitMix64(&state)
        // 5...10 cells along the shorter side: the seed changes the grid's scale as well as its colours.
        let cells = 5 + Int(layout % 6)
        pitch = max(1, min(width, height) / cells)
        let line = pitch / 10
        lineBefore = line / 2
        lineAfter = line - line / 2
        offsetX = (pitch - width % pitch) % pitch / 2
        offsetY = (pitch - height % pitch) % pitch / 2
        tileSeed = splitMix64(&state)

        // Colours by hue so neighbours differ visibly: a muted background (dark or light), checkerboard
        // colours half a turn apart, a saturated accent a sixth of a turn on, then hues spread by the golden ratio.
        let hue = Int(splitMix64(&state) % 1536)
        let dark = layout & (1 << 40) != 0
        var rgb: [UInt8] = []
        rgb.reserveCapacity(3 * Self.paletteSize)
        func add(_ c: (UInt8, UInt8, UInt8)) { rgb += [c.0, c.1, c.2] }
        add(hsv(hue, 40, dark ? 36 : 236))
        add(hsv(hue, 200, dark ? 230 : 200))
        add(hsv(hue + 768, 200, dark ? 170 : 120))
        add(hsv(hue + 256, 255, 255))
        for i in 4..<Self.paletteSize {
            let r = splitMix64(&state)
            add(hsv(hue + 384 + i * 949, 150 + Int(r % 106), 140 + Int((r >> 8) % 116)))
        }
        palette = rgb
    }

    func colour(_ index: UInt8) -> (UInt8, UInt8, UInt8) {
        let i = 3 * Int(index)
        return (palette[i], palette[i + 1], palette[i + 2])
    }

    /// The palette index at (x, y): the definition of the picture.
    func index(x: Int, y: Int) -> UInt8 {
        let gx = x + offsetX, gy = y + offsetY
        let lx = gx % pitch, ly = gy % pitch
        if lx < lineBefore || lx >= pitch - lineAfter || ly < lineBefore || ly >= pitch - lineAfter {
            return Self.background
        }
        return tileIndex(column: gx / pitch, row: gy / pitch)
    }

    /// Colour of the tile in grid cell (column, row): checkerboard, accent diagonal, seeded scatter.
    func tileIndex(column: Int, row: Int) -> UInt8 {
        var s = tileSeed ^ (UInt64(column) << 32 | UInt64(row))
        let h = splitMix64(&s)
        if h % 5 == 0 { return 4 + UInt8(truncatingIfNeeded: (h >> 8) % UInt64(Self.paletteSize - 4)) }
        if column == row { return 3 }
        return (column + row) & 1 == 0 ? 1 : 2
    }

    /// Writes row `y` (`width` palette indices) into `row`; equal to `index(x:y)` for every x, but filled a
    /// tile span at a time.
    func drawRow(_ y: Int, into row: UnsafeMutableBufferPointer<UInt8>) {
        let gy = y + offsetY
        let ly = gy % pitch
        if ly < lineBefore || ly >= pitch - lineAfter {
            row.update(repeating: Self.background)
            return
        }
        let tileRow = gy / pitch
        var x = 0
        while x < width {
            let gx = x + offsetX
            let lx = gx % pitch
            let cellEnd = min(width, x + pitch - lx)
            let tileStart = min(cellEnd, x + max(0, lineBefore - lx))
            let tileEnd = max(tileStart, min(cellEnd, x + pitch - lineAfter - lx))
            fill(row, x..<tileStart, Self.background)
            fill(row, tileStart..<tileEnd, tileIndex(column: gx / pitch, row: tileRow))
            fill(row, tileEnd..<cellEnd, Self.background)
            x = cellEnd
        }
    }

    private func fill(_ row: UnsafeMutableBufferPointer<UInt8>, _ range: Range<Int>, _ value: UInt8) {
        if !range.isEmpty { UnsafeMutableBufferPointer(rebasing: row[range]).update(repeating: value) }
    }
}

/// Turns a pattern into PNG chunks.
enum PNGEncoder {
    /// The zlib-compressed, filtered scanlines (the IDAT payload).
    ///
    /// A row equal to the one above is sent with filter 2 (Up), which makes it all zeros: deflate then codes it
    /// as ~16 maximal runs in a few bits each, whatever the row holds, and Adler-32 skips zeros in O(1).
    /// Other rows use filter 0 (None) and compress as runs of equal pixels. (Sending repeated rows unfiltered
    /// as distance-`stride` matches instead costs 11 extra bits per 258 bytes: 3× larger at 4096×4096.)
    static func imageData(_ pattern: PNGPattern) -> [UInt8] {
        let width = pattern.width
        var lz = RunLengthLZ77(reservingCapacity: 64 + pattern.height * (width / 258 + 4))
        var adler = Adler32()
        var previous = [UInt8](repeating: 0, count: width)
        var current = [UInt8](repeating: 0, count: width)
        for y in 0..<pattern.height {
            let repeated = current.withUnsafeMutableBufferPointer { cur in
                pattern.drawRow(y, into: cur)
                return y > 0 && previous.withUnsafeBufferPointer { equalBytes(UnsafeBufferPointer(cur), $0) }
            }
            if repeated {
                lz.append(2)
                lz.append(0, count: width)
                adler.update(2)
                adler.updateZeros(count: width)
            } else {
                lz.append(0)
                adler.update(0)
                current.withUnsafeBufferPointer { row in
                    lz.append(row)
                    adler.update(buffer: row)
                }
                swap(&previous, &current)
            }
        }
        lz.finish()
        return Deflate.zlib(lz.tokens, adler: adler.value)
    }

    /// Appends a chunk: length, type, data, and the CRC-32 of type and data.
    static func appendChunk(_ type: StaticString, _ data: [UInt8], to out: inout [UInt8]) {
        out.appendBigEndian(UInt32(data.count))
        let start = out.count
        type.withUTF8Buffer { out += $0 }
        out += data
        out.appendBigEndian(crc32(out[start...]))
    }
}

/// Compares two equally long buffers eight bytes at a time (the encoder compares every row with the last).
private func equalBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    let n = a.count
    let ra = UnsafeRawBufferPointer(a), rb = UnsafeRawBufferPointer(b)
    var i = 0
    while i + 8 <= n {
        if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}

/// SplitMix64: advances `state` and returns a well-mixed 64-bit value (Steele, Lea and Flood's generator).
private func splitMix64(_ state: inout UInt64) -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Integer HSV to RGB: hue in sixths of 256 steps (wrapping at 1536), saturation and value in 0...255.
private func hsv(_ hue: Int, _ saturation: Int, _ value: Int) -> (UInt8, UInt8, UInt8) {
    let h = hue % 1536, s = saturation, v = value
    let f = h % 256
    let p = v * (255 - s) / 255
    let q = v * (255 - s * f / 255) / 255
    let t = v * (255 - s * (255 - f) / 255) / 255
    let (r, g, b): (Int, Int, Int)
    switch h / 256 {
    case 0: (r, g, b) = (v, t, p)
    case 1: (r, g, b) = (q, v, p)
    case 2: (r, g, b) = (p, v, t)
    case 3: (r, g, b) = (p, q, v)
    case 4: (r, g, b) = (t, p, v)
    default: (r, g, b) = (v, p, q)
    }
    return (UInt8(r), UInt8(g), UInt8(b))
}

private extension [UInt8] {
    mutating func appendBigEndian(_ value: UInt32) {
        append(UInt8(value >> 24))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }
}
