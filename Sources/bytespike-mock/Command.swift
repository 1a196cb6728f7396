import Dispatch
import BytespikeMock
import Glibc
import HTTPServer

/// `bytespike-mock`: parse flags (and their environment variables), start the mock, print where it
/// listens, wait for a signal. Exit codes: 0 after a clean stop, 2 for bad options or environment
/// variables, fixtures or a failed bind.
enum Command {
    static func main() -> Int32 {
        let options: Options
        do {
            options = try Options(Array(CommandLine.arguments.dropFirst()), environment: { name in
                getenv(name).map { String(cString: $0) }
            })
        } catch {
            printError("bytespike-mock: \(error)")
            return 2
        }
        if options.help {
            print(Options.usage, terminator: "")
            return 0
        }
        if options.version {
            print("bytespike-mock \(MockServer.version)")
            return 0
        }
        if options.checkFixtures {
            do {
                let set = try FixtureLoader.load(directory: options.mock.fixturesDirectory)
                print("fixtures ok: \(set.models.count) models, \(set.groups.count) groups, \(set.accounts.count) accounts, \(set.keys.count) keys")
                return 0
            } catch {
                printError("bytespike-mock: \(error)")
                return 2
            }
        }
        let signals = SignalWaiter()
        let mock: MockServer
        do {
            mock = try MockServer.start(options.mock)
        } catch {
            printError("bytespike-mock: \(error)")
            return 2
        }
        if let portFile = options.portFile, !writePortFile(portFile, mock.port) {
            printError("bytespike-mock: cannot write --port-file \(portFile)")
            mock.stop()
            return 2
        }
        print("bytespike-mock listening on \(mock.baseURL)")
        fflush(nil)
        signals.waitForTermination()
        mock.stop()
        printError("bytespike-mock: stopped")
        return 0
    }

    /// Writes the port atomically (temp file + rename) so a harness never reads half a number.
    private static func writePortFile(_ path: String, _ port: Int) -> Bool {
        let tmp = path + ".tmp"
        guard let f = fopen(tmp, "w") else { return false }
        fputs("\(port)\n", f)
        fclose(f)
        return rename(tmp, path) == 0
    }
}

func printError(_ text: String) {
    let line = Array((text + "\n").utf8)
    line.withUnsafeBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
}

/// Waits for SIGINT or SIGTERM.
///
/// Made before the mock starts, so a signal that arrives as soon as the port file exists is
/// caught rather than lost (a harness may stop the mock right after reading the port). The signal
/// sources are created inside this non-isolated type, never in top-level code, whose closures
/// would be main-actor isolated and trap when Dispatch runs them on another queue.
/// Used from the main thread only; the sources fire on their own queue and only signal `done`.
final class SignalWaiter {
    private let done = DispatchSemaphore(value: 0)
    private var sources: [any DispatchSourceSignal] = []

    /// Starts catching SIGINT and SIGTERM (their default actions are disabled from here on).
    init() {
        let queue = DispatchQueue(label: "bytespike-mock.signals")
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { [done] in done.signal() }
            source.resume()
            sources.append(source)
        }
    }

    /// Blocks the calling thread until one of the signals has arrived (also one that arrived earlier).
    func waitForTermination() {
        done.wait()
        for s in sources { s.cancel() }
    }
}
