/// How a flag reads its environment variable.
///
/// The variable's name is derived from the flag's (``Options/Flag/environmentName``), so a flag added
/// to the table gets one without further code.
enum EnvironmentUse: Sendable, Equatable {
    /// One value, as the flag takes on the command line; a switch takes `1`/`true`/`yes` (on) or
    /// `0`/`false`/`no` (off).
    case value
    /// Several values separated by `;` (outside double quotes), each applied as one repetition of
    /// the flag (`--fault`).
    case list
    /// No variable: the flag only makes sense on the command line (`--help`, `--version`).
    case none
}

extension Options.Flag {
    /// `BYTESPIKE_MOCK_` and the flag's name without its dashes, upper case, `-` as `_`:
    /// `--max-body-bytes` reads `BYTESPIKE_MOCK_MAX_BODY_BYTES`.
    var environmentName: String {
        let bare = name.drop(while: { $0 == "-" })
        return "BYTESPIKE_MOCK_" + String(bare.map { $0 == "-" ? "_" : Character($0.uppercased()) })
    }
}

extension Options {
    /// Applies `flag` from its environment variable, if set and not empty. A bad value fails
    /// naming the variable, the way a bad flag names the flag.
    mutating func apply(_ flag: Flag, fromEnvironment environment: (String) -> String?) throws(Failure) {
        guard flag.environment != .none else { return }
        let name = flag.environmentName
        guard let raw = environment(name), !raw.isEmpty else { return }
        let fail = { (why: String) in Failure(description: "environment variable \(name)='\(raw)': \(why)") }
        if flag.value == nil {
            switch raw.lowercased() {
            case "1", "true", "yes": break
            case "0", "false", "no": return
            default: throw fail("\(flag.name) is a switch; use 1, true or yes (on) or 0, false or no (off)")
            }
            do { try flag.apply(&self, "") } catch { throw fail(error.description) }
            return
        }
        let values = flag.environment == .list ? Self.splitList(raw) : [raw]
        if values.isEmpty { throw fail("no value between the ';' separators") }
        for value in values {
            do { try flag.apply(&self, value) } catch { throw fail(error.description) }
        }
    }

    /// `a; b; "c;d"` → `["a", "b", "\"c;d\""]`: split on `;` outside double quotes, pieces trimmed,
    /// empty pieces dropped.
    static func splitList(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        for c in text {
            if c == "\"" { quoted.toggle() }
            if c == ";" && !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current)
        return parts.map(trimmingSpaces).filter { !$0.isEmpty }
    }

    private static func trimmingSpaces(_ text: String) -> String {
        var sub = Substring(text)
        while sub.first == " " { sub.removeFirst() }
        while sub.last == " " { sub.removeLast() }
        return String(sub)
    }

    /// The part of `--help` that names each flag's environment variable.
    static var environmentUsage: String {
        var s = "\nenvironment:\n"
        s += "  Every option can also be set by an environment variable: BYTESPIKE_MOCK_ and the option's\n"
        s += "  name in upper case, '-' as '_'. The command line wins over the environment; an empty variable\n"
        s += "  counts as unset. Switches take 1, true or yes (0, false or no: off); BYTESPIKE_MOCK_FAULT takes\n"
        s += "  rules separated by ';'. A bad value exits with status 2, naming the variable.\n\n"
        for f in flags where f.environment != .none {
            let left = f.environmentName
            s += "  " + left + String(repeating: " ", count: max(1, 36 - left.count)) + f.name + "\n"
        }
        return s
    }
}
