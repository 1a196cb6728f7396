import Glibc
@testable import Media
import TestSupport
import Testing

/// `Media.mp4`: the box tree and H.264 syntax checked by a parser written here, and the pictures checked
/// sample for sample by FFmpeg's decoder as the independent one (libavcodec from the PyAV wheel in the
/// repository's `.venv`, driven by `Tests/python/videoprobe.py`). The decoder tests fail (never skip)
/// when the venv is missing: `scripts/test` (or `scripts/setup-venv`) makes it.
@Suite struct MP4Tests {
    static let sizes: [(Int, Int, Int)] = [(16, 16, 1), (320, 180, 5), (180, 320, 5), (240, 240, 20), (640, 360, 5)]

    // MARK: Without a decoder

    @Test(arguments: sizes)
    func boxTree_sizesOffsetsAndTablesAddUp(_ width: Int, _ height: Int, _ seconds: Int) throws {
        let file = Media.mp4(width: width, height: height, seconds: seconds, seed: 7)
        let mp4 = try MP4File(file)
        #expect(mp4.top.map(\.type) == ["ftyp", "moov", "mdat"])
        #expect(mp4.top.reduce(0) { $0 + $1.size } == file.count)
        let ftyp = try mp4.box("ftyp")
        #expect(Array(file[ftyp.payload.prefix(4)]) == Array("isom".utf8))

        let mvhd = try mp4.box("moov", "mvhd")
        #expect(be32(file, mvhd.payload.lowerBound + 16) == be32(file, mvhd.payload.lowerBound + 12) * UInt32(seconds))
        let tkhd = try mp4.box("moov", "trak", "tkhd")
        #expect(be32(file, tkhd.payload.lowerBound + 76) == UInt32(width) << 16)
        #expect(be32(file, tkhd.payload.lowerBound + 80) == UInt32(height) << 16)
        let mdhd = try mp4.box("moov", "trak", "mdia", "mdhd")
        let timescale = be32(file, mdhd.payload.lowerBound + 12)
        #expect(be32(file, mdhd.payload.lowerBound + 16) == timescale * UInt32(seconds))
        let hdlr = try mp4.box("moov", "trak", "mdia", "hdlr")
        #expect(Array(file[hdlr.payload.lowerBound + 8 ..< hdlr.payload.lowerBound + 12]) == Array("vide".utf8))
        _ = try mp4.box("moov", "trak", "mdia", "minf", "vmhd")
        _ = try mp4.box("moov", "trak", "mdia", "minf", "dinf", "dref")

        let stbl = ["moov", "trak", "mdia", "minf", "stbl"]
        let frames = seconds  // fps defaults to 1
        let stts = try mp4.box(stbl + ["stts"]).payload.lowerBound
        #expect(be32(file, stts + 4) == 1 && be32(file, stts + 8) == UInt32(frames))
        #expect(be32(file, stts + 8) * be32(file, stts + 12) == be32(file, mdhd.payload.lowerBound + 16))
        let stss = try mp4.box(stbl + ["stss"]).payload.lowerBound
        #expect(be32(file, stss + 4) == 1 && be32(file, stss + 8) == 1)
        let stsc = try mp4.box(stbl + ["stsc"]).payload.lowerBound
        #expect(be32(file, stsc + 4) == 1 && be32(file, stsc + 12) == UInt32(frames))
        let stsz = try mp4.box(stbl + ["stsz"]).payload.lowerBound
        #expect(be32(file, stsz + 4) == 0 && be32(file, stsz + 8) == UInt32(frames))
        let sampleSizes = (0..<frames).map { Int(be32(file, stsz + 12 + 4 * $0)) }
        let stco = try mp4.box(stbl + ["stco"]).payload.lowerBound
        #expect(be32(file, stco + 4) == 1)
        let mdat = try mp4.box("mdat")
        #expect(Int(be32(file, stco + 8)) == mdat.payload.lowerBound)
        #expect(sampleSizes.reduce(0, +) == mdat.payload.count)

        let avc1 = try mp4.box(stbl + ["stsd", "avc1"])
        #expect(Int(be16(file, avc1.payload.lowerBound + 24)) == width)
        #expect(Int(be16(file, avc1.payload.lowerBound + 26)) == height)
        let avcC = try mp4.box(stbl + ["stsd", "avc1", "avcC"]).payload
        #expect(Array(file[avcC.lowerBound ..< avcC.lowerBound + 2]) == [1, 66])
        #expect(file[avcC.lowerBound + 2] == 0xC0)                // constraint_set0+1: Constrained Baseline
        #expect(file[avcC.lowerBound + 4] == 0xFF && file[avcC.lowerBound + 5] == 0xE1)
        let spsLength = Int(be16(file, avcC.lowerBound + 6))
        let sps = Array(file[avcC.lowerBound + 8 ..< avcC.lowerBound + 8 + spsLength])
        #expect(file[avcC.lowerBound + 8 + spsLength] == 1)      // one PPS
        let ppsLength = Int(be16(file, avcC.lowerBound + 9 + spsLength))
        #expect(avcC.lowerBound + 11 + spsLength + ppsLength == avcC.upperBound)
        #expect(sps[0] == 0x67 && file[avcC.lowerBound + 11 + spsLength] == 0x68)
        let info = try SPSInfo(sps)
        #expect(info.width == width && info.height == height)
        #expect(info.pocType == 2 && info.frameMbsOnly)

        // Walk mdat: each sample is exactly one length-prefixed slice NAL unit with the right frame_num.
        var at = mdat.payload.lowerBound
        for (n, size) in sampleSizes.enumerated() {
            let length = Int(be32(file, at))
            #expect(length + 4 == size)
            let nal = Array(file[at + 4 ..< at + 4 + length])
            #expect(nal[0] & 0x1F == (n == 0 ? 5 : 1))
            #expect(nal[0] & 0x60 != 0, "every picture is a reference picture")
            try expectNoStartCodeEmulation(nal)
            var bits = RBSPReader(nal)
            #expect(try bits.ue() == 0)                                  // first_mb_in_slice
            #expect(try bits.ue() == (n == 0 ? 7 : 5))                   // slice_type
            #expect(try bits.ue() == 0)                                  // pps id
            #expect(try bits.u(info.log2MaxFrameNum) == n)               // frame_num
            at += size
        }
        #expect(at == file.count)
    }

