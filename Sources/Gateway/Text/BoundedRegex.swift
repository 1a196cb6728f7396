/// A regular expression for reply rules that can never freeze a loop thread: the pattern is
/// compiled to a small program of instructions and run as a Thompson NFA simulation (a Pike VM
/// without captures), so time grows with text length × program size, never exponentially;
/// and each match has a step budget on top, past which it gives up and reports
/// ``Outcome/overBudget`` (the rule then does not match).
///
/// Supported syntax (a subset of the usual Perl/ICU syntax, on Unicode scalars): literals and
/// escapes (`\.`, `\n`, `\t`, `\r`, `\f`, `\v`, `\0`, `\xHH`, `\u{H…}`), `.`, classes `[a-z_]`
/// and `[^…]`, shorthands `\d \w \s \D \W \S`, anchors `^ $ \A \z \Z \b \B`, groups `( )`,
/// `(?: )` and `(?<name> )`, alternation `|`, quantifiers `* + ? {n} {n,} {n,m}` with an optional
/// lazy `?`, and the flags `i` (case-insensitive), `s` (`.` matches newlines) and `m` (`^`/`$`
/// at line ends) as `(?ims)` or `(?i: … )`. Rejected when the rule is added: back-references,
/// look-around, atomic groups, possessive quantifiers, `\p{…}`, and patterns whose program is
/// longer than ``maxProgram`` instructions (counted repetitions are expanded) or whose source is
/// longer than ``maxSource`` bytes.
///
/// Concurrency: an immutable value (Sendable); matching allocates its own scratch state (a few
/// arrays the size of the program; the text is streamed, not copied).
struct BoundedRegex: Sendable {
    /// Most bytes of pattern source.
    static let maxSource = 4096
    /// Most instructions in the compiled program.
    static let maxProgram = 2000
    /// Largest bound of a counted repetition.
    static let maxRepeat = 1000
    /// Most VM steps (one thread visiting one instruction) one match may take: about 5 ms of
    /// one core, whatever the pattern and the text.
    static let defaultBudget = 1_000_000

    /// One program step.
    enum Inst: Sendable, Equatable {
        /// One scalar equal to the value (`fold`: compared case-insensitively).
        case char(Unicode.Scalar, fold: Bool)
        /// Any scalar (`newline`: `\n` included).
        case any(newline: Bool)
        /// A scalar in `sets[index]`.
        case set(Int)
        /// Continue at both targets.
        case split(Int, Int)
        case jump(Int)
        /// A zero-width assertion at the current position.
        case assert(Assertion)
        case match
    }

    /// Zero-width assertions.
    enum Assertion: Sendable, Equatable {
        case textStart, textEnd, textEndOrFinalNewline, lineStart, lineEnd, wordBoundary, notWordBoundary
    }

    /// What a match found.
    enum Outcome: Sendable, Equatable {
        case match, noMatch, overBudget
    }

    let source: String
    let program: [Inst]
    let sets: [ScalarSet]
    /// Whether any instruction compares case-insensitively (the text is folded once then).
    let folds: Bool
    /// Whether every match must start at the beginning of the text (a leading `^` or `\A`).
    let anchoredAtStart: Bool

    /// Compiles `source`, throwing a ``RegexSyntaxError`` that says what is wrong or unsupported.
    init(_ source: String) throws(RegexSyntaxError) {
        guard source.utf8.count <= Self.maxSource else {
            throw RegexSyntaxError(message: "the pattern is longer than \(Self.maxSource) bytes")
        }
        var parser = RegexParser(source)
        let node = try parser.parseAll()
        var compiler = RegexCompiler()
        try compiler.emit(node)
        try compiler.append(.match)
        self.source = source
        program = compiler.program
        sets = compiler.sets
        folds = compiler.program.contains { if case .char(_, true) = $0 { true } else { false } }
            || compiler.sets.contains(where: \.fold)
        anchoredAtStart = node.startsWithTextAnchor
    }

    /// Whether the pattern matches anywhere in `text`.
    func matches(_ text: String, budget: Int = BoundedRegex.defaultBudget) -> Outcome {
        var vm = PikeVM(regex: self, budget: budget)
        return vm.run(text, folds: folds)
    }
}

/// Why a pattern was refused, in words for the control API's 400.
struct RegexSyntaxError: Error, Sendable, CustomStringConvertible {
    var message: String
    var description: String { message }
}
