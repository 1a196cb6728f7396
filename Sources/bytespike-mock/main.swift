// The executable only parses the command line and runs the server; see `Command.swift`.
import ArgumentParser
BytespikeMockCommand.main()
