// The executable only parses the command line and runs the server; see `Command.swift`.
import Glibc

exit(Command.main())
