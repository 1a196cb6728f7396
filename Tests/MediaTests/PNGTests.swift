import Glibc
@testable import Media
import Testing
import TestSupport

/// CRC-32, Adler-32, the deflate encoder and `Media.png`, each checked against known vectors or against an
/// independent decoder: the system Python's zlib (Pillow is not assumed).
@Suite struct PNGTests {
    // MARK: Checksums

    @Test func checksums_matchKnownVectors() {
        let check = Array("123456789".utf8)
        #expect(crc32(check) == 0xCBF4_3926)
        #expect(adler32(check) == 0x091E_01DE)
        #expect(crc32([UInt8]()) == 0)
        #expect(adler32([UInt8]()) == 1)
        #expect(crc32(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
        #expect(adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        // Non-contiguous collections take the generic path and must agree.
        #expect(crc32(check.lazy.map { $0 }) == 0xCBF4_3926)
        #expect(adler32(check.lazy.map { $0 }) == 0x091E_01DE)
    }

    /// Adler-32's sums are reduced once per 5552 bytes; long inputs of 0xFF are where that would overflow.
    @Test func adler32_longInputsAndZeroRunsAgreeWithTheBytewiseDefinition() {
        func reference(_ bytes: [UInt8]) -> UInt32 {
            var a: UInt32 = 1, b: UInt32 = 0
            for x in bytes { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
            return b << 16 | a
        }
        let ones = [UInt8](repeating: 0xFF, count: 100_000)
        #expect(adler32(ones) == reference(ones))
        for (prefix, zeros) in [(ones.count, 1), (3, 70_000), (70_000, 65521 * 2 + 7), (1, 0)] {
            var adler = Adler32()
            adler.update(Array(ones[0..<prefix]))
            adler.updateZeros(count: zeros)
            #expect(adler.value == reference(Array(ones[0..<prefix]) + [UInt8](repeating: 0, count: zeros)))
        }
    }

    // MARK: Deflate

    /// Every length 3...258 and every distance 1...32768 maps to the symbol and extra bits of RFC 1951's tables.
    @Test func deflateCodes_matchTheRFCTables() {
        let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
                          131, 163, 195, 227, 258]
        let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        for length in 3...258 {
            let (symbol, extraBits, extra) = DeflateCodes.lengthSymbol(length)
            let k = Int(symbol) - 257
            #expect(extraBits == lengthExtra[k] && length - lengthBase[k] == Int(extra) && Int(extra) < 1 << extraBits,
                    "length \(length)")
        }
        #expect(DeflateCodes.lengthSymbol(258).symbol == 285)
        #expect(DeflateCodes.lengthSymbol(257) == (284, 5, 30))
        let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
                            2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
        for distance in 1...32768 {
            let (symbol, extraBits, extra) = DeflateCodes.distanceSymbol(distance)
            let k = Int(symbol)
            let expectedExtra = max(0, k / 2 - 1)
            guard extraBits == expectedExtra && distance - distanceBase[k] == Int(extra) && Int(extra) < 1 << extraBits else {
                Issue.record("distance \(distance) -> \(symbol), \(extraBits), \(extra)")
                return
            }
        }
        #expect(DeflateCodes.distanceSymbol(4097) == (24, 11, 0))
        #expect(DeflateCodes.distanceSymbol(32768) == (29, 13, 8191))
    }

    /// Length-limited codes stay complete (Kraft sum exactly 1) even when plain Huffman would go 30 deep.
    @Test func huffmanLengths_areLimitedAndComplete() {
        var fibonacci = [1, 1]
        while fibonacci.count < 30 { fibonacci.append(fibonacci[fibonacci.count - 1] + fibonacci[fibonacci.count - 2]) }
        for (counts, maxBits) in [(fibonacci, 15), (fibonacci, 7), (Array(fibonacci[0..<19]), 7), ([5, 0, 0], 15), ([0, 0, 9], 7),
                                  ([Int](repeating: 1, count: 286), 15)] {
            let lengths = DeflateHuffmanCode.lengths(for: counts, maxBits: maxBits)
            #expect(lengths.allSatisfy { $0 <= maxBits })
            #expect(lengths.filter { $0 > 0 }.count >= 2)
            let kraft = lengths.filter { $0 > 0 }.reduce(0.0) { $0 + 1.0 / Double(1 << Int($1)) }
            #expect(kraft == 1.0, "counts \(counts.prefix(4))… maxBits \(maxBits)")
        }
        #expect(DeflateHuffmanCode.lengths(for: fibonacci, maxBits: 40).max() == 29)
    }

    /// Streams exercising every match length, distances at every code boundary up to 32768, and a skewed
    /// literal distribution that forces length limiting, in fixed and in dynamic blocks: Python's zlib must
    /// inflate each to the bytes the tokens describe (it checks the Adler-32 itself).
    @Test(arguments: [Deflate.BlockType.fixed, .dynamic, .smallest])
    func deflate_edgeCasesInflateInPython(_ blockType: Deflate.BlockType) throws {
        var tokens = DeflateTokens()
        var expected: [UInt8] = []
        var state: UInt64 = 42
        func literal(_ b: UInt8) { tokens.literal(b); expected.append(b) }
        func match(_ length: Int, _ distance: Int) {
            tokens.match(length: length, distance: distance)
            for _ in 0..<length { expected.append(expected[expected.count - distance]) }
        }
        for _ in 0..<33_000 { literal(UInt8(truncatingIfNeeded: nextRandom(&state) >> 56)) }
        let distances = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 16, 17, 24, 25, 32, 33, 64, 65, 128, 129, 256, 257, 1024, 1025,
                         4096, 4097, 4098, 8192, 8193, 16384, 16385, 24576, 24577, 30000, 32767, 32768]
        for length in 3...258 { match(length, distances[length % distances.count]) }
        for distance in distances { match(258, distance); match(3, distance); literal(UInt8(distance & 0xFF)) }
        // Fibonacci-skewed literals: an unlimited Huffman code would need more than 15 bits.
        var a = 1, b = 1
        for symbol in 0..<26 {
            for _ in 0..<a { literal(UInt8(symbol)) }
            (a, b) = (b, a + b)
        }
        let stream = Deflate.zlib(tokens, adler: adler32(expected), blockType: blockType)
        let out = try runPython(deflateScript, stream)
        #expect(out == "\(expected.count) \(crc32(expected))\n")
    }

    @Test func runLengthLZ77_reproducesItsInputThroughPython() throws {
        var lz = RunLengthLZ77()
        var expected: [UInt8] = []
        var state: UInt64 = 7
        for _ in 0..<2000 {
            let r = nextRandom(&state)
            let byte = UInt8(r & 3), count = Int((r >> 8) % 700)
            lz.append(byte, count: count)
            expected += [UInt8](repeating: byte, count: count)
        }
        let bytes: [UInt8] = [0, 0, 1, 1, 1, 2, 2, 2, 2, 3]
        bytes.withUnsafeBufferPointer { lz.append($0) }
        expected += bytes
        lz.finish()
        #expect(lz.tokens.tokens.count < expected.count / 20)
        let out = try runPython(deflateScript, Deflate.zlib(lz.tokens, adler: adler32(expected)))
        #expect(out == "\(expected.count) \(crc32(expected))\n")
    }

    // MARK: PNG structure

    @Test(arguments: [(1, 1), (7, 3), (3, 7), (640, 400), (4096, 2)])
    func png_chunksAreWellFormed(_ width: Int, _ height: Int) throws {
        let seed: UInt64 = 0xC0FFEE
        let png = Media.png(width: width, height: height, seed: seed)
        #expect(Array(png[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var chunks: [(type: String, data: [UInt8])] = []
        var pos = 8
        while pos < png.count {
            try #require(pos + 12 <= png.count)
            let length = Int(bigEndian32(png, pos))
            try #require(pos + 12 + length <= png.count)
            let typeAndData = Array(png[(pos + 4)..<(pos + 8 + length)])
            #expect(crc32(typeAndData) == bigEndian32(png, pos + 8 + length), "chunk CRC at \(pos)")
            chunks.append((String(decoding: typeAndData[0..<4], as: UTF8.self), Array(typeAndData[4...])))
            pos += 12 + length
        }
        #expect(pos == png.count)
        #expect(chunks.map(\.type) == ["IHDR", "PLTE", "IDAT", "IEND"])
        let ihdr = chunks[0].data
        try #require(ihdr.count == 13)
        #expect(bigEndian32(ihdr, 0) == UInt32(width) && bigEndian32(ihdr, 4) == UInt32(height))
        #expect(Array(ihdr[8...]) == [8, 3, 0, 0, 0])
        let plte = chunks[1].data
        #expect(plte.count % 3 == 0 && (8...16).contains(plte.count / 3))
        // The palette holds every colour pngPixel reports.
        for (x, y) in [(0, 0), (width - 1, height - 1), (width / 2, height / 2)] {
            let (r, g, b) = Media.pngPixel(x: x, y: y, width: width, height: height, seed: seed)
            #expect(stride(from: 0, to: plte.count, by: 3).contains { plte[$0] == r && plte[$0 + 1] == g && plte[$0 + 2] == b })
        }
        #expect(chunks[2].data.first == 0x78 && (UInt16(chunks[2].data[0]) << 8 | UInt16(chunks[2].data[1])) % 31 == 0)
        #expect(chunks[3].data.isEmpty)
    }

    /// `drawRow` (the encoder's span filler) and `index(x:y:)` (the definition) agree on every pixel.
    @Test func pattern_rowFillMatchesPixelDefinition() {
        var sizes: [(Int, Int)] = []
        for w in 1...40 { for h in [1, 2, 5, 11, 40, 97] { sizes.append((w, h)); sizes.append((h, w)) } }
        sizes += [(1024, 3), (1536, 7), (4096, 9), (4095, 13), (100, 1000)]
        var mismatches = 0
        for (w, h) in sizes {
            for seed: UInt64 in [0, 1, 0xFFFF_FFFF_FFFF_FFFF] {
                let p = PNGPattern(width: w, height: h, seed: seed)
                var row = [UInt8](repeating: 0xEE, count: w)
                for y in 0..<h {
                    row.withUnsafeMutableBufferPointer { p.drawRow(y, into: $0) }
                    for x in 0..<w where row[x] != p.index(x: x, y: y) { mismatches += 1 }
                }
            }
        }
        #expect(mismatches == 0)
    }

    // MARK: PNG decoded independently

    @Test(arguments: [(1, 1), (7, 3), (3, 7), (33, 17), (1024, 1024), (1536, 1024)])
    func png_decodesInPythonToThePatternEverywhere(_ width: Int, _ height: Int) throws {
        for seed: UInt64 in [0, 0xDEAD_BEEF] {
            let png = Media.png(width: width, height: height, seed: seed)
            let samples = samplePoints(width: width, height: height, seed: seed)
            let decoded = try pythonDecode(png, samples: samples, full: true)
            #expect(decoded.width == width && decoded.height == height)
            #expect(decoded.rawSize == height * (width + 1))
            #expect(Set(decoded.filters.keys).isSubset(of: [0, 2]))
            try #require(decoded.pixels.count == samples.count)
            for p in decoded.pixels {
                let (r, g, b) = Media.pngPixel(x: p.x, y: p.y, width: width, height: height, seed: seed)
                #expect(p.rgb == [r, g, b], "pixel (\(p.x), \(p.y)) of \(width)×\(height) seed \(seed)")
            }
            // Every pixel: the CRC of the decoded RGB image equals the CRC of the pattern drawn pixel by pixel.
            let pattern = PNGPattern(width: width, height: height, seed: seed)
            var crc = CRC32()
            var row = [UInt8](repeating: 0, count: width), above = row
            var rgb = [UInt8](repeating: 0, count: 3 * width)
            var repeatedRows = 0
            for y in 0..<height {
                for x in 0..<width {
                    row[x] = pattern.index(x: x, y: y)
                    (rgb[3 * x], rgb[3 * x + 1], rgb[3 * x + 2]) = pattern.colour(row[x])
                }
                if y > 0 && row == above { repeatedRows += 1 }
                crc.update(rgb)
                swap(&row, &above)
            }
            #expect(decoded.rgbCRC == crc.value, "\(width)×\(height) seed \(seed)")
            // Exactly the rows equal to the row above are sent with Up (they become all zeros), the rest with None.
            #expect(decoded.filters[2, default: 0] == repeatedRows)
            #expect(decoded.filters[0, default: 0] == height - repeatedRows)
        }
    }

    @Test func png_4096SquareDecodesInPython() throws {
        let (width, height, seed): (Int, Int, UInt64) = (4096, 4096, 77)
        let png = Media.png(width: width, height: height, seed: seed)
        let samples = samplePoints(width: width, height: height, seed: seed)
        let decoded = try pythonDecode(png, samples: samples, full: false)
        #expect(decoded.width == width && decoded.height == height)
        #expect(decoded.rawSize == height * (width + 1))
        try #require(decoded.pixels.count == samples.count)
        for p in decoded.pixels {
            let (r, g, b) = Media.pngPixel(x: p.x, y: p.y, width: width, height: height, seed: seed)
            #expect(p.rgb == [r, g, b], "pixel (\(p.x), \(p.y))")
        }
    }

    /// The pattern repeats, so even the largest image stays tiny (measured: at most 23.6 KB over many seeds).
    @Test func png_largestImageIsSmall() {
        for seed: UInt64 in 0..<6 {
            #expect(Media.png(width: 4096, height: 4096, seed: seed).count < 32_000)
        }
        #expect(Media.png(width: 1024, height: 1024, seed: 3).count < 5_000)
    }

    // MARK: Determinism

    @Test func png_isDeterministicAndSeedsDiffer() {
        let a = Media.png(width: 300, height: 200, seed: 12345)
        #expect(a == Media.png(width: 300, height: 200, seed: 12345))
        var images: [[UInt8]] = []
        for seed: UInt64 in 0..<16 { images.append(Media.png(width: 300, height: 200, seed: seed)) }
        #expect(Set(images.map { crc32($0) }).count == 16)
        for i in images.indices { for j in images.indices where i < j { #expect(images[i] != images[j]) } }
        // Different seeds give visibly different pictures: most sampled pixels change colour.
        for seed: UInt64 in [0, 1, 99, 0xFFFF_FFFF_FFFF_FFFE] {
            let points = samplePoints(width: 640, height: 480, seed: seed)
            let changed = points.filter { x, y in
                Media.pngPixel(x: x, y: y, width: 640, height: 480, seed: seed)
                    != Media.pngPixel(x: x, y: y, width: 640, height: 480, seed: seed &+ 1)
            }.count
            #expect(changed * 10 >= points.count * 8, "seed \(seed): \(changed)/\(points.count) pixels changed")
        }
    }
}

// MARK: Helpers

/// What the Python decoder reports about one PNG.
private struct PythonDecodedPNG {
    var width = 0, height = 0, rawSize = 0
    var filters: [Int: Int] = [:]
    var pixels: [(x: Int, y: Int, rgb: [UInt8])] = []
    var rgbCRC: UInt32?
}

private func bigEndian32(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
}

private func nextRandom(_ state: inout UInt64) -> UInt64 {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return state ^ (state >> 29)
}

/// Corners, the centre, pixels on both sides of grid lines, and pseudo-random points.
private func samplePoints(width: Int, height: Int, seed: UInt64) -> [(Int, Int)] {
    var points = [(0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1), (width / 2, height / 2)]
    let p = PNGPattern(width: width, height: height, seed: seed)
    for k in 1...3 {
        for d in [-1, 0, p.lineBefore - 1, p.lineBefore] {
            let x = k * p.pitch - p.offsetX + d, y = k * p.pitch - p.offsetY + d
            if (0..<width).contains(x) && (0..<height).contains(y) { points += [(x, y), (x, height / 3), (width / 3, y)] }
        }
    }
    var state = seed ^ 0x5EED
    for _ in 0..<60 {
        let r = nextRandom(&state)
        points.append((Int(r % UInt64(width)), Int((r >> 32) % UInt64(height))))
    }
    return points
}

/// Decodes `png` with Python's zlib: checks chunk CRCs and the IHDR, inflates the IDAT data, undoes the
/// filters, and reports the sampled pixels (and, when `full`, the CRC-32 of the whole image as RGB).
private func pythonDecode(_ png: [UInt8], samples: [(Int, Int)], full: Bool) throws -> PythonDecodedPNG {
    let arguments = [full ? "full" : "samples"] + samples.map { "\($0.0),\($0.1)" }
    let out = try runPython(pngScript, png, arguments)
    var result = PythonDecodedPNG()
    for line in out.split(separator: "\n") {
        let f = line.split(separator: " ").map(String.init)
        switch f.first {
        case "size": (result.width, result.height, result.rawSize) = (Int(f[1])!, Int(f[2])!, Int(f[3])!)
        case "filter": result.filters[Int(f[1])!] = Int(f[2])!
        case "px": result.pixels.append((Int(f[1])!, Int(f[2])!, [UInt8(f[3])!, UInt8(f[4])!, UInt8(f[5])!]))
        case "rgbcrc": result.rgbCRC = UInt32(f[1])!
        default: Issue.record("unexpected decoder line: \(line)")
        }
    }
    return result
}

/// Writes `input` to a temporary file, runs `script` on it with /usr/bin/python3 and returns its stdout.
private func runPython(_ script: String, _ input: [UInt8], _ arguments: [String] = []) throws -> String {
    let dir = makeTempDirectory()
    defer { _ = unlink(dir + "/script.py"); _ = unlink(dir + "/input.bin"); _ = rmdir(dir) }
    writeText(dir + "/script.py", script)
    let file = try #require(fopen(dir + "/input.bin", "wb"))
    let written = input.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
    try #require(written == input.count)
    let child = try ChildProcess("/usr/bin/python3", [dir + "/script.py", dir + "/input.bin"] + arguments)
    let status = child.waitExit(seconds: 120)
    let (out, err) = (child.stdout, child.stderr)
    _ = unlink(child.stdoutPath); _ = unlink(child.stderrPath)
    try #require(status == 0, "python3 failed (\(String(describing: status))): \(err)")
    return out
}

/// Inflates a zlib stream (zlib verifies the Adler-32) and prints its length and CRC-32.
private let deflateScript = """
    import sys, zlib
    data = zlib.decompress(open(sys.argv[1], 'rb').read())
    print(len(data), zlib.crc32(data))
    """

/// A minimal PNG reader on the standard library: chunk CRCs, IHDR, PLTE, inflate, filters None and Up.
private let pngScript = """
    import struct, sys, zlib
    data = open(sys.argv[1], 'rb').read()
    mode, samples = sys.argv[2], [tuple(map(int, a.split(','))) for a in sys.argv[3:]]
    assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'signature'
    pos, chunks = 8, []
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, 'CRC of %r' % kind
        chunks.append((kind, body))
        pos += 12 + length
    assert pos == len(data)
    assert chunks[0][0] == b'IHDR' and chunks[-1] == (b'IEND', b''), [c[0] for c in chunks]
    w, h, depth, ctype, comp, filt, interlace = struct.unpack('>IIBBBBB', chunks[0][1])
    assert (depth, ctype, comp, filt, interlace) == (8, 3, 0, 0, 0)
    plte = b''.join(b for k, b in chunks if k == b'PLTE')
    raw = zlib.decompress(b''.join(b for k, b in chunks if k == b'IDAT'))
    print('size', w, h, len(raw))
    assert len(raw) == h * (w + 1)
    # Up adds the byte above modulo 256; done on whole rows as big integers: add the low 7 bits of every
    # byte (no carry can leave a byte), then restore each top bit with XOR.
    low7 = int.from_bytes(b'\\x7f' * w, 'little')
    top = int.from_bytes(b'\\x80' * w, 'little')
    rows, prev, filters = [], bytes(w), {}
    for y in range(h):
        f = raw[y * (w + 1)]
        line = raw[y * (w + 1) + 1:(y + 1) * (w + 1)]
        filters[f] = filters.get(f, 0) + 1
        if f == 0:
            cur = line
        elif f == 2:
            a, b = int.from_bytes(line, 'little'), int.from_bytes(prev, 'little')
            cur = (((a & low7) + (b & low7)) ^ ((a ^ b) & top)).to_bytes(w, 'little')
        else:
            sys.exit('unsupported filter %d' % f)
        assert max(cur) < len(plte) // 3, 'index outside the palette in row %d' % y
        rows.append(cur)
        prev = cur
    for f, n in sorted(filters.items()):
        print('filter', f, n)
    for x, y in samples:
        i = rows[y][x]
        print('px', x, y, plte[3 * i], plte[3 * i + 1], plte[3 * i + 2])
    if mode == 'full':
        tables = [bytes(plte[3 * (i % (len(plte) // 3)) + c] for i in range(256)) for c in range(3)]
        crc = 0
        for row in rows:
            rgb = bytearray(3 * w)
            for c in range(3):
                rgb[c::3] = row.translate(tables[c])
            crc = zlib.crc32(rgb, crc)
        print('rgbcrc', crc)
    """
