//! Positions: the protocol counts UTF-16 code units on a line, the
//! pipeline counts bytes in a file; this converts one to the other.

use lsp_types::{Position, Range};

use crate::source::{Loc, SourceFile};

/// The position of byte `offset` of a loaded file (its line from the
/// file's own line table). A byte-order mark the file started with is not
/// in its text but is in the editor's: one more UTF-16 unit on line 0.
pub fn position_in(src: &SourceFile, offset: usize) -> Position {
    let text = src.text();
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line = src.line(offset);
    let start = src.line_span(line).map_or(0, |span| span.start);
    let mut column: usize = text
        .get(start..offset)
        .unwrap_or("")
        .chars()
        .map(char::len_utf16)
        .sum();
    if line == 1 && src.has_bom() {
        column += 1;
    }
    Position::new(to_u32(line.saturating_sub(1)), to_u32(column))
}

/// The byte offset in a loaded file of an editor's `position`, the inverse
/// of [`position_in`]: past a line's end, the line's end; past the last
/// line, the text's end; on the byte-order mark, the text's start.
pub fn offset_in(src: &SourceFile, position: Position) -> usize {
    let Some(span) = src.line_span((position.line as usize).saturating_add(1)) else {
        return src.text().len();
    };
    let mut wanted = position.character as usize;
    if position.line == 0 && src.has_bom() {
        wanted = wanted.saturating_sub(1);
    }
    let line = src.text().get(span.clone()).unwrap_or("");
    let mut units = 0usize;
    for (i, c) in line.char_indices() {
        if units >= wanted {
            return span.start + i;
        }
        units += c.len_utf16();
    }
    span.end
}

/// The range of a location.
pub fn loc_range(loc: &Loc) -> Range {
    Range::new(
        position_in(&loc.src, loc.start),
        position_in(&loc.src, loc.end),
    )
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_positions_agree_across_utf16() {
        let src = SourceFile::new("t", "ab\n\u{e9}\u{1F600}x\n");
        let text = src.text();
        let x = text.find('x').unwrap_or(0);
        assert_eq!(position_in(&src, x), Position::new(1, 3));
        assert_eq!(offset_in(&src, Position::new(1, 3)), x);
        assert_eq!(offset_in(&src, Position::new(1, 99)), x + 1);
        assert_eq!(offset_in(&src, Position::new(9, 0)), text.len());
        assert_eq!(position_in(&src, x - 1), Position::new(1, 1));
    }

    #[test]
    fn a_byte_order_mark_is_one_unit_of_line_zero_only() {
        let src = SourceFile::new("t", "\u{feff}ab\r\ncd\rx");
        assert!(src.has_bom());
        assert_eq!(src.text(), "ab\r\ncd\nx");
        // `b`: byte 1 of the text, unit 2 of the editor's line 0.
        assert_eq!(position_in(&src, 1), Position::new(0, 2));
        assert_eq!(offset_in(&src, Position::new(0, 2)), 1);
        // The mark itself and the place before it: the text's start.
        assert_eq!(offset_in(&src, Position::new(0, 0)), 0);
        assert_eq!(offset_in(&src, Position::new(0, 1)), 0);
        // Past line 0's end: before its `\r\n`.
        assert_eq!(offset_in(&src, Position::new(0, 99)), 2);
        // Later lines are not shifted; a lone `\r` ends a line for both.
        assert_eq!(position_in(&src, 5), Position::new(1, 1));
        assert_eq!(offset_in(&src, Position::new(1, 1)), 5);
        assert_eq!(offset_in(&src, Position::new(2, 0)), 7);
        assert_eq!(position_in(&src, 7), Position::new(2, 0));
    }
}
