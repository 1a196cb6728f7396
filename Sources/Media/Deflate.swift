/// LZ77 output waiting to be Huffman-coded (RFC 1951): literals and (length, distance) matches, with the
/// symbol counts a dynamic code is built from; Sendable value.
struct DeflateTokens: Sendable {
    /// A literal is its byte value; a match is `length << 16 | (distance - 1)`, so every match is ≥ 3 << 16.
    private(set) var tokens: [UInt32] = []
    /// Counts of literal/length symbols 0...285 (256, end of block, is counted when the block is written).
    private(set) var literalLengthCounts = [Int](repeating: 0, count: 286)
    /// Counts of distance symbols 0...29.
    private(set) var distanceCounts = [Int](repeating: 0, count: 30)

    init(reservingCapacity capacity: Int = 0) { tokens.reserveCapacity(capacity) }

    mutating func literal(_ byte: UInt8) {
        tokens.append(UInt32(byte))
        literalLengthCounts[Int(byte)] += 1
    }

    /// A back-reference: `length` in 3...258 bytes copied from `distance` in 1...32768 bytes back.
    mutating func match(length: Int, distance: Int) {
        precondition((3...258).contains(length) && (1...32768).contains(distance), "deflate match out of range")
        tokens.append(UInt32(length) << 16 | UInt32(distance - 1))
        literalLengthCounts[Int(DeflateCodes.lengthSymbol(length).symbol)] += 1
        distanceCounts[Int(DeflateCodes.distanceSymbol(distance).symbol)] += 1
    }
}

/// An LZ77 stage specialised for images: it only finds runs of one byte (distance-1 matches), which is
/// all a flat-coloured, row-filtered picture needs; Sendable value.
struct RunLengthLZ77: Sendable {
    private(set) var tokens: DeflateTokens
    /// The byte emitted last, or -1 before the first one.
    private var last = -1
    /// Repeats of `last` not yet turned into tokens: a run is cut into matches only when it ends, so runs
    /// crossing calls (a row's last pixels and the next row's) stay one run.
    private var pending = 0

    init(reservingCapacity capacity: Int = 0) { tokens = DeflateTokens(reservingCapacity: capacity) }

    /// Appends `count` copies of `byte`.
    mutating func append(_ byte: UInt8, count: Int = 1) {
        guard count > 0 else { return }
        var count = count
        if Int(byte) != last {
            flushRun()
            tokens.literal(byte)
            last = Int(byte)
            count -= 1
        }
        pending += count
    }

    mutating func append(_ buffer: UnsafeBufferPointer<UInt8>) {
        var i = 0
        let n = buffer.count
        while i < n {
            let b = buffer[i]
            var j = i + 1
            while j < n && buffer[j] == b { j += 1 }
            append(b, count: j - i)
            i = j
        }
    }

    /// Ends the input: the tokens are complete after this.
    mutating func finish() { flushRun() }

    private mutating func flushRun() {
        while pending >= 3 {
            let length = min(pending, 258)
            tokens.match(length: length, distance: 1)
            pending -= length
        }
        // A tail of one or two bytes is shorter than the shortest match (3).
        while pending > 0 {
            tokens.literal(UInt8(truncatingIfNeeded: last))
            pending -= 1
        }
    }
}

/// The symbol tables of RFC 1951 §3.2.5: which length/distance symbol codes a value, and its extra bits.
enum DeflateCodes {
    /// Symbol (257...285), extra-bit count and extra-bit value for a match length in 3...258.
    @inline(__always)
    static func lengthSymbol(_ length: Int) -> (symbol: UInt16, extraBits: Int, extra: UInt32) {
        // 258 has its own symbol with no extra bits, although 284 + 5 extra bits could also spell 258 - 227 = 31.
        if length == 258 { return (285, 0, 0) }
        let l = length - 3
        if l < 8 { return (UInt16(257 + l), 0, 0) }
        // From 11 on, each group of four symbols doubles the span: the top bits of l pick group and symbol.
        let top = (Int.bitWidth - 1) - l.leadingZeroBitCount
        let extraBits = top - 2
        let symbol = 257 + 4 * (top - 1) + ((l >> extraBits) & 3)
        return (UInt16(symbol), extraBits, UInt32(l & ((1 << extraBits) - 1)))
    }

    /// Symbol (0...29), extra-bit count and extra-bit value for a distance in 1...32768.
    @inline(__always)
    static func distanceSymbol(_ distance: Int) -> (symbol: UInt16, extraBits: Int, extra: UInt32) {
        let d = distance - 1
        if d < 4 { return (UInt16(d), 0, 0) }
        let top = (Int.bitWidth - 1) - d.leadingZeroBitCount
        let extraBits = top - 1
        let symbol = 2 * top + ((d >> extraBits) & 1)
        return (UInt16(symbol), extraBits, UInt32(d & ((1 << extraBits) - 1)))
    }

