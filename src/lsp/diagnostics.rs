//! The pipeline's diagnostics and lint findings as the protocol's, grouped
//! by the file they point into.

use std::collections::BTreeMap;

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Position, Range, Uri,
};

use super::text::loc_range;
use super::workspace::{Analysis, path_uri};
use crate::diagnostic::Diagnostic;
use crate::source::Loc;
use crate::{Level, lint};

/// Where the lint rules are documented (a finding's code links there).
const LINT_DOCS: &str = "https://github.com/rolecall/rolecall/blob/main/docs/lint.md";

/// The URI of a file as diagnostics name it: the document's own name maps
/// back to its URI, any other to a `file:` URI of that path.
pub fn file_uri(name: &str, own_name: &str, own_uri: &Uri) -> Option<Uri> {
    if name == own_name {
        return Some(own_uri.clone());
    }
    path_uri(&crate::syntax::normalize_path(std::path::Path::new(name)))
}

fn severity(level: Level) -> DiagnosticSeverity {
    match level {
        Level::Error => DiagnosticSeverity::ERROR,
        Level::Warning => DiagnosticSeverity::WARNING,
        Level::Info => DiagnosticSeverity::INFORMATION,
    }
}

fn location(loc: &Loc, own_name: &str, own_uri: &Uri) -> Option<Location> {
    Some(Location::new(
        file_uri(loc.src.name(), own_name, own_uri)?,
        loc_range(loc),
    ))
}

/// One diagnostic: its primary label's range (the top of the file when it
/// has none), the other labels and related notes as related information.
fn convert(d: &Diagnostic, own_name: &str, own_uri: &Uri) -> (Uri, lsp_types::Diagnostic) {
    let (uri, range) = match d.primary() {
        Some(loc) => match location(loc, own_name, own_uri) {
            Some(l) => (l.uri, l.range),
            None => (own_uri.clone(), Range::default()),
        },
        None => (
            own_uri.clone(),
            Range::new(Position::new(0, 0), Position::new(0, 0)),
        ),
    };
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let mut related = Vec::new();
    for (loc, label) in d.labels.iter().skip(1) {
        if let Some(location) = location(loc, own_name, own_uri) {
            related.push(DiagnosticRelatedInformation {
                location,
                message: label.clone(),
            });
        }
    }
    for note in &d.related {
        for (loc, label) in &note.labels {
            if let Some(location) = location(loc, own_name, own_uri) {
                let text = if label.is_empty() {
                    &note.message
                } else {
                    label
                };
                related.push(DiagnosticRelatedInformation {
                    location,
                    message: text.clone(),
                });
            }
        }
    }
    let lint_id = d.code.strip_prefix("rolecall::lint::");
    let diagnostic = lsp_types::Diagnostic {
        range,
        severity: Some(severity(d.level)),
        code: Some(NumberOrString::String(d.code.to_string())),
        code_description: lint_id.and_then(|id| {
            let href = format!("{LINT_DOCS}#{id}");
            Some(CodeDescription {
                href: href.parse().ok()?,
            })
        }),
        source: Some("rolecall".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    };
    (uri, diagnostic)
}

/// The most diagnostics published for one file: past it, one more says how
/// many were left out. An editor lists no more usefully, and a document of
/// a million unused facts would otherwise be a message of hundreds of MB.
pub const MAX_PER_FILE: usize = 1000;

/// Every diagnostic of an analysis, by the URI of the file it is in (at
/// most `MAX_PER_FILE` each, errors first, then one saying how many more);
/// the document's own URI is always present (maybe with none), so it is cleared.
pub fn by_file(
    analysis: &Analysis,
    own_uri: &Uri,
) -> BTreeMap<String, (Uri, Vec<lsp_types::Diagnostic>)> {
    let mut out: BTreeMap<String, (Uri, Vec<lsp_types::Diagnostic>)> = BTreeMap::new();
    out.insert(own_uri.as_str().to_string(), (own_uri.clone(), Vec::new()));
    let mut left_out: BTreeMap<String, usize> = BTreeMap::new();
    let findings = analysis.findings.iter().map(lint::Finding::diagnostic);
    for d in analysis.errors.iter().cloned().chain(findings) {
        let file = file_of(&d, &analysis.name, own_uri);
        let (uri, list) = out
            .entry(file.as_str().to_string())
            .or_insert_with(|| (file, Vec::new()));
        if list.len() < MAX_PER_FILE {
            list.push(convert(&d, &analysis.name, own_uri).1);
        } else {
            *left_out.entry(uri.as_str().to_string()).or_default() += 1;
        }
    }
    for (key, n) in left_out {
        if let Some((_, list)) = out.get_mut(&key) {
            list.push(lsp_types::Diagnostic {
                range: Range::default(),
                severity: Some(DiagnosticSeverity::INFORMATION),
                code: Some(NumberOrString::String("rolecall::lsp::too_many".to_string())),
                source: Some("rolecall".to_string()),
                message: format!(
                    "{n} more diagnostics in this file are not shown (the first {MAX_PER_FILE} are); `rolecall check` and `rolecall lint` list them all"
                ),
                ..lsp_types::Diagnostic::default()
            });
        }
    }
    out
}

/// The URI of the file a diagnostic is in, without converting the rest of it.
fn file_of(d: &Diagnostic, own_name: &str, own_uri: &Uri) -> Uri {
    d.primary()
        .and_then(|loc| file_uri(loc.src.name(), own_name, own_uri))
        .unwrap_or_else(|| own_uri.clone())
}
