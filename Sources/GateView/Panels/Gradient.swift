import Foundation
import GateCore

/// What the gradient panel (`d`) plots against t, on a log scale.
public enum GradientPlot: Sendable, Equatable {
    /// How much the last state still depends on h_t (and c_t): ‖uᵀ∂h_T/∂h_t‖ from
    /// `RecurrentModel.sensitivity`, 1 at the last step by construction, the same quantity
    /// for every cell kind and every model.
    case dependence
    /// ‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖) of the next-symbol loss, as `trace --grad` reports it for a
    /// text model with a head; offered only for such models.
    case loss
}

/// One layer's gradient flow along the sequence (or the window held of a long one), as
/// the panel plots it.
struct FlowCurves: Sendable {
    /// The sequence's step of the curves' first value: 0, or the window's first step.
    let firstStep: Int
    /// Per step t from `firstStep`.
    let hidden: [Float]
    /// Per step t from `firstStep` for the LSTM, else empty.
    let cell: [Float]
    /// The extremes over both curves, for the log axis: the smallest value above zero, the
    /// largest finite one, and whether some value is exactly zero.
    let smallestPositive: Float?
    let largest: Float?
    let hasZero: Bool

    init(_ flow: GradientFlow, layer: Int, firstStep: Int) {
        self.firstStep = firstStep
        func column(_ rows: [[Float]]) -> [Float] { rows.map { $0.indices.contains(layer) ? $0[layer] : .nan } }
        hidden = column(flow.hidden)
        cell = column(flow.cell)
        let values = hidden + cell
        smallestPositive = values.filter { $0 > 0 }.min()
        largest = values.filter(\.isFinite).max()
        hasZero = values.contains(0)
    }
}

/// The gradient flow of one traced scenario, computed on the panel's first showing and
/// kept, so that frames only read it.
struct GradientCache: Sendable {
    struct Key: Hashable, Sendable {
        var plot: GradientPlot
        var layer: Int
        /// A bidirectional layer's two passes have curves of their own.
        var direction: Direction
    }
    /// `traceGradients`' answer: it says whether the model's flow is the loss's.
    var report: Result<TraceGradients, any Error>?
    var curves: [Key: Result<FlowCurves, any Error>] = [:]
}

extension Loaded {
    /// Whether `trace --grad` differentiates a loss for this model (known once prepared).
    var isLossBased: Bool {
        if case .success(let report)? = gradients.report { return report.gradientOf == "loss" }
        return false
    }

    /// Computes `trace --grad`'s flow unless done. Throws only `CancellationError` (the
    /// cache stays empty then); any other failure is kept as the result.
    /// On a sequence kept at checkpoints, the gradients are the window's: its own last state
    /// and its steps' loss (`hold` forgets them when the window moves).
    mutating func prepareReport(progress: WorkProgress? = nil) throws {
        guard gradients.report == nil else { return }
        let (model, trace) = (scenario.model, trace.held)
        gradients.report = try keepingFailure { try model.traceGradients(trace, progress: progress) }
    }

    /// Computes the sensitivity of the last state of `layer`'s `direction` (step 0 on the
    /// reverse pass) unless done; throws as `prepareReport`.
    mutating func prepareSensitivity(layer: Int, direction: Direction = .forward, progress: WorkProgress? = nil) throws {
        let key = GradientCache.Key(plot: .dependence, layer: layer, direction: direction)
        guard gradients.curves[key] == nil else { return }
        let column = scenario.model.flowColumn(layer: layer, direction: direction)
        // The report of a model without a loss is this very sensitivity at the top layer's
        // forward pass.
        if case .success(let report)? = gradients.report, report.gradientOf == "last_state",
           layer == trace.layerCount - 1, direction == .forward {
            gradients.curves[key] = .success(FlowCurves(report.flow, layer: column, firstStep: trace.held.firstStep))
            return
        }
        let (model, trace) = (scenario.model, trace.held)
        gradients.curves[key] = try keepingFailure {
            // The flow has a column per layer direction; the panel plots the one it shows.
            FlowCurves(try model.sensitivity(trace, layer: layer, direction: direction, progress: progress), layer: column,
                       firstStep: trace.firstStep)
        }
    }

