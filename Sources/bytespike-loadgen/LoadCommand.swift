import Glibc

/// The command: parse options, raise the fd limit, resolve the server, run, print the line.
enum LoadCommand {
    static func main(_ arguments: [String]) -> Int32 {
        let options: Options
        do {
            options = try Options.parse(arguments)
        } catch {
            System.warn("\(error)")
            return 2
        }
        if options.help {
            print(Options.usage)
            return 0
        }
        signal(SIGPIPE, SIG_IGN)
        let needed = options.connections + 64
        let limit = System.raiseFileLimit(to: needed)
        guard limit >= needed else {
            System.warn("RLIMIT_NOFILE is \(limit) (hard limit reached); \(options.connections) connections need \(needed)")
            return 2
        }
        do {
            let address = try System.resolve(host: options.host, port: options.port)
            let generator = try LoadGenerator(options: options, address: address)
            let (tally, seconds) = generator.run()
            print(tally.line(connections: options.connections, seconds: seconds))
            return tally.errorCount == 0 && tally.responses > 0 ? 0 : 1
        } catch {
            System.warn("\(error)")
            return 2
        }
    }
}