    @Test func deterministicPerSeed() {
        let a = Media.mp4(width: 320, height: 180, seconds: 5, seed: 42)
        #expect(a == Media.mp4(width: 320, height: 180, seconds: 5, seed: 42))
        #expect(a != Media.mp4(width: 320, height: 180, seconds: 5, seed: 43))
        #expect(Media.mp4(width: 16, height: 16, seconds: 1, seed: 1) != Media.mp4(width: 16, height: 16, seconds: 1, seed: 2))
    }

    @Test func filesStaySmall() {
        #expect(Media.mp4(width: 320, height: 180, seconds: 8, seed: 1).count < 4_000)
        #expect(Media.mp4(width: 1920, height: 1080, seconds: 5, seed: 1).count < 100_000)
        #expect(Media.mp4(width: 1920, height: 1080, seconds: 60, fps: 30, seed: 1).count < 200_000)
    }

    @Test func pattern_hasTilesAndAGrowingBar() {
        let pattern = MP4Pattern(width: 640, height: 360, frameCount: 5, seed: 9)
        let first = pattern.grid(frame: 0), last = pattern.grid(frame: 4)
        #expect(Set(first.map { [$0.y, $0.cb, $0.cr] }).count >= 3)
        #expect(pattern.filled(frame: 0) == 8 && pattern.filled(frame: 4) == 40)
        #expect(first != last)
        // changes(n) turns grid(n−1) into grid(n).
        for n in 1..<5 {
            var grid = pattern.grid(frame: n - 1)
            for change in pattern.changes(frame: n) { grid[change.index] = change.colour }
            #expect(grid == pattern.grid(frame: n))
        }
    }

