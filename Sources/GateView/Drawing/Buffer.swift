import Foundation

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

/// One terminal cell: a character and its style. A wide character (two columns, see
/// `DisplayWidth`) is in the cell of its left column; the cell of its right column is a
/// continuation of the same style, which the renderers and the terminal skip.
///
/// A cell is plain data (no reference, no string), so frames are filled, copied and
/// compared as fast as memory: the character is kept as its one scalar, which almost every
/// character drawn is, and its width is worked out once, when the cell is made. A character
/// of several scalars (a letter with combining accents) is kept once in `Clusters` and
/// named by its number there.
public struct Cell: Equatable, Sendable {
    /// The character's scalar's value, or for a character of several scalars
    /// `Clusters.firstIndex` plus its number in `Clusters` (above every scalar value).
    private var code: UInt32
    public var style: Style
    /// Columns the symbol takes: 2 for a wide character, 0 for a continuation.
    private var columnCount: UInt8
    /// The right half of the wide character in the cell to the left.
    public private(set) var isContinuation = false

    private init(code: UInt32, columns: Int, style: Style) {
        self.code = code
        self.style = style
        columnCount = UInt8(columns)
    }

    public init(_ symbol: Character = " ", style: Style = .plain) {
        // Most characters drawn are ASCII, one byte; nearly all the rest are one scalar: the
        // cluster table is not consulted.
        let utf8 = symbol.utf8
        if utf8.count == 1, let byte = utf8.first {
            self.init(ascii: byte, style: style)
            return
        }
        let scalars = symbol.unicodeScalars
        if let first = scalars.first, scalars.index(after: scalars.startIndex) == scalars.endIndex {
            self.init(scalar: first, style: style)
        } else {
            self.init(code: Clusters.shared.code(of: symbol), columns: DisplayWidth.columns(of: symbol), style: style)
        }
    }

    /// A cell of one scalar, for the glyphs drawn most (shades, bars, spaces).
    public init(scalar: Unicode.Scalar, style: Style = .plain) {
        self.init(code: scalar.value, columns: DisplayWidth.columns(of: scalar), style: style)
    }

    /// A cell of an ASCII character (a byte below 0x80), one column wide.
    init(ascii: UInt8, style: Style) {
        self.init(code: UInt32(ascii), columns: 1, style: style)
    }

    /// The right half of a wide character of this style.
    static func continuation(style: Style) -> Cell {
        var cell = Cell(scalar: " ", style: style)
        cell.isContinuation = true
        cell.columnCount = 0
        return cell
    }

    /// The character in the cell.
    public var symbol: Character { singleScalar.map(Character.init) ?? Clusters.shared.character(code) }

    /// The character when it is one scalar (nearly always); nil for one of several scalars.
    public var singleScalar: Unicode.Scalar? {
        code < Clusters.firstCode ? Unicode.Scalar(code) : nil
    }

    /// Columns the symbol takes: 2 for a wide character, 0 for a continuation.
    public var columns: Int { Int(columnCount) }

    /// Appends the character to `text`, as `text.append(symbol)` would, without making a
    /// `Character` for a scalar.
    func append(to text: inout String) {
        if let scalar = singleScalar { text.unicodeScalars.append(scalar) } else { text.append(symbol) }
    }
}

/// The characters of several scalars that cells hold (a letter with combining accents),
/// each kept once and named by a number above every scalar value, so that a `Cell` stays
/// plain data and two cells of the same character compare equal. Text drawn comes from the
/// model's files and the interface, so there are few; past `capacity` a new one is kept as
/// its first scalar alone (the terminal would show its accents on top of it at most).
final class Clusters: @unchecked Sendable {
    static let shared = Clusters()
    /// Above the largest scalar value (U+10FFFF).
    static let firstCode: UInt32 = 0x110000
    static let capacity = 1 << 16

    private let lock = NSLock()
    private var characters: [Character] = []
    private var codes: [Character: UInt32] = [:]

    func code(of character: Character) -> UInt32 {
        lock.lock()
        defer { lock.unlock() }
        if let code = codes[character] { return code }
        guard characters.count < Clusters.capacity else { return character.unicodeScalars.first?.value ?? 0x20 }
        let code = Clusters.firstCode + UInt32(characters.count)
        characters.append(character)
        codes[character] = code
        return code
    }

