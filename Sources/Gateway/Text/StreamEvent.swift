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
    final class Template: Sendable {
        /// The event's bytes up to and including the string's opening quote.
        let head: [UInt8]
        /// The string's closing quote and the rest of the event.
        let tail: [UInt8]
        /// The UTF-8 bytes of the text the pieces are cut from.
        let text: [UInt8]
        /// Whether no byte of `text` needs a JSON escape, so every piece is copied as it is.
        let plain: Bool

        /// Splits a rendered event whose string value is the empty string `""` at `offset`;
        /// events made from it carry pieces of `text`.
        init(event: [UInt8], emptyStringAt offset: Int, text: String) {
            precondition(event[offset] == 0x22 && event[offset + 1] == 0x22, "no empty string at the offset")
            head = Array(event[...offset])
            tail = Array(event[(offset + 1)...])
            self.text = Array(text.utf8)
            plain = self.text.withUnsafeBufferPointer { JSONWriter.stringLength($0) == $0.count + 2 }
        }

        /// The bytes `start..<end` of the text, and whether they go out without escapes.
        @inline(__always)
        func withPiece<R>(_ start: UInt32, _ end: UInt32, _ body: (UnsafeBufferPointer<UInt8>, _ plain: Bool) -> R) -> R {
            text.withUnsafeBufferPointer { all in
                let piece = UnsafeBufferPointer(rebasing: all[Int(start)..<Int(end)])
                return body(piece, plain || JSONWriter.stringLength(piece) == piece.count + 2)
            }
        }

        /// The length of the event carrying bytes `start..<end` of the text.
        func count(_ start: UInt32, _ end: UInt32) -> Int {
            if plain { return head.count + Int(end - start) + tail.count }
            return withPiece(start, end) { piece, plain in
                head.count + tail.count + (plain ? piece.count : JSONWriter.stringLength(piece) - 2)
            }
        }

        /// Appends the event carrying bytes `start..<end` of the text (``count(_:_:)`` bytes).
        func render(_ start: UInt32, _ end: UInt32, into out: inout [UInt8]) {
            withPiece(start, end) { piece, plain in
                out.append(contentsOf: head)
                if plain {
                    out.append(contentsOf: piece)
                    out.append(contentsOf: tail)
                } else {
                    out.removeLast()  // appendString writes the quotes itself
                    JSONWriter.appendString(piece, to: &out)
                    tail.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[1...])) }
                }
            }
        }

        /// Heap bytes the template holds.
        var heldBytes: Int { head.count + tail.count + text.count + 64 }
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
