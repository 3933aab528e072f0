import GateCore

/// The visualizer as a value: a scenario traced once per cell kind, the state of the
/// screen (step, playback, selection, toggles), a pure `update`, and a `view` that draws
/// the whole frame from that state.
public struct GateScopeApp: Program {
    public private(set) var capabilities: Capabilities
    public let theme: Theme
    /// The language of the screen's words.
    public let language: Language
    /// Its words (`tr`, `trn`), in ASCII for a terminal without UTF-8.
    var catalogue: Catalogue { .builtin(language, ascii: !capabilities.unicode) }
    public private(set) var width: Int
    public private(set) var height: Int

    /// Traced scenarios by cell kind, so that Tab back to a kind costs nothing.
    var variants: [CellKind: Loaded]
    /// The kind on screen (a key of `variants`).
    public private(set) var cell: CellKind
    /// The step shown, 0-based (the screen says "step t+1/T").
    public internal(set) var step = 0
    public internal(set) var isPlaying = false
    public private(set) var speedIndex = 2
    /// Steps owed by ticks but not yet taken: playback keeps the fraction between ticks.
    public private(set) var pendingSteps = 0.0
    public internal(set) var layer = 0
    /// The direction shown on a bidirectional layer (`r` switches); the reverse pass steps
    /// from the last step to the first.
    public private(set) var direction: Direction = .forward
    public internal(set) var unit = 0
    /// The first unit row shown in the table when H is taller than the screen.
    public private(set) var scroll = 0
    public internal(set) var showsNumbers = true
    /// The gradient-flow panel in place of the heatmaps (`d`), or nil for the heatmaps.
    public internal(set) var gradientPlot: GradientPlot?
    /// What colours the input text under the body (`t`): the selected unit's c or h; nil
    /// when the text panel is off.
    var textColouring: Quantity?
    /// The right-hand panel (`v`): the equations, the cell diagram, or nothing.
    public internal(set) var sidePanel = SidePanel.equations
    /// LSTM | GRU | RNN on the same input in the main area (`s`, SideBySide.swift).
    public internal(set) var showsSideBySide = false
    /// The heatmaps show the poked run minus the unpoked one (`D`, while there are pokes).
    public internal(set) var showsHeatmapDifference = false
    /// Why a cell kind could not be built for Tab or for the gradient comparison, so that a
    /// failing `makeVariant` is not called again on every key.
    var variantErrors: [CellKind: String] = [:]
    /// The computation the screen waits for (Tab to a kind not traced yet, the gradient
    /// panel's curves), done by a job off the update loop; nil when idle.
    public internal(set) var working: Working?
    /// Jobs asked for so far: the next one's id.
    var jobsStarted = 0
    public private(set) var showsHelp = false
    /// The first line of the help screen shown, when it is taller than the window.
    public private(set) var helpScroll = 0
    /// A one-line note on what the last key did; cleared by the next key.
    public internal(set) var status: String?
    /// Said after `status` when the line has room for both (what to notice in a new cell).
    public private(set) var statusRemark: String?
    /// In lesson mode, what the header, footer and help say of the lesson (`LessonApp`).
    var lesson: LessonChrome?
    /// Column symbols a lesson's beat marks in the table's titles (f, c, …).
    var highlightedColumns: Set<String> = []
    /// The pokes made in the run on screen (`p`, or the command line's), in order; empty
    /// for the model's own run.
    public internal(set) var pokes: [Poke] = []
    /// The model's own run of the kind on screen while there are pokes: what the ghost
    /// marks, the Δ and the answer's "before" read.
    var baseline: Loaded?
    /// The poke menu, when open.
    public internal(set) var pokeMenu: PokeMenu?
    /// How every run is held when not as `TraceHolding.choose` decides: tests keep short
    /// sequences at checkpoints with it.
    let forcedHolding: TraceHolding?

    /// Playback speeds in steps per second, changed with + and -.
    public static let speeds = [1, 2, 4, 8, 16]

