extension Media {
    /// An MP4 (ISO BMFF, brand isom, H.264 Constrained Baseline) of width×height (even numbers, 16…1920),
    /// `seconds` long (1…60) at `fps` frames per second, showing a pattern derived from `seed`.
    ///
    /// The picture is a mosaic of seed-coloured tiles over a progress bar that fills from left to right
    /// as the video plays (see `MP4Pattern`). Out-of-range arguments are a programming error (trap).
    public static func mp4(width: Int, height: Int, seconds: Int, fps: Int = 1, seed: UInt64) -> [UInt8] {
        precondition((16...1920).contains(width) && width % 2 == 0, "mp4: width must be even, 16…1920")
        precondition((16...1920).contains(height) && height % 2 == 0, "mp4: height must be even, 16…1920")
        precondition((1...60).contains(seconds), "mp4: seconds must be 1…60")
        precondition((1...60).contains(fps), "mp4: fps must be 1…60")
        let pattern = MP4Pattern(width: width, height: height, frameCount: seconds * fps, seed: seed)
        return mp4(width: width, height: height, seconds: seconds, fps: fps,
                   first: pattern.grid(frame: 0), changes: pattern.changes(frame:))
    }

    /// The file for any mosaic sequence: `first` is frame 0 (one colour per macroblock, raster order),
    /// `changes(n)` lists the macroblocks of frame n (n ≥ 1) that differ from frame n−1, ascending.
    static func mp4(width: Int, height: Int, seconds: Int, fps: Int, first: [H264Colour],
                    changes: (Int) -> [(index: Int, colour: H264Colour)]) -> [UInt8] {
        let frameCount = seconds * fps
        var encoder = H264Encoder(width: width, height: height, fps: fps, frameCount: frameCount)

        // Samples first: moov needs their sizes. Each is one length-prefixed slice NAL unit.
        var samples: [UInt8] = []
        samples.reserveCapacity(first.count * 2 + frameCount * 16 + 64)
        var sizes: [UInt32] = []
        sizes.reserveCapacity(frameCount)
        for frame in 0..<frameCount {
            let start = samples.count
            samples.append(contentsOf: [0, 0, 0, 0])
            if frame == 0 {
                encoder.appendIDR(first, to: &samples)
            } else {
                encoder.appendP(changes: changes(frame), to: &samples)
            }
            let length = UInt32(samples.count - start - 4)
            samples[start] = UInt8(length >> 24)
            samples[start + 1] = UInt8(truncatingIfNeeded: length >> 16)
            samples[start + 2] = UInt8(truncatingIfNeeded: length >> 8)
            samples[start + 3] = UInt8(truncatingIfNeeded: length)
            sizes.append(length + 4)
        }
        let sps = encoder.sps()
        let pps = encoder.pps()

        var box = MP4BoxWriter(capacity: samples.count + sizes.count * 4 + 1024)
        box.begin("ftyp")
        box.fourCC("isom"); box.u32(0x200)
        box.fourCC("isom"); box.fourCC("iso2"); box.fourCC("avc1"); box.fourCC("mp41")
        box.end()

        let movieTimescale: UInt32 = 1000
        let mediaTimescale = UInt32(fps * 1000)     // one frame = 1000 ticks, any fps divides exactly
        let movieDuration = UInt32(seconds * 1000)
        let mediaDuration = UInt32(frameCount * 1000)
        box.begin("moov")
        box.begin("mvhd")
        box.u32(0)                                  // version 0, flags
        box.u32(0); box.u32(0)                      // creation/modification time: fixed for determinism
        box.u32(movieTimescale); box.u32(movieDuration)
        box.u32(0x0001_0000); box.u16(0x0100)       // rate 1.0, volume 1.0
        box.zeros(10)
        box.unityMatrix()
        box.zeros(24)                               // pre_defined
        box.u32(2)                                  // next_track_ID
        box.end()

        box.begin("trak")
        box.begin("tkhd")
        box.u32(0x0000_0003)                        // version 0; enabled, in movie
        box.u32(0); box.u32(0)
        box.u32(1)                                  // track_ID
        box.u32(0)
        box.u32(movieDuration)
        box.zeros(8)
        box.u16(0); box.u16(0); box.u16(0); box.u16(0)   // layer, alternate_group, volume, reserved
        box.unityMatrix()
        box.u32(UInt32(width) << 16); box.u32(UInt32(height) << 16)
        box.end()

        box.begin("mdia")
        box.begin("mdhd")
        box.u32(0); box.u32(0); box.u32(0)
        box.u32(mediaTimescale); box.u32(mediaDuration)
        box.u16(0x55C4)                             // language "und", packed 5-bit letters
        box.u16(0)
        box.end()
        box.begin("hdlr")
        box.u32(0); box.u32(0)
        box.fourCC("vide")
        box.zeros(12)
        box.bytes(Array("VideoHandler".utf8)); box.u8(0)
        box.end()

        box.begin("minf")
        box.begin("vmhd")
        box.u32(1)                                  // version 0, flags 1 (required by the spec)
        box.zeros(8)                                // graphicsmode, opcolor
        box.end()
        box.begin("dinf")
        box.begin("dref")
        box.u32(0); box.u32(1)
        box.begin("url "); box.u32(1); box.end()    // flag 1: media is in this file
        box.end()
        box.end()

        box.begin("stbl")
        box.begin("stsd")
        box.u32(0); box.u32(1)
        box.begin("avc1")
        box.zeros(6); box.u16(1)                    // reserved, data_reference_index
        box.zeros(16)                               // pre_defined, reserved
        box.u16(UInt16(width)); box.u16(UInt16(height))
        box.u32(0x0048_0000); box.u32(0x0048_0000)  // 72 dpi
        box.u32(0)
        box.u16(1)                                  // frame_count
        box.zeros(32)                               // compressorname
        box.u16(0x0018); box.u16(0xFFFF)            // depth, pre_defined −1
        box.begin("avcC")
        box.u8(1)                                   // configurationVersion
        box.u8(sps[1]); box.u8(sps[2]); box.u8(sps[3])   // profile, compatibility, level from the SPS
        box.u8(0xFF)                                // 4-byte NAL lengths
        box.u8(0xE1)                                // one SPS
        box.u16(UInt16(sps.count)); box.bytes(sps)
        box.u8(1)
        box.u16(UInt16(pps.count)); box.bytes(pps)
        box.end()
        box.end()
        box.end()

        box.begin("stts")
        box.u32(0); box.u32(1)
        box.u32(UInt32(frameCount)); box.u32(1000)
        box.end()
        box.begin("stss")                           // only the first frame is a sync sample
        box.u32(0); box.u32(1); box.u32(1)
        box.end()
        box.begin("stsc")                           // all samples in one chunk
        box.u32(0); box.u32(1)
        box.u32(1); box.u32(UInt32(frameCount)); box.u32(1)
        box.end()
        box.begin("stsz")
        box.u32(0); box.u32(0); box.u32(UInt32(frameCount))
        for size in sizes { box.u32(size) }
        box.end()
        box.begin("stco")
        box.u32(0); box.u32(1)
        let chunkOffsetAt = box.out.count
        box.u32(0)                                  // patched below, once moov's size is known
        box.end()
        box.end()                                   // stbl
        box.end()                                   // minf
        box.end()                                   // mdia
        box.end()                                   // trak
        box.end()                                   // moov

        // moov precedes mdat ("fast start"), so the chunk starts right after mdat's 8-byte header.
        box.patchU32(at: chunkOffsetAt, UInt32(box.out.count + 8))
        box.u32(UInt32(8 + samples.count)); box.fourCC("mdat")
        box.bytes(samples)
        return box.out
    }
}

