/// The numbers `/__mock/metrics` reports, read at one moment from the journal's counters,
/// the accounting engine, the gateway's gauges and the server; rendered to the Prometheus text
/// format (version 0.0.4) last.
///
/// Concurrency: a value (Sendable).
struct MetricsSnapshot: Sendable {
    var requests: [(surface: String, status: Int, count: Int)]
    var faults: [(rule: String, count: Int)]
    var streamEvents: Int
    var responseBytes: Int
    var billedMicros: Int
    var requestsInFlight: Int
    var streamsInFlight: Int
    var openConnections: Int
    var journalEntries: Int
    var journalBytes: Int
    var journalDropped: Int
    var journalCapacity: Int
    var journalByteLimit: Int

    /// Surfaces that are not client requests (accepted-then-dropped connections, outbound task
    /// callbacks): counted in `requests`, not in flight.
    static let notArrivals: Set = ["connection", "callback"]

    init(counters c: TrafficCounters, arrivals: Int, billedMicros: Int, streams: Int, connections: Int,
         journal: (entries: Int, bytes: Int, dropped: Int, capacity: Int, byteLimit: Int)) {
        requests = c.requests.map { ($0.surface, $0.status, $0.count) }
            .sorted { ($0.surface, $0.status) < ($1.surface, $1.status) }
        faults = c.faults.map { ($0.key, $0.value) }.sorted { $0.rule < $1.rule }
        streamEvents = c.streamEvents
        responseBytes = c.responseBytes
        self.billedMicros = billedMicros
        let recorded = c.requests.reduce(0) { $0 + (Self.notArrivals.contains($1.surface) ? 0 : $1.count) }
        requestsInFlight = max(0, arrivals - recorded)
        streamsInFlight = max(0, streams)
        openConnections = connections
        journalEntries = journal.entries
        journalBytes = journal.bytes
        journalDropped = journal.dropped
        journalCapacity = journal.capacity
        journalByteLimit = journal.byteLimit
    }

    /// The Prometheus text exposition: `# HELP`, `# TYPE`, then the samples of each family.
    func render() -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for s in samples { out += name + (s.labels.isEmpty ? "" : "{\(s.labels)}") + " " + s.value + "\n" }
        }
        family("bytespike_mock_requests_total", "counter", "Gateway requests answered, by surface and HTTP status (0: dropped without a response).",
               requests.map { ("surface=\"\(Self.escape($0.surface))\",status=\"\($0.status)\"", String($0.count)) })
        family("bytespike_mock_faults_applied_total", "counter", "Faults applied, by rule id.",
               faults.map { ("rule=\"\(Self.escape($0.rule))\"", String($0.count)) })
        family("bytespike_mock_stream_events_total", "counter", "Stream events written.", [("", String(streamEvents))])
        family("bytespike_mock_response_body_bytes_total", "counter", "Response body bytes written.", [("", String(responseBytes))])
        family("bytespike_mock_credits_billed_usd_total", "counter", "Credits billed, in USD.", [("", Self.usd(billedMicros))])
        family("bytespike_mock_requests_in_flight", "gauge", "Gateway requests received and not yet answered.", [("", String(requestsInFlight))])
        family("bytespike_mock_streams_in_flight", "gauge", "Response streams open.", [("", String(streamsInFlight))])
        family("bytespike_mock_open_connections", "gauge", "Client connections open.", [("", String(openConnections))])
        family("bytespike_mock_journal_entries", "gauge", "Entries the journal keeps.", [("", String(journalEntries))])
        family("bytespike_mock_journal_bytes", "gauge", "Bytes the journal's entries hold (an upper bound).", [("", String(journalBytes))])
        family("bytespike_mock_journal_dropped_total", "counter", "Entries dropped for room (count or bytes), oldest first.", [("", String(journalDropped))])
        family("bytespike_mock_journal_capacity", "gauge", "Most entries the journal keeps (--journal-size).", [("", String(journalCapacity))])
        family("bytespike_mock_journal_byte_limit", "gauge", "Most bytes the journal's entries hold (--journal-bytes).", [("", String(journalByteLimit))])
        return out
    }

    /// A label value escaped for the text format (backslash, quote, newline).
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func usd(_ micros: Int) -> String {
        let whole = micros / 1_000_000, frac = abs(micros % 1_000_000)
        let digits = String(frac)
        return "\(micros < 0 && whole == 0 ? "-" : "")\(whole).\(String(repeating: "0", count: 6 - digits.count))\(digits)"
    }
}
