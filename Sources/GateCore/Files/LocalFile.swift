import Foundation

/// Opening and reading the files a user names, by the bytes of their names.
///
/// On Linux a file name is bytes, not text, and may hold bytes that are not UTF-8. Swift
/// decodes the command line into Strings, replacing each such byte with U+FFFD, so the
/// String no longer names the file. `systemName(_:)` recovers the bytes from the process's
/// own argument vector; every file gatescope opens, reads or writes goes through it, so such
/// a file opens, and an output is written under exactly the name given. Messages show the
/// String, U+FFFD where the bytes were.
public enum LocalFile {
    /// The NUL-terminated bytes that name `path` on the file system: its UTF-8, or, when it
    /// holds U+FFFD, the bytes of the command-line argument (or the value after `=` in one)
    /// that decodes to it.
    public static func systemName(_ path: String) throws -> [CChar] {
        guard path.unicodeScalars.contains("\u{FFFD}") else { return Array(path.utf8CString) }
        var found: [[UInt8]] = []
        for argument in commandLineArguments() {
            // `--input=name` as well as `--input name`.
            let value = argument.firstIndex(of: UInt8(ascii: "=")).map { Array(argument[($0 + 1)...]) }
            for candidate in [argument] + (value.map { [$0] } ?? [])
            where String(decoding: candidate, as: UTF8.self) == path && !found.contains(candidate) {
                found.append(candidate)
            }
        }
        guard found.count <= 1 else {
            throw GateError("\(path): the command line names \(found.count) different files that read alike once their bytes that are not UTF-8 are shown as \u{FFFD}; rename them")
        }
        // No argument holds it: the name was typed with U+FFFD itself, or made by a program.
        guard let bytes = found.first else { return Array(path.utf8CString) }
        return bytes.map { CChar(bitPattern: $0) } + [0]
    }

    /// The process's arguments as the bytes it was given.
    private static func commandLineArguments() -> [[UInt8]] {
        (0..<Int(CommandLine.argc)).compactMap { index in
            CommandLine.unsafeArgv[index].map { pointer in
                Array(UnsafeBufferPointer(start: pointer, count: strlen(pointer))).map { UInt8(bitPattern: $0) }
            }
        }
    }

    /// Opens `path` for reading, refusing a missing file or a directory with the message a
    /// person needs: "`path`: no such file", "`path`: is a directory, not `kind`".
    static func openForReading(_ path: String, kind: String) throws -> (descriptor: Int32, status: stat) {
        let descriptor = open(try systemName(path), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw GateError("\(path): no such file") }
            throw GateError("\(path): cannot open the file for reading (\(String(cString: strerror(errno))))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let error = GateError("\(path): cannot read the file (\(String(cString: strerror(errno))))")
            close(descriptor)
            throw error
        }
        guard status.st_mode & S_IFMT != S_IFDIR else {
            close(descriptor)
            throw GateError("\(path): is a directory, not \(kind)")
        }
        return (descriptor, status)
    }

    /// Fills `buffer` with the bytes of `descriptor` from `offset` on, retrying short and
    /// interrupted reads; a file that ends first is an error (it changed while being read).
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int,
                     source: String) throws {
        var done = 0
        while done < buffer.count {
            guard let base = buffer.baseAddress else { return }
            let count = pread(descriptor, base + done, buffer.count - done, off_t(offset + done))
            if count < 0 {
                if errno == EINTR { continue }
                throw GateError("\(source): cannot read the file (\(String(cString: strerror(errno))))")
            }
            guard count > 0 else { throw GateError("\(source): file ended early (it changed while being read?)") }
            done += count
        }
    }

    /// Every byte of the file at `path`, which may also be a pipe or a device, refused once
    /// it holds more than `limit` bytes (so that an endless stream such as /dev/zero ends)
    /// or a NUL byte, which no text holds. `kind` names what was expected, "a CSV file".
    static func readText(_ path: String, limit: Int, kind: String) throws -> [UInt8] {
        let (descriptor, _) = try openForReading(path, kind: kind)
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw GateError("\(path): cannot read the file (\(String(cString: strerror(errno))))")
            }
            if count == 0 { return bytes }
            if let zero = chunk[..<count].firstIndex(of: 0) {
                throw GateError("\(path): byte \(bytes.count + zero + 1) is NUL, which text never holds; expected \(kind), not binary data")
            }
            guard bytes.count + count <= limit else {
                throw GateError("\(path): more than \(limit / (1 << 20)) MiB, too large for \(kind)")
            }
            bytes += chunk[..<count]
        }
    }
}