    @Test func bitWriter_expGolombAndEmulationPrevention() {
        var w = H264BitWriter()
        w.ue(0); w.ue(1); w.ue(2); w.ue(3); w.ue(7)       // 1 010 011 00100 0001000
        w.se(1); w.se(-1); w.se(0)                         // 010 011 1
        w.trailingBits()
        // 1010 0110 0100 0001 0000 1001 1110 0000 (…1 trailing stop bit, then zeros)
        #expect(w.bytes == [0b1010_0110, 0b0100_0001, 0b0000_1001, 0b1110_0000])
        var nal: [UInt8] = []
        H264BitWriter.appendNAL(header: 0x65, rbsp: [0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0], to: &nal)
        #expect(nal == [0x65, 0, 0, 3, 0, 0, 3, 1, 0, 0, 3, 2, 0, 0, 3, 3, 0, 0, 4, 0, 0])
    }

    @Test(arguments: [(16, 16, 1, UInt8(10)), (320, 180, 1, 11), (640, 360, 30, 30), (1280, 720, 30, 31),
                      (1920, 1080, 30, 40), (1920, 1080, 60, 42), (16, 1920, 1, 31)])
    func levelFitsFrameSizeAndRate(_ width: Int, _ height: Int, _ fps: Int, _ level: UInt8) {
        #expect(H264Encoder.level(mbWidth: (width + 15) / 16, mbHeight: (height + 15) / 16, fps: fps) == level)
    }

    // MARK: With FFmpeg's decoder as the independent one

    @Test(arguments: sizes.map { ($0.0, $0.1, $0.2, 1) } + [(320, 180, 2, 30), (1920, 1080, 5, 1)])
    func ffmpegProbe_reportsH264WithExactDurationAndFrames(_ width: Int, _ height: Int, _ seconds: Int, _ fps: Int) throws {
        let path = try writeTemp(Media.mp4(width: width, height: height, seconds: seconds, fps: fps, seed: 5))
        let run = try runDecoder("probe", path)
        #expect(run.status == 0 && run.stderr.isEmpty, "videoprobe probe: \(run.stderr)")
        let sections = probeSections(String(decoding: run.stdout, as: UTF8.self))
        let stream = try #require(sections["STREAM"]), format = try #require(sections["FORMAT"])
        #expect(stream["codec_name"] == "h264")
        #expect(stream["profile"] == "Constrained Baseline")
        #expect(stream["width"] == String(width) && stream["height"] == String(height))
        #expect(stream["pix_fmt"] == "yuv420p")
        #expect(stream["duration"] == "\(seconds).000000")
        #expect(stream["nb_frames"] == String(seconds * fps))
        #expect(stream["r_frame_rate"] == "\(fps)/1")
        #expect(format["duration"] == "\(seconds).000000")
        #expect(format["format_name"]?.contains("mp4") == true)
    }

