import Foundation

/// Counts and durations as a person writes them, shared by the screen and every command.
public enum Wording {
    /// "1 layer", "2 layers", "0 steps": the noun agrees with the count. `plural` is for
    /// nouns that do not just take an s.
    public static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) " + (n == 1 ? singular : plural ?? singular + "s")
    }

    /// The layers' widths as a header names them: "8" when they agree, "7, 5" (bottom layer
    /// first) when a hybrid stack's differ.
    public static func widths(_ sizes: [Int]) -> String {
        Set(sizes).count > 1 ? sizes.map(String.init).joined(separator: ", ") : sizes.first.map(String.init) ?? "0"
    }

    /// A duration read at a glance: "9.9 s" under 10 s, then "0:11", "1:02:03".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e7 else { return "--:--" }
        if seconds < 10 { return String(format: "%.1f s", seconds) }
        return clock(seconds)
    }

    /// Durations that stand in one column, all in one format so that they compare at a
    /// glance: seconds with a decimal while every one is under 100 s, else all as m:ss (or
    /// h:mm:ss).
    public static func durations(_ seconds: [Double]) -> [String] {
        guard seconds.allSatisfy({ $0.isFinite && $0 >= 0 && $0 < 1e7 }) else { return seconds.map(duration) }
        if seconds.allSatisfy({ $0 < 99.95 }) { return seconds.map { String(format: "%.1f s", $0) } }
        return seconds.map(clock)
    }

    /// "0:11", "12:05", "1:02:03".
    private static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }
}
