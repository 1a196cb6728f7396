import Synchronization

/// The one bound on what slow readers may hold in total, across every connection of a server:
/// response bytes queued and not yet taken by the kernel, plus the state a stream's producer
/// declared it keeps for bytes it has not written yet (``ResponseStream/holdState(bytes:)``).
///
/// Each connection adds the change of its own share whenever it flushes and gives the rest back
/// when it closes. Policy, enforced by the connection: per stream, the producer is paused above
/// the high watermark (it stops producing, nothing buffers behind it); and once the total is
/// above ``limit``, a connection that is blocked on its reader with at least a high watermark of
/// output queued is cut at once instead of waiting for the write timeout. Connections whose
/// clients read never block that long, so they are not affected.
///
/// Concurrency: Sendable, one atomic counter shared by all loop threads.
final class OutputBudget: Sendable {
    /// Bytes all connections together may hold before blocked ones are cut.
    let limit: Int
    private let held = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Adds `delta` (negative to give back) to the total.
    func adjust(by delta: Int) {
        if delta != 0 { held.add(delta, ordering: .relaxed) }
    }

    /// What all connections hold now.
    var total: Int { held.load(ordering: .relaxed) }

    /// True while the total is above the limit.
    var exceeded: Bool { total > limit }
}
