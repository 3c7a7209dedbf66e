//! The diagnostic every stage reports: a message, labelled spans, a help line.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, Severity};

use crate::source::{Loc, SourceFile};

/// The codes of the pipeline's diagnostics (reading files, includes, syntax,
/// resolution), each written once, here: every command that reads a policy
/// can print them, and a test checks each has a case that produces it. A
/// pipeline diagnostic made with a code missing here fails debug builds.
pub mod code {
    macro_rules! codes {
        ($($name:ident = $text:literal;)*) => {
            $(
                #[doc = concat!("`", $text, "`")]
                pub const $name: &str = $text;
            )*
            /// Every code above.
            pub const ALL: &[&str] = &[$($name),*];
        };
    }
    codes! {
        INCLUDE_CYCLE = "rolecall::include::cycle";
        INCLUDE_MISSING = "rolecall::include::missing";
        INCLUDE_OUTSIDE = "rolecall::include::outside";
        INCLUDE_TOO_MANY = "rolecall::include::too_many";
        INCLUDE_TOTAL_SIZE = "rolecall::include::total_size";
        IO_READ = "rolecall::io::read";
        IO_UTF8 = "rolecall::io::utf8";
        RESOLVE_CYCLE = "rolecall::resolve::cycle";
        RESOLVE_DUPLICATE = "rolecall::resolve::duplicate";
        RESOLVE_INVALID = "rolecall::resolve::invalid";
        RESOLVE_UNKNOWN_ACTION = "rolecall::resolve::unknown_action";
        RESOLVE_UNKNOWN_FACT = "rolecall::resolve::unknown_fact";
        RESOLVE_UNKNOWN_KIND = "rolecall::resolve::unknown_kind";
        RESOLVE_UNKNOWN_ROLE = "rolecall::resolve::unknown_role";
        RESOLVE_UNKNOWN_SCOPE = "rolecall::resolve::unknown_scope";
        RESOLVE_UNKNOWN_SETTING = "rolecall::resolve::unknown_setting";
        RESOLVE_UNKNOWN_VALUE = "rolecall::resolve::unknown_value";
        RESOLVE_WRONG_SCOPE = "rolecall::resolve::wrong_scope";
        SYNTAX_ATTRIBUTE_IN_CONDITION = "rolecall::syntax::attribute_in_condition";
        SYNTAX_BAD_ESCAPE = "rolecall::syntax::bad_escape";
        SYNTAX_CONDITION_NOT_ALLOWED = "rolecall::syntax::condition_not_allowed";
        SYNTAX_DASH_IN_NAME = "rolecall::syntax::dash_in_name";
        SYNTAX_NUMBER_TOO_LARGE = "rolecall::syntax::number_too_large";
        SYNTAX_OUT_OF_STACK = "rolecall::syntax::out_of_stack";
        SYNTAX_TOO_DEEP = "rolecall::syntax::too_deep";
        SYNTAX_TOO_MANY = "rolecall::syntax::too_many";
        SYNTAX_UNCLOSED = "rolecall::syntax::unclosed";
        SYNTAX_UNEXPECTED = "rolecall::syntax::unexpected";
        SYNTAX_UNEXPECTED_EOF = "rolecall::syntax::unexpected_eof";
        SYNTAX_UNTERMINATED_STRING = "rolecall::syntax::unterminated_string";
        SYNTAX_WILDCARD = "rolecall::syntax::wildcard";
    }

    /// Whether `code` is a pipeline code (by its stage) that is not registered.
    pub(crate) fn unregistered(code: &str) -> bool {
        [
            "rolecall::io::",
            "rolecall::include::",
            "rolecall::syntax::",
            "rolecall::resolve::",
        ]
        .iter()
        .any(|stage| code.starts_with(stage))
            && !ALL.contains(&code)
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth knowing; never fails a command.
    Info,
    /// Likely a mistake.
    Warning,
    /// The policy is wrong or cannot be used.
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        })
    }
}

/// A problem found in a policy, shown to a person through miette.
///
/// Each stage has its own `thiserror` enum of what can go wrong; it turns each
/// value into a `Diagnostic` carrying the spans, so every stage renders alike.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable identifier, e.g. `rolecall::resolve::unknown_role`: a static
    /// string, so that no code is assembled at run time and each is written
    /// once beside the error it names.
    pub code: &'static str,
    /// How bad it is.
    pub level: Level,
    /// One sentence saying what is wrong.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// The file the labels point into (miette renders one file per diagnostic).
    pub src: Option<Arc<SourceFile>>,
    /// Labelled ranges in `src`; the first is the primary one.
    pub labels: Vec<(Loc, String)>,
    /// Notes pointing into other files ("first declared here").
    pub related: Vec<Diagnostic>,
}