    /// Traces `scenario`, with `pokes` made, and opens at its first step. Throws when the
    /// model cannot run on the scenario's inputs or a poke does not fit. `progress` hears of
    /// the first trace's steps (a large model takes seconds) and may stop it
    /// (`CancellationError`). A long sequence is kept at checkpoints (`TraceHolding`), unless
    /// `holding` says how to hold it.
    public init(scenario: Scenario, pokes: [Poke] = [], capabilities: Capabilities, theme: Theme = .standard,
                language: Language = .english, width: Int = 80, height: Int = 24, holding: TraceHolding? = nil,
                progress: WorkProgress? = nil) throws {
        let loaded = try Loaded(scenario, holding: holding, progress: progress)
        forcedHolding = holding
        self.capabilities = capabilities
        self.theme = theme
        self.language = language
        self.width = max(0, width)
        self.height = max(0, height)
        cell = loaded.cell
        variants = [loaded.cell: loaded]
        // Open on the unit the description talks about.
        if let watched = scenario.watchedUnit { select(unit: watched) }
        if !pokes.isEmpty { try applyPokes(pokes) }
    }

    /// The same screen for a terminal with these capabilities and size. `show` traces the
    /// scenario (which can take seconds for a large model) before it takes the terminal, so
    /// that meanwhile the shell's screen stays and Ctrl-C or a signal ends it plainly, and
    /// learns the terminal's capabilities after.
    public func opened(capabilities: Capabilities, width: Int, height: Int) -> GateScopeApp {
        var app = self
        app.capabilities = capabilities
        app.width = max(0, width)
        app.height = max(0, height)
        return app
    }

    var current: Loaded {
        // `cell` is only ever set to a key of `variants`.
        guard let loaded = variants[cell] else { preconditionFailure("no trace for \(cell)") }
        return loaded
    }

    public var scenario: Scenario { current.scenario }
    /// The run on screen, by the sequence's steps (a window of a long one).
    var trace: ShownTrace { current.trace }
    /// The sequence's length.
    public var stepCount: Int { trace.steps }
    /// The kind of the layer on screen: its columns, equations and titles (in a hybrid stack
    /// each layer has its own).
    var shownCell: CellKind { trace.cell(layer: layer) }
    /// The units of the layer on screen.
    var shownUnits: Int { trace.hiddenSize(layer: layer) }
    /// +1 going forward, -1 on a reverse pass: the way the step keys and playback move.
    var stepSign: Int { direction == .reverse ? -1 : 1 }
    /// The first and last step of the direction shown.
    var firstStep: Int { direction == .reverse ? lastStep : 0 }
    var finalStep: Int { direction == .reverse ? 0 : lastStep }
    public var speed: Int { GateScopeApp.speeds[speedIndex] }
    var lastStep: Int { max(0, trace.steps - 1) }
    var glyphs: Glyphs { Glyphs(unicode: capabilities.unicode) }

    /// Ticks only while playing, one per step, and while working, to turn the spinner; an
    /// idle screen waits for keys and uses no CPU.
    public var tickInterval: Double? {
        let playing = isPlaying ? 1 / Double(speed) : nil
        guard working != nil else { return playing }
        return min(playing ?? Self.spinnerInterval, Self.spinnerInterval)
    }

    // MARK: Update

    public mutating func update(_ message: Message) -> Command {
        let plotBefore = gradientPlot
        let command = handle(message)
        // Whatever the message did, every run on screen holds the step shown, and then the
        // gradient panel has its curves: a key may have changed the cell, the layer or the
        // plot, and a window that moved has new ones. Cancelling their job goes back to the
        // plot before the message.
        guard command == .none, working == nil else { return command }
        let held = holdStep()
        return held == .none ? prepareGradients(restoring: plotBefore) : held
    }

    private mutating func handle(_ message: Message) -> Command {
        switch message {
        case .resize(let newWidth, let newHeight):
            // A status naming the old size is said again for the new one, or goes once the
            // panel fits: it would hide the footer for nothing.
            let namesSize = status != nil && status == sidePanelRoomStatus()
            width = max(0, newWidth)
            height = max(0, newHeight)
            keepSelectionVisible()
            if namesSize { status = sidePanelRoomStatus() }
        case .tick(let seconds):
            advance(bySeconds: seconds)
            working?.ticks += 1
        case .click(let x, let y):
            guard working == nil else { break }
            status = nil
            statusRemark = nil
            return click(x: x, y: y)
        case .key(let key):
            if let working { return pressWhileWorking(key, working) }
            status = nil
            statusRemark = nil
            return press(key)
        case .progress(let job, let fraction):
            if working?.job == job { working?.fraction = fraction }
        case .finished(let outcome):
            return finish(outcome)
        }
        return .none
    }