/// The picture sequence behind `Media.mp4`: tiles of 1–3 macroblocks in seed-chosen colours, and a
/// progress bar on the last fully visible macroblock row that fills left to right, reaching the right
/// edge on the last frame. Every macroblock is one flat colour, which is what `H264Encoder` codes.
/// Sendable value.
struct MP4Pattern: Sendable {
    let mbWidth: Int
    let mbHeight: Int
    let frameCount: Int
    /// The macroblock row that holds the progress bar.
    let barRow: Int
    let tiles: [H264Colour]
    let barOn: H264Colour
    let barOff: H264Colour

    init(width: Int, height: Int, frameCount: Int, seed: UInt64) {
        mbWidth = (width + 15) / 16
        mbHeight = (height + 15) / 16
        self.frameCount = frameCount
        barRow = height / 16 - 1
        var random = MP4Random(seed: seed)
        let palette = (0..<5).map { _ in
            MP4Pattern.colour(r: 40 + random.next(190), g: 40 + random.next(190), b: 40 + random.next(190))
        }
        // Bright fill over a dark track, so the bar shows whatever the palette.
        barOn = MP4Pattern.colour(r: 190 + random.next(66), g: 190 + random.next(66), b: 150 + random.next(106))
        barOff = MP4Pattern.colour(r: random.next(40), g: random.next(40), b: random.next(60))
        let tile = 1 + random.next(3)
        let salt = random.state
        var tiles: [H264Colour] = []
        tiles.reserveCapacity(mbWidth * mbHeight)
        for y in 0..<mbHeight {
            for x in 0..<mbWidth {
                var cell = MP4Random(seed: salt ^ UInt64(y / tile) << 32 ^ UInt64(x / tile))
                tiles.append(palette[cell.next(palette.count)])
            }
        }
        self.tiles = tiles
    }

