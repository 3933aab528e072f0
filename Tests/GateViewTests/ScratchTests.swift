import XCTest
import GateCore
@testable import GateView

final class ScratchTests: XCTestCase {
    func testShow() throws {
        let env = ProcessInfo.processInfo.environment
        let cell = CellKind(spelling: env["CELL"] ?? "lstm") ?? .lstm
        let w = Int(env["W"] ?? "80") ?? 80, h = Int(env["H"] ?? "24") ?? 24
        var app = try Fixture.app(cell, theme: env["THEME"].flatMap(Theme.named) ?? .standard, width: w, height: h, hidden: Int(env["HID"] ?? "8") ?? 8,
                                  layers: Int(env["LAYERS"] ?? "1") ?? 1, steps: Int(env["T"] ?? "24") ?? 24,
                                  unicode: env["ASCII"] == nil, colors: env["COLOR"] == "8" ? .eight : env["COLOR"] != nil ? .full : .none)
        try app.press(env["KEYS"] ?? "")
        let f = app.frame()
        print("=====")
        print(env["COLOR"] != nil ? f.ansiText : f.plainText)
        print("=====")
    }
}
