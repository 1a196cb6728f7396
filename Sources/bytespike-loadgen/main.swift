// bytespike-loadgen: a single-threaded epoll HTTP/1.1 load generator for streamed (SSE) responses.
// The executable only parses the command line and runs the load; see `LoadGenerator.swift`.
import Glibc

exit(LoadCommand.main(Array(CommandLine.arguments.dropFirst())))
