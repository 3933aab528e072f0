import Foundation

/// The lessons that ship with gatescope, in Sources/GateCore/Lessons/en (one per claim a
/// student should test). LessonFiles.swift carries them into the binary.
public enum BuiltinLessons {
    /// Every built-in lesson, in the order of their file names ("1-lstm-gates.yaml", …).
    public static func all() throws -> [Lesson] {
        try LessonFiles.base64.map { file in
            guard let data = Data(base64Encoded: file.text), let text = String(data: data, encoding: .utf8) else {
                throw GateError("the built-in lesson \(file.name) is damaged in this build of gatescope")
            }
            return try Lesson.parse(text, source: "built-in \(file.name)", folder: nil)
        }
    }

    /// The built-in lesson called `name`.
    public static func named(_ name: String) throws -> Lesson {
        let lessons = try all()
        guard let lesson = lessons.first(where: { $0.name == name }) else {
            throw GateError("no built-in lesson '\(name)': expected one of \(lessons.map(\.name).joined(separator: ", ")), or a lesson file")
        }
        return lesson
    }

    /// A built-in lesson's name, or else a lesson file's path.
    public static func open(_ nameOrPath: String) throws -> Lesson {
        if try all().contains(where: { $0.name == nameOrPath }) { return try named(nameOrPath) }
        guard nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") || nameOrPath.contains("/") else {
            return try named(nameOrPath)
        }
        return try Lesson.load(path: nameOrPath)
    }
}