impl Diagnostic {
    /// A diagnostic with a primary label at `loc`.
    pub fn new(
        code: &'static str,
        level: Level,
        message: impl Into<String>,
        loc: &Loc,
        label: impl Into<String>,
    ) -> Self {
        debug_assert!(
            !code::unregistered(code),
            "{code} is not in diagnostic::code"
        );
        Diagnostic {
            code,
            level,
            message: message.into(),
            help: None,
            src: Some(Arc::clone(&loc.src)),
            labels: vec![(loc.clone(), label.into())],
            related: Vec::new(),
        }
    }

    /// A diagnostic about no place in a file (a missing file, say).
    pub fn without_location(code: &'static str, level: Level, message: impl Into<String>) -> Self {
        debug_assert!(
            !code::unregistered(code),
            "{code} is not in diagnostic::code"
        );
        Diagnostic {
            code,
            level,
            message: message.into(),
            help: None,
            src: None,
            labels: Vec::new(),
            related: Vec::new(),
        }
    }

    /// Adds the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary label; in another file it becomes a related note.
    pub fn with_label(mut self, loc: &Loc, label: impl Into<String>) -> Self {
        let same_file = self
            .src
            .as_ref()
            .is_some_and(|src| Arc::ptr_eq(src, &loc.src));
        if same_file {
            self.labels.push((loc.clone(), label.into()));
        } else {
            let label = label.into();
            self.related.push(Diagnostic::new(
                self.code,
                Level::Info,
                label.clone(),
                loc,
                label,
            ));
        }
        self
    }

    /// The primary location, if any.
    pub fn primary(&self) -> Option<&Loc> {
        self.labels.first().map(|(loc, _)| loc)
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// Renders the diagnostic as miette's graphical report, without color, at
    /// a fixed width: the form the tests snapshot.
    pub fn render_plain(&self) -> String {
        render(self, false, 100)
    }
}

/// Renders with miette's graphical handler; `color` picks the themed or plain style.
pub fn render(diagnostic: &Diagnostic, color: bool, width: usize) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme};
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    let mut out = String::new();
    let windowed = windowed(diagnostic);
    let diagnostic = windowed.as_ref().unwrap_or(diagnostic);
    match handler.render_report(&mut out, diagnostic) {
        Ok(()) => out,
        Err(_) => format!("{}: {}\n", diagnostic.level, diagnostic.message),
    }
}

/// The longest line a snippet shows whole. miette pads a label to its
/// column with a format width, which panics past 65,535 columns, and a line
/// of megabytes (a one-line JSON file) is no help to read: past this, the
/// snippet is a window of the line around the label.
const LONG_LINE: usize = 1_000;

/// Bytes shown on either side of a label in a window.
const WINDOW: usize = 60;

/// `diagnostic` with every label on a long line shown in a window of its
/// own (its file's name then says where the window is); `None` when no
/// label is on a long line, the common case, which costs a look at each
/// label's line.
fn windowed(diagnostic: &Diagnostic) -> Option<Diagnostic> {
    let long = |loc: &Loc| long_line(loc).is_some();
    let related_windowed: Vec<Option<Diagnostic>> =
        diagnostic.related.iter().map(windowed).collect();
    let any_label = diagnostic.labels.iter().any(|(loc, _)| long(loc));
    if !any_label && related_windowed.iter().all(Option::is_none) {
        return None;
    }
    let mut out = diagnostic.clone();
    out.related = diagnostic
        .related
        .iter()
        .zip(related_windowed)
        .map(|(d, w)| w.unwrap_or_else(|| d.clone()))
        .collect();
    if any_label {
        // One window per label: the first stays this diagnostic's own, each
        // other one becomes a note, so no label is lost.
        let mut labels = diagnostic.labels.iter();
        out.labels.clear();
        out.src = None;
        if let Some((loc, text)) = labels.next() {
            let loc = window(loc);
            out.src = Some(Arc::clone(&loc.src));
            out.labels.push((loc, text.clone()));
        }
        for (loc, text) in labels {
            let note = Diagnostic::new(diagnostic.code, Level::Info, text, &window(loc), text);
            out.related.push(note);
        }
    }
    Some(out)
}

