@testable import BytespikeMock
import Testing

/// The reply-rule regex engine: agreement with the standard library's `Regex` on the supported
/// syntax, linear time on patterns that backtrack catastrophically, the step budget, and the
/// constructs refused when a rule is added.
@Suite struct BoundedRegexTests {
    static let patterns = [
        "abc", "^abc", "abc$", "a.c", "a|b|cd", "(ab)+", "(?:ab)*c", "a{2}", "a{2,}", "a{1,3}b", "[a-c]+", "[^a-c]",
        #"\d+"#, #"\w+@\w+\.com"#, #"\s"#, #"\D\W\S"#, #"\bword\b"#, #"\Bor\B"#, "(?i)HeLLo", "(?i:x)Y", "colou?r",
        "^$", "a*?b", "(a|ab)(c|bcd)(d*)", "[-a]", "[a-]", #"[\]x]"#, #"\.\*"#, "wea.her", "(?s)a.b", "(?m)^b$",
        #"^\w+\s*:\s*\d{1,3}$"#, "[é-ü]", "日本", "(?<word>ab)c", #"\x41\u0042"#, "x?y?z?", "((a)|b)+$",
        #"abc\Z"#, #"\Aab"#, #"c\z"#, #"\bb"#, #"b\b"#, "(?m)c$", "(?i)[A-C]+D?", "(a|b|)+x",
    ]
    static let texts = [
        "", "abc", "xabcx", "abx", "aXc", "cd", "ababc", "aa", "aaab", "ccc", "d", "123", "me@host.com", "a b", "1!x",
        "a word here", "words", "say hello", "HELLO there", "xY", "color", "colour", "b", "acd", "abcd", "-", "]", ".*",
        "weather", "a\nb", "a\nb\nc", "key: 42", "key:1234", "ñ", "日本語", "abc\n", "AB", "xyz", "ab", "bbb",
    ]

    @Test(arguments: patterns)
    func regex_agreesWithTheStandardLibrary(_ pattern: String) throws {
        let ours = try BoundedRegex(pattern)
        let theirs = try Regex(pattern)
        for text in Self.texts {
            let expected = (try? theirs.firstMatch(in: text)) != nil
            #expect(ours.matches(text) == (expected ? .match : .noMatch), "/\(pattern)/ on \(text.debugDescription)")
        }
    }

    /// The issue's reproducer: `(a+)+$` over 5,000 `a` and a `!` spun a loop for 10 s.
    @Test func regex_nestedQuantifierOnLongTextFinishesQuickly() throws {
        let r = try BoundedRegex("(a+)+$")
        let text = String(repeating: "a", count: 5000) + "!"
        let start = ContinuousClock.now
        #expect(r.matches(text) == .noMatch)
        #expect(r.matches(String(repeating: "a", count: 5000)) == .match)
        #expect(ContinuousClock.now - start < .milliseconds(500))
    }

    @Test func regex_pastTheBudgetIsOverBudget() throws {
        let r = try BoundedRegex("(x|y|z)*q")
        let text = String(repeating: "xyz", count: 50_000)
        #expect(r.matches(text, budget: 10_000) == .overBudget)
        #expect(r.matches("xyzq", budget: 10_000) == .match)
        // The budget also bounds how much of a long text is read: 6 MB of text, one budget of work.
        let long = String(repeating: "xyz", count: 2_000_000)
        let start = ContinuousClock.now
        #expect(r.matches(long) == .overBudget)
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test(arguments: [
        ("(", "missing ')'"), (")", "unmatched ')'"), ("*a", "nothing to repeat"), ("a**", "nothing to repeat"),
        (#"(a)\1"#, "back-references"), ("(?=a)", "look-ahead"), ("(?<!a)b", "look-behind"), ("(?>a)", "atomic"),
        ("a++", "possessive"), (#"\p{L}"#, "property"), ("[[:alpha:]]", "POSIX"), ("[z-a]", "out of order"),
        ("a{3,2}", "reversed"), ("a{1001}", "larger than 1000"), ("(a{1000}){3}", "too complex"), ("[abc", "unterminated"),
        (#"\q"#, "unknown escape"), ("(?x)a", "flags are i, s and m"),
    ])
    func regex_unsupportedOrInvalidIsRefusedWithAReason(_ pattern: String, _ reason: String) {
        do {
            _ = try BoundedRegex(pattern)
            Issue.record("/\(pattern)/ compiled")
        } catch {
            #expect(error.message.contains(reason), "/\(pattern)/: \(error.message)")
        }
    }

    @Test func regex_longSourceIsRefused() {
        #expect(throws: RegexSyntaxError.self) { try BoundedRegex(String(repeating: "a", count: BoundedRegex.maxSource + 1)) }
    }

    @Test func replyRule_refusesATooComplexRegexWhenAdded() throws {
        let json = #"{"match":{"regex":"(a{1000}){1000}"},"reply":{"text":"x"}}"#
        let error = #expect(throws: FixtureError.self) { try ReplyEngineTests.rule(json) }
        #expect("\(String(describing: error))".contains("too complex"))
    }
}