    func character(_ code: UInt32) -> Character {
        lock.lock()
        defer { lock.unlock() }
        let index = Int(code - Clusters.firstCode)
        return characters.indices.contains(index) ? characters[index] : " "
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

    /// A cell; writing one keeps wide characters whole: a wide character written into the
    /// last column becomes a space, one written elsewhere takes the next cell as its
    /// continuation, and a wide character partly overwritten leaves a space of its style in
    /// its other half. So no write can shift the columns after it.
    public subscript(x: Int, y: Int) -> Cell {
        get {
            guard contains(x: x, y: y) else { return Cell() }
            return cells[y * width + x]
        }
        set {
            guard contains(x: x, y: y) else { return }
            let index = y * width + x, width = width
            // Through the storage: one check that it is not shared, not one per cell touched.
            cells.withUnsafeMutableBufferPointer { cells in
                // A cell copied from another frame: its wide character has placed it already.
                if newValue.isContinuation, cells[index].isContinuation { return }
                Buffer.breakWideCharacter(at: index, x: x, width: width, in: cells)
                guard newValue.columns == 2 else {
                    cells[index] = newValue.isContinuation ? Cell(scalar: " ", style: newValue.style) : newValue
                    return
                }
                guard x + 1 < width else {
                    cells[index] = Cell(scalar: " ", style: newValue.style)
                    return
                }
                Buffer.breakWideCharacter(at: index + 1, x: x + 1, width: width, in: cells)
                cells[index] = newValue
                cells[index + 1] = .continuation(style: newValue.style)
            }
        }
    }

    /// Before the cell at `index` (column `x`) of `cells`, rows `width` wide, is overwritten:
    /// if it is half of a wide character, the other half becomes a space of the same style.
    private static func breakWideCharacter(at index: Int, x: Int, width: Int, in cells: UnsafeMutableBufferPointer<Cell>) {
        if cells[index].isContinuation, x > 0 {
            cells[index - 1] = Cell(scalar: " ", style: cells[index - 1].style)
        } else if x + 1 < width, cells[index + 1].isContinuation {
            cells[index + 1] = Cell(scalar: " ", style: cells[index + 1].style)
        }
    }

    public func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// Writes `text` from (x, y) rightwards, clipped to the buffer and to `maxWidth`
    /// columns. A wide character takes two columns; one that would straddle the limit or an
    /// edge becomes a space, and zero-width characters with nothing to combine with are
    /// dropped. Returns the column after the last character written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain,
                             maxWidth: Int = .max) -> Int {
        var column = x
        let limit = min(width, maxWidth == .max ? Int.max : x + maxWidth)
        // Most text drawn is ASCII: each byte is a character one column wide (but for
        // "\r\n", one character of two bytes), so no grapheme breaking is needed.
        if text.utf8.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) {
            // The bytes from column max(x, 0) on, up to the limit, in one pass.
            let end = min(x + text.utf8.count, limit), first = max(x, 0)
            var bytes = text.utf8.dropFirst(first - x).makeIterator()
            writeNarrowRun(y: y, from: first, to: end) { _ in Cell(ascii: bytes.next() ?? 0x20, style: style) }
            return max(x, end)
        }
        // So is text of scalars that are each a character on their own (box drawing, arrows,
        // Greek letters, sub- and superscripts): a cell per scalar, no `Character` made.
        if text.unicodeScalars.allSatisfy(DisplayWidth.standsAlone) {
            for scalar in text.unicodeScalars {
                if column >= limit { break }
                column = put(Cell(scalar: scalar, style: style), x: column, y: y, limit: limit)
            }
            return column
        }
        for character in text {
            if column >= limit { break }
            column = put(Cell(character, style: style), x: column, y: y, limit: limit)
        }
        return column
    }

    /// Cells from (x, y) rightwards, as the subscript would write them one by one, clipped
    /// to the buffer; a row of narrow cells (a heatmap's) is copied in at once.
    mutating func put(_ row: [Cell], x: Int, y: Int) {
        guard row.allSatisfy({ $0.columns == 1 }) else {
            for (offset, cell) in row.enumerated() { self[x + offset, y] = cell }
            return
        }
        writeNarrowRun(y: y, from: x, to: x + row.count) { row[$0 - x] }
    }

    /// Narrow cells (`cell(column)`, one column wide, not continuations) written over columns
    /// `start` to `end` (excluded) of row `y` in one pass of the storage, as the subscript
    /// would write them one by one: only a wide character cut by the run's ends needs its
    /// outer half made a space. Columns or a row outside the buffer are left out.
    private mutating func writeNarrowRun(y: Int, from start: Int, to end: Int, _ cell: (Int) -> Cell) {
        let first = max(start, 0), end = min(end, width), width = width
        guard y >= 0, y < height, first < end else { return }
        cells.withUnsafeMutableBufferPointer { cells in
            let start = y * width
            Buffer.breakWideCharacter(at: start + first, x: first, width: width, in: cells)
            Buffer.breakWideCharacter(at: start + end - 1, x: end - 1, width: width, in: cells)
            for column in first..<end { cells[start + column] = cell(column) }
        }
    }

    /// One character of `put`'s text at `column`, before `limit`: returns the column after it.
    private mutating func put(_ cell: Cell, x column: Int, y: Int, limit: Int) -> Int {
        switch cell.columns {
        case 0:
            return column
        case 2 where column + 2 > limit || column < 0:
            // Half of it would be cut: a space keeps the columns where they are.
            if column + 1 >= 0 { self[max(column, 0), y] = Cell(scalar: " ", style: cell.style) }
            return column + (column < 0 ? 2 : 1)
        case let columns:
            self[column, y] = cell
            return column + columns
        }
    }

    /// Fills a rectangle with one cell.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, with cell: Cell = Cell()) {
        // A rectangle partly or wholly off the buffer fills only what is on it.
        let rows = max(0, y)..<max(max(0, y), min(height, y + h))
        let columns = max(0, x)..<max(max(0, x), min(width, x + w))
        guard !columns.isEmpty else { return }
        // A wide cell needs the subscript's pairing of halves, cell by cell.
        guard cell.columns == 1 else {
            for row in rows {
                for column in columns { self[column, row] = cell }
            }
            return
        }
        // A narrow one is copied straight in (every frame starts with a fill of the whole
        // buffer): only a wide character cut by the rectangle's edges needs its outer half
        // made a space, as the subscript would.
        let width = width
        cells.withUnsafeMutableBufferPointer { cells in
            for row in rows {
                let start = row * width
                Buffer.breakWideCharacter(at: start + columns.lowerBound, x: columns.lowerBound, width: width, in: cells)
                Buffer.breakWideCharacter(at: start + columns.upperBound - 1, x: columns.upperBound - 1, width: width,
                                          in: cells)
                UnsafeMutableBufferPointer(rebasing: cells[start + columns.lowerBound..<start + columns.upperBound])
                    .update(repeating: cell)
            }
        }
    }

    /// The frame as plain text, one line per row, trailing spaces trimmed.
    public var plainText: String {
        var lines: [String] = []
        for row in 0..<height {
            var line = ""
            for cell in cells[row * width..<(row + 1) * width] where !cell.isContinuation { cell.append(to: &line) }
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
        (0..<height).map(ansiLine).joined(separator: "\n")
    }

    /// Row `row` (0-based, in the buffer) as `ansiText` writes it.
    public func ansiLine(_ row: Int) -> String {
        guard (0..<height).contains(row) else { return "" }
        let rowCells = cells[row * width..<(row + 1) * width]
        let end = (rowCells.lastIndex { $0.singleScalar != " " || $0.style != .plain } ?? rowCells.startIndex - 1) + 1
        var line = ""
        var current = Style.plain
        for cell in rowCells[rowCells.startIndex..<end] where !cell.isContinuation {
            if cell.style != current {
                line += cell.style.sgr
                current = cell.style
            }
            cell.append(to: &line)
        }
        if current != .plain { line += Style.plain.sgr }
        return line
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
