// Shared by every harness (compiled into each fuzzer binary by scripts/fuzz).

/// A cursor over one libFuzzer input that hands out the choices a harness makes: bytes,
/// small numbers, picks from a list. Past the end every read returns zero / empty, so any input
/// (even an empty one) drives a harness to completion.
///
/// Concurrency: a value owned by the one fuzzing call that made it.
struct FuzzInput {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset >= bytes.count }
    var remaining: Int { max(0, bytes.count - offset) }

    /// The next byte, or 0 past the end.
    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// A number in `0..<bound` from one or two bytes (bound > 0).
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        let raw = bound <= 256 ? Int(byte()) : Int(byte()) << 8 | Int(byte())
        return raw % bound
    }

    mutating func bool() -> Bool { byte() & 1 == 1 }

    mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }

    /// Up to `max` bytes: a length byte then that many bytes.
    mutating func chunk(max: Int) -> [UInt8] {
        let n = below(max + 1)
        let end = min(bytes.count, offset + n)
        defer { offset = max0(end) }
        return offset < end ? Array(bytes[offset..<end]) : []
    }

    /// Everything not read yet.
    mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return offset < bytes.count ? Array(bytes[offset...]) : []
    }

    private func max0(_ end: Int) -> Int { Swift.max(end, offset) }
}

/// FNV-1a over `bytes`: a cut point or a choice derived from the whole input, stable across runs.
func fuzzHash(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}

/// Stops the fuzzer with `message` (libFuzzer saves the input as a crash reproducer).
/// `fatalError`, not `preconditionFailure`: an optimised build drops the latter's message.
func fuzzFailure(_ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError(message(), file: file, line: line)
}
