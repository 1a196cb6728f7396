/// Runs a ``BoundedRegex`` program over a text as a Thompson NFA simulation: every live thread
/// advances one scalar at a time, each instruction at most once per position, so the work is at
/// most text length × program length, and ``budget`` steps cut it shorter still.
///
/// Concurrency: a value used by one caller for one match.
struct PikeVM {
    private let program: [BoundedRegex.Inst]
    private let sets: [ScalarSet]
    private let anchored: Bool
    private let text: [Unicode.Scalar]
    private let folded: [Unicode.Scalar]
    private let budget: Int
    private(set) var steps = 0
    /// Program counters of the threads at the current and the next position.
    private var current: [Int] = []
    private var next: [Int] = []
    /// `seen[pc] == pos + 1`: pc was already added at position pos.
    private var seen: [Int]
    private var stack: [Int] = []

    init(regex: BoundedRegex, text: [Unicode.Scalar], folded: [Unicode.Scalar], budget: Int) {
        program = regex.program
        sets = regex.sets
        anchored = regex.anchoredAtStart
        self.text = text
        self.folded = folded
        self.budget = budget
        seen = Array(repeating: 0, count: regex.program.count)
        current.reserveCapacity(regex.program.count)
        next.reserveCapacity(regex.program.count)
    }

    /// Whether the program matches anywhere in the text, within the budget.
    mutating func run() -> BoundedRegex.Outcome {
        let n = text.count
        var pos = 0
        while true {
            if pos == 0 || !anchored {
                switch add(0, at: pos, toNext: false) {
                case .match: return .match
                case .overBudget: return .overBudget
                case .noMatch: break
                }
            }
            if current.isEmpty, anchored || pos >= n { return .noMatch }
            if pos >= n { return .noMatch }
            let c = text[pos], f = folded[pos]
            let threads = current
            for pc in threads {
                steps += 1
                if steps > budget { return .overBudget }
                let advances: Bool
                switch program[pc] {
                case .char(let want, let fold): advances = (fold ? f : c) == want
                case .any(let newline): advances = newline || c != "\n"
                case .set(let k): advances = sets[k].contains(sets[k].fold ? f : c)
                default: advances = false
                }
                if advances {
                    switch add(pc + 1, at: pos + 1, toNext: true) {
                    case .match: return .match
                    case .overBudget: return .overBudget
                    case .noMatch: break
                    }
                }
            }
            swap(&current, &next)
            next.removeAll(keepingCapacity: true)
            pos += 1
        }
    }

    /// Adds the thread at `pc` and everything reachable from it without consuming a scalar at
    /// position `pos`: consuming instructions go into `next` (or `current`); reaching `match` ends the search.
    private mutating func add(_ pc: Int, at pos: Int, toNext: Bool) -> BoundedRegex.Outcome {
        stack.append(pc)
        while let pc = stack.popLast() {
            guard seen[pc] != pos + 1 else { continue }
            seen[pc] = pos + 1
            steps += 1
            if steps > budget { stack.removeAll(); return .overBudget }
            switch program[pc] {
            case .match: stack.removeAll(); return .match
            case .jump(let to): stack.append(to)
            case .split(let a, let b): stack.append(b); stack.append(a)
            case .assert(let a): if holds(a, at: pos) { stack.append(pc + 1) }
            case .char, .any, .set: if toNext { next.append(pc) } else { current.append(pc) }
            }
        }
        return .noMatch
    }

    private func holds(_ a: BoundedRegex.Assertion, at pos: Int) -> Bool {
        let n = text.count
        switch a {
        case .textStart: return pos == 0
        case .textEnd: return pos == n
        case .textEndOrFinalNewline: return pos == n || pos == n - 1 && text[pos] == "\n"
        case .lineStart: return pos == 0 || text[pos - 1] == "\n"
        case .lineEnd: return pos == n || text[pos] == "\n"
        case .wordBoundary, .notWordBoundary:
            let before = pos > 0 && ScalarSet.isWord(text[pos - 1])
            let after = pos < n && ScalarSet.isWord(text[pos])
            return (before != after) == (a == .wordBoundary)
        }
    }
}
