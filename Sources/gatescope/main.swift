// LOCAL registration for testing only; the root command belongs to another helper.
import ArgumentParser
import Foundation
import GateCore

struct Root: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gatescope", subcommands: [Train.self, Compare.self, LocalBench.self])
}
do {
    var command = try Root.parseAsRoot()
    try command.run()
} catch let error as GateError {
    FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
    exit(1)
} catch {
    Root.exit(withError: error)
}
