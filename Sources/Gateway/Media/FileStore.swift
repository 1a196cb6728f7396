import Media
import Synchronization

/// The media the mock has "generated": each file is a recipe (kind, size, seed) rendered on
/// demand, so a thousand finished tasks cost a few hundred bytes each, not their videos.
/// Rendered bytes are kept in a small byte-capped cache. Files expire on the virtual clock:
/// after `expiresAt` a download is 410 `file_expired`; unknown names are 404.
///
/// Budget: at most ``maxEntries`` files are remembered (about 200 bytes each); registering one
/// more forgets the oldest, whose URL is then 404. Rendered bytes are cached up to `cacheLimit`
/// bytes (default ``defaultCacheLimit``), oldest rendered first out.
///
/// Concurrency: Sendable; all state behind one Mutex, rendering outside it.
final class FileStore: Sendable {
    enum Recipe: Sendable, Equatable {
        case png(width: Int, height: Int, seed: UInt64)
        case mp4(width: Int, height: Int, seconds: Int, seed: UInt64)

        var contentType: String {
            switch self {
            case .png: "image/png"
            case .mp4: "video/mp4"
            }
        }

        var fileExtension: String {
            switch self {
            case .png: "png"
            case .mp4: "mp4"
            }
        }
    }

    struct Entry: Sendable {
        var name: String
        var recipe: Recipe
        var accountID: String
        var session: String
        var expiresAt: Int
    }

    enum Lookup {
        case found(Entry)
        case expired(Entry)
        case missing
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// File names in registration order (from `head`): who is forgotten first.
        var order = FIFO<String>()
        var counter = 0
        var cache: [String: [UInt8]] = [:]
        var cacheOrder = FIFO<String>()
        var cacheBytes = 0
    }

    /// Most files remembered.
    static let maxEntries = 8192
    /// Default bytes of rendered files kept.
    static let defaultCacheLimit = 4 << 20

    private let state = Mutex(State())
    private let seed: UInt64
    let cacheLimit: Int
    let maxEntries: Int

    init(seed: UInt64, cacheLimit: Int = FileStore.defaultCacheLimit, maxEntries: Int = FileStore.maxEntries) {
        self.seed = seed
        self.cacheLimit = cacheLimit
        self.maxEntries = max(1, maxEntries)
    }

    /// Registers a file and returns its name (`img_…png`, `vid_…mp4`).
    func add(_ recipe: Recipe, accountID: String, session: String, now: Int, ttl: Int) -> Entry {
        state.withLock { s in
            s.counter += 1
            let prefix = if case .png = recipe { "img_" } else { "vid_" }
            let name = prefix + idToken(seed: seed ^ 0x6669_6C65, index: s.counter) + "." + recipe.fileExtension
            let e = Entry(name: name, recipe: recipe, accountID: accountID, session: session, expiresAt: now + ttl)
            while s.entries.count >= maxEntries, let old = s.order.popFirst() {
                s.entries[old] = nil
                if let c = s.cache.removeValue(forKey: old) { s.cacheBytes -= c.count }
            }
            s.entries[name] = e
            s.order.append(name)
            return e
        }
    }

    func lookup(_ name: String, now: Int) -> Lookup {
        guard let e = state.withLock({ $0.entries[name] }) else { return .missing }
        return now >= e.expiresAt ? .expired(e) : .found(e)
    }

    /// The file's bytes, rendered once and cached while the cache has room.
    func bytes(of entry: Entry) -> [UInt8] {
        if let hit = state.withLock({ $0.cache[entry.name] }) { return hit }
        let bytes = Self.render(entry.recipe)
        state.withLock { s in
            guard bytes.count <= cacheLimit, s.cache[entry.name] == nil else { return }
            while s.cacheBytes + bytes.count > cacheLimit, let old = s.cacheOrder.popFirst() {
                s.cacheBytes -= s.cache.removeValue(forKey: old)?.count ?? 0
            }
            s.cache[entry.name] = bytes
            s.cacheOrder.append(entry.name)
            s.cacheBytes += bytes.count
        }
        return bytes
    }

    static func render(_ recipe: Recipe) -> [UInt8] {
        switch recipe {
        case .png(let w, let h, let seed): Media.png(width: w, height: h, seed: seed)
        case .mp4(let w, let h, let seconds, let seed): Media.mp4(width: w, height: h, seconds: seconds, seed: seed)
        }
    }

    /// Forgets every file (or one session's).
    func reset(session: String?) {
        state.withLock { s in
            if let session {
                let names = s.entries.values.filter { $0.session == session }.map(\.name)
                for n in names {
                    s.entries[n] = nil
                    if let c = s.cache.removeValue(forKey: n) { s.cacheBytes -= c.count }
                }
                // The queues keep the forgotten names until they come up (popping one is a no-op).
                let (entries, cache) = (s.entries, s.cache)
                s.order.removeAll { entries[$0] == nil }
                s.cacheOrder.removeAll { cache[$0] == nil }
            } else {
                s = State()
            }
        }
    }

    var count: Int { state.withLock { $0.entries.count } }

    /// Bytes of rendered files cached.
    var cachedBytes: Int { state.withLock { $0.cacheBytes } }
}
