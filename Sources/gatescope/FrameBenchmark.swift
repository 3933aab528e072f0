import CursesTerminal
import Foundation
import GateCore
import GateView

/// The visualizer's speed, for `gatescope bench --frames`: the time per frame while
/// stepping (targets: median ≤ 1 ms for update + view + draw) and from launch to the first
/// frame (target: ≤ 100 ms).
///
/// - update + view: `GateScopeApp` on the built-in LSTM demo of H units, one step per frame
///   (→, and Home at the last step), drawing into a fresh Buffer as the run loop does.
/// - draw: that frame through the real curses code of the run loop, into a headless
///   xterm-256color screen whose output goes to /dev/null: curses computes every escape
///   sequence a terminal would get, so only the terminal's own work is left out.
/// - launch to first frame: `gatescope` with no arguments on a fresh pseudo-terminal,
///   exiting after its first frame (GATESCOPE_EXIT_AFTER_FIRST_FRAME=1); timed until the
///   process has exited, so an upper bound.
enum FrameBenchmark {
    static let sizes = [(width: 80, height: 24), (width: 160, height: 50)]
    static let hiddenSizes = [8, 32, 128]

    /// The median and 95th percentile of a set of timings.
    struct Spread {
        var median: Double
        var p95: Double

        init(_ values: [Double]) {
            let sorted = values.sorted()
            median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            p95 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.95).rounded(.down)))]
        }
    }

    struct FrameResult {
        var width: Int, height: Int, hidden: Int
        /// Microseconds per frame.
        var updateView: Spread, draw: Spread, total: Spread
    }

    /// Times `frames` consecutive frames at each size and H; `progress` hears of each
    /// measurement as it starts ("80×24, H = 8", its number, how many there are).
    static func measureFrames(frames: Int = 300,
                              progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> [FrameResult] {
        // The glyphs drawn, and so curses' work, depend on the locale: measure the UTF-8 case.
        if setlocale(LC_ALL, "C.UTF-8") == nil { setlocale(LC_ALL, "") }
        let clock = ContinuousClock()
        var results: [FrameResult] = []
        let total = sizes.count * hiddenSizes.count + 1
        for size in sizes {
            for hidden in hiddenSizes {
                progress("frames at \(size.width)×\(size.height), H = \(hidden)", results.count + 1, total)
                var app = try GateScopeApp(
                    scenario: BuiltinDemo.scenario(cell: .lstm, hidden: hidden, layers: 1, seed: 0),
                    capabilities: Capabilities(colors: .full, unicode: true),
                    width: size.width, height: size.height)
                let screen = try HeadlessScreen(width: size.width, height: size.height)
                var updateView: [Double] = [], draw: [Double] = [], total: [Double] = []
                for frame in 0..<(frames + 10) {
                    let message = Message.key(app.step >= app.stepCount - 1 ? .home : .right)
                    let began = clock.now
                    _ = app.update(message)
                    var buffer = Buffer(width: size.width, height: size.height)
                    app.view(into: &buffer)
                    let viewed = clock.now
                    screen.draw(buffer)
                    let drawn = clock.now
                    // The first frames fill caches (colour pairs, curses' screen): not timed.
                    guard frame >= 10 else { continue }
                    updateView.append((viewed - began) / .microseconds(1))
                    draw.append((drawn - viewed) / .microseconds(1))
                    total.append((drawn - began) / .microseconds(1))
                }
                results.append(FrameResult(width: size.width, height: size.height, hidden: hidden,
                                           updateView: Spread(updateView), draw: Spread(draw),
                                           total: Spread(total)))
            }
        }
        return results
    }

    /// Milliseconds from launch to the first frame of `gatescope` with no arguments at
    /// 80×24, over `launches` runs.
    static func measureLaunch(launches: Int = 10) throws -> Spread {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let times = try (0..<launches).map { _ in
            try FirstFrameTimer.measure(executable: executable, arguments: [], width: 80, height: 24) * 1000
        }
        return Spread(times)
    }

    /// The figures as a table, or as JSON:
    /// {"frames":[{"width","height","hidden","frames","update_view_us","draw_us","total_us"}],
    ///  "launch_ms":{…}} with each timing as {"median","p95"}.
    static func report(frames: Int = 300, launches: Int = 10, json: Bool = false,
                       progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> String {
        let results = try measureFrames(frames: frames, progress: progress)
        let count = sizes.count * hiddenSizes.count + 1
        progress("launch to first frame, \(launches) runs", count, count)
        let launch = try measureLaunch(launches: launches)
        if json { return jsonReport(results, launch: launch, frames: frames, launches: launches) }
        func cell(_ spread: Spread) -> String {
            String(format: "%7.0f %6.0f", spread.median, spread.p95)
        }
        var lines = [
            "frame time, µs (median p95), built-in LSTM demo, one step per frame, \(frames) frames",
            "size     H   update+view        draw       total",
        ]
        for result in results {
            let size = "\(result.width)×\(result.height)".padding(toLength: 7, withPad: " ", startingAt: 0)
            lines.append("\(size) \(String(format: "%3d", result.hidden)) \(cell(result.updateView)) "
                + "\(cell(result.draw)) \(cell(result.total))")
        }
        lines.append(String(format: "launch to first frame, 80×24, %d runs: median %.0f ms, p95 %.0f ms",
                            launches, launch.median, launch.p95))
        return lines.joined(separator: "\n")
    }

    private static func jsonReport(_ results: [FrameResult], launch: Spread, frames: Int, launches: Int) -> String {
        func spread(_ value: Spread) -> String {
            String(format: "{\"median\":%.1f,\"p95\":%.1f}", value.median, value.p95)
        }
        let rows = results.map { result in
            "{\"width\":\(result.width),\"height\":\(result.height),\"hidden\":\(result.hidden),\"frames\":\(frames)"
                + ",\"update_view_us\":\(spread(result.updateView)),\"draw_us\":\(spread(result.draw))"
                + ",\"total_us\":\(spread(result.total))}"
        }
        return "{\"frames\":[" + rows.joined(separator: ",") + "],\"launch_ms\":"
            + "{\"runs\":\(launches),\"median\":\(String(format: "%.1f", launch.median)),\"p95\":\(String(format: "%.1f", launch.p95))}}"
    }
}
