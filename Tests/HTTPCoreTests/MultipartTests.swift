import Glibc
@testable import HTTPCore
import Testing

/// `multipart/form-data` parsing: hand-written bodies for every edge and error, and bodies made by
/// Python's urllib3 and requests encoders (embedded, and generated afresh when a Python with urllib3 exists).
@Suite struct MultipartTests {
    // MARK: boundary

    @Test(arguments: [
        ("multipart/form-data; boundary=abc123", "abc123"),
        ("multipart/form-data; boundary=\"a b;c=d\"", "a b;c=d"),
        ("Multipart/Form-Data; charset=utf-8; BOUNDARY=----WebKitFormBoundary7MA4YWxkTrZu0gW", "----WebKitFormBoundary7MA4YWxkTrZu0gW"),
        ("multipart/form-data;boundary=x", "x"),
        ("multipart/form-data; boundary=\"esc\\\"aped\"", "esc\"aped"),
        ("  multipart/form-data ;  boundary = spaced  ", "spaced"),
    ])
    func boundary_readsTheParameter(_ contentType: String, _ expected: String) {
        #expect(Multipart.boundary(contentType: contentType) == expected)
    }

    @Test(arguments: [
        "application/json", "multipart/mixed; boundary=x", "multipart/form-data", "multipart/form-data; charset=utf-8",
        "multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"", "multipart/form-data; boundary=\"open",
        "multipart/form-datax; boundary=x", "",
    ])
    func boundary_isNilWithoutAUsableBoundary(_ contentType: String) {
        #expect(Multipart.boundary(contentType: contentType) == nil)
    }

    @Test func boundary_rejectsOverlongValues() {
        #expect(Multipart.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "b", count: 200)) != nil)
        #expect(Multipart.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "b", count: 201)) == nil)
    }

    // MARK: well-formed bodies