    /// Code lengths of the fixed literal/length code (RFC 1951 §3.2.6); all 30 distance codes are 5 bits.
    static let fixedLiteralLengthLengths: [UInt8] =
        [UInt8](repeating: 8, count: 144) + [UInt8](repeating: 9, count: 112)
        + [UInt8](repeating: 7, count: 24) + [UInt8](repeating: 8, count: 8)
    static let fixedDistanceLengths = [UInt8](repeating: 5, count: 30)

    /// The order in which a dynamic block lists the code-length code's own lengths.
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
}

/// A canonical Huffman code ready for writing: per symbol its code, bit-reversed because deflate packs
/// Huffman codes starting from their most significant bit into an LSB-first stream; Sendable value.
struct DeflateHuffmanCode: Sendable {
    let lengths: [UInt8]
    let reversedCodes: [UInt16]

    init(lengths: [UInt8]) {
        self.lengths = lengths
        var countPerLength = [Int](repeating: 0, count: 16)
        for l in lengths where l > 0 { countPerLength[Int(l)] += 1 }
        var next = [Int](repeating: 0, count: 16)
        var code = 0
        for bits in 1..<16 {
            code = (code + countPerLength[bits - 1]) << 1
            next[bits] = code
        }
        var codes = [UInt16](repeating: 0, count: lengths.count)
        for (symbol, l) in lengths.enumerated() where l > 0 {
            let c = next[Int(l)]
            next[Int(l)] += 1
            var reversed = 0
            for bit in 0..<Int(l) where c & (1 << bit) != 0 { reversed |= 1 << (Int(l) - 1 - bit) }
            codes[symbol] = UInt16(reversed)
        }
        reversedCodes = codes
    }

    /// Huffman code lengths for `counts`, none longer than `maxBits`. At least two symbols always get a
    /// code, so the code is complete (a lone 1-bit code is legal only for distances, and zlib is strict).
    static func lengths(for counts: [Int], maxBits: Int) -> [UInt8] {
        var weights = counts
        var used = weights.indices.filter { weights[$0] > 0 }
        for i in weights.indices where used.count < 2 && weights[i] == 0 {
            weights[i] = 1
            used.append(i)
        }
        while true {
            let lengths = unlimitedLengths(weights)
            if Int(lengths.max() ?? 0) <= maxBits { return lengths }
            // Too deep: halving every weight (keeping each ≥ 1) flattens the ratios that make a tree deep;
            // all-equal weights give a balanced tree, so this ends.
            for i in weights.indices where weights[i] > 0 { weights[i] = (weights[i] + 1) / 2 }
        }
    }

    /// Plain Huffman code lengths (the two-queue construction over weight-sorted leaves).
    private static func unlimitedLengths(_ weights: [Int]) -> [UInt8] {
        let leaves = weights.indices.filter { weights[$0] > 0 }.sorted { (weights[$0], $0) < (weights[$1], $1) }
        let m = leaves.count
        var result = [UInt8](repeating: 0, count: weights.count)
        guard m >= 2 else {
            if m == 1 { result[leaves[0]] = 1 }
            return result
        }
        var weight = leaves.map { weights[$0] } + [Int](repeating: 0, count: m - 1)
        var parent = [Int](repeating: -1, count: 2 * m - 1)
        var nextLeaf = 0, nextInner = m, created = m
        // Inner nodes are made in non-decreasing weight order, so the two lightest nodes are always at the
        // heads of the two queues.
        func lightest() -> Int {
            if nextLeaf < m && (nextInner >= created || weight[nextLeaf] <= weight[nextInner]) {
                nextLeaf += 1
                return nextLeaf - 1
            }
            nextInner += 1
            return nextInner - 1
        }
        for _ in 0..<(m - 1) {
            let a = lightest(), b = lightest()
            weight[created] = weight[a] + weight[b]
            parent[a] = created
            parent[b] = created
            created += 1
        }
        // A parent always has a larger index than its children: one pass from the root down sets depths.
        var depth = [Int](repeating: 0, count: 2 * m - 1)
        for node in stride(from: 2 * m - 3, through: 0, by: -1) { depth[node] = depth[parent[node]] + 1 }
        for (i, symbol) in leaves.enumerated() { result[symbol] = UInt8(depth[i]) }
        return result
    }
}

/// Packs bit fields LSB-first into bytes, as deflate orders them; Sendable value.
struct DeflateBitWriter: Sendable {
    private(set) var bytes: [UInt8]
    private var accumulator: UInt64 = 0
    private var count = 0

