//! The open documents, the files they are read with, and each document's
//! analysis: the library's own loader, resolver, compiler and linter, run
//! on the editor's text (open documents win over the disk, for includes too).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::Uri;

use crate::diagnostic::Diagnostic;
use crate::lint::Finding;
use crate::syntax::{FileSystem, MAX_FILE_BYTES, ParsedFile, RealFiles};
use crate::{DecisionTable, Level, Sources};

/// One document through the pipeline.
#[derive(Default)]
pub struct Analysis {
    /// The name the document's file has in diagnostics.
    pub name: String,
    /// Its parsed files (root first), when they all parsed.
    pub files: Vec<ParsedFile>,
    /// The compiled table, when the policy is valid.
    pub table: Option<DecisionTable>,
    /// Load, syntax and resolve errors.
    pub errors: Vec<Diagnostic>,
    /// Lint findings of the valid policy.
    pub findings: Vec<Finding>,
}

/// The local path a `file:` URI names; `None` for any other scheme.
pub fn uri_path(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let rest = text.strip_prefix("file://")?;
    // `file:///p` or `file://localhost/p`.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    percent_decode(rest).map(PathBuf::from)
}

/// The `file:` URI of a path (absolute paths; a relative one is taken as given).
pub fn path_uri(path: &Path) -> Option<Uri> {
    let mut out = String::from("file://");
    let text = path.to_string_lossy();
    if !text.starts_with('/') {
        out.push('/');
    }
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    Uri::from_str(&out).ok()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The disk, with the open documents in front of it.
pub struct Overlay<'a> {
    /// Open documents' texts by normalized path.
    pub open: &'a BTreeMap<PathBuf, String>,
}

impl Overlay<'_> {
    fn find(&self, path: &Path) -> Option<&String> {
        self.open.get(&crate::syntax::normalize_path(path))
    }
}

impl FileSystem for Overlay<'_> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.find(path) {
            Some(text) => Ok(text.clone().into_bytes()),
            None => RealFiles.read(path),
        }
    }

    fn read_at_most(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        match self.find(path) {
            Some(text) if text.len() as u64 > limit.min(MAX_FILE_BYTES) => {
                Err(io::Error::new(io::ErrorKind::FileTooLarge, "too large"))
            }
            Some(text) => Ok(text.clone().into_bytes()),
            None => RealFiles.read_at_most(path, limit),
        }
    }

    fn canonical(&self, path: &Path) -> io::Result<PathBuf> {
        // A document not saved yet has no file to resolve.
        RealFiles
            .canonical(path)
            .or_else(|_| Ok(crate::syntax::normalize_path(path)))
    }
}

/// Runs the pipeline on a document's text: `path` for a file on the disk
/// (includes read through `open` then the disk), else no file at all.
pub fn analyze(
    name: &str,
    text: &str,
    path: Option<&Path>,
    open: &BTreeMap<PathBuf, String>,
) -> Analysis {
    let mut analysis = Analysis {
        name: name.to_string(),
        ..Analysis::default()
    };
    if text.len() as u64 > MAX_FILE_BYTES {
        analysis.errors.push(Diagnostic::without_location(
            crate::diagnostic::code::IO_READ,
            Level::Error,
            format!(
                "{name} holds {} bytes, over the limit of {MAX_FILE_BYTES} for a policy file",
                text.len()
            ),
        ));
        return analysis;
    }
    let overlay = Overlay { open };
    let sources = match path {
        Some(_) => Sources::from(&overlay),
        None => Sources::none(),
    };
    let files = match sources.load_text(name, text) {
        Ok(files) => files,
        Err(e) => {
            analysis.errors = e.into_diagnostics();
            return analysis;
        }
    };
    match crate::resolve::resolve(&files) {
        Ok(policy) => {
            let table = crate::compile::compile(policy);
            analysis.findings = crate::lint::lint(&files, &table).findings;
            analysis.table = Some(table);
        }
        Err(errors) => analysis.errors = errors,
    }
    analysis.files = files;
    analysis
}