/// `loc` moved into a file holding only a window of its line (a short line
/// comes back as it is).
fn window(loc: &Loc) -> Loc {
    let src = &loc.src;
    let text = src.text();
    let Some((line, span)) = long_line(loc) else {
        return loc.clone();
    };
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = loc.start.clamp(span.start, span.end);
    let end = loc.end.clamp(start, span.end).min(start + 2 * WINDOW);
    let from = floor(start.saturating_sub(WINDOW).max(span.start));
    let to = floor((end + WINDOW).min(span.end));
    let before = if from > span.start { "…" } else { "" };
    let after = if to < span.end { "…" } else { "" };
    let shown = format!("{before}{}{after}", text.get(from..to).unwrap_or(""));
    let (_, column) = src.line_col(start);
    let name = format!(
        "{} (line {line}, column {column}: a line of {} bytes, shown around the label)",
        src.name(),
        span.len()
    );
    let window = SourceFile::new(name, shown);
    let shift = before.len();
    Loc::new(
        &window,
        start - from + shift,
        floor(end).max(start) - from + shift,
    )
}

/// The line `loc` starts on and its byte range, when it is longer than [`LONG_LINE`].
fn long_line(loc: &Loc) -> Option<(usize, std::ops::Range<usize>)> {
    let line = loc.src.line(loc.start);
    let span = loc.src.line_span(line)?;
    (span.len() > LONG_LINE).then_some((line, span))
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(match self.level {
            Level::Info => Severity::Advice,
            Level::Warning => Severity::Warning,
            Level::Error => Severity::Error,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.src.as_deref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().enumerate().map(
            |(i, (loc, text))| {
                let label = (!text.is_empty()).then(|| text.clone());
                if i == 0 {
                    LabeledSpan::new_primary_with_span(label, loc.span())
                } else {
                    LabeledSpan::new_with_span(label, loc.span())
                }
            },
        )))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|d| d as &dyn miette::Diagnostic),
        ))
    }
}

/// Why a policy could not be used: every diagnostic of every file, errors
/// and the warnings reported with them, in position order.
///
/// It is an [`std::error::Error`] and a [`miette::Diagnostic`] (each
/// diagnostic is one of its `related`), so `?` carries it into
/// `Box<dyn Error>` or `miette::Result`; it dereferences to the slice of
/// diagnostics for callers that show them one by one.
///
/// ```
/// fn load() -> Result<rolecall::DecisionTable, Box<dyn std::error::Error>> {
///     Ok(rolecall::compile_str("p.policy", "scope s { role r role r }")?)
/// }
/// let error = load().unwrap_err();
/// assert_eq!(error.to_string(), "p.policy: 1 error: role `r` is declared twice");
/// ```
#[derive(Debug, Clone)]
pub struct CompileError {
    diagnostics: Vec<Diagnostic>,
}

impl CompileError {
    /// Wraps the diagnostics of a failed load, resolution or check.
    pub fn new(diagnostics: Vec<Diagnostic>) -> Self {
        CompileError { diagnostics }
    }

    /// Every diagnostic, in position order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The diagnostics, owned.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }

    /// How many of the diagnostics are errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

impl From<Vec<Diagnostic>> for CompileError {
    fn from(diagnostics: Vec<Diagnostic>) -> Self {
        CompileError::new(diagnostics)
    }
}

impl std::ops::Deref for CompileError {
    type Target = [Diagnostic];
    fn deref(&self) -> &[Diagnostic] {
        &self.diagnostics
    }
}

impl IntoIterator for CompileError {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.diagnostics.into_iter()
    }
}

impl fmt::Display for CompileError {
    /// `FILE: N errors: FIRST MESSAGE`, one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.error_count();
        let first = self
            .diagnostics
            .iter()
            .find(|d| d.is_error())
            .or(self.diagnostics.first());
        if let Some(file) = first.and_then(|d| d.src.as_ref()) {
            write!(f, "{}: ", file.name())?;
        }
        write!(f, "{errors} error{}", if errors == 1 { "" } else { "s" })?;
        if let Some(d) = first {
            write!(f, ": {}", d.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for CompileError {}

impl miette::Diagnostic for CompileError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("rolecall::invalid_policy"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(
            "each diagnostic below says where and what to change",
        ))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        Some(Box::new(
            self.diagnostics
                .iter()
                .map(|d| d as &dyn miette::Diagnostic),
        ))
    }
}

impl<'a> IntoIterator for &'a CompileError {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.diagnostics.iter()
    }
}
