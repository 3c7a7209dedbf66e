//! Source files and locations: the one span type every diagnostic renders from.

use std::fmt;
use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// One policy file's text and the name it is shown under.
#[derive(PartialEq, Eq)]
pub struct SourceFile {
    name: String,
    text: String,
    /// Byte offset of each line's first byte, so a line number is a binary
    /// search, not a count of the newlines before it (answers cite `file:line`).
    line_starts: Vec<usize>,
    /// Whether the text holds a `\r` (miette then counts lines its own way).
    has_cr: bool,
    /// Whether the file as stored started with a byte-order mark (U+FEFF),
    /// which is not part of `text`: an editor's first line counts it.
    bom: bool,
}

impl fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceFile")
            .field("name", &self.name)
            .field("text", &self.text)
            .field("bom", &self.bom)
            .finish()
    }
}

impl SourceFile {
    /// Wraps `text` shown as `name` in diagnostics (usually the path as given).
    ///
    /// A lone carriage return ends a line for the grammar, so it becomes a
    /// line feed here, once for every stage: the nesting scan, line numbers
    /// and rendered diagnostics then all see the lines pest sees. The
    /// replacement keeps every byte offset.
    ///
    /// A byte-order mark at the start is not part of the policy: it is
    /// left out of the text (offsets count from the byte after it) and
    /// recorded ([`SourceFile::has_bom`]), so positions in the file as an
    /// editor holds it can still be given.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        let mut text = text.into();
        let bom = text.starts_with(BOM);
        if bom {
            text.replace_range(..BOM.len_utf8(), "");
        }
        let text = lone_carriage_returns_to_line_feeds(text);
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Arc::new(SourceFile {
            name: name.into(),
            has_cr: text.contains('\r'),
            text,
            line_starts,
            bom,
        })
    }

    /// Whether the file started with a byte-order mark, left out of [`SourceFile::text`].
    pub fn has_bom(&self) -> bool {
        self.bom
    }

    /// The name diagnostics show for this file.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text of the file.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line of a byte offset: a binary search of the line starts,
    /// so citing a rule costs the same whatever the size of its file.
    pub fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        // Lines starting at or before `offset`: the newlines before it, plus one.
        self.line_starts.partition_point(|&start| start <= offset)
    }

    /// The byte range of 1-based line `line`, without its line end (`\n`
    /// or `\r\n`); `None` past the last line.
    pub fn line_span(&self, line: usize) -> Option<std::ops::Range<usize>> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |next| next.saturating_sub(1));
        let end = if self.text.get(start..end).is_some_and(|l| l.ends_with('\r')) {
            end.saturating_sub(1)
        } else {
            end
        };
        Some(start..end.max(start))
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let before = self.text.get(..offset).unwrap_or(&self.text);
        let line = self.line(before.len());
        let column = before.rfind('\n').map_or(before.chars().count(), |nl| {
            before.get(nl + 1..).map_or(0, |tail| tail.chars().count())
        }) + 1;
        (line, column)
    }
}

/// The byte-order mark.
const BOM: char = '\u{feff}';

/// `\r` not followed by `\n` becomes `\n`; `\r\n` stays as it is.
fn lone_carriage_returns_to_line_feeds(text: String) -> String {
    if !text.contains('\r') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() != Some(&'\n') {
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

impl SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // miette finds a span's lines by scanning the text from its start: a
        // cost in proportion to the file for each diagnostic (12,000 lint
        // findings in a 180 KB file: 4 s). Scan from the first line shown
        // instead, found in `line_starts`, and shift what it returns. With a
        // `\r` in the file miette's lines are not those of `line_starts`:
        // then the whole text is scanned, as before.
        let offset = span.offset();
        let window = if self.has_cr || offset > self.text.len() {
            0
        } else {
            let line = self
                .line_starts
                .partition_point(|&start| start <= offset)
                .saturating_sub(1);
            // One line more than shown, so the span never starts the scanned
            // text: miette's arithmetic saturates at offset 0 for an empty span.
            line.saturating_sub(context_lines_before + 1)
        };
        let start = self.line_starts.get(window).copied().unwrap_or(0);
        let tail = self.text.as_bytes().get(start..).unwrap_or_default();
        let shifted = SourceSpan::new(offset.saturating_sub(start).into(), span.len());
        let inner = tail.read_span(&shifted, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new((inner.span().offset() + start).into(), inner.span().len()),
            inner.line() + window,
            inner.column(),
            inner.line_count() + window,
        )))
    }
}

/// A byte range in one source file, carrying the file so it can render anywhere.
#[derive(Clone)]
pub struct Loc {
    /// The file the range is in.
    pub src: Arc<SourceFile>,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Loc {
    /// A location covering `start..end` of `src`.
    pub fn new(src: &Arc<SourceFile>, start: usize, end: usize) -> Self {
        Loc {
            src: Arc::clone(src),
            start,
            end,
        }
    }

    /// The miette span: (offset, length), not (start, end).
    pub fn span(&self) -> SourceSpan {
        SourceSpan::new(self.start.into(), self.end.saturating_sub(self.start))
    }

    /// The text this location covers.
    pub fn text(&self) -> &str {
        self.src.text().get(self.start..self.end).unwrap_or("")
    }

    /// 1-based line of the start.
    pub fn line(&self) -> usize {
        self.src.line(self.start)
    }

    /// `file:line`, the form answers and tables cite rules by.
    pub fn file_line(&self) -> String {
        format!("{}:{}", self.src.name(), self.line())
    }

    /// The smallest location covering both (same file assumed).
    pub fn to(&self, other: &Loc) -> Loc {
        Loc::new(
            &self.src,
            self.start.min(other.start),
            self.end.max(other.end),
        )
    }
}

impl fmt::Debug for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}..{}", self.src.name(), self.start, self.end)
    }
}

/// Locations never take part in equality: two trees that differ only in layout are equal.
impl PartialEq for Loc {
    fn eq(&self, _: &Loc) -> bool {
        true
    }
}
impl Eq for Loc {}
