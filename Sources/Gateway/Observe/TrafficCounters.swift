/// Running totals of the traffic the journal saw, for `/__mock/metrics`: requests by surface
/// and status, faults applied by rule, stream events and body bytes written. Never reset
/// (Prometheus counters only grow; a reset of the mock clears the journal, not these).
///
/// Requests are counted in a short list searched linearly (a dozen surface × status pairs in
/// practice; comparing a small integer and a short string is cheaper than hashing, and this
/// runs for every request).
///
/// Concurrency: a value, confined to the journal's lock.
struct TrafficCounters: Sendable {
    struct RequestCount: Sendable {
        var surface: String
        var status: Int
        var count: Int
    }

    var requests: [RequestCount] = []
    var faults: [String: Int] = [:]
    var streamEvents = 0
    var responseBytes = 0

    /// Most distinct fault-rule labels kept; later new ids count under `other` (rule ids come
    /// from clients, and a label per id must not grow without bound).
    static let maxRuleLabels = 1000

    /// Counts one recorded exchange. Takes the fields, not the entry: passing the entry out of
    /// the journal's optional copied it whole (a retain and a release of each of its references).
    mutating func count(events: Int, bytes: Int, status: Int, surface: String, faults applied: [AppliedFault]) {
        streamEvents &+= events
        responseBytes &+= bytes
        var i = requests.count - 1
        while i >= 0 {
            if requests[i].status == status, requests[i].surface == surface {
                requests[i].count &+= 1
                break
            }
            i -= 1
        }
        if i < 0 { requests.append(RequestCount(surface: surface, status: status, count: 1)) }
        for f in applied {
            if faults[f.ruleID] != nil || faults.count < Self.maxRuleLabels {
                faults[f.ruleID, default: 0] += 1
            } else {
                faults["other", default: 0] += 1
            }
        }
    }
}
