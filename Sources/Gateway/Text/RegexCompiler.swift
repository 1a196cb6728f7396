/// Turns a ``RegexNode`` into ``BoundedRegex`` instructions, refusing a program longer than
/// ``BoundedRegex/maxProgram`` (counted repetitions are expanded, so `(a{1000}){1000}` stops
/// after the limit, not after a million instructions).
///
/// Concurrency: a value used by one caller.
struct RegexCompiler {
    private(set) var program: [BoundedRegex.Inst] = []
    private(set) var sets: [ScalarSet] = []

    mutating func append(_ inst: BoundedRegex.Inst) throws(RegexSyntaxError) {
        guard program.count < BoundedRegex.maxProgram else {
            throw RegexSyntaxError(message: "the pattern is too complex: it compiles to more than \(BoundedRegex.maxProgram) instructions (counted repetitions such as {n,m} are expanded)")
        }
        program.append(inst)
    }

    /// Appends a placeholder to patch once its targets are known.
    private mutating func hole() throws(RegexSyntaxError) -> Int {
        try append(.jump(-1))
        return program.count - 1
    }

    mutating func emit(_ node: RegexNode) throws(RegexSyntaxError) {
        switch node {
        case .empty: break
        case .char(let c, let fold): try append(.char(c, fold: fold))
        case .any(let newline): try append(.any(newline: newline))
        case .set(let set):
            sets.append(set)
            try append(.set(sets.count - 1))
        case .assert(let a): try append(.assert(a))
        case .concat(let items): for item in items { try emit(item) }
        case .alt(let branches):
            var exits: [Int] = []
            for (k, branch) in branches.enumerated() {
                if k == branches.count - 1 {
                    try emit(branch)
                } else {
                    let split = try hole()
                    try emit(branch)
                    exits.append(try hole())
                    program[split] = .split(split + 1, program.count)
                }
            }
            for e in exits { program[e] = .jump(program.count) }
        case .repetition(let body, let lo, let hi):
            for _ in 0..<lo { try emit(body) }
            if let hi {
                // Each optional copy may be skipped straight to the end.
                var skips: [Int] = []
                for _ in lo..<hi {
                    skips.append(try hole())
                    try emit(body)
                }
                for k in skips { program[k] = .split(k + 1, program.count) }
            } else {
                let loop = try hole()
                try emit(body)
                try append(.jump(loop))
                program[loop] = .split(loop + 1, program.count)
            }
        }
    }
}
