import Foundation

/// The one writer of every file gatescope makes (traces, models): whole or not at all.
/// Names go to the system as the bytes the user gave (`LocalFile.systemName`), so a name
/// that is not UTF-8 is written exactly as typed.
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
        /// The name as the user gave it, for messages.
        private let path: String
        private var descriptor: Int32
        /// The temporary file and the name it is renamed to; nil for a target written in place.
        private let temporary: (name: [CChar], target: [CChar])?

        /// Opens the stream for `path`; throws what `write` would refuse.
        public init(_ path: String) throws {
            self.path = path
            let name = try LocalFile.systemName(path)
            switch try target(path, name: name) {
            case .special:
                descriptor = open(name, O_WRONLY | O_CLOEXEC)
                guard descriptor >= 0 else { throw failure(path) }
                temporary = nil
            case .file(let resolved, let mode):
                let (directory, file) = split(resolved)
                var template = directory.dropLast() + Array("/.".utf8CString.dropLast()) + file.dropLast()
                    + Array(".XXXXXX".utf8CString)
                descriptor = mkstemp(&template)
                guard descriptor >= 0 else { throw failure(path) }
                // mkstemp filled in the X's in place; `template` names the temporary file now.
                temporary = (template, resolved)
                // mkstemp makes the file readable by its owner only.
                guard fchmod(descriptor, mode) == 0 else {
                    let error = failure(path)
                    discard()
                    throw error
                }
            }
        }

        deinit { discard() }

        /// Appends `bytes`, retrying short and interrupted writes; on a failure the stream
        /// is discarded.
        public func append(_ bytes: [UInt8]) throws {
            guard descriptor >= 0 else { throw GateError("\(path): cannot write: the file is closed") }
            var written = 0
            while written < bytes.count {
                let count = bytes.withUnsafeBytes { raw in
                    raw.baseAddress.map { Foundation.write(descriptor, $0 + written, bytes.count - written) } ?? 0
                }
                if count < 0 {
                    if errno == EINTR { continue }
                    let error = failure(path)
                    discard()
                    throw error
                }
                written += count
            }
        }

        /// Closes the file and puts it in place under its name.
        public func finish() throws {
            guard descriptor >= 0 else { throw GateError("\(path): cannot write: the file is closed") }
            let closed = close(descriptor)
            descriptor = -1
            guard closed == 0, temporary.map({ rename($0.name, $0.target) == 0 }) ?? true else {
                let error = failure(path)
                if let temporary { unlink(temporary.name) }
                throw error
            }
        }

        /// Closes the file and removes the temporary one: nothing is left under the name.
        public func discard() {
            guard descriptor >= 0 else { return }
            close(descriptor)
            descriptor = -1
            if let temporary { unlink(temporary.name) }
        }
    }

    /// The check every command that writes a file runs before any work. It refuses a path
    /// `write` would refuse (an empty name, a directory, a read-only file, a missing or
    /// unwritable directory); then no `inputs` entry may be the same file as `path` (same
    /// device and inode, after following symbolic links, so a link or a hard link to an
    /// input is caught too), since replacing it would destroy what the command reads; and
    /// unless `replacing`, `path` must not name an existing regular file. `option` and each
    /// input's `option` name the flags in the message, as the user typed them.
    public static func checkOutput(_ path: String, option: String, inputs: [(option: String, path: String)],
                                   replacing: Bool = true) throws {
        let name = try LocalFile.systemName(path)
        let target = try target(path, name: name)
        var output = stat()
        // A name that does not exist yet cannot be an input.
        guard stat(name, &output) == 0 else { return }
        for input in inputs {
            var status = stat()
            if stat(try LocalFile.systemName(input.path), &status) == 0,
               status.st_dev == output.st_dev, status.st_ino == output.st_ino {
                throw GateError("\(option) \(path) is the same file as \(input.option) \(input.path): writing it would destroy the input; choose another output file")
            }
        }
        if !replacing, case .file = target {
            throw GateError("\(option) \(path) already exists; give --force to replace it")
        }
    }

    fileprivate enum Target {
        /// Not a regular file: written in place.
        case special
        /// A regular file (or none yet) named `name`, to be replaced with permission bits `mode`.
        case file(name: [CChar], mode: mode_t)
    }

    /// What writing `path` (whose bytes are `name`) would do, or the reason it cannot.
    fileprivate static func target(_ path: String, name: [CChar]) throws -> Target {
        guard !path.isEmpty else { throw GateError("the output file name is empty") }
        var status = stat()
        guard stat(name, &status) == 0 else {
            guard errno == ENOENT else { throw failure(path) }
            try checkDirectory(of: name, path: path)
            let mask = umask(0)
            umask(mask)
            return .file(name: name, mode: 0o666 & ~mask)
        }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: throw GateError("\(path): cannot write: is a directory")
        case S_IFREG: break
        default: return .special
        }
        guard status.st_mode & 0o222 != 0 else { throw GateError("\(path) is read-only") }
        // Through a symbolic link, the file it names is replaced and the link kept.
        let resolved = realpath(name, nil).map { pointer in
            defer { free(pointer) }
            return Array(UnsafeBufferPointer(start: pointer, count: strlen(pointer) + 1))
        } ?? name
        try checkDirectory(of: resolved, path: path)
        return .file(name: resolved, mode: status.st_mode & 0o7777)
    }

    /// The temporary file is made in the target's directory, so that must exist and be writable.
    private static func checkDirectory(of name: [CChar], path: String) throws {
        let directory = split(name).directory
        let shown = String(decoding: directory.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var status = stat()
        guard stat(directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw GateError("\(path): cannot write: directory \(shown) does not exist")
        }
        guard access(directory, W_OK) == 0 else {
            throw GateError("\(path): cannot write: directory \(shown) is not writable")
        }
    }

    /// A NUL-terminated name split at its last '/': the directory ("." for none) and the
    /// file's own name, each NUL-terminated.
    fileprivate static func split(_ name: [CChar]) -> (directory: [CChar], file: [CChar]) {
        let bytes = name.dropLast()
        guard let slash = bytes.lastIndex(of: CChar(UInt8(ascii: "/"))) else { return (Array(".".utf8CString), name) }
        let directory = slash == bytes.startIndex ? [CChar(UInt8(ascii: "/"))] : Array(bytes[..<slash])
        return (directory + [0], Array(bytes[(slash + 1)...]) + [0])
    }

    /// The message for the failure `errno` describes.
    fileprivate static func failure(_ path: String) -> GateError {
        GateError("\(path): cannot write: \(String(cString: strerror(errno)))")
    }
}
