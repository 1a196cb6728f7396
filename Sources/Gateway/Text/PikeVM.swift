/// Runs a ``BoundedRegex`` program over a text as a Thompson NFA simulation: every live thread
/// advances one scalar at a time, each instruction at most once per position, so the work is at
/// most text length × program length, and ``budget`` steps cut it shorter still. The text is
/// read as a stream of scalars (never copied), and every position costs at least one step, so
/// the budget also bounds how much of a long text is read.
///
/// Concurrency: a value used by one caller for one match.
struct PikeVM {
    /// A position in the text: the scalars around it, for the assertions.
    struct Position {
        var index: Int
        var before: Unicode.Scalar?
        /// The scalar at the position (nil at the end) and the one after it.
        var here: Unicode.Scalar?
        var after: Unicode.Scalar?
    }

    private let program: [BoundedRegex.Inst]
    private let sets: [ScalarSet]
    private let anchored: Bool
    private let budget: Int
    private(set) var steps = 0
    /// Program counters of the threads at the current and the next position.
    private var current: [Int] = []
    private var next: [Int] = []
    /// `seen[pc] == index + 1`: pc was already added at that position.
    private var seen: [Int]
    private var stack: [Int] = []

    init(regex: BoundedRegex, budget: Int) {
        program = regex.program
        sets = regex.sets
        anchored = regex.anchoredAtStart
        self.budget = budget
        seen = Array(repeating: 0, count: regex.program.count)
        current.reserveCapacity(regex.program.count)
        next.reserveCapacity(regex.program.count)
    }

    /// Whether the program matches anywhere in `text`, within the budget.
    mutating func run(_ text: String, folds: Bool) -> BoundedRegex.Outcome {
        var scalars = text.unicodeScalars.makeIterator()
        let first = scalars.next()
        var at = Position(index: 0, before: nil, here: first, after: first == nil ? nil : scalars.next())
        while true {
            if at.index == 0 || !anchored {
                if let done = add(0, at: at, toNext: false) { return done }
            }
            guard let c = at.here, !(current.isEmpty && anchored) else { return .noMatch }
            let f = folds ? ScalarSet.fold(c) : c
            let following = Position(index: at.index + 1, before: c, here: at.after,
                                      after: at.after == nil ? nil : scalars.next())
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
                if advances, let done = add(pc + 1, at: following, toNext: true) { return done }
            }
            swap(&current, &next)
            next.removeAll(keepingCapacity: true)
            at = following
        }
    }

    /// Adds the thread at `pc` and everything reachable from it without consuming a scalar at
    /// `at`: consuming instructions go into `next` (or `current`). Returns the outcome when the
    /// search is decided (a match, or the budget spent), else nil.
    private mutating func add(_ pc: Int, at: Position, toNext: Bool) -> BoundedRegex.Outcome? {
        let mark = at.index + 1
        stack.append(pc)
        while let pc = stack.popLast() {
            guard seen[pc] != mark else { continue }
            seen[pc] = mark
            steps += 1
            if steps > budget { stack.removeAll(); return .overBudget }
            switch program[pc] {
            case .match: stack.removeAll(); return .match
            case .jump(let to): stack.append(to)
            case .split(let a, let b): stack.append(b); stack.append(a)
            case .assert(let a): if Self.holds(a, at) { stack.append(pc + 1) }
            case .char, .any, .set: if toNext { next.append(pc) } else { current.append(pc) }
            }
        }
        return nil
    }

    private static func holds(_ a: BoundedRegex.Assertion, _ at: Position) -> Bool {
        switch a {
        case .textStart: return at.index == 0
        case .textEnd: return at.here == nil
        case .textEndOrFinalNewline: return at.here == nil || at.here == "\n" && at.after == nil
        case .lineStart: return at.index == 0 || at.before == "\n"
        case .lineEnd: return at.here == nil || at.here == "\n"
        case .wordBoundary, .notWordBoundary:
            let before = at.before.map(ScalarSet.isWord) ?? false
            let after = at.here.map(ScalarSet.isWord) ?? false
            return (before != after) == (a == .wordBoundary)
        }
    }
}