    @Test(arguments: sizes + [(1920, 1080, 5)])
    func ffmpeg_decodesEveryFrameToThePattern(_ width: Int, _ height: Int, _ seconds: Int) throws {
        let file = Media.mp4(width: width, height: height, seconds: seconds, seed: 11)
        let pattern = MP4Pattern(width: width, height: height, frameCount: seconds, seed: 11)
        let frames = try decodeYUV(file, width: width, height: height)
        #expect(frames.count == seconds)
        for (n, frame) in frames.enumerated() {
            expectFrame(frame, pattern.grid(frame: n), mbWidth: pattern.mbWidth, width: width, height: height, "frame \(n)")
        }
        if seconds > 1 { #expect(frames.first != frames.last, "the progress bar moves") }
    }

    @Test func ffmpeg_decodesAtHigherFrameRate() throws {
        let file = Media.mp4(width: 320, height: 180, seconds: 2, fps: 25, seed: 3)
        let pattern = MP4Pattern(width: 320, height: 180, frameCount: 50, seed: 3)
        let frames = try decodeYUV(file, width: 320, height: 180)
        #expect(frames.count == 50)
        for (n, frame) in frames.enumerated() {
            expectFrame(frame, pattern.grid(frame: n), mbWidth: pattern.mbWidth, width: 320, height: 180, "frame \(n)")
        }
    }

    /// The encoder on arbitrary mosaics, far beyond what the pattern needs: full-range colours, every
    /// CAVLC level-coding branch (|d| = 1, 2…8, 9…16, ≥ 17, both signs), all three prediction choices,
    /// and P frames that change scattered macroblocks, including the first one and whole rows.
    @Test func ffmpeg_decodesArbitraryMosaicsExactly() throws {
        let (width, height, fps, seconds) = (398, 206, 4, 2)
        let mbWidth = 25, mbHeight = 13
        var random = MP4Random(seed: 2024)
        func anyColour() -> H264Colour {
            H264Colour(y: UInt8(random.next(256)), cb: UInt8(random.next(256)), cr: UInt8(random.next(256)))
        }
        var first: [H264Colour] = []
        for d in [1, 2, 3, 8, 9, 15, 16, 17, 30, 31, 128, 200, 255] {
            // 0 → d → 0 gives residuals +d then −d in every component (Cr mirrored).
            first.append(H264Colour(y: 0, cb: 0, cr: 255))
            first.append(H264Colour(y: UInt8(d), cb: UInt8(d), cr: UInt8(255 - d)))
        }
        while first.count < mbWidth * mbHeight {
            // Some repeats, so residuals of 0 and chroma-only/luma-only changes occur too.
            switch random.next(4) {
            case 0: first.append(first[first.count - 1])
            case 1: var c = first[first.count - 1]; c.y = UInt8(random.next(256)); first.append(c)
            default: first.append(anyColour())
            }
        }
        var grids = [first]
        var changeLists: [[(index: Int, colour: H264Colour)]] = [[]]
        for n in 1..<(fps * seconds) {
            var changes: [(index: Int, colour: H264Colour)] = []
            for index in 0..<first.count where index == 0 || (n == 3 && index / mbWidth == 4) || random.next(8) == 0 {
                changes.append((index, n == 5 ? grids[n - 1][index] : anyColour()))   // frame 5: "changes" to the same colour
            }
            var grid = grids[n - 1]
            for change in changes { grid[change.index] = change.colour }
            grids.append(grid)
            changeLists.append(changes)
        }
        let file = Media.mp4(width: width, height: height, seconds: seconds, fps: fps, first: first) { changeLists[$0] }
        let frames = try decodeYUV(file, width: width, height: height)
        #expect(frames.count == fps * seconds)
        for (n, frame) in frames.enumerated() {
            expectFrame(frame, grids[n], mbWidth: mbWidth, width: width, height: height, "frame \(n)")
        }
    }
}

// MARK: - Helpers

/// What FFmpeg's decoder makes of `file`, one yuv420p frame per element; fails on any decoder complaint.
private func decodeYUV(_ file: [UInt8], width: Int, height: Int) throws -> [[UInt8]] {
    let path = try writeTemp(file)
    let run = try runDecoder("decode", path)
    #expect(run.status == 0, "videoprobe decode exit \(run.status)")
    #expect(run.stderr.isEmpty, "videoprobe decode: \(run.stderr)")
    let frameSize = width * height * 3 / 2
    #expect(run.stdout.count % frameSize == 0)
    return stride(from: 0, to: run.stdout.count - frameSize + 1, by: frameSize).map { Array(run.stdout[$0 ..< $0 + frameSize]) }
}

/// Compares a decoded yuv420p frame with the mosaic `grid` (one colour per 16×16 macroblock), exactly.
private func expectFrame(_ frame: [UInt8], _ grid: [H264Colour], mbWidth: Int, width: Int, height: Int,
                         _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    var mismatches = 0, firstMismatch = ""
    func check(_ plane: String, _ x: Int, _ y: Int, _ got: UInt8, _ want: UInt8) {
        guard got != want else { return }
        if mismatches == 0 { firstMismatch = "\(plane)(\(x),\(y)) = \(got), want \(want)" }
        mismatches += 1
    }
    for y in 0..<height {
        for x in 0..<width { check("Y", x, y, frame[y * width + x], grid[(y / 16) * mbWidth + x / 16].y) }
    }
    let cw = width / 2, ch = height / 2, u = width * height, v = u + cw * ch
    for y in 0..<ch {
        for x in 0..<cw {
            let colour = grid[(y / 8) * mbWidth + x / 8]
            check("U", x, y, frame[u + y * cw + x], colour.cb)
            check("V", x, y, frame[v + y * cw + x], colour.cr)
        }
    }
    #expect(mismatches == 0, "\(label): \(mismatches) samples differ, first \(firstMismatch)", sourceLocation: sourceLocation)
}

/// A finished tool run: exit status and captured output. Sendable value.
private struct ToolRun {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String
}

/// Runs `Tests/python/videoprobe.py MODE FILE` with the repository's venv python to completion. A
/// missing venv or PyAV is a failure, not a skip: `scripts/setup-venv` installs both.
private func runDecoder(_ mode: String, _ file: String) throws -> ToolRun {
    var root = "\(#filePath)"
    for _ in 0..<3 { root = String(root[..<(root.lastIndex(of: "/") ?? root.startIndex)]) }
    let python = root + "/.venv/bin/python"
    try #require(access(python, X_OK) == 0, "\(python) is missing: run scripts/setup-venv (the decoder is PyAV in that venv)")
    let child = try ChildProcess(python, [root + "/Tests/python/videoprobe.py", mode, file])
    let status = try #require(child.waitExit(seconds: 300), "videoprobe \(mode) timed out")
    return ToolRun(status: status, stdout: readBytes(child.stdoutPath), stderr: child.stderr)
}

private func writeTemp(_ bytes: [UInt8]) throws -> String {
    let path = makeTempDirectory() + "/video.mp4"
    let f = try #require(fopen(path, "wb"))
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
    fclose(f)
    try #require(written == bytes.count)
    return path
}

private func readBytes(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { return [] }
    defer { fclose(f) }
    fseek(f, 0, SEEK_END)
    let size = ftell(f)
    fseek(f, 0, SEEK_SET)
    guard size > 0 else { return [] }
    var out = [UInt8](repeating: 0, count: size)
    let n = out.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, f) }
    return Array(out.prefix(n))
}

