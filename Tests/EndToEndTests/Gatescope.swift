import Foundation
import XCTest

/// Runs the built `gatescope` executable as a user would.
///
/// The test target depends on GateCore only, so the binary must already be built: `swift
/// test` builds every target of the package (executable included) before running tests, and
/// CI runs `swift build` first anyway. Set GATESCOPE_BINARY to test another build.
enum Gatescope {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The executable next to this test bundle (the same build configuration), else in the
    /// package's default debug build directory.
    static func binary() throws -> URL {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["GATESCOPE_BINARY"] {
            guard fileManager.isExecutableFile(atPath: path) else {
                throw GatescopeMissing(message: "GATESCOPE_BINARY=\(path) is not an executable file")
            }
            return URL(fileURLWithPath: path)
        }
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directories = [
            Bundle(for: Marker.self).bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
            Bundle.main.bundleURL.deletingLastPathComponent(),
            packageRoot.appendingPathComponent(".build/debug"),
        ]
        for directory in directories {
            let candidate = directory.appendingPathComponent("gatescope")
            if fileManager.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw GatescopeMissing(message: "the gatescope executable was not found in "
            + directories.map(\.path).joined(separator: ", ") + "; run `swift build` before the end-to-end tests")
    }

    struct GatescopeMissing: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    private final class Marker {}

    /// Runs gatescope with `arguments`, and returns its exit status and its peak resident
    /// memory in KiB.
    static func peakMemory(_ arguments: [String]) throws -> (status: Int32, kilobytes: Int) {
        let run = try spawn(arguments.map { Array($0.utf8) })
        return (run.result.status, run.kilobytes)
    }

    /// Runs gatescope with arguments given as bytes, so that they may be file names that
    /// are not UTF-8 (Process takes Strings), collecting both streams through files.
    /// Returns what it printed (decoded, U+FFFD for bytes that are not UTF-8) and its peak
    /// resident memory in KiB: the high-water mark of its own memory (VmHWM), read until
    /// it exits. (The rusage of wait4 would not do: a spawned child's maximum starts from
    /// this test process's own peak, since the two share memory until the exec.) Also the
    /// processor time it used, user and system, from wait4: unlike the wall-clock time it
    /// does not grow when other builds share the machine.
    static func spawn(_ arguments: [[UInt8]]) throws -> (result: Result, kilobytes: Int, cpuSeconds: Double) {
        let path = try binary().path
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let streams = [scratch.appendingPathComponent("stdout").path, scratch.appendingPathComponent("stderr").path]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        for (descriptor, file) in zip([Int32(1), 2], streams) {
            posix_spawn_file_actions_addopen(&actions, descriptor, file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([Array(path.utf8)] + arguments).map { bytes in
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            for (index, byte) in bytes.enumerated() { copy[index] = CChar(bitPattern: byte) }
            copy[bytes.count] = 0
            return copy
        } + [nil]
        defer { argv.forEach { $0?.deallocate() } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw GatescopeMissing(message: "posix_spawn \(path): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var kilobytes = 0
        var usage = rusage()
        while true {
            kilobytes = max(kilobytes, highWaterMark(of: pid) ?? 0)
            let reaped = wait4(pid, &status, WNOHANG, &usage)
            if reaped == pid || (reaped < 0 && errno != EINTR) { break }
            usleep(1000)
        }
        // A normal exit keeps its status in bits 8-15; a signal shows as 128 + its number.
        let exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + status & 0x7F
        let output = streams.map { String(decoding: FileManager.default.contents(atPath: $0) ?? Data(), as: UTF8.self) }
        let seconds = { (time: timeval) in Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return (Result(status: exitStatus, stdout: output[0], stderr: output[1]), kilobytes,
                seconds(usage.ru_utime) + seconds(usage.ru_stime))
    }

    /// The peak resident memory in KiB of a running process, from /proc; nil once it has
    /// released its memory (or without /proc).
    private static func highWaterMark(of pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        return Int(line.dropFirst("VmHWM:".count).trimmingCharacters(in: .whitespaces).dropLast(3).trimmingCharacters(in: .whitespaces))
    }

    /// Runs gatescope with `arguments`, collecting both streams through files so that a
    /// large output cannot fill a pipe and block the child. After `timeout` seconds the
    /// child is killed (the status is then not 0 or 1), so that a regression that makes
    /// a command run on fails its test instead of hanging it.
    /// The child's environment is this process's without the locale variables that choose
    /// the screen's language (so that a test reads English wherever it runs), plus `environment`.
    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 600) throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)

        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment
            .filter { !["LC_ALL", "LC_MESSAGES", "LANG"].contains($0.key) }
            .merging(environment) { _, given in given }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let deadline = DispatchWorkItem { [process] in kill(process.processIdentifier, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: deadline)
        process.waitUntilExit()
        deadline.cancel()
        try out.close()
        try err.close()
        return Result(status: process.terminationStatus,
                      stdout: try String(contentsOf: outURL, encoding: .utf8),
                      stderr: try String(contentsOf: errURL, encoding: .utf8))
    }
}
