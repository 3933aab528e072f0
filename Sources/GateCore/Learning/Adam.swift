import Foundation

/// Adam as `torch.optim.Adam` computes it with its defaults (no weight decay, no amsgrad),
/// over one flat vector of parameters. Hyper-parameters are kept in Double, as PyTorch keeps
/// its Python floats, and enter the float32 arithmetic in the same places.
public struct Adam: Sendable {
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    /// Updates taken so far (PyTorch's `state["step"]`).
    public private(set) var stepCount = 0
    /// Running averages of the gradient and of its square (`exp_avg`, `exp_avg_sq`).
    public private(set) var firstMoment: [Float]
    public private(set) var secondMoment: [Float]

    public init(parameterCount: Int, learningRate: Double = 1e-3, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        firstMoment = [Float](repeating: 0, count: parameterCount)
        secondMoment = firstMoment
    }

    /// One update of `parameters` with `gradients` (same length as at init).
    public mutating func step(_ parameters: inout [Float], gradients: [Float]) {
        precondition(parameters.count == firstMoment.count && gradients.count == firstMoment.count,
                     "Adam was built for \(firstMoment.count) parameters")
        stepCount += 1
        let t = Double(stepCount)
        // The scalars PyTorch computes in Python floats before they reach the tensor kernels.
        let momentWeight = Float(1 - beta1)
        let decay = Float(beta2)
        let squareWeight = Float(1 - beta2)
        let stepSize = Float(-(learningRate / (1 - pow(beta1, t))))
        let correction2Root = Float((1 - pow(beta2, t)).squareRoot())
        let eps = Float(epsilon)
        firstMoment.withUnsafeMutableBufferPointer { m in
        secondMoment.withUnsafeMutableBufferPointer { v in
        parameters.withUnsafeMutableBufferPointer { p in
        gradients.withUnsafeBufferPointer { g in
            for j in 0..<p.count {
                // exp_avg.lerp_(grad, 1 - beta1): a fused multiply-add, as ATen's vector lerp.
                m[j] = m[j].addingProduct(momentWeight, g[j] - m[j])
                // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                v[j] = v[j] * decay + squareWeight * (g[j] * g[j])
                // denom = exp_avg_sq.sqrt() / sqrt(bias_correction2) + eps
                let denominator = v[j].squareRoot() / correction2Root + eps
                // param.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)
                p[j] += stepSize * (m[j] / denominator)
            }
        }
        }
        }
        }
    }
}

/// Scales `gradients` so that their total L2 norm is at most `maxNorm`, as
/// `torch.nn.utils.clip_grad_norm_` does (factor maxNorm / (norm + 1e-6), capped at 1), and
/// returns the norm before clipping. A non-finite norm leaves the gradients unchanged: the
/// caller decides what a NaN step means.
@discardableResult
public func clipGradientNorm(_ gradients: inout [Float], maxNorm: Float) -> Float {
    var sumOfSquares: Double = 0
    for g in gradients { sumOfSquares += Double(g) * Double(g) }
    let norm = Float(sumOfSquares.squareRoot())
    guard norm.isFinite else { return norm }
    let factor = min(maxNorm / (norm + 1e-6), 1)
    if factor < 1 {
        for j in gradients.indices { gradients[j] *= factor }
    }
    return norm
}
