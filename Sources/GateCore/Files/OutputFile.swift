import Foundation

/// The one writer of every file gatescope makes (traces, models): whole or not at all.
public enum OutputFile {
    /// Writes `text` as UTF-8; see `write(_:to:)` for bytes.
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// Writes `bytes` to a temporary file beside `path`, renamed over it only once every byte
    /// is written, so that an error or a crash never leaves half a file under the user's
    /// name; a replaced file keeps its permission bits. A target that is not a regular file
    /// (a terminal, /dev/null, a FIFO) is written straight into, since a rename would
    /// replace the device or pipe itself; a regular file without any write permission bit
    /// is refused, as the shell's `>` would.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let stream = try Stream(path)
        try stream.append(bytes)
        try stream.finish()
    }

    /// A file written piece by piece as it is made (a recording), which appears under its
    /// name whole or not at all, as with `write`: the pieces go to a temporary file beside
    /// the target, renamed over it by `finish`. Until then nothing is held in memory, and
    /// `discard` (or releasing an unfinished stream) removes the temporary file. A target
    /// that is not a regular file is written straight into.
    public final class Stream {
        private let name: String
        private var descriptor: Int32
        /// The temporary file and the path it is renamed to; nil for a target written in place.
        private let temporary: (path: String, target: String)?

        /// Opens the stream for `path`; throws what `write` would refuse.
        public init(_ path: String) throws {
            name = path
            switch try target(path) {
            case .special:
                descriptor = open(path, O_WRONLY | O_CLOEXEC)
                guard descriptor >= 0 else { throw failure(path) }
                temporary = nil
            case .file(let resolved, let mode):
                let fileName = (resolved as NSString).lastPathComponent
                var template = Array("\(directory(of: resolved))/.\(fileName).XXXXXX".utf8CString)
                descriptor = mkstemp(&template)
                guard descriptor >= 0 else { throw failure(path) }
                // mkstemp filled in the X's; the array still ends with its NUL.
                let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
                temporary = (path, resolved)
                // mkstemp makes the file readable by its owner only.
                guard fchmod(descriptor, mode) == 0 else {
                    let error = failure(name)
                    discard()
                    throw error
                }
            }
        }

        deinit { discard() }

        /// Appends `bytes`; on a failure the stream is discarded.
        public func append(_ bytes: [UInt8]) throws {
            guard descriptor >= 0 else { throw GateError("\(name): cannot write: the file is closed") }
            var written = 0
            while written < bytes.count {
                let count = bytes.withUnsafeBytes { raw in
                    raw.baseAddress.map { Foundation.write(descriptor, $0 + written, bytes.count - written) } ?? 0
                }
                if count < 0 {
                    if errno == EINTR { continue }
                    let error = failure(name)
                    discard()
                    throw error
                }
                written += count
            }
        }

        /// Closes the file and puts it in place under its name.
        public func finish() throws {
            guard descriptor >= 0 else { throw GateError("\(name): cannot write: the file is closed") }
            let closed = close(descriptor)
            descriptor = -1
            guard closed == 0, temporary.map({ rename($0.path, $0.target) == 0 }) ?? true else {
                let error = failure(name)
                if let temporary { unlink(temporary.path) }
                throw error
            }
        }

        /// Closes the file and removes the temporary one: nothing is left under the name.
        public func discard() {
            guard descriptor >= 0 else { return }
            close(descriptor)
            descriptor = -1
            if let temporary { unlink(temporary.path) }
        }
    }

    /// Refuses a path `write` would refuse, so that a command can check before long work:
    /// an empty name, a directory, a read-only file, a missing or unwritable directory.
    public static func checkWritable(_ path: String) throws {
        _ = try target(path)
    }

    fileprivate enum Target {
        /// Not a regular file: written in place.
        case special
        /// A regular file (or none yet) at `path`, to be replaced with permission bits `mode`.
        case file(path: String, mode: mode_t)
    }

    fileprivate static func target(_ path: String) throws -> Target {
        guard !path.isEmpty else { throw GateError("the output file name is empty") }
        var status = stat()
        guard stat(path, &status) == 0 else {
            guard errno == ENOENT else { throw failure(path) }
            try checkDirectory(of: path, name: path)
            let mask = umask(0)
            umask(mask)
            return .file(path: path, mode: 0o666 & ~mask)
        }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: throw GateError("\(path): cannot write: is a directory")
        case S_IFREG: break
        default: return .special
        }
        guard status.st_mode & 0o222 != 0 else { throw GateError("\(path) is read-only") }
        // Through a symbolic link, the file it names is replaced and the link kept.
        let resolved = realpath(path, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        } ?? path
        try checkDirectory(of: resolved, name: path)
        return .file(path: resolved, mode: status.st_mode & 0o7777)
    }

    /// The temporary file is made in the target's directory, so that must exist and be writable.
    private static func checkDirectory(of path: String, name: String) throws {
        let directory = self.directory(of: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw GateError("\(name): cannot write: directory \(directory) does not exist")
        }
        guard access(directory, W_OK) == 0 else {
            throw GateError("\(name): cannot write: directory \(directory) is not writable")
        }
    }

    fileprivate static func directory(of path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }

    /// The message for the failure `errno` describes.
    fileprivate static func failure(_ path: String) -> GateError {
        GateError("\(path): cannot write: \(String(cString: strerror(errno)))")
    }
}
