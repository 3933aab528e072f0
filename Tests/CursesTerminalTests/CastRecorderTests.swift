import Foundation
import GateView
import Testing
@testable import CursesTerminal

/// The recording file: written beside its name as the session goes, in place when it ends.
@Suite("cast recorder")
struct CastRecorderTests {
    private func scratchDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cast-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    private func frame(_ text: String) -> Buffer {
        var buffer = Buffer(width: 10, height: 2)
        buffer.put(text, x: 0, y: 0)
        return buffer
    }

    @Test("frames go to a temporary file at once; finishing puts the whole recording under its name")
    func finishing() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("demo.cast").path
        let recorder = try CastRecorder(path: path, term: "xterm")
        recorder.record(frame("step 1"))
        recorder.record(frame("step 1"))
        recorder.record(frame("step 2"))
        let during = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(during.count == 1 && during[0].hasPrefix(".demo.cast."))
        let written = try String(contentsOfFile: directory.appendingPathComponent(during[0]).path, encoding: .utf8)
        #expect(written.split(separator: "\n").count == 3, "header and two frames, as they were drawn")

        try recorder.finish()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["demo.cast"])
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("{\"version\": 2, \"width\": 10, \"height\": 2, \"timestamp\": "))
        #expect(lines[2].contains("step 2"))
    }

    @Test("a discarded recording leaves nothing; a failed write is reported when the session ends")
    func discardingAndFailing() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let recorder = try CastRecorder(path: directory.appendingPathComponent("demo.cast").path, term: nil)
        recorder.record(frame("step 1"))
        recorder.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [])

        // /dev/full takes no byte: the session goes on, the end reports it.
        let full = try CastRecorder(path: "/dev/full", term: nil)
        full.record(frame("step 1"))
        full.record(frame("step 2"))
        #expect(throws: (any Error).self) { try full.finish() }
    }
}
