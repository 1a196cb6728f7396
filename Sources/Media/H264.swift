/// One macroblock's flat colour as 8-bit limited-range Y′CbCr; generated pictures are mosaics of these.
/// Sendable value.
struct H264Colour: Equatable, Sendable {
    var y: UInt8
    var cb: UInt8
    var cr: UInt8
}

/// A minimal H.264 Constrained Baseline encoder for pictures made of flat 16×16 macroblocks.
///
/// Every coded macroblock is Intra16x16 predicted from its left (else top) neighbour, with only the
/// DC coefficient of the luma and chroma DC transforms coded. With QP′Y = 28 and QP′C = 22 a DC level
/// `c` dequantises to exactly `c` per sample (see `intraMacroblock`), so a flat 16×16 block costs a
/// handful of bits and its reconstruction is exact. Later frames are P slices that skip every
/// macroblock except the ones whose colour changed. Deblocking is disabled, so tile edges stay sharp
/// and the decoded picture equals `picture` sample for sample.
/// Sendable value; one encoder produces one stream, frame by frame.
struct H264Encoder: Sendable {
    let width: Int
    let height: Int
    let fps: Int
    let mbWidth: Int
    let mbHeight: Int
    let levelIDC: UInt8
    let log2MaxFrameNum: Int
    /// The decoder's reconstruction after the last coded frame, one colour per macroblock in raster order.
    private(set) var picture: [H264Colour]
    private var frameNum = 0
    private var writer = H264BitWriter(capacity: 1024)

    /// QP′Y = 26 + pic_init_qp_minus26; 28 makes a luma DC level dequantise to 64× itself (see below).
    static let picInitQPMinus26 = 2
    /// QP′C = QP′Y − 6 = 22 gives chroma the same 64× scale.
    static let chromaQPIndexOffset = -6

    init(width: Int, height: Int, fps: Int, frameCount: Int) {
        self.width = width
        self.height = height
        self.fps = fps
        mbWidth = (width + 15) / 16
        mbHeight = (height + 15) / 16
        levelIDC = H264Encoder.level(mbWidth: mbWidth, mbHeight: mbHeight, fps: fps)
        // Big enough that frame_num never wraps within the stream (wrapping would be legal, just needless).
        log2MaxFrameNum = max(4, min(16, Int.bitWidth - max(frameCount - 1, 1).leadingZeroBitCount))
        picture = Array(repeating: H264Colour(y: 128, cb: 128, cr: 128), count: mbWidth * mbHeight)
    }

    /// The lowest level (Table A-1) whose frame size, frame dimensions and macroblock rate fit.
    static func level(mbWidth: Int, mbHeight: Int, fps: Int) -> UInt8 {
        let frameSize = mbWidth * mbHeight
        // (level_idc, MaxMBPS, MaxFS); level 1b is skipped as it needs a constraint flag trick.
        let levels: [(UInt8, Int, Int)] = [
            (10, 1485, 99), (11, 3000, 396), (12, 6000, 396), (13, 11880, 396), (20, 11880, 396),
            (21, 19800, 792), (22, 20250, 1620), (30, 40500, 1620), (31, 108_000, 3600), (32, 216_000, 5120),
            (40, 245_760, 8192), (42, 522_240, 8704), (50, 589_824, 22080), (51, 983_040, 36864),
            (52, 2_073_600, 36864),
        ]
        for (idc, maxMBPS, maxFS) in levels
        where frameSize <= maxFS && mbWidth * mbWidth <= 8 * maxFS && mbHeight * mbHeight <= 8 * maxFS
            && frameSize * fps <= maxMBPS {
            return idc
        }
        return 52
    }

    // MARK: Parameter sets