    init(bytes: [UInt8] = []) { self.bytes = bytes }

    /// Appends the low `bits` (0...32) bits of `value`, which must have no higher bits set.
    @inline(__always)
    mutating func write(_ value: UInt32, bits: Int) {
        accumulator |= UInt64(value) << UInt64(count)
        count += bits
        if count >= 32 {
            let word = UInt32(truncatingIfNeeded: accumulator)
            bytes.append(UInt8(truncatingIfNeeded: word))
            bytes.append(UInt8(truncatingIfNeeded: word >> 8))
            bytes.append(UInt8(truncatingIfNeeded: word >> 16))
            bytes.append(UInt8(truncatingIfNeeded: word >> 24))
            accumulator >>= 32
            count -= 32
        }
    }

    /// Pads the last byte with zero bits and returns everything written.
    mutating func finish() -> [UInt8] {
        while count > 0 {
            bytes.append(UInt8(truncatingIfNeeded: accumulator))
            accumulator >>= 8
            count = max(0, count - 8)
        }
        return bytes
    }
}

/// Deflate (RFC 1951) and zlib (RFC 1950) framing of a token stream, as one final block.
enum Deflate {
    /// Which Huffman code the single block uses: `smallest` counts both sizes and picks the smaller.
    enum BlockType: Sendable { case fixed, dynamic, smallest }

    /// A zlib stream: 2-byte header, one deflate block, then `adler` (the Adler-32 of the uncompressed
    /// data, which the caller computed while producing the tokens).
    static func zlib(_ tokens: DeflateTokens, adler: UInt32, blockType: BlockType = .smallest) -> [UInt8] {
        // 0x78: deflate with a 32 KiB window; 0x01: no dictionary, check bits making 0x7801 a multiple of 31.
        var writer = DeflateBitWriter(bytes: [0x78, 0x01])
        writeBlock(tokens, blockType: blockType, into: &writer)
        var out = writer.finish()
        out += [UInt8(adler >> 24), UInt8(truncatingIfNeeded: adler >> 16),
                UInt8(truncatingIfNeeded: adler >> 8), UInt8(truncatingIfNeeded: adler)]
        return out
    }

    static func writeBlock(_ tokens: DeflateTokens, blockType: BlockType, into writer: inout DeflateBitWriter) {
        var litCounts = tokens.literalLengthCounts
        litCounts[256] += 1  // the end-of-block symbol
        let distCounts = tokens.distanceCounts

        let dynamic = DeflateDynamicHeader(literalLengthCounts: litCounts, distanceCounts: distCounts)
        let useDynamic: Bool
        switch blockType {
        case .fixed: useDynamic = false
        case .dynamic: useDynamic = true
        case .smallest:
            // Extra bits cost the same under both codes, so only the Huffman-coded part is compared.
            let fixedBits = cost(litCounts, DeflateCodes.fixedLiteralLengthLengths)
                + cost(distCounts, DeflateCodes.fixedDistanceLengths)
            let dynamicBits = dynamic.headerBits + cost(litCounts, dynamic.literalLengths.lengths)
                + cost(distCounts, dynamic.distanceLengths.lengths)
            useDynamic = dynamicBits < fixedBits
        }

        writer.write(1, bits: 1)  // BFINAL
        let lit: DeflateHuffmanCode, dist: DeflateHuffmanCode
        if useDynamic {
            writer.write(2, bits: 2)
            dynamic.write(into: &writer)
            lit = dynamic.literalLengths
            dist = dynamic.distanceLengths
        } else {
            writer.write(1, bits: 2)
            lit = fixedLiteralLengthCode
            dist = fixedDistanceCode
        }
        writeTokens(tokens.tokens, lit: lit, dist: dist, into: &writer)
    }

    private static let fixedLiteralLengthCode = DeflateHuffmanCode(lengths: DeflateCodes.fixedLiteralLengthLengths)
    private static let fixedDistanceCode = DeflateHuffmanCode(lengths: DeflateCodes.fixedDistanceLengths)

    private static func cost(_ counts: [Int], _ lengths: [UInt8]) -> Int {
        var total = 0
        for (i, c) in counts.enumerated() where c > 0 { total += c * Int(lengths[i]) }
        return total
    }

