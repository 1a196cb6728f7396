import Synchronization

/// The part of the gateway a fixture reload replaces at once: the fixture set, the catalog
/// built from it and the pre-encoded model lists. Immutable; requests read the current one.
final class FixtureView: Sendable {
    let fixtures: FixtureSet
    let catalog: Catalog
    let modelLists: ModelListCache

    init(_ fixtures: FixtureSet) {
        self.fixtures = fixtures
        catalog = Catalog(models: fixtures.models, retired: fixtures.retired, groups: fixtures.groups)
        modelLists = ModelListCache(catalog: catalog)
    }
}

extension Gateway {
    /// The fixtures in force (the last good load).
    public var fixtures: FixtureSet { view.withLock { $0 }.fixtures }

    /// The catalog in force.
    public var catalog: Catalog { view.withLock { $0 }.catalog }

    var modelLists: ModelListCache { view.withLock { $0 }.modelLists }

    /// Puts a validated fixture set in force for the next request (`--watch`). Requests already
    /// running finish with what they started with. Kept: the journal, the ledger and spend (see
    /// ``Accounting/reload(keys:accounts:transactions:)`` for keys and wallets), runtime reply
    /// and fault rules, tasks and files. Replaced: catalog and model lists, routing groups,
    /// `replies.json` rules and pacing, `faults.json` rules (their counters restart) and the
    /// `media.json` settings for new requests. `files.ttl_seconds` applies from the next start.
    public func reload(_ fixtures: FixtureSet) {
        accounting.reload(keys: fixtures.keys, accounts: fixtures.accounts, transactions: fixtures.transactions)
        replies.replaceFixtureRules(fixtures.replies, pacing: fixtures.pacing)
        faults.replaceFixtureRules(fixtures.faults)
        let next = FixtureView(fixtures)
        view.withLock { $0 = next }
    }
}