    /// The sequence parameter set as a NAL unit (header byte included, emulation-prevented).
    mutating func sps() -> [UInt8] {
        writer.reset()
        writer.bits(66, 8)                      // profile_idc: Baseline
        writer.bits(0b1100_0000, 8)             // constraint_set0+1: Constrained Baseline
        writer.bits(UInt32(levelIDC), 8)
        writer.ue(0)                            // seq_parameter_set_id
        writer.ue(log2MaxFrameNum - 4)
        writer.ue(2)                            // pic_order_cnt_type 2: output order = decode order
        writer.ue(1)                            // max_num_ref_frames
        writer.flag(false)                      // gaps_in_frame_num_value_allowed_flag
        writer.ue(mbWidth - 1)
        writer.ue(mbHeight - 1)                 // pic_height_in_map_units_minus1
        writer.flag(true)                       // frame_mbs_only_flag
        writer.flag(true)                       // direct_8x8_inference_flag
        let cropRight = (mbWidth * 16 - width) / 2   // crop units are 2 samples in 4:2:0 frames
        let cropBottom = (mbHeight * 16 - height) / 2
        writer.flag(cropRight > 0 || cropBottom > 0)
        if cropRight > 0 || cropBottom > 0 {
            writer.ue(0); writer.ue(cropRight); writer.ue(0); writer.ue(cropBottom)
        }
        writer.flag(true)                       // vui_parameters_present_flag
        writer.flag(false)                      // aspect_ratio_info_present_flag
        writer.flag(false)                      // overscan_info_present_flag
        writer.flag(false)                      // video_signal_type_present_flag
        writer.flag(false)                      // chroma_loc_info_present_flag
        writer.flag(true)                       // timing_info_present_flag
        writer.bits(1, 32)                      // num_units_in_tick
        writer.bits(UInt32(2 * fps), 32)        // time_scale: two ticks per frame
        writer.flag(true)                       // fixed_frame_rate_flag
        writer.flag(false)                      // nal_hrd_parameters_present_flag
        writer.flag(false)                      // vcl_hrd_parameters_present_flag
        writer.flag(false)                      // pic_struct_present_flag
        // Bitstream restriction: no reordering, one frame buffer, so decoders output each frame at once.
        writer.flag(true)
        writer.flag(true)                       // motion_vectors_over_pic_boundaries_flag
        writer.ue(0)                            // max_bytes_per_pic_denom
        writer.ue(0)                            // max_bits_per_mb_denom
        writer.ue(15)                           // log2_max_mv_length_horizontal
        writer.ue(15)                           // log2_max_mv_length_vertical
        writer.ue(0)                            // max_num_reorder_frames
        writer.ue(1)                            // max_dec_frame_buffering
        writer.trailingBits()
        var out: [UInt8] = []
        H264BitWriter.appendNAL(header: 0x67, rbsp: writer.bytes, to: &out)
        return out
    }

    /// The picture parameter set as a NAL unit (header byte included, emulation-prevented).
    mutating func pps() -> [UInt8] {
        writer.reset()
        writer.ue(0)                            // pic_parameter_set_id
        writer.ue(0)                            // seq_parameter_set_id
        writer.flag(false)                      // entropy_coding_mode_flag: CAVLC
        writer.flag(false)                      // bottom_field_pic_order_in_frame_present_flag
        writer.ue(0)                            // num_slice_groups_minus1
        writer.ue(0)                            // num_ref_idx_l0_default_active_minus1
        writer.ue(0)                            // num_ref_idx_l1_default_active_minus1
        writer.flag(false)                      // weighted_pred_flag
        writer.bits(0, 2)                       // weighted_bipred_idc
        writer.se(H264Encoder.picInitQPMinus26)
        writer.se(0)                            // pic_init_qs_minus26
        writer.se(H264Encoder.chromaQPIndexOffset)
        writer.flag(true)                       // deblocking_filter_control_present_flag
        writer.flag(false)                      // constrained_intra_pred_flag
        writer.flag(false)                      // redundant_pic_cnt_present_flag
        writer.trailingBits()
        var out: [UInt8] = []
        H264BitWriter.appendNAL(header: 0x68, rbsp: writer.bytes, to: &out)
        return out
    }

    // MARK: Slices

    /// Appends an IDR picture showing `target` (one colour per macroblock, raster order) as one I slice.
    mutating func appendIDR(_ target: [H264Colour], to out: inout [UInt8]) {
        precondition(target.count == picture.count)
        frameNum = 0
        writer.reset()
        sliceHeader(idr: true)
        for index in 0..<target.count {
            intraMacroblock(index, target[index], inPSlice: false)
        }
        writer.trailingBits()
        H264BitWriter.appendNAL(header: 0x65, rbsp: writer.bytes, to: &out)   // nal_ref_idc 3, type 5
        frameNum = 1
    }

    /// Appends a P picture equal to the previous one except at `changes` (macroblock index, new colour),
    /// which must be in ascending index order. Unchanged macroblocks are P_Skip: with every motion
    /// vector in the stream zero, a skipped block copies the previous frame exactly.
    mutating func appendP(changes: [(index: Int, colour: H264Colour)], to out: inout [UInt8]) {
        writer.reset()
        sliceHeader(idr: false)
        var next = 0    // first macroblock not yet covered
        for (index, colour) in changes where picture[index] != colour {
            precondition(index >= next, "changes must ascend")
            writer.ue(index - next)              // mb_skip_run before this macroblock
            intraMacroblock(index, colour, inPSlice: true)
            next = index + 1
        }
        if next < picture.count { writer.ue(picture.count - next) }
        writer.trailingBits()
        H264BitWriter.appendNAL(header: 0x41, rbsp: writer.bytes, to: &out)   // nal_ref_idc 2, type 1
        frameNum = (frameNum + 1) & ((1 << log2MaxFrameNum) - 1)
    }

