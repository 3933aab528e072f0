import GateCore

/// Key scripts for headless rendering: `"l l Tab ? Esc space +"`, one key per
/// whitespace-separated token.
public enum KeyScript {
    /// Names of keys that are not a single character (matched case-insensitively).
    public static let names: [String: Key] = [
        "space": .character(" "), "tab": .tab, "backtab": .backTab, "shift-tab": .backTab,
        "esc": .escape, "escape": .escape, "enter": .enter, "return": .enter,
        "backspace": .backspace, "left": .left, "right": .right, "up": .up, "down": .down,
        "home": .home, "end": .end, "pgup": .pageUp, "pageup": .pageUp,
        "pgdn": .pageDown, "pagedown": .pageDown, "ctrl-c": .interrupt,
    ]

    /// A single character stands for itself (`g` and `G` differ); longer tokens must be
    /// key names. Throws a GateError naming the first token that is neither.
    public static func parse(_ script: String) throws -> [Key] {
        let tokens = script.split(whereSeparator: \.isWhitespace)
        return try tokens.enumerated().map { index, token in
            if token.count == 1, let character = token.first { return .character(character) }
            if let key = names[token.lowercased()] { return key }
            throw GateError("--keys: unknown key \"\(token)\" (token \(index + 1)); use a single character"
                + " or one of: space tab esc enter left right up down home end pgup pgdn")
        }
    }
}

extension GateScopeApp {
    /// The largest frame `render` draws, so that a typo cannot ask for gigabytes.
    public static let maximumRenderSize = 1000

    /// Throws when a frame size is not between 1 and `maximumRenderSize`, naming the flag.
    public static func checkRenderSize(width: Int, height: Int) throws {
        for (flag, value) in [("--width", width), ("--height", height)]
        where !(1...maximumRenderSize).contains(value) {
            throw GateError("\(flag) \(value): must be between 1 and \(maximumRenderSize)")
        }
    }

    /// The frame the visualizer would show at `width` × `height`, opened at `step`
    /// (1-based, as the screen counts) and after pressing `keys`. Keys after one that quits
    /// are not pressed: the frame is the last one the user would have seen. Work a key asks
    /// for (the gradient panel's curves) is done before the next key: the frame is finished.
    public static func renderFrame(scenario: Scenario, pokes: [Poke] = [], width: Int, height: Int, step: Int? = nil,
                                   keys: [Key] = [], capabilities: Capabilities,
                                   theme: Theme = .standard, language: Language = .english,
                                   holding: TraceHolding? = nil) throws -> Buffer {
        try checkRenderSize(width: width, height: height)
        var app = try GateScopeApp(scenario: scenario, pokes: pokes, capabilities: capabilities, theme: theme,
                                   language: language, width: width, height: height, holding: holding)
        if let step {
            guard (1...max(1, app.stepCount)).contains(step), app.stepCount > 0 else {
                throw GateError("--step \(step): the input has \(Wording.count(app.stepCount, "step")), so it must be"
                    + " between 1 and \(app.stepCount)")
            }
            // A far step of a long sequence needs its checkpoints: computed here, to the end.
            _ = app.finishingWork(app.goTo(step - 1))
        }
        for key in keys where app.updateFinishingWork(.key(key)) == .quit { break }
        var buffer = Buffer(width: width, height: height)
        app.view(into: &buffer)
        return buffer
    }
}
