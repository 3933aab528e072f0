import Foundation
import Testing
@testable import GateCore

/// The binary carries the demo models (DemoFiles.swift); they must be the committed files,
/// or a retrained demo would ship stale. Regenerate with `python3 Tools/embed_demos.py`.
@Test func embeddedDemosAreTheCommittedFiles() throws {
    let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/GateCore/Demos")
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        .filter { $0.hasSuffix(".safetensors") }
    #expect(Set(names) == Set(DemoFiles.base64.keys))
    for name in names {
        let onDisk = try Data(contentsOf: folder.appendingPathComponent(name))
        #expect(Data(base64Encoded: DemoFiles.base64[name] ?? "") == onDisk, "\(name) differs: run Tools/embed_demos.py")
    }
}