    private mutating func press(_ key: Key) -> Command {
        if key == .interrupt || key == .character("q") { return .quit }
        if showsHelp {
            switch key {
            case .escape, .character("?"): showsHelp = false
            case .down, .character("j"): scrollHelp(by: 1)
            case .up, .character("k"): scrollHelp(by: -1)
            case .pageDown: scrollHelp(by: max(1, height - 2))
            case .pageUp: scrollHelp(by: -max(1, height - 2))
            default: break
            }
            return .none
        }
        if pokeMenu != nil { return pressInPokeMenu(key) }
        switch key {
        case .right, .character("l"): return goTo(step + stepSign)
        case .left, .character("h"): return goTo(step - stepSign)
        case .home, .character("g"): return goTo(firstStep)
        case .end, .character("G"): return goTo(finalStep)
        case .character("r"): switchDirection()
        case .character(" "): togglePlayback()
        case .character("+"), .character("="): changeSpeed(by: 1)
        case .character("-"), .character("_"): changeSpeed(by: -1)
        case .down, .character("j"): select(unit: unit + 1)
        case .up, .character("k"): select(unit: unit - 1)
        case .pageDown: page(by: 1)
        case .pageUp: page(by: -1)
        case .tab:
            dropPokes()
            return switchCell(to: cell.next)
        case .backTab:
            dropPokes()
            return switchCell(to: cell.next.next)
        case .character("p"): openPokeMenu()
        case .character("s"): return toggleSideBySide()
        case .character("D"): toggleHeatmapDifference()
        case .character("u"): return undoPoke()
        case .character("U"): clearPokes()
        case .character("]"): select(layer: layer + 1)
        case .character("["): select(layer: layer - 1)
        case .character("n"): showsNumbers.toggle()
        case .character("d"): cycleGradientPlot()
        case .character("v"): cycleSidePanel()
        case .character("t"): cycleTextColouring()
        case .character("?"):
            showsHelp = true
            helpScroll = 0
        case .escape: return .quit
        default: status = tr("that key does nothing here · ? lists the keys")
        }
        return .none
    }

    /// Moving by hand takes over from playback. A step past the checkpoints computed so far
    /// (a long sequence's far end) is shown once a job has computed them: the screen stays
    /// on this step meanwhile, saying how far the job is.
    mutating func goTo(_ target: Int) -> Command {
        isPlaying = false
        pendingSteps = 0
        let target = min(max(target, 0), lastStep)
        guard runsOnScreen.allSatisfy({ $0.canHoldAtOnce(target) }) else { return startHolding(target) }
        step = target
        return holdStep()
    }

    /// A job that computes the checkpoints every run on screen needs to hold `target`, then
    /// shows it.
    private mutating func startHolding(_ target: Int) -> Command {
        startWork(holdPreparations(at: target), title: tr("computing the checkpoints to step {1}", target + 1),
                  purpose: .goTo(step: target))
    }

    /// The runs a frame reads: the kind on screen, its unpoked run, and the kinds side by side.
    private var runsOnScreen: [Loaded] {
        [current] + (baseline.map { [$0] } ?? []) + (showsSideBySide ? sideBySideKinds.compactMap { variants[$0] } : [])
    }

    /// The jobs' parts that move every run on screen to hold `target`.
    func holdPreparations(at target: Int) -> [Preparation] {
        [.hold(cell, step: target)] + (baseline != nil ? [.holdBaseline(step: target)] : [])
            + (showsSideBySide ? sideBySideKinds.filter { $0 != cell }.map { .hold($0, step: target) } : [])
    }

    /// Moves the window of every run on screen to hold the step, at once where the
    /// checkpoints are ready (stepping and playing on from a window always find them),
    /// else by a job.
    private mutating func holdStep() -> Command {
        guard runsOnScreen.allSatisfy({ $0.canHoldAtOnce(step) }) else {
            isPlaying = false
            return startHolding(step)
        }
        do {
            try variants[cell]?.hold(step)
            try baseline?.hold(step)
            if showsSideBySide {
                for kind in sideBySideKinds where kind != cell { try variants[kind]?.hold(step) }
            }
        } catch {
            status = "\(error)"
        }
        return .none
    }

    private mutating func togglePlayback() {
        if isPlaying {
            isPlaying = false
            return
        }
        if step == finalStep { step = firstStep }
        isPlaying = true
        pendingSteps = 0
    }

    private mutating func changeSpeed(by delta: Int) {
        speedIndex = min(max(speedIndex + delta, 0), GateScopeApp.speeds.count - 1)
        status = trn("{1} step per second", "{1} steps per second", speed)
    }

