/// A colour as the view asks for it. The terminal layer maps it to what the terminal can
/// show (256 colours, 8 colours, or none); the view itself never asks the terminal.
public enum Color: Equatable, Hashable, Sendable {
    case `default`
    /// An xterm 256-colour palette index (0–15 are the basic and bright colours).
    case indexed(UInt8)
}

public struct Style: Equatable, Hashable, Sendable {
    public var foreground: Color
    public var background: Color
    public var bold: Bool
    public var reverse: Bool
    public var underline: Bool

    public init(foreground: Color = .default, background: Color = .default,
                bold: Bool = false, reverse: Bool = false, underline: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
    }

    public static let plain = Style()
}

/// One terminal cell: a single-column character and its style.
public struct Cell: Equatable, Sendable {
    public var symbol: Character
    public var style: Style

    public init(_ symbol: Character = " ", style: Style = .plain) {
        self.symbol = symbol
        self.style = style
    }
}

/// A whole frame as data: `view` draws into it, tests compare it, and the terminal layer
/// copies it to the screen. Writes outside the buffer are clipped, never trapped, so a
/// widget can be drawn at any terminal size.
public struct Buffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get {
            guard contains(x: x, y: y) else { return Cell() }
            return cells[y * width + x]
        }
        set {
            guard contains(x: x, y: y) else { return }
            cells[y * width + x] = newValue
        }
    }

    public func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// Writes `text` from (x, y) rightwards, one character per column, clipped to the
    /// buffer and to `maxWidth`. Returns the column after the last character written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain,
                             maxWidth: Int = .max) -> Int {
        var column = x
        let limit = maxWidth == .max ? Int.max : x + maxWidth
        for character in text {
            if column >= limit || column >= width { break }
            self[column, y] = Cell(character, style: style)
            column += 1
        }
        return column
    }

    /// Fills a rectangle with one cell.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, with cell: Cell = Cell()) {
        for row in max(0, y)..<min(height, y + h) where row >= 0 {
            for column in max(0, x)..<min(width, x + w) {
                self[column, row] = cell
            }
        }
    }

    /// The frame as plain text, one line per row, trailing spaces trimmed.
    public var plainText: String {
        var lines: [String] = []
        for row in 0..<height {
            var line = String(cells[row * width..<(row + 1) * width].map(\.symbol))
            while line.last == " " { line.removeLast() }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

extension Buffer {
    /// The frame with ANSI SGR escapes for colours, bold, underline and reverse, for a
    /// terminal or a pager (`less -R`). Every line that sets a style ends with a reset, so a
    /// line can be cut or copied on its own; trailing unstyled spaces are trimmed.
    public var ansiText: String {
        var lines: [String] = []
        for row in 0..<height {
            let rowCells = cells[row * width..<(row + 1) * width]
            let end = (rowCells.lastIndex { $0.symbol != " " || $0.style != .plain } ?? rowCells.startIndex - 1) + 1
            var line = ""
            var current = Style.plain
            for cell in rowCells[rowCells.startIndex..<end] {
                if cell.style != current {
                    line += cell.style.sgr
                    current = cell.style
                }
                line.append(cell.symbol)
            }
            if current != .plain { line += Style.plain.sgr }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

extension Style {
    /// The escape that resets the terminal's attributes and then sets this style.
    var sgr: String {
        var codes = ["0"]
        if bold { codes.append("1") }
        if underline { codes.append("4") }
        if reverse { codes.append("7") }
        if case .indexed(let n) = foreground { codes.append(Style.colorCode(n, base: 30, bright: 90, extended: 38)) }
        if case .indexed(let n) = background { codes.append(Style.colorCode(n, base: 40, bright: 100, extended: 48)) }
        return "\u{1B}[" + codes.joined(separator: ";") + "m"
    }

    /// The basic and bright colours have short codes every terminal knows; the rest use
    /// the 256-colour form.
    private static func colorCode(_ n: UInt8, base: Int, bright: Int, extended: Int) -> String {
        switch n {
        case 0..<8: String(base + Int(n))
        case 8..<16: String(bright + Int(n) - 8)
        default: "\(extended);5;\(n)"
        }
    }
}
