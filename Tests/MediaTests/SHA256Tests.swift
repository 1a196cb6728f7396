@testable import Media
import Testing

/// SHA-256 against FIPS 180-2 Appendix B and HMAC-SHA256 against RFC 4231 section 4.
@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func sha256_matchesFIPSVectors(_ message: String, _ digest: String) {
        let out = Media.sha256(Array(message.utf8))
        #expect(out.count == 32)
        #expect(Media.hex(out) == digest)
        #expect(Media.hex(Media.sha256(message.utf8)) == digest)  // a String.UTF8View is a Collection too
    }

    @Test func sha256_oneMillionA() {
        let digest = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        #expect(Media.hex(Media.sha256([UInt8](repeating: 0x61, count: 1_000_000))) == digest)
        // Non-contiguous input takes the copying path and must agree.
        #expect(Media.hex(Media.sha256(repeatElement(UInt8(0x61), count: 1_000_000))) == digest)
    }

    /// Lengths around the padding edges (55/56 bytes fit one or need two final blocks; 64, 120, 128…).
    /// Expected digests from Python: `hashlib.sha256(bytes((i*7+3)%256 for i in range(n))).hexdigest()`.
    @Test(arguments: [
        (1, "084fed08b978af4d7d196a7446a86b58009e636b611db16211b65a9aadff29c5"),
        (55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"),
        (56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"),
        (57, "35df609437dcfea3279283ab79fd554e2bf78f8f7ae2de532d8ee300b09e8f73"),
        (63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"),
        (64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"),
        (65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"),
        (119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"),
        (120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"),
        (127, "a8d23e75d936f303d248888d9b165ee543f4cbafcad3c9dd2a79bd84faa11d07"),
        (128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6"),
        (129, "307f8fc2c1622b92762e818d39a185d4d667ad49a4b07ceae1f4afa008a93ec4"),
        (1000, "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371"),
    ])
    func sha256_paddingEdges(_ length: Int, _ digest: String) {
        let data = (0..<length).map { UInt8(($0 * 7 + 3) % 256) }
        #expect(Media.hex(Media.sha256(data)) == digest)
        // A slice that does not start at index 0 hashes the same bytes.
        let padded = [0xFF, 0xFE] + data + [0xFD]
        #expect(Media.hex(Media.sha256(padded[2..<(2 + length)])) == digest)
    }

    /// Feeding the same bytes in uneven pieces (crossing block edges every way) gives the one-shot digest.
    @Test func hasher_incrementalUpdatesMatchOneShot() {
        let data = (0..<1000).map { UInt8(($0 * 7 + 3) % 256) }
        let expected = Media.sha256(data)
        for step in [1, 3, 63, 64, 65, 100, 999] {
            var hasher = SHA256Hasher()
            var i = 0
            while i < data.count {
                let j = min(i + step, data.count)
                hasher.update(data[i..<j])
                i = j
            }
            #expect(hasher.finalize() == expected, "step \(step)")
        }
    }

    @Test(arguments: [
        // RFC 4231 4.2 – 4.8 (test case 5 is truncated to 128 bits in the RFC).
        ([UInt8](repeating: 0x0B, count: 20), Array("Hi There".utf8),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        ([UInt8](repeating: 0xAA, count: 20), [UInt8](repeating: 0xDD, count: 50),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        (Array(1...25), [UInt8](repeating: 0xCD, count: 50),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        ([UInt8](repeating: 0x0C, count: 20), Array("Test With Truncation".utf8),
         "a3b6167473100ee06e0c796c2955552b"),
        ([UInt8](repeating: 0xAA, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        ([UInt8](repeating: 0xAA, count: 131),
         Array(("This is a test using a larger than block-size key and a larger than block-size data. "
                + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ] as [([UInt8], [UInt8], String)])
    func hmac_matchesRFC4231(_ key: [UInt8], _ message: [UInt8], _ mac: String) {
        let out = Media.hmacSHA256(key: key, message: message)
        #expect(out.count == 32)
        #expect(Media.hex(out).hasPrefix(mac))
    }

    /// A key of exactly one block is used as is (not hashed); the empty key and message still work.
    /// Expected values from Python's `hmac.new(key, msg, hashlib.sha256).hexdigest()`.
    @Test func hmac_blockSizedAndEmptyKeys() {
        #expect(Media.hex(Media.hmacSHA256(key: [UInt8](repeating: 0x6B, count: 64), message: Array("exact block key".utf8)))
            == "b563f92fb1a114877408fa27ee56cdc4a0b2dd30807de9559d4bff27f5a2c1fb")
        #expect(Media.hex(Media.hmacSHA256(key: [UInt8](), message: [UInt8]()))
            == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test func hex_isLowercaseTwoDigitsPerByte() {
        #expect(Media.hex([UInt8]()) == "")
        #expect(Media.hex([0x00, 0x0F, 0xA0, 0xFF, 0x5C]) == "000fa0ff5c")
        #expect(Media.hex(0...255).count == 512)
    }
}
