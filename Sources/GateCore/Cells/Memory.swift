import Foundation

/// How long a gate that keeps a fraction of the state each step lets memory last: the
/// LSTM's forget gate f keeps f of c, the GRU's update gate z keeps z of h (the part of the
/// new state that is not rewritten). At a constant rate, after k steps f^k of the state is
/// left, so half of it is gone after k½ = ln 0.5 / ln f steps.
public enum MemoryHorizon {
    /// Steps until half of the state is gone at the rate `keep` (f or z): 0 when nothing is
    /// kept (f ≤ 0: gone in one step), infinity when all is kept (f ≥ 1, reachable only by a
    /// saturated gate in Float), nil for NaN.
    public static func halfLife(keep: Float) -> Double? {
        guard !keep.isNaN else { return nil }
        if keep <= 0 { return 0 }
        if keep >= 1 { return .infinity }
        return log(0.5) / log(Double(keep))
    }

    /// What is left of the state after `steps` steps at the constant rate `keep`: keep^steps,
    /// computed in Double so that 0.999^693 is not rounded away.
    public static func retained(keep: Float, steps: Int) -> Double {
        guard !keep.isNaN else { return .nan }
        return pow(min(max(Double(keep), 0), 1), Double(max(0, steps)))
    }
}
