import Foundation
import GateCore

// Work that may take longer than a frame (tracing another cell kind, the gradient flow of a
// large model) runs off the update loop: `update` asks for it with `Command.start(job)`, the
// terminal runs the job on another thread and passes on its progress and result as
// messages, and the screen says it is working until the result arrives or Esc/q cancels.

/// A computation `update` asks the terminal to run; `body` sees only copies of the state.
public struct Job: Sendable, Equatable {
    public let id: Int
    /// The parts `body` reports through its WorkProgress.
    let parts: Int
    let body: @Sendable (WorkProgress) -> JobOutcome

    /// Jobs are told apart by id: their bodies are closures.
    public static func == (a: Job, b: Job) -> Bool { a.id == b.id }

    /// Runs the job on this thread to the end: the `.finished` message for `update`.
    public func run() -> Message {
        .finished(body(WorkProgress(parts: parts)))
    }

    /// Runs the job on a thread of its own.
    public func start() -> RunningJob {
        let running = RunningJob(id: id, progress: WorkProgress(parts: parts))
        let (body, progress) = (body, running.progress)
        Thread {
            // Signals go to the terminal's thread, whose blocking read they interrupt.
            var all = sigset_t()
            sigfillset(&all)
            pthread_sigmask(SIG_BLOCK, &all, nil)
            running.complete(body(progress))
        }.start()
        return running
    }
}

/// What a job computed: the traced variants and their gradient caches, or nil when it was
/// cancelled before the end.
public struct JobOutcome: Sendable, Equatable {
    public let job: Int
    let prepared: Prepared?

    /// Outcomes are told apart by job and by whether the job ran to its end (what they hold
    /// is traces and errors, not comparable).
    public static func == (a: JobOutcome, b: JobOutcome) -> Bool {
        a.job == b.job && (a.prepared == nil) == (b.prepared == nil)
    }
}

/// A job running on its own thread, as the terminal's loop sees it.
public final class RunningJob: @unchecked Sendable {
    public let id: Int
    let progress: WorkProgress
    // `outcome` is written by the job's thread and read by the loop's, under `lock`;
    // `reported` belongs to the loop's thread.
    private let lock = NSLock()
    private var outcome: JobOutcome?
    private var reported = -1.0

    init(id: Int, progress: WorkProgress) {
        self.id = id
        self.progress = progress
    }

    fileprivate func complete(_ outcome: JobOutcome) {
        lock.lock()
        defer { lock.unlock() }
        self.outcome = outcome
    }

    /// What the program should hear now: `.finished` once the job has ended, else
    /// `.progress` when it has moved on by a percent since the last report, else nil.
    public func poll() -> Message? {
        lock.lock()
        let outcome = self.outcome
        lock.unlock()
        if let outcome { return .finished(outcome) }
        let fraction = progress.fraction
        guard fraction >= reported + 0.01 else { return nil }
        reported = fraction
        return .progress(job: id, fraction: fraction)
    }

    /// Asks the job to stop at its next step.
    public func cancel() { progress.cancel() }
}

/// One piece of the work Tab and the gradient panel need, a part of a job.
enum Preparation: Sendable, Equatable {
    /// Trace the scenario with this cell kind.
    case trace(CellKind)
    /// `trace --grad`'s gradient flow of this kind (it says whether the model has a loss).
    case report(CellKind)
    /// The last-state sensitivity of this kind at this layer direction, the `d` panel's
    /// first plot.
    case sensitivity(CellKind, layer: Int, direction: Direction)
    /// The run of this kind with these pokes made (from its unpoked run, `Prepared.baseline`).
    case poke(CellKind, [Poke])
    /// The window of this kind's run (of a long sequence kept at checkpoints) around this
    /// step, computing the checkpoints up to it.
    case hold(CellKind, step: Int)
    /// The same for the unpoked run the pokes are compared with.
    case holdBaseline(step: Int)
}

/// The variants a job works on: copies of the app's, returned with what the job added.
struct Prepared: Sendable {
    var variants: [CellKind: Loaded]
    var errors: [CellKind: String]
    let makeVariant: (@Sendable (CellKind) throws -> Scenario)?
    /// How new runs are held (`GateScopeApp.forcedHolding`).
    let holding: TraceHolding?
    /// The unpoked run pokes start from, and why the pokes could not be made.
    var baseline: Loaded?
    var pokeError: String? = nil

    /// Does `preparations` in order, one part each. Throws `CancellationError` once
    /// `progress` is cancelled; every other failure is kept as that variant's error or result.
    mutating func perform(_ preparations: [Preparation], progress: WorkProgress) throws {
        for preparation in preparations {
            switch preparation {
            case .trace(let kind):
                try trace(kind, progress: progress)
            case .report(let kind):
                try variants[kind]?.prepareReport(progress: progress)
            case .sensitivity(let kind, let layer, let direction):
                try variants[kind]?.prepareSensitivity(layer: layer, direction: direction, progress: progress)
            case .poke(let kind, let pokes):
                guard let base = baseline ?? variants[kind] else { continue }
                do {
                    variants[kind] = try Loaded(base.scenario.poked(pokes), holding: base.holding, progress: progress)
                    baseline = base
                } catch let cancelled as CancellationError {
                    throw cancelled
                } catch {
                    pokeError = "\(error)"
                }
            case .hold(let kind, let step):
                guard var loaded = variants[kind] else { continue }
                try loaded.hold(step, progress: progress)
                variants[kind] = loaded
                // A variant may be kept under its related kind too (GRU reset before/after).
                variants[loaded.cell] = loaded
            case .holdBaseline(let step):
                try baseline?.hold(step, progress: progress)
            }
        }
    }