    private static func writeTokens(_ tokens: [UInt32], lit: DeflateHuffmanCode, dist: DeflateHuffmanCode, into writer: inout DeflateBitWriter) {
        lit.lengths.withUnsafeBufferPointer { litLengths in
        lit.reversedCodes.withUnsafeBufferPointer { litCodes in
        dist.lengths.withUnsafeBufferPointer { distLengths in
        dist.reversedCodes.withUnsafeBufferPointer { distCodes in
            for token in tokens {
                if token < 0x1_0000 {
                    let s = Int(token)
                    writer.write(UInt32(litCodes[s]), bits: Int(litLengths[s]))
                    continue
                }
                let (ls, lExtraBits, lExtra) = DeflateCodes.lengthSymbol(Int(token >> 16))
                writer.write(UInt32(litCodes[Int(ls)]), bits: Int(litLengths[Int(ls)]))
                if lExtraBits > 0 { writer.write(lExtra, bits: lExtraBits) }
                let (ds, dExtraBits, dExtra) = DeflateCodes.distanceSymbol(Int(token & 0xFFFF) + 1)
                writer.write(UInt32(distCodes[Int(ds)]), bits: Int(distLengths[Int(ds)]))
                if dExtraBits > 0 { writer.write(dExtra, bits: dExtraBits) }
            }
            writer.write(UInt32(litCodes[256]), bits: Int(litLengths[256]))
        }
        }
        }
        }
    }
}

/// The codes of a dynamic block and its header (RFC 1951 §3.2.7), run-length coded; Sendable value.
struct DeflateDynamicHeader: Sendable {
    let literalLengths: DeflateHuffmanCode
    let distanceLengths: DeflateHuffmanCode
    private let literalCount: Int   // HLIT + 257
    private let distanceCount: Int  // HDIST + 1
    /// Code-length symbols (0...18), each with its extra-bit value.
    private let items: [(symbol: Int, extra: UInt32)]
    private let codeLengthCode: DeflateHuffmanCode
    private let codeLengthCount: Int  // HCLEN + 4

    init(literalLengthCounts: [Int], distanceCounts: [Int]) {
        literalLengths = DeflateHuffmanCode(lengths: DeflateHuffmanCode.lengths(for: literalLengthCounts, maxBits: 15))
        distanceLengths = DeflateHuffmanCode(lengths: DeflateHuffmanCode.lengths(for: distanceCounts, maxBits: 15))
        literalCount = max(257, (literalLengths.lengths.lastIndex { $0 > 0 } ?? 0) + 1)
        distanceCount = max(1, (distanceLengths.lengths.lastIndex { $0 > 0 } ?? 0) + 1)

        // One sequence over both tables: a run may cross from literal/length into distance lengths.
        let all = Array(literalLengths.lengths[0..<literalCount]) + Array(distanceLengths.lengths[0..<distanceCount])
        var items: [(symbol: Int, extra: UInt32)] = []
        var i = 0
        while i < all.count {
            let value = all[i]
            var run = 1
            while i + run < all.count && all[i + run] == value { run += 1 }
            i += run
            if value == 0 {
                while run >= 11 { let n = min(run, 138); items.append((18, UInt32(n - 11))); run -= n }
                if run >= 3 { items.append((17, UInt32(run - 3))); run = 0 }
            } else {
                items.append((Int(value), 0))
                run -= 1
                while run >= 3 { let n = min(run, 6); items.append((16, UInt32(n - 3))); run -= n }
            }
            for _ in 0..<run { items.append((Int(value), 0)) }
        }
        self.items = items

        var counts = [Int](repeating: 0, count: 19)
        for item in items { counts[item.symbol] += 1 }
        codeLengthCode = DeflateHuffmanCode(lengths: DeflateHuffmanCode.lengths(for: counts, maxBits: 7))
        var n = 19
        while n > 4 && codeLengthCode.lengths[DeflateCodes.codeLengthOrder[n - 1]] == 0 { n -= 1 }
        codeLengthCount = n
    }

    private static func extraBits(_ symbol: Int) -> Int { symbol == 16 ? 2 : symbol == 17 ? 3 : symbol == 18 ? 7 : 0 }

    /// Size of the header after BTYPE, in bits.
    var headerBits: Int {
        var bits = 5 + 5 + 4 + 3 * codeLengthCount
        for item in items { bits += Int(codeLengthCode.lengths[item.symbol]) + Self.extraBits(item.symbol) }
        return bits
    }

    func write(into writer: inout DeflateBitWriter) {
        writer.write(UInt32(literalCount - 257), bits: 5)
        writer.write(UInt32(distanceCount - 1), bits: 5)
        writer.write(UInt32(codeLengthCount - 4), bits: 4)
        for k in 0..<codeLengthCount { writer.write(UInt32(codeLengthCode.lengths[DeflateCodes.codeLengthOrder[k]]), bits: 3) }
        for item in items {
            writer.write(UInt32(codeLengthCode.reversedCodes[item.symbol]), bits: Int(codeLengthCode.lengths[item.symbol]))
            let extra = Self.extraBits(item.symbol)
            if extra > 0 { writer.write(item.extra, bits: extra) }
        }
    }
}