/// Most files a rename reads looking for the includers of its document.
pub const MAX_SCANNED_FILES: usize = 64;
/// A larger file is not looked at as an includer.
pub const MAX_SCANNED_BYTES: u64 = 1 << 20;

/// A file that loads the document (it includes it, directly or not), with
/// everything it loads, for a rename to edit and check them too.
pub struct Includer {
    /// Its name (its path), for messages.
    pub name: String,
    /// The document's name among the files it loads.
    pub doc_name: String,
    /// The index of every file it loads.
    pub index: super::index::Index,
}

/// The policy files that load the document at `path`, found by looking at
/// the open documents, then the `*.policy` files of the document's
/// directory and of each parent up to the workspace root holding it (the
/// directory alone when none does). Bounded: at most [`MAX_SCANNED_FILES`]
/// files looked at, none over [`MAX_SCANNED_BYTES`], and the loads stop
/// once they have read [`crate::syntax::MAX_TOTAL_BYTES`] together. A file
/// that does not load (a syntax error, a missing include) is left out.
pub fn includers(
    path: &Path,
    roots: &[PathBuf],
    open: &BTreeMap<PathBuf, String>,
) -> Vec<Includer> {
    let normal = crate::syntax::normalize_path(path);
    let real = |p: &Path| {
        RealFiles
            .canonical(p)
            .unwrap_or_else(|_| crate::syntax::normalize_path(p))
    };
    let target = real(&normal);
    let mut candidates: Vec<PathBuf> = open.keys().cloned().collect();
    for dir in scanned_dirs(&normal, roots) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "policy"))
            .collect();
        // Directory order is the file system's: sorted, the answer is the same every time.
        files.sort();
        candidates.extend(files);
    }
    let overlay = Overlay { open };
    let mut seen = std::collections::BTreeSet::new();
    let mut looked = 0;
    let mut read: u64 = 0;
    let mut out = Vec::new();
    for candidate in candidates {
        let candidate = crate::syntax::normalize_path(&candidate);
        if candidate == normal || !seen.insert(candidate.clone()) {
            continue;
        }
        if looked >= MAX_SCANNED_FILES || read > crate::syntax::MAX_TOTAL_BYTES {
            break;
        }
        looked += 1;
        let text = match open.get(&candidate) {
            Some(text) => text.clone(),
            None => match RealFiles.read_at_most(&candidate, MAX_SCANNED_BYTES) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(_) => continue,
                },
                Err(_) => continue,
            },
        };
        if text.len() as u64 > MAX_SCANNED_BYTES || !text.contains("include") {
            continue;
        }
        let name = candidate.display().to_string();
        let Ok(files) = Sources::from(&overlay).load_text(&name, &text) else {
            continue;
        };
        read = read.saturating_add(files.iter().map(|f| f.src.text().len() as u64).sum());
        let doc = files
            .iter()
            .skip(1)
            .find(|f| real(Path::new(f.src.name())) == target);
        if let Some(doc) = doc {
            out.push(Includer {
                doc_name: doc.src.name().to_string(),
                index: super::index::Index::new(&files),
                name,
            });
        }
    }
    out
}

/// The directories a rename looks in for includers: the file's own, then
/// each parent up to the deepest root holding the file.
fn scanned_dirs(path: &Path, roots: &[PathBuf]) -> Vec<PathBuf> {
    let Some(dir) = path.parent() else {
        return Vec::new();
    };
    let root = roots
        .iter()
        .map(|r| crate::syntax::normalize_path(r))
        .filter(|r| dir.starts_with(r))
        .max_by_key(|r| r.components().count());
    let mut out = vec![dir.to_path_buf()];
    if let Some(root) = root {
        let mut at = dir;
        while at != root {
            let Some(parent) = at.parent() else {
                break;
            };
            out.push(parent.to_path_buf());
            at = parent;
        }
    }
    out
}
