/// A width and a height in terminal cells.
struct Size: Equatable {
    var width, height: Int
}

/// A panel that draws itself into the rectangle it is given and says what room it needs,
/// so that the layout composes panels without knowing what is in them (ratatui's `Widget`
/// is the model).
protocol Widget {
    /// The smallest rectangle the panel still reads in: smaller, the layout leaves it out.
    var minimumSize: Size { get }
    /// The rectangle that shows all of it; more room is left blank.
    var preferredSize: Size { get }
    /// Draws into `rect` of `buffer` and nowhere else.
    func draw(in rect: Rect, into buffer: inout Buffer)
}

extension Widget {
    func fits(_ size: Size) -> Bool { size.width >= minimumSize.width && size.height >= minimumSize.height }
}

/// How much of a split's length one part takes (after ratatui's `Constraint`).
enum Constraint: Equatable {
    /// Exactly this many cells, when the length allows.
    case fixed(Int)
    /// At least this many cells; grows into what is left when no part fills.
    case minimum(Int)
    /// A share, by weight, of what the other parts leave.
    case fill(Int)
    /// numerator/denominator of the whole length (spacing included, as ratatui does).
    case ratio(Int, Int)
}

/// Splits a rectangle into parts side by side (`horizontal`) or stacked (`vertical`) with
/// `spacing` cells between them. Sizes are given first to fixed, minimum and ratio parts in
/// order; what remains goes to fill parts by weight, or, without any, shared among the
/// minimum parts. When the length is too short the last parts shrink first, down to 0:
/// parts never overlap and never leave the rectangle.
struct Split {
    enum Direction { case horizontal, vertical }
    var direction: Direction
    var constraints: [Constraint]
    var spacing = 0

    func areas(_ rect: Rect) -> [Rect] {
        let length = max(0, direction == .horizontal ? rect.width : rect.height)
        let gaps = spacing * max(0, constraints.count - 1)
        var remaining = max(0, length - gaps)
        // What each part asks for before the leftover is shared.
        var sizes = constraints.map { constraint -> Int in
            let asked: Int
            switch constraint {
            case .fixed(let n), .minimum(let n): asked = max(0, n)
            case .fill: asked = 0
            case .ratio(let numerator, let denominator):
                asked = denominator > 0 ? max(0, length * numerator / denominator) : 0
            }
            let granted = min(asked, remaining)
            remaining -= granted
            return granted
        }
        let fills = constraints.indices.compactMap { index -> (Int, Int)? in
            if case .fill(let weight) = constraints[index] { return (index, max(0, weight)) }
            return nil
        }
        let growing = fills.isEmpty
            ? constraints.indices.compactMap { index -> (Int, Int)? in
                if case .minimum = constraints[index] { return (index, 1) }
                return nil
            }
            : fills
        let totalWeight = growing.reduce(0) { $0 + $1.1 }
        if totalWeight > 0 {
            // Shares by weight; the rounding remainder goes to the first parts.
            var left = remaining
            for (index, weight) in growing {
                let share = remaining * weight / totalWeight
                sizes[index] += share
                left -= share
            }
            for (index, weight) in growing where left > 0 && weight > 0 {
                sizes[index] += 1
                left -= 1
            }
        }
        var offset = 0
        return sizes.map { size in
            let start = min(offset, length)
            let part = min(size, length - start)
            offset = start + part + spacing
            switch direction {
            case .horizontal: return Rect(x: rect.x + start, y: rect.y, width: part, height: rect.height)
            case .vertical: return Rect(x: rect.x, y: rect.y + start, width: rect.width, height: part)
            }
        }
    }
}
