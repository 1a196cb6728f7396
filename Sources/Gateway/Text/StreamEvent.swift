import HTTPCore

/// One event of an encoded stream: its bytes (already framed as SSE or as a JSON-array
/// element) and how many output tokens have been sent once it is written.
///
/// The events that carry a piece of text (most of a stream) are kept as a shared ``Template``
/// and the piece, and rendered straight into the connection's output when written: no buffer
/// per event, however long the stream. A stream keeps its events packed (``StreamEvents``).
///
/// Concurrency: a value of immutable parts (Sendable).
struct StreamEvent: Sendable {
    /// The bytes of an event around one JSON string value (everything up to and including its
    /// opening quote, and from its closing quote on), and the text its events take their pieces
    /// from. Shared by the events of one shape and one block.
    ///
    /// Concurrency: immutable after init (Sendable).
    final class Template: @unchecked Sendable {
        /// One allocation: the event's bytes up to and including the string's opening quote
        /// (`head`), the closing quote and the rest (`tail`), then the text's UTF-8 bytes.
        /// Written in init only, freed in deinit (so it may be shared across threads).
        private let storage: UnsafeMutableRawBufferPointer
        private let headCount: Int
        private let tailCount: Int
        /// Whether no byte of the text needs a JSON escape, so every piece is copied as it is.
        let plain: Bool

        /// Splits a rendered event whose string value is the empty string `""` at `offset`;
        /// events made from it carry pieces of `text`.
        init(event: [UInt8], emptyStringAt offset: Int, text: String) {
            precondition(event[offset] == 0x22 && event[offset + 1] == 0x22, "no empty string at the offset")
            var text = text
            let textCount = text.utf8.count
            headCount = offset + 1
            tailCount = event.count - offset - 1
            let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, event.count + textCount), alignment: 8)
            event.withUnsafeBytes { storage.copyMemory(from: $0) }
            plain = text.withUTF8 { utf8 in
                if let from = utf8.baseAddress { (storage.baseAddress! + event.count).copyMemory(from: from, byteCount: utf8.count) }
                return JSONWriter.stringLength(utf8) == utf8.count + 2
            }
            self.storage = UnsafeMutableRawBufferPointer(rebasing: storage[..<(event.count + textCount)])
        }

        deinit { storage.deallocate() }

        /// The event's bytes up to and including the string's opening quote.
        var head: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[..<headCount]) }
        /// The string's closing quote and the rest of the event.
        var tail: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[headCount..<(headCount + tailCount)]) }
        /// The UTF-8 bytes of the text the pieces are cut from.
        var text: UnsafeBufferPointer<UInt8> {
            let start = storage.baseAddress! + headCount + tailCount
            return UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: storage.count - headCount - tailCount)
        }

        /// The bytes `start..<end` of the text.
        @inline(__always)
        func piece(_ start: UInt32, _ end: UInt32) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: text[Int(start)..<Int(end)])
        }

        /// Whether the piece `start..<end` goes out without escapes.
        @inline(__always)
        func isPlain(_ start: UInt32, _ end: UInt32) -> Bool {
            plain || { let p = piece(start, end); return JSONWriter.stringLength(p) == p.count + 2 }()
        }

        /// The length of the event carrying bytes `start..<end` of the text.
        func count(_ start: UInt32, _ end: UInt32) -> Int {
            if isPlain(start, end) { return headCount + Int(end - start) + tailCount }
            return headCount + tailCount - 2 + JSONWriter.stringLength(piece(start, end))
        }

        /// Appends the event carrying bytes `start..<end` of the text (``count(_:_:)`` bytes).
        func render(_ start: UInt32, _ end: UInt32, into out: inout [UInt8]) {
            if isPlain(start, end) {
                out.append(contentsOf: head)
                out.append(contentsOf: piece(start, end))
                out.append(contentsOf: tail)
            } else {
                out.append(contentsOf: head.dropLast())  // appendString writes the quotes itself
                JSONWriter.appendString(piece(start, end), to: &out)
                out.append(contentsOf: tail.dropFirst())
            }
        }

        /// Heap bytes the template holds.
        var heldBytes: Int { storage.count + 64 }
    }

    private enum Form: Sendable {
        case bytes([UInt8])
        /// The template's event with the UTF-8 bytes `start..<end` of its text as the string.
        case piece(Template, start: UInt32, end: UInt32)
    }

    private var form: Form
    /// Output tokens (text, tool arguments and thinking) carried by this event alone.
    var tokens: Int

    init(bytes: [UInt8], tokens: Int) {
        form = .bytes(bytes)
        self.tokens = tokens
    }

    /// The template's event with the bytes `start..<end` of its text as the string value.
    init(_ template: Template, start: UInt32, end: UInt32, tokens: Int = 0) {
        form = .piece(template, start: start, end: end)
        self.tokens = tokens
    }

    /// The event as a template and the UTF-8 range of its text, or nil for an event with its own bytes.
    var parts: (template: Template, start: UInt32, end: UInt32)? {
        if case .piece(let t, let start, let end) = form { return (t, start, end) }
        return nil
    }

    /// Calls `body` with the event's own bytes; nil (and `body` not called) for a template's piece.
    func withOwnBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R? {
        guard case .bytes(let b) = form else { return nil }
        return b.withUnsafeBytes(body)
    }

    /// Heap bytes this event keeps of its own (a template is shared, so it is not counted).
    var storedBytes: Int {
        if case .bytes(let b) = form { return b.count }
        return 0
    }

    /// The event's length in bytes.
    var count: Int {
        switch form {
        case .bytes(let b): b.count
        case .piece(let t, let start, let end): t.count(start, end)
        }
    }

    /// Appends the event's bytes (``count`` of them).
    func render(into out: inout [UInt8]) {
        switch form {
        case .bytes(let b): out.append(contentsOf: b)
        case .piece(let t, let start, let end): t.render(start, end, into: &out)
        }
    }

    /// The event's bytes.
    var bytes: [UInt8] {
        if case .bytes(let b) = form { return b }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        render(into: &out)
        return out
    }
}