    /// The loss's curves at `layer`'s `direction`, read from the prepared report (cheap: no
    /// computation).
    mutating func deriveLossCurves(layer: Int, direction: Direction = .forward) {
        let key = GradientCache.Key(plot: .loss, layer: layer, direction: direction)
        guard gradients.curves[key] == nil, let report = gradients.report else { return }
        let column = scenario.model.flowColumn(layer: layer, direction: direction)
        gradients.curves[key] = report.flatMap { report in
            report.gradientOf == "loss"
                ? .success(FlowCurves(report.flow, layer: column, firstStep: trace.held.firstStep))
                : .failure(GateError("no loss: the model does not predict its next input symbol"))
        }
    }

    func curves(_ plot: GradientPlot, layer: Int, direction: Direction = .forward) -> Result<FlowCurves, any Error>? {
        gradients.curves[GradientCache.Key(plot: plot, layer: layer, direction: direction)]
    }
}

/// `body`'s result, failures included, except a cancellation, which is thrown: a cancelled
/// computation has no result to keep.
private func keepingFailure<T>(_ body: () throws -> T) throws -> Result<T, any Error> {
    do {
        return .success(try body())
    } catch let cancelled as CancellationError {
        throw cancelled
    } catch {
        return .failure(error)
    }
}

/// A log axis of whole decades per row, from the top row's power of ten down, so that every
/// row has a round label and an exponential decay draws a straight line.
struct LogAxis {
    /// At most the rows offered: no more than the decades of the data need.
    let rows: Int
    /// 10^top is the top row's value.
    let top: Int
    let decadesPerRow: Int
    /// Whether the bottom row also holds values below its decade (zeros, or values beyond
    /// the longest range the axis spans); its label then reads "≤".
    let clipsBottom: Bool

    /// Gradients reach down to about 1e-45 in float32; beyond 40 decades nothing is left to read.
    static let longestSpan = 40

    init(smallestPositive: Float?, largest: Float?, hasZero: Bool, rows available: Int) {
        let available = max(1, available)
        // The extremes are finite and positive: their logarithms lie within ±46.
        let top = largest.flatMap { $0 > 0 ? Int(log10(Double($0)).rounded(.up)) : nil } ?? 0
        var bottom = smallestPositive.map { Int(log10(Double($0)).rounded(.down)) } ?? top - 1
        bottom = max(min(bottom, top - 1), top - LogAxis.longestSpan)
        let span = top - bottom
        let decadesPerRow = available > 1 ? (span + available - 2) / (available - 1) : span
        // Rows below the data would only add empty decades; a zero needs one of its own.
        let needed = (span + decadesPerRow - 1) / decadesPerRow + 1 + (hasZero ? 1 : 0)
        let rows = min(available, max(needed, 3))
        let bottomDecade = Double(top - (rows - 1) * decadesPerRow)
        let beyond = smallestPositive.map { log10(Double($0)) < bottomDecade - Double(decadesPerRow) / 2 } ?? false
        self.rows = rows
        self.top = top
        self.decadesPerRow = decadesPerRow
        clipsBottom = hasZero || beyond
    }

    /// The axis over every curve of `flows`.
    init(over flows: [FlowCurves], rows available: Int) {
        self.init(smallestPositive: flows.compactMap(\.smallestPositive).min(), largest: flows.compactMap(\.largest).max(),
                  hasZero: flows.contains(where: \.hasZero), rows: available)
    }

    /// The row of a value, nil for NaN; zero and values below the range take the bottom row.
    func row(_ value: Float) -> Int? {
        if value.isNaN { return nil }
        guard value > 0 else { return rows - 1 }
        guard value.isFinite else { return 0 }
        let position = (Double(top) - log10(Double(value))) / Double(decadesPerRow)
        return min(max(Int(position.rounded()), 0), rows - 1)
    }

    /// "1", "0.01", "1e-6", with "≤" (or "<") on a bottom row that holds smaller values.
    func label(row: Int, unicode: Bool) -> String {
        let exponent = top - row * decadesPerRow
        let plain = ["0.01", "0.1", "1", "10", "100"]
        let text = (-2...2).contains(exponent) ? plain[exponent + 2] : "1e\(exponent)"
        return row == rows - 1 && clipsBottom ? (unicode ? "≤" : "<") + text : text
    }
}

