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
        switch try target(path) {
        case .special:
            let descriptor = open(path, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw failure(path) }
            try writeAll(bytes, to: descriptor, name: path)
        case .file(let resolved, let mode):
            try replace(resolved, mode: mode, with: bytes, name: path)
        }
    }

    /// The check every command that writes a file runs before any work. It refuses a path
    /// `write` would refuse (an empty name, a directory, a read-only file, a missing or
    /// unwritable directory); then no `inputs` entry may be the same file as `path` (same device and inode, after
    /// following symbolic links, so a link or a hard link to an input is caught too), since
    /// replacing it would destroy what the command reads; and unless `replacing`, `path`
    /// must not name an existing regular file. `option` and each input's `option` name
    /// the flags in the message, as the user typed them.
    public static func checkOutput(_ path: String, option: String, inputs: [(option: String, path: String)],
                                   replacing: Bool = true) throws {
        let target = try target(path)
        var output = stat()
        // A name that does not exist yet cannot be an input.
        guard stat(path, &output) == 0 else { return }
        for input in inputs {
            var status = stat()
            if stat(input.path, &status) == 0, status.st_dev == output.st_dev, status.st_ino == output.st_ino {
                throw GateError("\(option) \(path) is the same file as \(input.option) \(input.path): writing it would destroy the input; choose another output file")
            }
        }
        if !replacing, case .file = target {
            throw GateError("\(option) \(path) already exists; give --force to replace it")
        }
    }

    private enum Target {
        /// Not a regular file: written in place.
        case special
        /// A regular file (or none yet) at `path`, to be replaced with permission bits `mode`.
        case file(path: String, mode: mode_t)
    }

    private static func target(_ path: String) throws -> Target {
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

    private static func directory(of path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }

    private static func replace(_ path: String, mode: mode_t, with bytes: [UInt8], name: String) throws {
        let fileName = (path as NSString).lastPathComponent
        var template = Array("\(directory(of: path))/.\(fileName).XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else { throw failure(name) }
        // mkstemp filled in the X's; the array still ends with its NUL.
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        // mkstemp makes the file readable by its owner only.
        guard fchmod(descriptor, mode) == 0 else {
            let error = failure(name)
            close(descriptor)
            throw error
        }
        try writeAll(bytes, to: descriptor, name: name)
        guard rename(temporary, path) == 0 else { throw failure(name) }
        renamed = true
    }

    /// Writes every byte, retrying short and interrupted writes, then closes `descriptor`.
    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, name: String) throws {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let error = failure(name)
                close(descriptor)
                throw error
            }
            written += count
        }
        guard close(descriptor) == 0 else { throw failure(name) }
    }

    /// The message for the failure `errno` describes.
    private static func failure(_ path: String) -> GateError {
        GateError("\(path): cannot write: \(String(cString: strerror(errno)))")
    }
}
