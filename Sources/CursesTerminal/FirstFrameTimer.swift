import CNcurses
import Glibc

/// Times the visualizer from launch to its first frame, as a user would wait for it: the
/// real executable on a fresh pseudo-terminal, with GATESCOPE_EXIT_AFTER_FIRST_FRAME=1 so it
/// exits once the first frame is on the terminal. The time runs until the process has
/// exited, so it is an upper bound (it includes leaving curses and process teardown).
public enum FirstFrameTimer {
    /// Seconds from spawning `executable` with `arguments` on a `width` × `height`
    /// xterm-256color terminal in a UTF-8 locale until it exited with status 0.
    public static func measure(executable: String, arguments: [String], width: Int,
                               height: Int) throws -> Double {
        let master = posix_openpt(O_RDWR | O_NOCTTY)
        guard master >= 0 else { throw TerminalError("cannot open a pseudo-terminal: \(describeErrno())") }
        defer { close(master) }
        guard grantpt(master) == 0, unlockpt(master) == 0, let name = ptsname(master) else {
            throw TerminalError("cannot set up a pseudo-terminal: \(describeErrno())")
        }
        let terminalPath = String(cString: name)
        // A fixed environment: the figure must not depend on the caller's terminal.
        let environment = ["TERM=xterm-256color", "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
                           "COLUMNS=\(width)", "LINES=\(height)", "GATESCOPE_EXIT_AFTER_FIRST_FRAME=1"]

        let clock = ContinuousClock()
        let start = clock.now
        let pid = try spawn(executable, arguments: arguments, environment: environment,
                            terminal: terminalPath)
        let closed = drain(master, until: start + .seconds(30), clock: clock)
        var status: Int32 = 0
        guard closed else {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            throw TerminalError("\(executable) did not exit after its first frame within 30 s")
        }
        waitpid(pid, &status, 0)
        let elapsed = clock.now - start
        // A normal exit has the low 7 bits clear and the status in the next 8.
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            throw TerminalError("\(executable) \(arguments.joined(separator: " ")) failed on a pseudo-terminal (wait status \(status))")
        }
        return elapsed / .seconds(1)
    }

    /// Starts `executable` with the pseudo-terminal `terminal` as its stdin, stdout and stderr.
    private static func spawn(_ executable: String, arguments: [String], environment: [String],
                              terminal: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, terminal, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else {
            throw TerminalError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Reads and discards the child's output, so it never blocks on a full terminal, until
    /// its side of the terminal closes (it is exiting: true) or `deadline` passes (false).
    private static func drain(_ master: Int32, until deadline: ContinuousClock.Instant,
                              clock: ContinuousClock) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while clock.now < deadline {
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 100)
            if ready < 0 && errno != EINTR { return false }
            guard ready > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            if count <= 0 { return true }  // EIO: every descriptor of the other side is closed
        }
        return false
    }

    private static func describeErrno() -> String { String(cString: strerror(errno)) }
}
