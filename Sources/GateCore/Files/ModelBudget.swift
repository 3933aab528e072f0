/// How large a model file gatescope reads: checked on the tensors' shapes, before any value
/// is read, so that a file too large for memory is refused with a message instead of
/// exhausting it. Loading holds one float32 copy of the parameters, 4 bytes each.
public enum ModelBudget {
    /// The most values a model file's tensors may hold together: 300 million, 1.2 GB as
    /// float32 (a 1 GiB float32 file fits).
    public static let maxParameters = 300_000_000

    /// Refuses `entries` whose values add up to more than `maxParameters`; `source` starts
    /// the message.
    public static func check(_ entries: [TensorEntry], source: String) throws {
        var total = 0
        for entry in entries {
            let (sum, overflow) = total.addingReportingOverflow(elementCount(entry.shape) ?? Int.max)
            total = overflow ? Int.max : sum
        }
        guard total <= maxParameters else {
            let shown = total == Int.max ? "more values than can be counted" : "\(ModelFile.grouped(total)) values"
            throw GateError("\(source): its tensors hold \(shown); gatescope loads at most \(ModelFile.grouped(maxParameters)) parameters (1.2 GB as float32) from a model file")
        }
    }
}