/// A positive magnitude with two significant digits, as the legend shows it: "0.41",
/// "0.041", "4.1e-6"; never traps on zero, NaN or infinities.
func formatMagnitude(_ value: Float) -> String {
    guard value.isFinite, value != 0 else { return value.isNaN ? "nan" : value == 0 ? "0" : "inf" }
    let magnitude = Double(value.magnitude)
    var exponent = Int(log10(magnitude).rounded(.down))
    // Rounding to two digits may carry into the next decade (9.96 → 10).
    if (magnitude / pow(10, Double(exponent)) * 10).rounded() >= 100 { exponent += 1 }
    let sign = value < 0 ? "-" : ""
    if (-2...1).contains(exponent) {
        return sign + formatFixed(Float(magnitude), decimals: max(0, 1 - exponent))
    }
    let mantissa = Float(magnitude / pow(10, Double(exponent)))
    return sign + formatFixed(mantissa, decimals: 1) + "e\(exponent)"
}

extension GateScopeApp {
    /// One curve: a cell kind's h or c along the sequence.
    private struct Curve {
        var kind: CellKind
        var mark: Character
        var name: String
        var values: [Float]
        /// The step of `values[0]`.
        var firstStep: Int
        var isCellState: Bool
        var isCurrent: Bool
        /// Computed from random weights (a file's other kinds, the random demo).
        var isRandom: Bool

        /// The value at step t, nil where the curve has none.
        func value(at t: Int) -> Float? {
            values.indices.contains(t - firstStep) ? values[t - firstStep] : nil
        }
    }

    /// What stands in a step's cell for curves that meet there when it has fewer columns
    /// than curves; the legend explains it.
    private var meetingMark: Character { "*" }

    /// The kinds the panel compares: LSTM, GRU and RNN on the same input when the scenario
    /// can be built with another cell, else the cell on screen alone.
    /// On a sequence kept at checkpoints, the cell on screen alone: each kind's window is
    /// its own, so their last states are different steps.
    var comparedKinds: [CellKind] {
        guard scenario.makeVariant != nil, trace.isWhole else { return [cell] }
        return [.lstm, cell == .gruResetBefore ? .gruResetBefore : .gru, .rnn]
    }

    private static func shortName(_ kind: CellKind) -> String {
        switch kind {
        case .lstm: "LSTM"
        case .gru, .gruResetBefore: "GRU"
        case .rnn: "RNN"
        }
    }

    /// The rows the plot's log axis takes out of `available`: no more than the decades of
    /// the compared kinds' curves need (all of them while some are still computing).
    func gradientAxisRows(available: Int) -> Int {
        guard let plot = gradientPlot else { return available }
        var flows: [FlowCurves] = []
        for kind in comparedKinds {
            guard let loaded = variants[kind], case .success(let flow)? = loaded.curves(plot, layer: layer, direction: direction)
            else { return available }
            flows.append(flow)
        }
        return LogAxis(over: flows, rows: available).rows
    }

    /// The plot: a decade label per row on the left, a letter per curve and step (the cell
    /// on screen drawn last and bold), a line through the current step, the time axis
    /// under it, and on the right each curve's value at the current step.
    func drawGradients(_ panel: GradientLayout, into buffer: inout Buffer) {
        guard let plot = gradientPlot else { return }
        let dim = theme.dimStyle(capabilities.colors)
        var curves: [Curve] = []
        var notes: [String] = []
        var extremes: [FlowCurves] = []
        for kind in comparedKinds {
            let name = Self.shortName(kind)
            guard let loaded = variants[kind] else {
                notes.append(name + ": " + (variantErrors[kind] ?? (working == nil ? tr("not traced") : tr("computing"))))
                continue
            }
            switch loaded.curves(plot, layer: layer, direction: direction) {
            case .success(let flow)?:
                let isCurrent = loaded.cell == cell
                let isRandom = loaded.scenario.hasRandomWeights
                curves.append(Curve(kind: kind, mark: name.first ?? "?", name: name + " h", values: flow.hidden,
                                    firstStep: flow.firstStep, isCellState: false, isCurrent: isCurrent, isRandom: isRandom))
                if !flow.cell.isEmpty {
                    curves.append(Curve(kind: kind, mark: "c", name: name + " c", values: flow.cell,
                                        firstStep: flow.firstStep, isCellState: true, isCurrent: isCurrent, isRandom: isRandom))
                }
                extremes.append(flow)
            case .failure(let error)?:
                notes.append(name + ": \(error)")
            case nil:
                break
            }
        }
        drawGradientTitle(panel, plot: plot, hasCell: curves.contains(where: \.isCellState),
                          into: &buffer)

        let axis = LogAxis(over: extremes, rows: panel.plotRows)
        let axisY = panel.plotY + axis.rows
        let tick: Character = glyphs.unicode ? "┤" : "+"
        for row in 0..<axis.rows {
            let label = axis.label(row: row, unicode: glyphs.unicode)
            let y = panel.plotY + row
            buffer.put(label, x: panel.timeX - 1 - label.displayWidth, y: y, style: dim)
            buffer[panel.timeX - 1, y] = Cell(tick, style: dim)
        }
        if panel.steps.contains(step) {
            let x = panel.timeX + (step - panel.steps.lowerBound) * panel.cellWidth + panel.cellWidth / 2
            for row in 0..<axis.rows {
                buffer[x, panel.plotY + row] = Cell(glyphs.unicode ? "│" : ":", style: dim)
            }
        }
        let curvesMeet = drawCurves(curves, panel: panel, axis: axis, into: &buffer)
        drawTimeAxis(x: panel.timeX, y: axisY, steps: panel.steps, cellWidth: panel.cellWidth,
                     limit: panel.legendX - 1, into: &buffer)
        drawGradientLegend(panel, curves: curves, notes: notes, curvesMeet: curvesMeet, into: &buffer)
    }

