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
        /// (`head`), then the closing quote and the rest (`tail`). Written in init only, freed
        /// in deinit (so it may be shared across threads).
        private let storage: UnsafeMutableRawBufferPointer
        private let headCount: Int
        /// The text the pieces are cut from: the reply's own string (shared, not copied), its
        /// UTF-8 contiguous.
        let text: String
        /// Whether no byte of the text needs a JSON escape, so every piece is copied as it is.
        let plain: Bool

        /// Splits a rendered event whose string value is the empty string `""` at `offset`;
        /// events made from it carry pieces of `text`.
        init(event: [UInt8], emptyStringAt offset: Int, text: String) {
            precondition(event[offset] == 0x22 && event[offset + 1] == 0x22, "no empty string at the offset")
            var text = text
            text.makeContiguousUTF8()  // a native string already is: nothing copied
            headCount = offset + 1
            let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: event.count, alignment: 8)
            event.withUnsafeBytes { storage.copyMemory(from: $0) }
            self.storage = storage
            plain = text.withUTF8 { JSONWriter.stringLength($0) == $0.count + 2 }
            self.text = text
        }

        deinit { storage.deallocate() }

        /// The event's bytes up to and including the string's opening quote.
        var head: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[..<headCount]) }
        /// The string's closing quote and the rest of the event.
        var tail: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[headCount...]) }

        /// Calls `body` with the text's UTF-8 bytes (contiguous, so no copy).
        @inline(__always)
        func withText<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
            if let r = text.utf8.withContiguousStorageIfAvailable(body) { return r }
            var copy = text  // not reached: the text was made contiguous
            return copy.withUTF8(body)
        }

        /// Whether the piece `start..<end` of `text` (this template's) goes out without escapes.
        @inline(__always)
        func isPlain(_ text: UnsafeBufferPointer<UInt8>, _ start: UInt32, _ end: UInt32) -> Bool {
            plain || JSONWriter.stringLength(UnsafeBufferPointer(rebasing: text[Int(start)..<Int(end)])) == Int(end - start) + 2
        }

        /// The length of the event carrying bytes `start..<end` of the text.
        func count(_ start: UInt32, _ end: UInt32) -> Int {
            if plain { return storage.count + Int(end - start) }
            return withText { text in
                storage.count - 2 + JSONWriter.stringLength(UnsafeBufferPointer(rebasing: text[Int(start)..<Int(end)]))
            }
        }

        /// Appends the event carrying bytes `start..<end` of the text (``count(_:_:)`` bytes).
        func render(_ start: UInt32, _ end: UInt32, into out: inout [UInt8]) {
            withText { text in
                let piece = UnsafeBufferPointer(rebasing: text[Int(start)..<Int(end)])
                if isPlain(text, start, end) {
                    out.append(contentsOf: head)
                    out.append(contentsOf: piece)
                    out.append(contentsOf: tail)
                } else {
                    out.append(contentsOf: head.dropLast())  // appendString writes the quotes itself
                    JSONWriter.appendString(piece, to: &out)
                    out.append(contentsOf: tail.dropFirst())
                }
            }
        }

        /// Heap bytes the template holds: its event bytes, and the text (counted here though
        /// the reply shares it).
        var heldBytes: Int { storage.count + text.utf8.count + 64 }
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