    private mutating func advance(bySeconds seconds: Double) {
        guard isPlaying, seconds.isFinite, seconds > 0 else { return }
        pendingSteps += seconds * Double(speed)
        let whole = pendingSteps.rounded(.down)
        let remaining = (finalStep - step) * stepSign
        if whole >= Double(remaining) {
            step = finalStep
            isPlaying = false
            pendingSteps = 0
        } else {
            step += Int(whole) * stepSign
            pendingSteps -= whole
        }
    }

    mutating func select(unit target: Int) {
        unit = min(max(target, 0), max(0, shownUnits - 1))
        keepSelectionVisible()
    }

    private mutating func page(by direction: Int) {
        let rows = max(1, layout().table?.units.count ?? 1)
        scroll += direction * rows
        select(unit: unit + direction * rows)
    }

    private mutating func scrollHelp(by lines: Int) {
        let total = helpLines(width: width).count
        helpScroll = min(max(helpScroll + lines, 0), max(0, total - (height - 1)))
    }

    private mutating func select(layer target: Int) {
        let count = trace.layerCount
        guard count > 1 else {
            status = tr("this model has one layer")
            return
        }
        layer = min(max(target, 0), count - 1)
        if !trace.stack[layer].isBidirectional { direction = .forward }
        select(unit: unit)
        status = tr("layer {1} of {2}", layer + 1, count) + (trace.isHybrid ? ": \(shownCell.displayName)" : "")
            + (trace.stack[layer].isBidirectional
                ? ", " + (direction == .reverse ? tr("reverse (r switches)") : tr("forward (r switches)")) : "")
    }

    /// r: the other direction of a bidirectional layer, from its own first step.
    private mutating func switchDirection() {
        guard trace.stack[layer].isBidirectional else {
            status = tr("layer {1} runs forward only; r switches the direction of a bidirectional layer", layer + 1)
            return
        }
        direction = direction == .forward ? .reverse : .forward
        isPlaying = false
        pendingSteps = 0
        step = firstStep
        status = direction == .reverse ? tr("reverse pass: it steps from the last step to the first")
            : tr("forward pass: it steps from the first step to the last")
    }

    /// Tab: the kind at once when traced, else a job that traces it (`completeSwitch` then).
    private mutating func switchCell(to kind: CellKind) -> Command {
        guard scenario.makeVariant != nil || variants[kind] != nil else {
            let parts = scenario.model.pipelineParts
            status = parts.isEmpty ? tr("this model is a {1}; it has no other cell kind", cell.displayName)
                : tr("Tab swaps the kind of a plain stack; this model has {1}", parts.joined(separator: ", "))
            return .none
        }
        if variants[kind] == nil, variantErrors[kind] == nil {
            return startWork([.trace(kind), .hold(kind, step: step)], title: tr("tracing the {1}", kind.displayName),
                             purpose: .switchCell(to: kind))
        }
        // A kind traced before, its window elsewhere in a long sequence: moved before it shows.
        if let loaded = variants[kind], !loaded.canHoldAtOnce(step) {
            return startWork([.hold(kind, step: step)], title: tr("computing the checkpoints to step {1}", step + 1),
                             purpose: .switchCell(to: kind))
        }
        completeSwitch(to: kind)
        return .none
    }

    /// Shows `kind`, traced (or known to fail: then the status says why).
    mutating func completeSwitch(to kind: CellKind) {
        let from = cell
        // The kind actually traced, so that the header names a reset-before GRU as such.
        guard let traced = variants[kind]?.cell else {
            status = "\(kind.displayName): \(variantErrors[kind] ?? tr("not traced"))"
            return
        }
        cell = traced
        step = min(step, lastStep)
        layer = min(layer, max(0, trace.layerCount - 1))
        // A demo's own memory unit, which its description names; else the same unit.
        select(unit: scenario.watchedUnit ?? unit)
        let note = tr(scenario.variantNote(cell))
        status = "\(from.displayName) \(glyphs.arrow) \(cell.displayName)" + (note.isEmpty ? "" : ": \(note)")
        statusRemark = cellSummary(cell)
    }

    /// v: equations → diagram → nothing; says so when the window has no room for the panel.
    private mutating func cycleSidePanel() {
        sidePanel = sidePanel.next
        status = sidePanelRoomStatus()
    }

