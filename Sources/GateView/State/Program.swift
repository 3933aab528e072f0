/// What the terminal can show; the view adapts its glyphs and colours to it, so the same
/// `view` serves a 256-colour UTF-8 terminal, an 8-colour one, and a monochrome ASCII one.
public struct Capabilities: Equatable, Sendable {
    public enum ColorDepth: Int, Sendable, Comparable {
        case none = 0, eight = 8, full = 256
        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }
    public var colors: ColorDepth
    public var unicode: Bool

    public init(colors: ColorDepth, unicode: Bool) {
        self.colors = colors
        self.unicode = unicode
    }
}

/// What the program asks of the terminal after an update.
public enum Command: Equatable, Sendable {
    case none
    case quit
    /// Run this job off the update loop (`Job.start`), passing on what it reports
    /// (`RunningJob.poll`) as `.progress` and `.finished` messages.
    case start(Job)
    /// Stop the job with this id at its next step: its result is no longer wanted.
    case cancel(job: Int)
}

/// The Elm-architecture contract between the screen (GateView) and the terminal
/// (CursesTerminal): the terminal feeds messages to `update`, and after each one draws
/// `view` of the current size. `tickInterval` tells the terminal how often to send
/// `.tick` messages: nil while idle, so an idle program blocks on input and uses no CPU.
/// Work too long for one update is asked for with `Command.start` and done by the terminal
/// on another thread; `update` stays pure.
public protocol Program {
    mutating func update(_ message: Message) -> Command
    func view(into buffer: inout Buffer)
    var tickInterval: Double? { get }
}

extension Program {
    /// `update`, with any work it asks for done here and now, to the end: for `render` and
    /// tests, where nobody watches the frames in between.
    public mutating func updateFinishingWork(_ message: Message) -> Command {
        finishingWork(update(message))
    }

    /// `command`, with the job it asks for (and any its result asks for) done here and now.
    mutating func finishingWork(_ command: Command) -> Command {
        var command = command
        while case .start(let job) = command { command = update(job.run()) }
        return command
    }
}
