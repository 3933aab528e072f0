/// A user-facing error: `message` is one line that names what was wrong and where, printed
/// after `error: ` by the command line.
public struct GateError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