    /// A mark per curve and step. Curves that land on the same row at a step share its cell
    /// side by side, in the legend's order, when the cell has a column for each; else the
    /// cell shows `meetingMark`, so that no curve ever hides another. Returns whether some
    /// cell needed it.
    private func drawCurves(_ curves: [Curve], panel: GradientLayout, axis: LogAxis, into buffer: inout Buffer) -> Bool {
        var curvesMeet = false
        for (index, t) in panel.steps.enumerated() {
            var byRow: [Int: [Curve]] = [:]
            for curve in curves {
                guard let value = curve.value(at: t), let row = axis.row(value) else { continue }
                byRow[row, default: []].append(curve)
            }
            let cellX = panel.timeX + index * panel.cellWidth
            for (row, meeting) in byRow {
                let y = panel.plotY + row
                guard meeting.count <= panel.cellWidth else {
                    curvesMeet = true
                    let bold = meeting.contains(where: \.isCurrent)
                    buffer[cellX + panel.cellWidth / 2, y] = Cell(meetingMark, style: Style(bold: bold))
                    continue
                }
                // A lone mark on the step's middle column, as the current-step line is.
                let firstX = cellX + max(0, panel.cellWidth / 2 - meeting.count / 2)
                for (offset, curve) in meeting.enumerated() {
                    let style = Style(foreground: theme.color(of: curve.kind, depth: capabilities.colors), bold: curve.isCurrent)
                    buffer[firstX + offset, y] = Cell(curve.mark, style: style)
                }
            }
        }
        return curvesMeet
    }

    /// "how much h₂₄ still depends on hₜ, c₂₄ on cₜ (log scale)": the longest wording that
    /// fits. The last state is the shown pass's (h₁ on a reverse pass) and, when the model
    /// has several layers, is named with its layer: `trace --grad` differentiates the top
    /// layer's, the panel the shown layer's.
    private func drawGradientTitle(_ panel: GradientLayout, plot: GradientPlot, hasCell: Bool,
                                   into buffer: inout Buffer) {
        let g = glyphs
        // The sequence's last step, or the window's on a sequence kept at checkpoints.
        let last = direction == .reverse ? 1 : trace.heldSteps.upperBound
        let (hT, cT) = (g.subscripted("h", last), g.subscripted("c", last))
        let (ht, ct) = (g.atStep("h"), g.atStep("c"))
        let (bar, d, two) = g.unicode ? ("‖", "∂", "₂") : ("|", "d", "_2")
        let prefix = trace.layerCount > 1 ? tr("layer {1}", layer + 1) + ": " : ""
        let candidates: [String]
        switch plot {
        case .dependence:
            // {1} is h at the last step, "h₂₄ of layer 2" on a deep model.
            let last = trace.layerCount > 1 ? tr("{1} of layer {2}", hT, layer + 1) : hT
            let cellPart = hasCell ? ", " + tr("{1} on {2}", cT, ct) : ""
            candidates = [
                tr("gradient flow: how much {1} still depends on {2} (L2 norm, log scale)", last, ht + cellPart),
                tr("gradient flow: how much {1} depends on {2} (L2 norm, log scale)", last, ht + cellPart),
                tr("how much {1} depends on {2}, L2 norm, log scale", last, ht + cellPart),
                tr("how much {1} depends on {2}, L2 norm, log scale", last, ht),
                prefix + tr("{1}, log scale", "\(bar)\(d)\(hT)/\(d)\(ht)\(bar)\(two)"),
            ]
        case .loss:
            let states = hasCell ? tr("{1} and {2}", ht, ct) : ht
            candidates = [
                tr("gradient of the loss: how much the loss depends on {1} (L2 norm, log scale)", states),
                tr("how much the loss depends on {1}, L2 norm, log scale", states),
                tr("how much the loss depends on {1}, L2 norm, log scale", ht),
                tr("{1}, log scale", "\(bar)\(d)L/\(d)\(ht)\(bar)\(two)"),
            ].map { prefix + $0 }
        }
        let title = candidates.first { $0.displayWidth <= panel.width } ?? candidates.last ?? ""
        var spans = [Span(title, theme.titleStyle)]
        if plot == .loss { spans.append(Span("  " + tr("as trace --grad"), theme.dimStyle(capabilities.colors), optional: true)) }
        buffer.put(spans, x: panel.x, y: panel.y, width: panel.width, ellipsis: glyphs.ellipsis)
    }