/// `[SECTION]` blocks of videoprobe's (ffprobe's default) layout as key → value maps (first section of each name).
private func probeSections(_ text: String) -> [String: [String: String]] {
    var out: [String: [String: String]] = [:]
    var current: String?
    var fields: [String: String] = [:]
    for line in text.split(separator: "\n") {
        if line.hasPrefix("[/") {
            if let name = current, out[name] == nil { out[name] = fields }
            current = nil
        } else if line.hasPrefix("[") {
            current = String(line.dropFirst().dropLast())
            fields = [:]
        } else if let eq = line.firstIndex(of: "=") {
            fields[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
    }
    return out
}

private func be16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) << 8 | UInt16(b[at + 1]) }
private func be32(_ b: [UInt8], _ at: Int) -> UInt32 {
    UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
}

/// A malformed box or bitstream found by the test-side parsers. Sendable value.
private struct ParseError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// An ISO BMFF box: its type and byte ranges in the file.
private struct MP4Box {
    var type: String
    var start: Int
    var size: Int
    var payload: Range<Int>
}

/// A box tree parser, independent of the writer: containers are descended into, the rest kept opaque.
private struct MP4File {
    let bytes: [UInt8]
    let top: [MP4Box]

    init(_ bytes: [UInt8]) throws {
        self.bytes = bytes
        top = try MP4File.boxes(bytes, 0..<bytes.count)
    }

    static func boxes(_ b: [UInt8], _ range: Range<Int>) throws -> [MP4Box] {
        var out: [MP4Box] = []
        var at = range.lowerBound
        while at < range.upperBound {
            guard at + 8 <= range.upperBound else { throw ParseError("truncated box header at \(at)") }
            let size = Int(be32(b, at))
            guard size >= 8, at + size <= range.upperBound else { throw ParseError("bad box size \(size) at \(at)") }
            out.append(MP4Box(type: String(decoding: b[at + 4 ..< at + 8], as: UTF8.self), start: at, size: size,
                              payload: at + 8 ..< at + size))
            at += size
        }
        return out
    }

