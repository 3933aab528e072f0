// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "gatescope",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "gatescope", targets: ["gatescope"]),
        .library(name: "GateCore", targets: ["GateCore"]),
        .library(name: "GateView", targets: ["GateView"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The zip container of torch.save files.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        // The lesson files (YAML, with line marks for error messages).
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        // The protobuf wire format of .onnx models (message code generated once, in Files/ONNX).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // The C macros and globals of ncursesw that Swift cannot import directly.
        .systemLibrary(name: "CNcurses", path: "CNcurses"),
        // The inner loops of the math (matrix products, sigmoid, tanh), AVX2 + FMA when the CPU has them.
        .target(name: "CKernels"),
        // The signal flag and its handler, defined once (a header's `static` would give each
        // object file its own copy).
        .target(name: "CTerminalSignals"),
        // The math: cells, traces, gradients, training, tasks, model files. No UI.
        // Demos/ holds the trained demo files; DemoFiles.swift carries them into the binary.
        // Lessons/en/ holds the built-in lessons, es/ pt/ zh/ de/ their translations;
        // LessonFiles.swift carries them.
        .target(
            name: "GateCore",
            dependencies: [
                "CKernels",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["Demos", "Lessons/en", "Lessons/es", "Lessons/pt", "Lessons/zh", "Lessons/de"]
        ),
        // The screen as data: state, messages, update, view into a cell buffer. No curses.
        // Localization/po/ holds the interface's translations; TranslationFiles.swift carries them.
        .target(name: "GateView", dependencies: ["GateCore"], exclude: ["Localization/po"]),
        // The only module that touches the terminal.
        .target(name: "CursesTerminal", dependencies: ["CNcurses", "CTerminalSignals", "GateCore", "GateView"]),
        .executableTarget(
            name: "gatescope",
            dependencies: [
                "GateCore", "GateView", "CursesTerminal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // ZIPFoundation writes the hand-made torch.save archives of the hostile-file tests.
        .testTarget(
            name: "GateCoreTests",
            dependencies: ["GateCore", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .testTarget(name: "GateViewTests", dependencies: ["GateView"], exclude: ["Golden"]),
        .testTarget(name: "CursesTerminalTests", dependencies: ["CursesTerminal", "CTerminalSignals"]),
        .testTarget(name: "EndToEndTests", dependencies: ["GateCore"]),
    ],
    swiftLanguageModes: [.v6]
)
