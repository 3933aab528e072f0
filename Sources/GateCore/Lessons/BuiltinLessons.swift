import Foundation

/// The lessons that ship with gatescope, in Sources/GateCore/Lessons/en (one per claim a
/// student should test), translated in the folders es, pt, zh and de under the same file
/// names. LessonFiles.swift carries them into the binary.
public enum BuiltinLessons {
    /// Every built-in lesson in `language`, in the order of the English file names
    /// ("1-lstm-gates.yaml", …); a lesson not translated into it is read in English.
    public static func all(in language: Language) throws -> [Lesson] {
        let translated = try self.translated(into: language)
        return try LessonFiles.base64.filter { $0.language == Language.english.code }.map { english in
            try translated[english.name] ?? parse(english)
        }
    }

    /// The built-in lessons in `language`'s folder, by file name (a test checks that none
    /// is missing).
    static func translated(into language: Language) throws -> [String: Lesson] {
        var lessons: [String: Lesson] = [:]
        for file in LessonFiles.base64 where file.language == language.code { lessons[file.name] = try parse(file) }
        return lessons
    }

    private static func parse(_ file: (language: String, name: String, text: String)) throws -> Lesson {
        let path = "\(file.language)/\(file.name)"
        guard let data = Data(base64Encoded: file.text), let text = String(data: data, encoding: .utf8) else {
            throw GateError("the built-in lesson \(path) is damaged in this build of gatescope")
        }
        return try Lesson.parse(text, source: "built-in \(path)", folder: nil)
    }

    /// The built-in lesson called `name`, in `language`.
    public static func named(_ name: String, in language: Language) throws -> Lesson {
        let lessons = try all(in: language)
        guard let lesson = lessons.first(where: { $0.name == name }) else {
            throw GateError("no built-in lesson '\(name)': expected one of \(lessons.map(\.name).joined(separator: ", ")), or a lesson file")
        }
        return lesson
    }

    /// A built-in lesson's name (in `language`), or else a lesson file's path.
    public static func open(_ nameOrPath: String, in language: Language) throws -> Lesson {
        if try all(in: language).contains(where: { $0.name == nameOrPath }) { return try named(nameOrPath, in: language) }
        guard nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") || nameOrPath.contains("/") else {
            return try named(nameOrPath, in: language)
        }
        return try Lesson.load(path: nameOrPath)
    }
}
