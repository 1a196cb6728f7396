import Dispatch
import HTTPCore
import HTTPServer

/// `GET|HEAD /files/{name}`: the images and videos the mock generated. Like the gateway's
/// pre-signed CDN URLs they need no key; they expire on the virtual clock (`media.json`
/// `files.ttl_seconds`, default 24 h): 410 `file_expired` after, 404 `file_not_found` for names
/// never issued. A single `Range: bytes=…` is answered 206 (players seek), an unsatisfiable one 416.
extension Gateway {
    /// Rendering runs here, off the event loops (a 4096² PNG is slow in a debug build).
    static let renderQueue = DispatchQueue(label: "bytespike-mock.render", attributes: .concurrent)

    func serveFile(_ name: String, _ ex: Exchange, _ responder: Responder) {
        let entry: FileStore.Entry
        switch files.lookup(name, now: clock.now) {
        case .missing:
            return fail(.notFound("no file '\(name)'", code: "file_not_found"), ex, responder)
        case .expired(let e):
            return fail(GatewayError(.notFound, status: .gone, message: "file '\(name)' expired at \(Timestamp.format(e.expiresAt))",
                                     code: "file_expired"), ex, responder)
        case .found(let e): entry = e
        }
        let range = ex.request.header("range")
        nonisolated(unsafe) let r = responder
        nonisolated(unsafe) let ex = ex  // only used back on the loop
        let loop = responder.loop
        let store = files
        Self.renderQueue.async {
            let bytes = store.bytes(of: entry)
            loop.execute { [self] in
                var extra: HeaderList = ["Accept-Ranges": "bytes", "Cache-Control": "private, max-age=\(max(0, entry.expiresAt - clock.now))"]
                switch range.map({ Self.byteRange($0, size: bytes.count) }) ?? .whole {
                case .whole:
                    send(.ok, bytes, ex, r, extra: extra, contentType: entry.recipe.contentType)
                case .unsatisfiable:
                    extra.add("Content-Range", "bytes */\(bytes.count)")
                    send(Status(code: 416), [], ex, r, extra: extra, contentType: entry.recipe.contentType)
                case .part(let lo, let hi):
                    extra.add("Content-Range", "bytes \(lo)-\(hi)/\(bytes.count)")
                    send(Status(code: 206), Array(bytes[lo...hi]), ex, r, extra: extra, contentType: entry.recipe.contentType)
                }
            }
        }
    }

    enum ByteRange: Equatable {
        /// No range, an unknown unit, or several ranges: the whole file (RFC 9110 §14.2 lets a
        /// server ignore Range; one part is all players ask for).
        case whole
        case unsatisfiable
        /// Inclusive bounds.
        case part(Int, Int)
    }

    /// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range within `size`.
    static func byteRange(_ header: String, size: Int) -> ByteRange {
        guard header.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = header.dropFirst(6)
        if spec.contains(",") { return .whole }
        guard size > 0, let dash = spec.firstIndex(of: "-") else { return .unsatisfiable }
        let a = spec[..<dash].trimmingSpaces, b = spec[spec.index(after: dash)...].trimmingSpaces
        if a.isEmpty {
            guard let n = Int(b), n > 0 else { return .unsatisfiable }
            return .part(max(0, size - n), size - 1)
        }
        guard let lo = Int(a), lo >= 0, lo < size else { return .unsatisfiable }
        guard !b.isEmpty else { return .part(lo, size - 1) }
        guard let hi = Int(b), hi >= lo else { return .unsatisfiable }
        return .part(lo, min(hi, size - 1))
    }

    /// `GET /__mock/tasks`: every task (or the session's) as the query object, newest last.
    func controlTaskList(session: String?) -> [UInt8] {
        tasks.settle()
        var w = JSONWriter()
        w.objectStart()
        w.key("object"); w.string("list")
        w.key("data"); w.arrayStart()
        for t in tasks.all(session: session) { w.raw(encodeTask(t)) }
        w.arrayEnd()
        w.objectEnd()
        return w.bytes
    }
}
