/// Everything loaded from fixtures, validated and cross-referenced. Immutable.
public struct FixtureSet: Sendable {
    public var models: [CatalogModel]
    public var retired: [RetiredModel]
    public var groups: [RoutingGroup]
    public var accounts: [Account]
    public var keys: [APIKey]
    public var transactions: [WalletTransaction]
    /// Scripted reply rules, in the order they are tried.
    var replies: [ReplyRule] = []
    /// Default stream pacing.
    var pacing: Pacing?
    /// `faults.json` rules (none built in).
    var faults: [FaultRule] = []
    /// `media.json`: image and video options, task timings, blocked terms, file lifetime.
    public var media = MediaSpec()
}

/// A fixture problem, naming the file and the field. Start-up stops with exit code 2.
public struct FixtureError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let field: String
    public let problem: String
    public var description: String { "fixture \(file): \(field): \(problem)" }
}
