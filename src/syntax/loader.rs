//! Loading a policy: the root file and every file it includes.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ast::{File, Item};
use super::parser::parse_file;
use crate::diagnostic::{Diagnostic, Level};
use crate::source::SourceFile;

/// Where policy files are read from: the disk, or memory for embedded policies and tests.
pub trait FileSystem {
    /// The bytes of the file at `path`.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
}

/// Reads from the disk.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFiles;

impl FileSystem for RealFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        read_limited(path)
    }
}

/// Largest policy file read, in bytes (64 MiB): a path naming an endless
/// device (`/dev/zero`) or a huge file is an error, not a read until memory
/// runs out.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Reads a whole file of at most [`MAX_FILE_BYTES`].
pub fn read_limited(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("larger than {} MiB", MAX_FILE_BYTES >> 20),
        ));
    }
    Ok(bytes)
}

/// Files held in memory, by path.
#[derive(Debug, Default, Clone)]
pub struct MemoryFiles {
    files: HashMap<PathBuf, Vec<u8>>,
}

impl MemoryFiles {
    /// An empty set of files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file.
    pub fn with(mut self, path: impl Into<PathBuf>, text: impl Into<Vec<u8>>) -> Self {
        self.files.insert(path.into(), text.into());
        self
    }
}

impl FileSystem for MemoryFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }
}

/// A parsed file and, for each of its `include` items in order, which file it loads.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    /// The text.
    pub src: Arc<SourceFile>,
    /// The tree.
    pub tree: File,
    /// Index into the loaded files of each `include`, in order; `None` when it
    /// could not be loaded (a diagnostic says why).
    pub includes: Vec<Option<usize>>,
}

/// Most files one policy may pull in through `include`.
pub const MAX_FILES: usize = 256;

/// Loads a policy and its includes, collecting every problem.
pub struct Loader<'fs> {
    fs: &'fs dyn FileSystem,
    files: Vec<ParsedFile>,
    by_path: HashMap<PathBuf, usize>,
    errors: Vec<Diagnostic>,
}

impl<'fs> Loader<'fs> {
    /// A loader reading through `fs`.
    pub fn new(fs: &'fs dyn FileSystem) -> Self {
        Loader {
            fs,
            files: Vec::new(),
            by_path: HashMap::new(),
            errors: Vec::new(),
        }
    }

    /// Loads `path` and its includes. The first file is the root. Errors in
    /// every file are returned together.
    pub fn load(mut self, path: &Path) -> Result<Vec<ParsedFile>, Vec<Diagnostic>> {
        match self.fs.read(path) {
            Ok(bytes) => {
                self.add(path, bytes, &mut Vec::new());
            }
            Err(e) => {
                return Err(vec![
                    Diagnostic::without_location(
                        "rolecall::io::read",
                        Level::Error,
                        format!("cannot read {}: {}", path.display(), io_reason(&e)),
                    )
                    .with_help(
                        "check the path; policy files are read relative to the current directory",
                    ),
                ]);
            }
        }
        self.finish()
    }

    /// Loads a policy from text already in memory, named `name`; includes are
    /// read through the file system relative to `name`'s directory.
    pub fn load_text(mut self, name: &str, text: &str) -> Result<Vec<ParsedFile>, Vec<Diagnostic>> {
        self.add(Path::new(name), text.as_bytes().to_vec(), &mut Vec::new());
        self.finish()
    }

    fn finish(self) -> Result<Vec<ParsedFile>, Vec<Diagnostic>> {
        if self.errors.is_empty() {
            Ok(self.files)
        } else {
            Err(self.errors)
        }
    }

    /// Parses one file and, depth first, what it includes. `stack` holds the
    /// files being loaded, to report include cycles.
    fn add(&mut self, path: &Path, bytes: Vec<u8>, stack: &mut Vec<PathBuf>) -> Option<usize> {
        let name = path.display().to_string();
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                self.errors.push(
                    Diagnostic::without_location(
                        "rolecall::io::utf8",
                        Level::Error,
                        format!("{name} is not valid UTF-8 (first bad byte at offset {at})"),
                    )
                    .with_help("save the policy file as UTF-8"),
                );
                return None;
            }
        };
        // A byte-order mark is not part of the policy.
        let text = text
            .strip_prefix('\u{feff}')
            .map(str::to_string)
            .unwrap_or(text);
        let src = SourceFile::new(name, text);
        let tree = match parse_file(&src) {
            Ok(tree) => tree,
            Err(errors) => {
                self.errors.extend(errors);
                return None;
            }
        };
        let index = self.files.len();
        self.by_path.insert(normalize(path), index);
        let include_items: Vec<_> = tree
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Include(text) => Some(text.clone()),
                _ => None,
            })
            .collect();
        self.files.push(ParsedFile {
            src,
            tree,
            includes: Vec::new(),
        });
        stack.push(normalize(path));
        let base = path.parent().unwrap_or(Path::new(""));
        let mut includes = Vec::with_capacity(include_items.len());
        for include in include_items {
            let target = normalize(&base.join(&include.value));
            if let Some(at) = stack.iter().position(|p| *p == target) {
                let chain: Vec<String> = stack
                    .get(at..)
                    .unwrap_or_default()
                    .iter()
                    .chain(std::iter::once(&target))
                    .map(|p| p.display().to_string())
                    .collect();
                self.errors.push(
                    Diagnostic::new(
                        "rolecall::include::cycle",
                        Level::Error,
                        format!("include cycle: {}", chain.join(" → ")),
                        &include.loc,
                        "this include leads back to a file being included",
                    )
                    .with_help("remove one of the includes in the cycle"),
                );
                includes.push(None);
                continue;
            }
            if let Some(&done) = self.by_path.get(&target) {
                // Included before: its declarations are already in.
                includes.push(Some(done));
                continue;
            }
            if self.files.len() >= MAX_FILES {
                self.errors.push(
                    Diagnostic::new(
                        "rolecall::include::too_many",
                        Level::Error,
                        format!("a policy may include at most {MAX_FILES} files"),
                        &include.loc,
                        "one file too many",
                    )
                    .with_help("merge some of the included files"),
                );
                includes.push(None);
                continue;
            }
            match self.fs.read(&target) {
                Ok(bytes) => includes.push(self.add(&target, bytes, stack)),
                Err(e) => {
                    self.errors.push(
                        Diagnostic::new(
                            "rolecall::include::missing",
                            Level::Error,
                            format!("cannot include {}: {}", target.display(), io_reason(&e)),
                            &include.loc,
                            "included here",
                        )
                        .with_help(
                            "paths in `include` are relative to the including file's directory",
                        ),
                    );
                    includes.push(None);
                }
            }
        }
        stack.pop();
        if let Some(file) = self.files.get_mut(index) {
            file.includes = includes;
        }
        Some(index)
    }
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::FileTooLarge => format!("larger than {} MiB", MAX_FILE_BYTES >> 20),
        _ => e.to_string(),
    }
}

/// `a/./b/../c` → `a/c`, without touching the disk, so cycles are found
/// whatever way a path is spelled.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