    /// "no room for the equations at 80×24 · …" when the side panel is on but the window
    /// has no place for it, else nil.
    private func sidePanelRoomStatus() -> String? {
        guard sidePanel != .none else { return nil }
        let layout = layout()
        guard layout.screen == .main, layout.sidePanel == nil else { return nil }
        let size = "\(width)\(glyphs.unicode ? "×" : "x")\(height)"
        // Wide enough, the panel still needs rows beside or below the table: a taller window.
        if width >= Layout.sidePanelBesideHeatmapsWidth {
            return sidePanel == .diagram
                ? tr("no room for the cell diagram at {1} · it needs a taller window", size)
                : tr("no room for the equations at {1} · it needs a taller window", size)
        }
        return sidePanel == .diagram
            ? tr("no room for the cell diagram at {1} · it needs {2} columns or more", size, Layout.sidePanelBesideHeatmapsWidth)
            : tr("no room for the equations at {1} · it needs {2} columns or more", size, Layout.sidePanelBesideHeatmapsWidth)
    }

    /// d: heatmaps → gradient flow → (for a model with a loss) the loss's gradient → heatmaps.
    private mutating func cycleGradientPlot() {
        switch gradientPlot {
        case nil: gradientPlot = .dependence
        case .dependence?: gradientPlot = current.isLossBased ? .loss : nil
        case .loss?: gradientPlot = nil
        }
    }

    /// Makes sure the curves the gradient panel shows are computed, once per traced
    /// scenario and layer, so that drawing a frame only reads them: what is cheap at once,
    /// the rest by a job (`restore` is the plot to go back to if it is cancelled). Runs after
    /// every key: one that changes the cell or the layer may need new curves.
    mutating func prepareGradients(restoring restore: GradientPlot?) -> Command {
        guard working == nil, var plot = gradientPlot else { return .none }
        // Whether the model has a loss decides what the next d shows, and whether the loss
        // can be plotted at all.
        guard variants[cell]?.gradients.report != nil else {
            return startGradientWork([.report(cell)] + missingPreparations(plot), plot: plot, restoring: restore)
        }
        if plot == .loss, !current.isLossBased {
            plot = .dependence
            gradientPlot = plot
        }
        if plot == .loss {
            for kind in comparedKinds { variants[kind]?.deriveLossCurves(layer: layer, direction: direction) }
        }
        let missing = missingPreparations(plot)
        return missing.isEmpty ? .none : startGradientWork(missing, plot: plot, restoring: restore)
    }

    /// What the compared kinds still lack for `plot` at the current layer: a trace, then the
    /// loss's report or the sensitivity.
    private func missingPreparations(_ plot: GradientPlot) -> [Preparation] {
        comparedKinds.flatMap { kind -> [Preparation] in
            guard variantErrors[kind] == nil else { return [] }
            let loaded = variants[kind]
            let trace: [Preparation] = loaded == nil ? [.trace(kind)] : []
            switch plot {
            case .dependence:
                return loaded?.curves(.dependence, layer: layer, direction: direction) == nil
                    ? trace + [.sensitivity(kind, layer: layer, direction: direction)] : []
            case .loss:
                return loaded?.gradients.report == nil && kind != cell ? trace + [.report(kind)] : trace
            }
        }
    }

    private mutating func startGradientWork(_ preparations: [Preparation], plot: GradientPlot,
                                            restoring restore: GradientPlot?) -> Command {
        // Cancelling goes back to the plot before the key, or to the heatmaps if that was this one.
        startWork(preparations, title: plot == .loss ? tr("computing the loss gradient") : tr("computing the gradient flow"),
                  purpose: .gradients(restore: restore == plot ? nil : restore))
    }

    /// What a student should notice right after switching to `kind`.
    func cellSummary(_ kind: CellKind) -> String {
        switch kind {
        case .lstm: tr("3 gates and a cell state c that the output gate filters")
        case .gru, .gruResetBefore: tr("2 gates and no c; its whole state is h")
        case .rnn: tr("no gates; {1}", "h = tanh(W x + U \(glyphs.previous("h")) + b)")
        }
    }

    private mutating func click(x: Int, y: Int) -> Command {
        guard !showsHelp else { return .none }
        switch layout().hit(x: x, y: y) {
        case .unitRow(let target):
            select(unit: target)
        case .heatmapCell(let target, let t):
            select(unit: target)
            return goTo(t)
        case .step(let t):
            return goTo(t)
        case nil:
            break
        }
        return .none
    }

    /// Stores the table's scroll position so that the selected unit stays on screen.
    private mutating func keepSelectionVisible() {
        unit = min(unit, max(0, shownUnits - 1))
        if let units = layout().table?.units { scroll = units.lowerBound }
    }
}
