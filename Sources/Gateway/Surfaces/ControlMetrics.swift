import HTTPCore
import Synchronization

/// `GET /__mock/metrics`: the Prometheus text format (see ``MetricsSnapshot``). Counters cover
/// the process's life (a reset clears the journal, not them).
extension Gateway {
    func metricsSnapshot() -> MetricsSnapshot {
        let (_, dropped) = journal.counts
        let usage = journal.usage
        return MetricsSnapshot(counters: journal.counters, arrivals: arrivals.load(ordering: .relaxed),
                               billedMicros: accounting.billedMicros, streams: openStreams.load(ordering: .relaxed),
                               connections: connectionGauge.withLock { $0 }?() ?? 0,
                               journal: (usage.entries, usage.bytes, dropped, journal.capacity, journal.byteLimit))
    }
}