    /// Macroblock columns of the bar that are filled in `frame`.
    func filled(frame: Int) -> Int { (frame + 1) * mbWidth / frameCount }

    /// The whole picture of `frame`, one colour per macroblock in raster order.
    func grid(frame: Int) -> [H264Colour] {
        var grid = tiles
        let filled = filled(frame: frame)
        for x in 0..<mbWidth { grid[barRow * mbWidth + x] = x < filled ? barOn : barOff }
        return grid
    }

    /// The macroblocks that differ from the previous frame, ascending.
    func changes(frame: Int) -> [(index: Int, colour: H264Colour)] {
        (filled(frame: frame - 1)..<filled(frame: frame)).map { (barRow * mbWidth + $0, barOn) }
    }

    /// BT.601 limited-range Y′CbCr of an sRGB colour, in integers.
    static func colour(r: Int, g: Int, b: Int) -> H264Colour {
        H264Colour(y: UInt8(16 + (66 * r + 129 * g + 25 * b + 128) >> 8),
                   cb: UInt8(128 + (-38 * r - 74 * g + 112 * b + 128) >> 8),
                   cr: UInt8(128 + (112 * r - 94 * g - 18 * b + 128) >> 8))
    }
}

/// SplitMix64: a tiny, well-mixed, deterministic generator for pattern choices. Sendable value.
struct MP4Random: Sendable {
    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in 0..<bound (bound small, so modulo bias is irrelevant here).
    mutating func next(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Appends ISO BMFF boxes to a byte array, patching each box's size when it is closed.
/// Sendable value, used by one call of `Media.mp4`.
struct MP4BoxWriter: Sendable {
    private(set) var out: [UInt8] = []
    private var open: [Int] = []

    init(capacity: Int) { out.reserveCapacity(capacity) }

    mutating func begin(_ type: StaticString) {
        open.append(out.count)
        u32(0)
        fourCC(type)
    }

    mutating func end() {
        let start = open.removeLast()
        patchU32(at: start, UInt32(out.count - start))
    }

    mutating func patchU32(at offset: Int, _ value: UInt32) {
        out[offset] = UInt8(value >> 24)
        out[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
        out[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
        out[offset + 3] = UInt8(truncatingIfNeeded: value)
    }

    mutating func fourCC(_ code: StaticString) {
        code.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    mutating func u8(_ v: UInt8) { out.append(v) }
    mutating func u16(_ v: UInt16) { out.append(UInt8(v >> 8)); out.append(UInt8(truncatingIfNeeded: v)) }
    mutating func u32(_ v: UInt32) {
        out.append(UInt8(v >> 24)); out.append(UInt8(truncatingIfNeeded: v >> 16))
        out.append(UInt8(truncatingIfNeeded: v >> 8)); out.append(UInt8(truncatingIfNeeded: v))
    }
    mutating func zeros(_ n: Int) { out.append(contentsOf: repeatElement(0, count: n)) }
    mutating func bytes(_ b: [UInt8]) { out.append(contentsOf: b) }

    /// The identity transformation matrix of mvhd/tkhd (16.16 and 2.30 fixed point).
    mutating func unityMatrix() {
        for v: UInt32 in [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] { u32(v) }
    }
}