    private mutating func sliceHeader(idr: Bool) {
        writer.ue(0)                            // first_mb_in_slice
        writer.ue(idr ? 7 : 5)                  // slice_type I or P (+5: all slices of the picture alike)
        writer.ue(0)                            // pic_parameter_set_id
        writer.bits(UInt32(frameNum), log2MaxFrameNum)
        if idr { writer.ue(0) }                 // idr_pic_id
        if !idr {
            writer.flag(false)                  // num_ref_idx_active_override_flag
            writer.flag(false)                  // ref_pic_list_modification_flag_l0
        }
        // dec_ref_pic_marking: every picture is a reference (POC type 2 forbids consecutive
        // non-reference pictures), the sliding window keeps just the last one.
        if idr {
            writer.flag(false)                  // no_output_of_prior_pics_flag
            writer.flag(false)                  // long_term_reference_flag
        } else {
            writer.flag(false)                  // adaptive_ref_pic_marking_mode_flag
        }
        writer.se(0)                            // slice_qp_delta
        writer.ue(1)                            // disable_deblocking_filter_idc: off, edges stay exact
    }

    /// Codes macroblock `index` as Intra16x16 with DC-only residual so it reconstructs to `colour`, and
    /// records it in `picture`.
    ///
    /// Prediction is horizontal from the left neighbour, else vertical from the one above, else DC
    /// (128 when nothing is available); a flat neighbour predicts its own colour, so the residual is a
    /// single DC level d = colour − prediction. Reconstruction (8.5.10, 8.5.11, 8.5.12): luma
    /// dcY = (d·LevelScale(4,0,0)=256 + 2) >> 2 = 64d at QP 28; chroma dcC = ((d·256) << 3) >> 5 = 64d
    /// at QP 22; the 4×4 inverse transform of a lone DC then gives (64d + 32) >> 6 = d at every sample.
    private mutating func intraMacroblock(_ index: Int, _ colour: H264Colour, inPSlice: Bool) {
        let x = index % mbWidth
        let lumaMode: Int, chromaMode: Int, predicted: H264Colour
        if x > 0 {
            lumaMode = 1; chromaMode = 1; predicted = picture[index - 1]              // horizontal
        } else if index >= mbWidth {
            lumaMode = 0; chromaMode = 2; predicted = picture[index - mbWidth]        // vertical
        } else {
            lumaMode = 2; chromaMode = 0; predicted = H264Colour(y: 128, cb: 128, cr: 128)   // DC
        }
        let dY = Int(colour.y) - Int(predicted.y)
        let dCb = Int(colour.cb) - Int(predicted.cb)
        let dCr = Int(colour.cr) - Int(predicted.cr)
        let chromaCoded = dCb != 0 || dCr != 0
        // I_16x16_<mode>_<cbpChroma>_0; P slices number intra types after their 5 inter types.
        writer.ue((inPSlice ? 5 : 0) + 1 + lumaMode + (chromaCoded ? 4 : 0))
        writer.ue(chromaMode)                   // intra_chroma_pred_mode
        writer.se(0)                            // mb_qp_delta
        // Neighbours never carry AC coefficients (I_PCM is not used), so nC is 0 for the luma DC block.
        dcBlock(dY, chroma: false)
        if chromaCoded {
            dcBlock(dCb, chroma: true)
            dcBlock(dCr, chroma: true)
        }
        picture[index] = colour
    }

    /// A CAVLC residual block (9.2) whose only non-zero coefficient, if any, is the first in scan order:
    /// coeff_token from the nC 0…1 table (luma) or the chroma DC table, the level, total_zeros = 0.
    private mutating func dcBlock(_ level: Int, chroma: Bool) {
        if level == 0 {
            if chroma { writer.bits(0b01, 2) } else { writer.bits(0b1, 1) }    // TotalCoeff 0
            return
        }
        if level == 1 || level == -1 {
            // One trailing ±1: TrailingOnes 1, TotalCoeff 1, then its sign.
            if chroma { writer.bits(0b1, 1) } else { writer.bits(0b01, 2) }
            writer.flag(level < 0)
        } else {
            if chroma { writer.bits(0b000111, 6) } else { writer.bits(0b000101, 6) }
            // levelCode, less the 2 the decoder adds back for a first level when TrailingOnes < 3;
            // suffixLength starts at 0.
            let levelCode = (level > 0 ? 2 * level - 2 : -2 * level - 1) - 2
            if levelCode < 14 {
                writer.bits(1, levelCode + 1)                 // level_prefix = levelCode
            } else if levelCode < 30 {
                writer.bits(1, 15)                            // level_prefix 14, 4-bit suffix
                writer.bits(UInt32(levelCode - 14), 4)
            } else {
                writer.bits(1, 16)                            // level_prefix 15, 12-bit suffix
                writer.bits(UInt32(levelCode - 30), 12)
            }
        }
        writer.bits(1, 1)                                     // total_zeros = 0 (both tables)
    }
}