    @Test func parse_fieldsAndFile() throws {
        let body = crlf("""
            --B
            Content-Disposition: form-data; name="model"

            img-v1
            --B
            Content-Disposition: form-data; name="image"; filename="a.png"
            Content-Type: image/png

            PNGDATA
            --B--

            """)
        let parts = try Multipart.parse(body, boundary: "B").get()
        #expect(parts == [
            MultipartPart(name: "model", body: Array("img-v1".utf8)),
            MultipartPart(name: "image", filename: "a.png", contentType: "image/png", body: Array("PNGDATA".utf8)),
        ])
    }

    @Test func parse_ignoresPreambleEpilogueAndTransportPadding() throws {
        let body = crlf("""
            This is a preamble.
            It mentions --B-- and --Bx but not on a line of their own... --B
            --B \t
            content-disposition: form-data; name=a

            1
            --B\t
            CONTENT-DISPOSITION: Form-Data; NAME="b"
            content-TYPE:   text/plain; charset=utf-8\t

            2
            --B--  trailing words
            epilogue --B
            """)
        let parts = try Multipart.parse(body, boundary: "B").get()
        #expect(parts.map(\.name) == ["a", "b"])
        #expect(parts.map { String(decoding: $0.body, as: UTF8.self) } == ["1", "2"])
        #expect(parts[1].contentType == "text/plain; charset=utf-8")
        #expect(parts[0].contentType == nil && parts[0].filename == nil)
    }

    @Test func parse_firstBoundaryAtOffsetZeroOrAfterPreambleCRLF() throws {
        #expect(try Multipart.parse(crlf("--B\nContent-Disposition: form-data; name=x\n\nv\n--B--"), boundary: "B").get().count == 1)
        #expect(try Multipart.parse(crlf("junk\n--B\nContent-Disposition: form-data; name=x\n\nv\n--B--"), boundary: "B").get().count == 1)
        // "--B" inside a preamble line (not at a line start) is not the first boundary.
        #expect(Multipart.parse(crlf("junk--B\nContent-Disposition: form-data; name=x\n\nv\n"), boundary: "B")
            == .failure(MultipartError("missing first boundary \"--B\"")))
    }

    /// Binary content with CR, LF, "--", the boundary as a prefix of longer text, the delimiter
    /// without its leading CRLF, and every byte value, survives unchanged.
    @Test func parse_binaryBodiesThatLookLikeBoundaries() throws {
        let content: [UInt8] = Array(0...255)
            + Array("\r\n--frontierX\r\n--frontier-\r\n-frontier\r\n--frontie\r\nX--frontier\r\n".utf8)
            + Array("\r\n--frontier \tnope\r\n--frontier-x".utf8) + [0x0D, 0x0D, 0x0A, 0x0A] + Array("--frontier".utf8)
        var body = Array("--frontier\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n\r\n".utf8)
        body += content
        body += Array("\r\n--frontier\r\nContent-Disposition: form-data; name=\"g\"\r\n\r\n\r\n\r\n--frontier--\r\n".utf8)
        let parts = try Multipart.parse(body, boundary: "frontier").get()
        #expect(parts.count == 2)
        #expect(parts[0].body == content)
        #expect(parts[0].filename == "x.bin")
        #expect(parts[1].body == [0x0D, 0x0A])  // a body that is exactly one CRLF
    }

    @Test func parse_emptyPartsAndEmptyForm() throws {
        let body = crlf("""
            --B
            Content-Disposition: form-data; name="empty"

            
            --B
            Content-Disposition: form-data; name="file"; filename=""
            Content-Type: application/octet-stream

            
            --B--
            """)
        let parts = try Multipart.parse(body, boundary: "B").get()
        #expect(parts == [MultipartPart(name: "empty", body: []),
                          MultipartPart(name: "file", filename: "", contentType: "application/octet-stream", body: [])])
        #expect(try Multipart.parse(Array("--B--\r\n".utf8), boundary: "B").get() == [])
        #expect(try Multipart.parse(Array("--B--".utf8), boundary: "B").get() == [])
    }

    @Test func parse_repeatedNamesKeepOrder() throws {
        var text = ""
        for i in 0..<5 { text += "--B\nContent-Disposition: form-data; name=\"image[]\"; filename=\"\(i).png\"\n\n\(i)\n" }
        let parts = try Multipart.parse(crlf(text + "--B--\n"), boundary: "B").get()
        #expect(parts.map(\.name) == Array(repeating: "image[]", count: 5))
        #expect(parts.map(\.filename) == ["0.png", "1.png", "2.png", "3.png", "4.png"])
        #expect(parts.map(\.body) == (0..<5).map { Array("\($0)".utf8) })
    }

    @Test func parse_dispositionParameters() throws {
        func disposition(_ value: String) throws -> MultipartPart {
            try #require(try Multipart.parse(crlf("--B\nContent-Disposition: \(value)\n\nx\n--B--"), boundary: "B").get().first)
        }
        #expect(try disposition(#"form-data; name="a\"b"; filename="C:\\dir\\q\"uote;d.png""#).filename == #"C:\dir\q"uote;d.png"#)
        #expect(try disposition(#"form-data; name="a\"b"; filename="x""#).name == #"a"b"#)
        #expect(try disposition("form-data;name=plain;filename=un quoted.png").filename == "un quoted.png")
        #expect(try disposition(#"form-data; FileName="first"; name="n"; filename="second""#).filename == "first")
        #expect(try disposition(#"form-data; name="n"; filename*=UTF-8''%E7%8C%AB.png"#).filename == nil)
        #expect(try disposition("form-data; name=\"\u{732B}\"; filename=\"\u{732B}.png\";").name == "\u{732B}")
        #expect(try disposition("form-data; name=\"\"").name == "")
    }

    @Test func parse_ignoresOtherHeadersAndUnfoldsContinuationLines() throws {
        let body = crlf("""
            --B
            X-Whatever: 1
            Content-Disposition: form-data;
             name="folded";
            \tfilename="f.txt"
            Content-Transfer-Encoding: binary

            v
            --B--
            """)
        let part = try #require(try Multipart.parse(body, boundary: "B").get().first)
        #expect(part == MultipartPart(name: "folded", filename: "f.txt", body: Array("v".utf8)))
    }

    @Test func parse_limitsThePartCount() throws {
        var text = ""
        for i in 0..<3 { text += "--B\nContent-Disposition: form-data; name=\"p\(i)\"\n\n\n" }
        let body = crlf(text + "--B--")
        #expect(try Multipart.parse(body, boundary: "B", maxParts: 3).get().count == 3)
        #expect(Multipart.parse(body, boundary: "B", maxParts: 2) == .failure(MultipartError("more than 2 parts")))
        let many = crlf(String(repeating: "--B\nContent-Disposition: form-data; name=x\n\n\n", count: 65) + "--B--")
        #expect(Multipart.parse(many, boundary: "B") == .failure(MultipartError("more than 64 parts")))
    }

    // MARK: errors

    @Test(arguments: [
        ("", "missing first boundary \"--B\""),
        ("--C\nContent-Disposition: form-data; name=a\n\nx\n--C--", "missing first boundary \"--B\""),
        ("--Bx\nContent-Disposition: form-data; name=a\n\nx\n--Bx--", "missing first boundary \"--B\""),
        ("--B\nContent-Disposition: form-data; name=a\n\nx", "part 1 (\"a\") is unterminated: no boundary after its body"),
        ("--B\nContent-Disposition: form-data; name=a\n\nx\n--Bx\n", "part 1 (\"a\") is unterminated: no boundary after its body"),
        ("--B\nContent-Type: text/plain\n\nx\n--B--", "part 1: missing Content-Disposition header"),
        ("--B\n\nx\n--B--", "part 1: missing Content-Disposition header"),
        ("--B\nContent-Disposition: form-data; filename=\"a\"\n\nx\n--B--", "part 1: Content-Disposition has no name parameter"),
        ("--B\nContent-Disposition: attachment; name=a\n\nx\n--B--", "part 1: Content-Disposition is \"attachment\", not form-data"),
        ("--B\nContent-Disposition: form-data; name=\"a\n\nx\n--B--", "part 1: Content-Disposition: unterminated quoted string in parameter name"),
        ("--B\nContent-Disposition: form-data name=a\n\nx\n--B--", "part 1: Content-Disposition is \"form-data name=a\", not form-data"),
        ("--B\nContent-Disposition: form-data; name\n\nx\n--B--", "part 1: Content-Disposition: parameter name has no '=' value"),
        ("--B\nContent-Disposition: form-data; name=a\n\nx\n--B", "missing closing boundary \"--B--\""),
        ("--B\nContent-Disposition: form-data; name=a\n\nx\n--B\n", "missing closing boundary \"--B--\""),
        ("--B\nContent-Disposition: form-data; name=a\n\nx\n--B  ", "missing closing boundary \"--B--\""),
        ("--B\nContent-Disposition: form-data; name=a\n\nx\n--B-", "missing closing boundary \"--B--\""),
        ("--B\n", "missing closing boundary \"--B--\""),
        ("--B", "missing closing boundary \"--B--\""),
        ("--B\nContent-Disposition: form-data; name=a\nno colon here\n\nx\n--B--", "part 1: header line without colon: \"no colon here\""),
        ("--B\nContent-Disposition: form-data; name=a\n: empty\n\nx\n--B--", "part 1: header line with an empty name"),
        ("--B\nContent-Disposition: form-data; name=a", "part 1: header section not terminated by an empty line"),
        ("--B\nContent-Disposition: form-data; name=a\n--B--", "part 1: boundary inside the header section (no empty line after the headers)"),
        ("--B\nContent-Disposition: form-data; name=a\n\n1\n--B\nContent-Disposition: form-data\n\n2\n--B--",
         "part 2: Content-Disposition has no name parameter"),
    ])
    func parse_reportsPreciseErrors(_ text: String, _ message: String) {
        #expect(Multipart.parse(crlf(text), boundary: "B") == .failure(MultipartError(message)))
    }

    @Test func parse_rejectsUnusableBoundaries() {
        #expect(Multipart.parse(Array("--\r\n".utf8), boundary: "") == .failure(MultipartError("invalid multipart boundary")))
        #expect(Multipart.parse(Array("--a\r\nb".utf8), boundary: "a\r\nb") == .failure(MultipartError("invalid multipart boundary")))
    }

    /// Bare LF line endings are not CRLF: with only LFs there is no delimiter line at all.
    @Test func parse_requiresCRLF() {
        let body = Array("--B\nContent-Disposition: form-data; name=a\n\nx\n--B--\n".utf8)
        #expect(Multipart.parse(body, boundary: "B") == .failure(MultipartError("missing first boundary \"--B\"")))
    }

    // MARK: bodies from real encoders

    /// `urllib3.encode_multipart_formdata(fields, boundary="XyZ0123456789abcdef")` (urllib3 2.x), fields:
    /// model=img-v1; prompt (UTF-8, quotes, CRLF); two `image[]` files (`png` and its reverse, see
    /// `Self.png`); an empty file; and `mask` whose file name has a quote and a semicolon (urllib3 writes
    /// the quote as %22) and whose content is CRLF "--XyZ0123456789abcdefx" CRLF.
    @Test func parse_urllib3Body() throws {
        let boundary = try #require(Multipart.boundary(contentType: "multipart/form-data; boundary=XyZ0123456789abcdef"))
        let parts = try Multipart.parse(hexBytes(Self.urllib3Body), boundary: boundary).get()
        #expect(parts == [
            MultipartPart(name: "model", body: Array("img-v1".utf8)),
            MultipartPart(name: "prompt", body: Array("a cat, \u{732B} \"quoted\"\r\nsecond line".utf8)),
            MultipartPart(name: "image[]", filename: "a.png", contentType: "image/png", body: Self.png),
            MultipartPart(name: "image[]", filename: "b.bin", contentType: "application/octet-stream", body: Self.png.reversed()),
            MultipartPart(name: "empty", filename: "empty.txt", contentType: "text/plain", body: []),
            MultipartPart(name: "mask", filename: "we%22ird; name.png", contentType: "image/png",
                          body: Array("\r\n--XyZ0123456789abcdefx\r\n".utf8)),
        ])
    }

    /// `requests.Request("POST", url, data={"n": "2", "size": "1024x1024"}, files={"image": ("c.png",
    /// png[:50], "image/png"), "raw": ("r", b"\x00\r\n\xff")}).prepare()` (requests 2.34): its own
    /// random boundary, and a file part without Content-Type.
    @Test func parse_requestsBody() throws {
        let boundary = try #require(Multipart.boundary(contentType: "multipart/form-data; boundary=fe3a22da54dec084e35ed1cca7ae3818"))
        let parts = try Multipart.parse(hexBytes(Self.requestsBody), boundary: boundary).get()
        #expect(parts == [
            MultipartPart(name: "n", body: Array("2".utf8)),
            MultipartPart(name: "size", body: Array("1024x1024".utf8)),
            MultipartPart(name: "image", filename: "c.png", contentType: "image/png", body: Array(Self.png.prefix(50))),
            MultipartPart(name: "raw", filename: "r", body: [0x00, 0x0D, 0x0A, 0xFF]),
        ])
    }

    /// Fresh bodies from urllib3 at test time (random boundary, random binary files up to 200 KB):
    /// the project's `.venv` (scripts/test makes it before the Swift suites), else a system python3
    /// with urllib3. Without either the test fails rather than skips.
    @Test func parse_freshUrllib3Bodies() throws {
        let python = try #require(pythonWithUrllib3)
        let script = """
            import random, urllib3
            r = random.Random(20240601)
            for case in range(4):
                fields = []
                for i in range(r.randrange(1, 12)):
                    name = r.choice(["image[]", "prompt", "n", "mask", "\u{00E9}t\u{00E9}"])
                    if r.random() < 0.5:
                        fields.append((name, "".join(r.choice("ab \\r\\n-\u{732B}") for _ in range(r.randrange(0, 40)))))
                    else:
                        data = r.randbytes(r.choice([0, 1, 100, 4096, 200000]))
                        fields.append((name, ("f%d.png" % i, data, r.choice(["image/png", "application/octet-stream"]))))
                body, ctype = urllib3.encode_multipart_formdata(fields)
                print(ctype)
                print(body.hex())
                print(len(fields))
                for name, value in fields:
                    if isinstance(value, tuple):
                        print(name.encode().hex(), value[0].encode().hex(), value[2].encode().hex(), value[1].hex())
                    else:
                        print(name.encode().hex(), "-", "-", value.encode().hex())
            """
        let lines = try runPython(python, script).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var at = 0
        func next() throws -> String {
            try #require(at < lines.count, "python output ended early")
            at += 1
            return lines[at - 1]
        }
        var cases = 0
        while at < lines.count, !lines[at].isEmpty {
            let contentType = try next()
            let body = hexBytes(try next())
            let count = try #require(Int(try next()))
            var expected: [MultipartPart] = []
            for _ in 0..<count {
                let f = try next().split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                try #require(f.count == 4)
                let text = { (h: String) -> String? in h == "-" ? nil : String(decoding: hexBytes(h), as: UTF8.self) }
                expected.append(MultipartPart(name: text(f[0]) ?? "", filename: text(f[1]), contentType: text(f[2]), body: hexBytes(f[3])))
            }
            let boundary = try #require(Multipart.boundary(contentType: contentType))
            #expect(try Multipart.parse(body, boundary: boundary).get() == expected)
            cases += 1
        }
        #expect(cases == 4)
    }

    // MARK: fixtures and helpers

    static let png: [UInt8] = (0..<300).map { UInt8(($0 * 37 + 11) % 256) } + Array("\r\n--XyZ\r\n--\r\n".utf8) + Array(0...255)

    static let urllib3Body = """
        2d2d58795a303132333435363738396162636465660d0a436f6e74656e742d446973706f736974696f6e3a20666f726d2d646174613b206e616d
        653d226d6f64656c220d0a0d0a696d672d76310d0a2d2d58795a303132333435363738396162636465660d0a436f6e74656e742d446973706f73
        6974696f6e3a20666f726d2d646174613b206e616d653d2270726f6d7074220d0a0d0a61206361742c20e78cab202271756f746564220d0a7365
        636f6e64206c696e650d0a2d2d58795a303132333435363738396162636465660d0a436f6e74656e742d446973706f736974696f6e3a20666f72
        6d2d646174613b206e616d653d22696d6167655b5d223b2066696c656e616d653d22612e706e67220d0a436f6e74656e742d547970653a20696d
        6167652f706e670d0a0d0a0b30557a9fc4e90e33587da2c7ec11365b80a5caef14395e83a8cdf2173c6186abd0f51a3f6489aed3f81d42678cb1
        d6fb20456a8fb4d9fe23486d92b7dc01264b7095badf04294e7398bde2072c51769bc0e50a2f54799ec3e80d32577ca1c6eb10355a7fa4c9ee13
        385d82a7ccf1163b6085aacff4193e6388add2f71c41668bb0d5fa1f44698eb3d8fd22476c91b6db00254a6f94b9de03284d7297bce1062b5075
        9abfe4092e53789dc2e70c31567ba0c5ea0f34597ea3c8ed12375c81a6cbf0153a5f84a9cef3183d6287acd1f61b40658aafd4f91e43688db2d7
        fc21466b90b5daff24496e93b8dd02274c7196bbe0052a4f7499bee3082d52779cc1e60b30557a9fc4e90e33587da2c7ec11365b80a5caef1439
        5e83a8cdf2173c6186abd0f51a3f6489aed3f81d420d0a2d2d58795a0d0a2d2d0d0a000102030405060708090a0b0c0d0e0f1011121314151617
        18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f5051
        52535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b
        8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5
        c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
        0d0a2d2d58795a303132333435363738396162636465660d0a436f6e74656e742d446973706f736974696f6e3a20666f726d2d646174613b206e
        616d653d22696d6167655b5d223b2066696c656e616d653d22622e62696e220d0a436f6e74656e742d547970653a206170706c69636174696f6e
        2f6f637465742d73747265616d0d0a0d0afffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0dfdedddcdbdad9d8d7
        d6d5d4d3d2d1d0cfcecdcccbcac9c8c7c6c5c4c3c2c1c0bfbebdbcbbbab9b8b7b6b5b4b3b2b1b0afaeadacabaaa9a8a7a6a5a4a3a2a1a09f9e9d
        9c9b9a999897969594939291908f8e8d8c8b8a898887868584838281807f7e7d7c7b7a797877767574737271706f6e6d6c6b6a69686766656463
        6261605f5e5d5c5b5a595857565554535251504f4e4d4c4b4a494847464544434241403f3e3d3c3b3a393837363534333231302f2e2d2c2b2a29
        2827262524232221201f1e1d1c1b1a191817161514131211100f0e0d0c0b0a090807060504030201000a0d2d2d0a0d5a79582d2d0a0d421df8d3
        ae89643f1af5d0ab86613c17f2cda8835e3914efcaa5805b3611ecc7a27d58330ee9c49f7a55300be6c19c77522d08e3be99744f2a05e0bb9671
        4c2702ddb8936e4924ffdab5906b4621fcd7b28d68431ef9d4af8a65401bf6d1ac87623d18f3cea9845f3a15f0cba6815c3712edc8a37e59340f
        eac5a07b56310ce7c29d78532e09e4bf9a75502b06e1bc97724d2803deb9946f4a2500dbb6916c4722fdd8b38e69441ffad5b08b66411cf7d2ad
        88633e19f4cfaa85603b16f1cca7825d3813eec9a47f5a3510ebc6a17c57320de8c39e79542f0ae5c09b76512c07e2bd98734e2904dfba95704b
        2601dcb7926d4823fed9b48f6a4520fbd6b18c67421df8d3ae89643f1af5d0ab86613c17f2cda8835e3914efcaa5805b3611ecc7a27d58330ee9
        c49f7a55300b0d0a2d2d58795a303132333435363738396162636465660d0a436f6e74656e742d446973706f736974696f6e3a20666f726d2d64
        6174613b206e616d653d22656d707479223b2066696c656e616d653d22656d7074792e747874220d0a436f6e74656e742d547970653a20746578
        742f706c61696e0d0a0d0a0d0a2d2d58795a303132333435363738396162636465660d0a436f6e74656e742d446973706f736974696f6e3a2066
        6f726d2d646174613b206e616d653d226d61736b223b2066696c656e616d653d2277652532326972643b206e616d652e706e67220d0a436f6e74
        656e742d547970653a20696d6167652f706e670d0a0d0a0d0a2d2d58795a30313233343536373839616263646566780d0a0d0a2d2d58795a3031
        32333435363738396162636465662d2d0d0a
        """

    static let requestsBody = """
        2d2d66653361323264613534646563303834653335656431636361376165333831380d0a436f6e74656e742d446973706f736974696f6e3a2066
        6f726d2d646174613b206e616d653d226e220d0a0d0a320d0a2d2d66653361323264613534646563303834653335656431636361376165333831
        380d0a436f6e74656e742d446973706f736974696f6e3a20666f726d2d646174613b206e616d653d2273697a65220d0a0d0a3130323478313032
        340d0a2d2d66653361323264613534646563303834653335656431636361376165333831380d0a436f6e74656e742d446973706f736974696f6e
        3a20666f726d2d646174613b206e616d653d22696d616765223b2066696c656e616d653d22632e706e67220d0a436f6e74656e742d547970653a
        20696d6167652f706e670d0a0d0a0b30557a9fc4e90e33587da2c7ec11365b80a5caef14395e83a8cdf2173c6186abd0f51a3f6489aed3f81d42
        678cb1d6fb200d0a2d2d66653361323264613534646563303834653335656431636361376165333831380d0a436f6e74656e742d446973706f73
        6974696f6e3a20666f726d2d646174613b206e616d653d22726177223b2066696c656e616d653d2272220d0a0d0a000d0aff0d0a2d2d66653361
        323264613534646563303834653335656431636361376165333831382d2d0d0a
        """
}

