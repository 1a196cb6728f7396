import CSystem
import Synchronization

/// Gives freed memory back to the system, so RSS falls again after slow readers are cut and
/// large request bodies are done with.
///
/// glibc keeps freed heap memory for reuse, and by default it raises its mmap threshold after a
/// large block is freed, so later large blocks come from the heap and stay in RSS. At start-up
/// the threshold is fixed at 256 KiB (large buffers, bodies and event lists are then mapped and
/// unmapped on their own), and after connections close `malloc_trim(0)` returns free heap pages,
/// at most once a second.
///
/// Concurrency: Sendable; a static configuration done once, and an atomic for the trim rate.
enum MemoryReturn {
    /// Fixes the allocator's thresholds; call once before serving.
    static let configure: Void = {
        csystem_malloc_fix_thresholds(256 * 1024, 1024 * 1024)
    }()

    private static let lastTrim = Atomic<UInt64>(0)
    private static let pending = Atomic<Bool>(false)

    /// Asks for a trim on `loop` soon (one second after the last one at the earliest).
    static func requestTrim(on loop: EventLoop) {
        guard pending.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        let now = Sys.monotonicNanos()
        let next = max(now, lastTrim.load(ordering: .relaxed) &+ 1_000_000_000)
        _ = loop.schedule(at: next) {
            pending.store(false, ordering: .relaxed)
            lastTrim.store(Sys.monotonicNanos(), ordering: .relaxed)
            csystem_malloc_trim()
        }
    }
}
