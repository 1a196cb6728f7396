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
        let loop = responder.loop
        let store = files
        Self.renderQueue.async {
            let bytes = store.bytes(of: entry)
            loop.execute { [self] in
                var extra: HeaderList = ["Accept-Ranges": "bytes", "Cache-Control": "private, max-age=\(max(0, entry.expiresAt - clock.now))"]
                guard let range else {
                    return send(.ok, bytes, ex, r, extra: extra, contentType: entry.recipe.contentType)
                }
                guard let (lo, hi) = Self.byteRange(range, size: bytes.count) else {
                    extra.add("Content-Range", "bytes */\(bytes.count)")
                    return send(Status(code: 416), [], ex, r, extra: extra, contentType: entry.recipe.contentType)
                }
                extra.add("Content-Range", "bytes \(lo)-\(hi)/\(bytes.count)")
                send(Status(code: 206), Array(bytes[lo...hi]), ex, r, extra: extra, contentType: entry.recipe.contentType)
            }
        }
    }

    /// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range within `size`, inclusive; nil if unsatisfiable.
    static func byteRange(_ header: String, size: Int) -> (Int, Int)? {
        guard header.hasPrefix("bytes="), size > 0 else { return nil }
        let spec = header.dropFirst(6)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let a = spec[..<dash].trimmingSpaces, b = spec[spec.index(after: dash)...].trimmingSpaces
        if a.isEmpty {
            guard let n = Int(b), n > 0 else { return nil }
            return (max(0, size - n), size - 1)
        }
        guard let lo = Int(a), lo < size else { return nil }
        guard !b.isEmpty else { return (lo, size - 1) }
        guard let hi = Int(b), hi >= lo else { return nil }
        return (lo, min(hi, size - 1))
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
