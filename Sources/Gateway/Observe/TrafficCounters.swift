/// Running totals of the traffic the journal saw, for `/__mock/metrics`: requests by surface
/// and status, faults applied by rule, stream events written. Never reset (Prometheus counters
/// only grow; a reset of the mock clears the journal, not these).
///
/// Concurrency: a value, confined to the journal's lock.
struct TrafficCounters: Sendable {
    struct RequestKey: Hashable, Sendable {
        var surface: String
        var status: Int
    }

    var requests: [RequestKey: Int] = [:]
    var faults: [String: Int] = [:]
    var streamEvents = 0
    var responseBytes = 0

    /// Most distinct fault-rule labels kept; later new ids count under `other` (rule ids come
    /// from clients, and a label per id must not grow without bound).
    static let maxRuleLabels = 1000

    mutating func count(_ e: JournalEntry) {
        requests[RequestKey(surface: e.surface, status: e.status), default: 0] += 1
        streamEvents += e.events
        responseBytes += e.bytes
        for f in e.faults {
            if faults[f.ruleID] != nil || faults.count < Self.maxRuleLabels {
                faults[f.ruleID, default: 0] += 1
            } else {
                faults["other", default: 0] += 1
            }
        }
    }
}