    /// Where the children of a box of this type start, relative to its payload (nil: not a container).
    static func childOffset(_ type: String) -> Int? {
        switch type {
        case "moov", "trak", "mdia", "minf", "dinf", "stbl": 0
        case "stsd", "dref": 8          // version/flags and entry count first
        case "avc1": 78                 // the VisualSampleEntry fields
        default: nil
        }
    }

    func box(_ path: String...) throws -> MP4Box { try box(path) }

    func box(_ path: [String]) throws -> MP4Box {
        var level = top
        var found: MP4Box?
        for (i, type) in path.enumerated() {
            guard let hit = level.first(where: { $0.type == type }) else {
                throw ParseError("no \(path[0...i].joined(separator: "/"))")
            }
            found = hit
            if i + 1 < path.count {
                guard let offset = MP4File.childOffset(type) else { throw ParseError("\(type) is not a container") }
                level = try MP4File.boxes(bytes, hit.payload.lowerBound + offset ..< hit.payload.upperBound)
            }
        }
        return try #require(found)
    }
}

/// No start code prefix (00 00 00/01/02) may appear inside a NAL unit once emulation prevention is applied.
private func expectNoStartCodeEmulation(_ nal: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
    for i in 0..<max(0, nal.count - 2) where nal[i] == 0 && nal[i + 1] == 0 && nal[i + 2] <= 2 {
        Issue.record("start code emulation at \(i)", sourceLocation: sourceLocation)
        return
    }
    #expect(nal.last != 0, "a NAL unit ends with its stop bit", sourceLocation: sourceLocation)
}

/// Reads RBSP bits of a NAL unit (header byte skipped, emulation prevention bytes removed).
private struct RBSPReader {
    var data: [UInt8] = []
    var bit = 0

    init(_ nal: [UInt8]) {
        var zeros = 0
        for byte in nal.dropFirst() {
            if zeros >= 2 && byte == 3 { zeros = 0; continue }
            data.append(byte)
            zeros = byte == 0 ? zeros + 1 : 0
        }
    }

    mutating func u(_ n: Int) throws -> Int {
        var v = 0
        for _ in 0..<n {
            guard bit < data.count * 8 else { throw ParseError("read past the end") }
            v = v << 1 | Int(data[bit >> 3] >> (7 - UInt8(bit & 7)) & 1)
            bit += 1
        }
        return v
    }

    mutating func ue() throws -> Int {
        var zeros = 0
        while try u(1) == 0 { zeros += 1; if zeros > 31 { throw ParseError("bad exp-Golomb") } }
        return (1 << zeros) - 1 + (try u(zeros))
    }
}

/// The SPS fields that fix the picture size and slice header layout.
private struct SPSInfo {
    var width = 0, height = 0, log2MaxFrameNum = 0, pocType = -1, frameMbsOnly = false

    init(_ nal: [UInt8]) throws {
        var r = RBSPReader(nal)
        guard try r.u(8) == 66 else { throw ParseError("not Baseline") }
        _ = try r.u(16)                                  // constraint flags, level
        _ = try r.ue()                                   // sps id
        log2MaxFrameNum = try r.ue() + 4
        pocType = try r.ue()
        guard pocType == 2 else { throw ParseError("unexpected POC type \(pocType)") }
        _ = try r.ue()                                   // max_num_ref_frames
        _ = try r.u(1)
        let mbWidth = try r.ue() + 1, mapUnitsHeight = try r.ue() + 1
        frameMbsOnly = try r.u(1) == 1
        _ = try r.u(1)
        var crop = (left: 0, right: 0, top: 0, bottom: 0)
        if try r.u(1) == 1 { crop = (try r.ue(), try r.ue(), try r.ue(), try r.ue()) }
        width = mbWidth * 16 - 2 * (crop.left + crop.right)
        height = mapUnitsHeight * 16 * (frameMbsOnly ? 1 : 2) - 2 * (crop.top + crop.bottom)
    }
}