/// `text` with every LF turned into CRLF (the test bodies are written with plain newlines).
private func crlf(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    for b in text.utf8 {
        if b == 0x0A { out.append(0x0D) }
        out.append(b)
    }
    return out
}

/// Bytes from hexadecimal text, skipping whitespace.
private func hexBytes(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var high: UInt8?
    for c in text.utf8 {
        let v: UInt8
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
        default: continue
        }
        if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
    }
    return out
}

/// The first Python able to `import urllib3`: the repository's `.venv` (made by scripts/setup-venv), then the system one.
private let pythonWithUrllib3: String? = {
    var root = "\(#filePath)"
    for _ in 0..<3 { root = String(root[..<(root.lastIndex(of: "/") ?? root.startIndex)]) }
    for candidate in [root + "/.venv/bin/python", "/usr/bin/python3"] where access(candidate, X_OK) == 0 {
        if (try? runPython(candidate, "import urllib3")) != nil { return candidate }
    }
    return nil
}()

private struct PythonFailed: Error {}

/// Runs `script` with `python` through /bin/sh and returns its standard output; throws on a non-zero exit.
private func runPython(_ python: String, _ script: String) throws -> String {
    let path = "/tmp/multipart-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).py"
    guard let f = fopen(path, "w") else { throw PythonFailed() }
    fputs(script, f)
    fclose(f)
    defer { unlink(path) }
    guard let pipe = popen("'\(python)' '\(path)' 2>/dev/null", "r") else { throw PythonFailed() }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, pipe) }
        if n <= 0 { break }
        out += chunk[0..<n]
    }
    guard pclose(pipe) == 0 else { throw PythonFailed() }
    return String(decoding: out, as: UTF8.self)
}
