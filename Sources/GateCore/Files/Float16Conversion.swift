/// Widening conversions from the 16-bit float formats of model files to Float, done on the
/// bit patterns so that they behave the same on every platform (Swift's `Float16` type is
/// not available everywhere) and keep NaN payloads, as numpy and PyTorch do.
public enum HalfPrecision {
    /// IEEE 754 binary16 (safetensors `F16`): 1 sign bit, 5 exponent bits (bias 15),
    /// 10 mantissa bits. Every binary16 value is exactly representable as a Float.
    public static func float(fromHalfBits bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2⁻²⁴, exact in Float (whose subnormals go far lower).
            let magnitude = Float(mantissa) * 0x1p-24
            return Float(bitPattern: sign | magnitude.bitPattern)
        case 0x1F:
            // Infinity (mantissa 0) or NaN, payload moved to the top of Float's mantissa.
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            // Normal: rebias the exponent from 15 to 127 and widen the mantissa.
            return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
    }

    /// bfloat16 (safetensors `BF16`): the upper half of a Float's bit pattern.
    public static func float(fromBFloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
