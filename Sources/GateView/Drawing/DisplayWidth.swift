/// How many terminal columns text takes: East Asian wide and fullwidth characters take two,
/// combining marks none, everything else one (ambiguous-width characters such as σ, … and
/// the block elements count as narrow, as terminals outside East Asian locales draw them).
///
/// The wide ranges are the East Asian Width W and F characters of Unicode 14.0
/// (EastAsianWidth.txt), exactly the characters glibc 2.36's wcwidth gives two columns in
/// a UTF-8 locale, so the buffer and curses agree on every column; gaps of unassigned code
/// points inside a wide block are taken in, so the table stays short.
enum DisplayWidth {
    /// Sorted, disjoint ranges of code points two columns wide.
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0,
        0x23F3...0x23F3, 0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F,
        0x2693...0x2693, 0x26A1...0x26A1, 0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5,
        0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA, 0x26F2...0x26F3, 0x26F5...0x26F5,
        0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B, 0x2728...0x2728,
        0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
        0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55,
        0x2E80...0x3029, 0x302E...0x303E, 0x3041...0x3096, 0x309B...0xA4C6, 0xA960...0xA97C,
        0xAC00...0xD7A3, 0xF900...0xFAD9, 0xFE10...0xFE19, 0xFE30...0xFE6B, 0xFF01...0xFF60,
        0xFFE0...0xFFE6, 0x16FE0...0x16FE3, 0x16FF0...0x1B2FB, 0x1F004...0x1F004, 0x1F0CF...0x1F0CF,
        0x1F18E...0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F320, 0x1F32D...0x1F335, 0x1F337...0x1F37C,
        0x1F37E...0x1F393, 0x1F3A0...0x1F3CA, 0x1F3CF...0x1F3D3, 0x1F3E0...0x1F3F0, 0x1F3F4...0x1F3F4,
        0x1F3F8...0x1F43E, 0x1F440...0x1F440, 0x1F442...0x1F4FC, 0x1F4FF...0x1F53D, 0x1F54B...0x1F54E,
        0x1F550...0x1F567, 0x1F57A...0x1F57A, 0x1F595...0x1F596, 0x1F5A4...0x1F5A4, 0x1F5FB...0x1F64F,
        0x1F680...0x1F6C5, 0x1F6CC...0x1F6CC, 0x1F6D0...0x1F6D2, 0x1F6D5...0x1F6DF, 0x1F6EB...0x1F6EC,
        0x1F6F4...0x1F6FC, 0x1F7E0...0x1F7F0, 0x1F90C...0x1F93A, 0x1F93C...0x1F945, 0x1F947...0x1F9FF,
        0x1FA70...0x1FAF6, 0x20000...0x3134A,
    ]

    /// Columns of one scalar: 0 for a combining mark or an invisible format character, 2 for
    /// a wide one, else 1 (a control character too: the screen shows it as "?").
    static func columns(of scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        // Below U+0300 nothing is wide or combining (a soft hyphen, U+00AD, is shown), nor
        // from U+2100 to U+2319 and from U+23F4 to U+25FC: letterlike symbols, arrows,
        // maths, box drawing, blocks, shapes, most of the glyphs gatescope draws.
        if value < 0x300 || (0x2100..<0x231A).contains(value) || (0x23F4..<0x25FD).contains(value) { return 1 }
        // U+2100–U+2CEE (arrows, maths, box drawing, blocks, shapes: most of the glyphs
        // gatescope draws) has nothing zero-width, so the category need not be looked up.
        if !(0x2100..<0x2CEF).contains(value) {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .enclosingMark, .format: return 0
            default: break
            }
        }
        // Binary search for the last range starting at or before the scalar.
        var low = 0, high = wideRanges.count
        while low < high {
            let middle = (low + high) / 2
            if wideRanges[middle].lowerBound <= value { low = middle + 1 } else { high = middle }
        }
        return low > 0 && wideRanges[low - 1].contains(value) ? 2 : 1
    }

    /// Whether the scalar is a character on its own whatever surrounds it (Unicode's grapheme
    /// cluster boundary rules put a break on both sides of it): ASCII but a carriage return,
    /// which joins a line feed; Latin-1 and its extensions; Greek and Cyrillic letters; and
    /// punctuation, sub- and superscripts, letterlike symbols, arrows, maths, box drawing,
    /// blocks and shapes, but not the joiners (U+200C, U+200D) or the marks for symbols
    /// (U+20D0–U+20FF). None of these is Extend, SpacingMark, Prepend, a Hangul jamo, a
    /// regional indicator or an emoji modifier, so text made only of them has one character
    /// per scalar: most of what the screen writes, once it is not plain ASCII.
    static func standsAlone(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0D: false
        case 0..<0x300, 0x370..<0x483, 0x2000..<0x200C, 0x200E..<0x20D0, 0x2100..<0x2C00: true
        default: false
        }
    }

    /// Columns of a character as the terminal draws it: its first scalar's, since the
    /// scalars after it (accents, variation selectors) combine with it.
    static func columns(of character: Character) -> Int {
        // Most characters drawn are ASCII: one UTF-8 byte.
        if character.utf8.count == 1 { return 1 }
        guard let first = character.unicodeScalars.first else { return 0 }
        return columns(of: first)
    }
}

extension StringProtocol {
    /// The columns the text takes on a terminal (see `DisplayWidth`).
    public var displayWidth: Int {
        // ASCII text (nearly all of it): a column a byte, but "\r\n" is one character.
        if utf8.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) { return utf8.count }
        // Scalars that are characters on their own need no grapheme breaking either.
        if unicodeScalars.allSatisfy(DisplayWidth.standsAlone) {
            return unicodeScalars.reduce(0) { $0 + DisplayWidth.columns(of: $1) }
        }
        return reduce(0) { $0 + DisplayWidth.columns(of: $1) }
    }

    /// The longest start of the text that fits in `columns` columns: a wide character that
    /// would straddle the limit is left out, with what follows it.
    public func prefix(columns: Int) -> SubSequence {
        var used = 0
        var end = startIndex
        while end < endIndex {
            let next = used + DisplayWidth.columns(of: self[end])
            if next > columns { break }
            used = next
            end = index(after: end)
        }
        return self[startIndex..<end]
    }
}