    /// Traces the scenario with `kind` unless done or known to fail.
    private mutating func trace(_ kind: CellKind, progress: WorkProgress) throws {
        guard variants[kind] == nil, errors[kind] == nil else { return }
        guard let makeVariant else {
            errors[kind] = "no \(kind.displayName) for this model"
            return
        }
        do {
            let loaded = try Loaded(makeVariant(kind), holding: holding, progress: progress)
            variants[kind] = loaded
            // A variant may come back as a related kind (GRU reset before/after).
            variants[loaded.cell] = loaded
        } catch let cancelled as CancellationError {
            throw cancelled
        } catch {
            errors[kind] = "\(error)"
        }
    }
}

/// The computation the screen is waiting for.
public struct Working: Sendable, Equatable {
    /// What to do with the result.
    enum Purpose: Sendable, Equatable {
        /// Show this kind (Tab).
        case switchCell(to: CellKind)
        /// Show the gradient panel; on cancel, show `restore` instead.
        case gradients(restore: GradientPlot?)
        /// Show the run with these pokes.
        case poke([Poke])
        /// Show the kinds side by side (`s`) once traced.
        case sideBySide
        /// Show this step once every run on screen holds it.
        case goTo(step: Int)
    }

    public let job: Int
    /// What the footer says is going on: "tracing the GRU".
    public let title: String
    public internal(set) var fraction = 0.0
    /// Ticks since the work began, for the spinner.
    public internal(set) var ticks = 0
    let purpose: Purpose
}

extension GateScopeApp {
    /// How often the spinner turns while the screen waits for a job.
    static let spinnerInterval = 0.1

    /// Asks for `preparations` to be done off the loop, and shows that the screen works.
    mutating func startWork(_ preparations: [Preparation], title: String, purpose: Working.Purpose) -> Command {
        jobsStarted += 1
        let id = jobsStarted
        working = Working(job: id, title: title, purpose: purpose)
        let start = Prepared(variants: variants, errors: variantErrors, makeVariant: scenario.makeVariant,
                             holding: forcedHolding, baseline: baseline)
        return .start(Job(id: id, parts: preparations.count) { progress in
            var prepared = start
            do {
                try prepared.perform(preparations, progress: progress)
                return JobOutcome(job: id, prepared: prepared)
            } catch {
                // Only a cancellation ends the work early: nobody wants its result.
                return JobOutcome(job: id, prepared: nil)
            }
        })
    }

    /// While a job runs, Esc and q cancel it (a second q then quits), Ctrl-C quits, and every
    /// other key waits: the footer says what is going on and how to stop it.
    mutating func pressWhileWorking(_ key: Key, _ work: Working) -> Command {
        switch key {
        case .interrupt:
            return .quit
        case .escape, .character("q"):
            working = nil
            if case .gradients(let restore) = work.purpose { gradientPlot = restore }
            if work.purpose == .sideBySide { showsSideBySide = false }
            status = tr("stopped {1}", work.title)
            return .cancel(job: work.job)
        default:
            return .none
        }
    }

    /// Takes in a job's result, then does what it was for. A late answer from a cancelled
    /// job is dropped.
    mutating func finish(_ outcome: JobOutcome) -> Command {
        guard let work = working, outcome.job == work.job, let prepared = outcome.prepared else { return .none }
        working = nil
        variants.merge(prepared.variants) { _, new in new }
        variantErrors.merge(prepared.errors) { _, new in new }
        switch work.purpose {
        case .switchCell(let kind):
            completeSwitch(to: kind)
            return prepareGradients(restoring: gradientPlot)
        case .gradients(let restore):
            return prepareGradients(restoring: restore)
        case .sideBySide:
            return .none
        case .goTo(let target):
            baseline = prepared.baseline
            step = target
            return .none
        case .poke(let list):
            if let error = prepared.pokeError {
                status = tr("cannot poke: {1}", error)
            } else {
                showPokes(list, baseline: prepared.baseline)
            }
            return .none
        }
    }

    /// The footer while a job runs: a spinner, what is going on, how far, how to stop it.
    func drawWorking(_ work: Working, y: Int, into buffer: inout Buffer) {
        let frames: [Character] = glyphs.unicode ? ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"] : ["|", "/", "-", "\\"]
        let spinner = frames[work.ticks % frames.count]
        let percent = Int((min(max(work.fraction, 0), 1) * 100).rounded(.down))
        let style = theme.statusStyle(capabilities.colors)
        buffer.put([Span(" \(spinner) \(work.title)\(glyphs.unicode ? "…" : "...") \(percent)%", style),
                    Span("  esc/q", theme.keyStyle), Span(" " + tr("cancel"))],
                   x: 0, y: y, width: width, ellipsis: glyphs.ellipsis)
    }
}