    /// Right of the plot: the step, each curve's letter, name and value there, then what a
    /// steep fall means, as rows allow.
    private func drawGradientLegend(_ panel: GradientLayout, curves: [Curve], notes: [String], curvesMeet: Bool,
                                    into buffer: inout Buffer) {
        let dim = theme.dimStyle(capabilities.colors)
        let x = panel.legendX
        let width = max(0, panel.x + panel.width - x)
        let rows = panel.plotRows + 1
        var lines: [[Span]] = []
        for curve in curves {
            let value = curve.value(at: step).map(formatMagnitude) ?? ""
            let style = Style(foreground: theme.color(of: curve.kind, depth: capabilities.colors), bold: curve.isCurrent)
            let name = curve.name + String(repeating: " ", count: max(0, 6 - curve.name.displayWidth))
            lines.append([Span(curve.isCurrent ? glyphs.selected : " ", theme.titleStyle), Span(String(curve.mark), style),
                          Span(" " + name + " "), Span(String(repeating: " ", count: max(0, 6 - value.count)) + value,
                                                        theme.numberStyle(selected: curve.isCurrent))])
        }
        // Error messages may quote file names: made safe for the grid like any outside text.
        lines += notes.map { [Span(displayable($0), dim)] }
        // Untrained comparison curves say so: they show the cell kind, not what a trained
        // model of that kind would do.
        let random = curves.filter { $0.isRandom && !$0.isCellState }.map { Self.shortName($0.kind) }
        if !random.isEmpty {
            let all = random.count == curves.filter { !$0.isCellState }.count
            lines.append([Span(all ? tr("all random weights") : tr("{1}: random", random.joined(separator: " ")), dim)])
        }
        if curvesMeet { lines.append([Span(tr("{1} curves meet", meetingMark), dim)]) }
        // Which norm the values are (the title says it too) and where, when rows allow.
        if rows > lines.count { lines.insert([Span(tr("L2 norm, step {1}", step + 1), dim)], at: 0) }
        // What to read in the curves: the dependence fades with distance, the loss's
        // gradient does not, since every step's own error adds to it.
        let hint = gradientPlot == .loss ? [tr("each step adds"), tr("its own error")]
            : [tr("steeper fall ="), tr("shorter memory")]
        if rows >= lines.count + 1 + hint.count {
            lines += [[]] + hint.map { [Span($0, dim)] }
        }
        for (index, line) in lines.prefix(rows).enumerated() {
            buffer.put(line, x: x, y: panel.plotY + index, width: width, ellipsis: glyphs.ellipsis)
        }
    }
}

/// The gradient-flow plot as a widget: a title, the log-scale rows, a time axis, the
/// legend on the right.
struct GradientWidget: Widget {
    let app: GateScopeApp
    let panel: GradientLayout

    var minimumSize: Size {
        Size(width: GradientLayout.labelWidth + 12 + GradientLayout.legendWidth, height: GradientLayout.minimumRows + 2)
    }
    var preferredSize: Size {
        Size(width: GradientLayout.labelWidth + app.trace.steps * app.maximumCellWidth + GradientLayout.legendWidth,
             height: GradientLayout.maximumRows + 2)
    }

    func draw(in rect: Rect, into buffer: inout Buffer) {
        var placed = panel
        (placed.x, placed.y, placed.width) = (rect.x, rect.y, rect.width)
        app.drawGradients(placed, into: &buffer)
    }
}
