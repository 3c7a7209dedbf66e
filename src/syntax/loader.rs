//! Loading a policy: the root file and every file it includes.
//!
//! What a policy may read is confined: an `include` resolves relative to the
//! including file and, once `.`, `..` and symbolic links are resolved, must
//! stay inside the root policy's directory (or a directory the caller allows,
//! `--include-root`). A refused include is never opened, so nothing of it can
//! be shown. Only regular files are read (a FIFO or a device is refused, never
//! waited on), each at most [`MAX_FILE_BYTES`], all together at most
//! [`MAX_TOTAL_BYTES`].

use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::ast::{File, Item};
use super::parser::parse_file;
use crate::diagnostic::{Diagnostic, Level};
use crate::source::SourceFile;

/// Where policy files are read from: the disk, or memory for embedded policies and tests.
pub trait FileSystem {
    /// The bytes of the file at `path`.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// The bytes of the file at `path`, or an error of kind
    /// [`io::ErrorKind::FileTooLarge`] when it holds more than `limit`.
    fn read_at_most(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        let bytes = self.read(path)?;
        if bytes.len() as u64 > limit {
            return Err(io::Error::new(io::ErrorKind::FileTooLarge, "too large"));
        }
        Ok(bytes)
    }

    /// `path` with `.`, `..` and (on the disk) symbolic links resolved: what
    /// the confinement of includes compares. By default, lexically.
    fn canonical(&self, path: &Path) -> io::Result<PathBuf> {
        Ok(normalize(path))
    }
}

/// Reads from the disk: regular files only, at most [`MAX_FILE_BYTES`] each.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFiles;

impl FileSystem for RealFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        read_limited(path)
    }

    fn read_at_most(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        read_regular(path, limit.min(MAX_FILE_BYTES))
    }

    fn canonical(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }
}

/// Reads nothing: what policy text compiled by itself
/// ([`compile_str`](crate::compile_str)) includes through, so text from a
/// tenant or a request cannot make the library open a file.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoFiles;

/// Why [`NoFiles`] reads nothing, as the diagnostic at the `include` says.
const NO_FILES: &str = "includes from text need a file system; compile with `compile_str_with` \
                        and a `MemoryFiles` (or `RealFiles` to read the disk)";

impl FileSystem for NoFiles {
    fn read(&self, _: &Path) -> io::Result<Vec<u8>> {
        Err(io::Error::new(io::ErrorKind::Unsupported, NO_FILES))
    }

    fn canonical(&self, _: &Path) -> io::Result<PathBuf> {
        Err(io::Error::new(io::ErrorKind::Unsupported, NO_FILES))
    }
}

/// Largest policy file read, in bytes (64 MiB): a huge file is an error,
/// not a read until memory runs out.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Largest total of the files of one policy, the root and every include
/// (64 MiB, as much as one file may hold): 256 files of 64 MiB each would take
/// gigabytes and minutes to parse.
pub const MAX_TOTAL_BYTES: u64 = 64 << 20;

/// Reads a whole regular file of at most [`MAX_FILE_BYTES`].
pub fn read_limited(path: &Path) -> io::Result<Vec<u8>> {
    read_regular(path, MAX_FILE_BYTES)
}

/// Reads a whole regular file of at most `limit` bytes. Anything else (a
/// directory, a FIFO, a device, a socket) is an error of kind
/// [`io::ErrorKind::InvalidInput`] before a byte is read: a FIFO would block
/// the reader until a writer comes, `/dev/zero` never ends. The file is
/// opened without blocking and checked again once open, in case it was
/// swapped for another kind meanwhile.
pub fn read_regular(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let too_large = || {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("larger than {}", mib(limit)),
        )
    };
    let meta = std::fs::metadata(path)?;
    regular(&meta)?;
    if meta.len() > limit {
        return Err(too_large());
    }
    let file = open_nonblocking(path)?;
    regular(&file.metadata()?)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// `64 MiB`, or bytes below one MiB.
fn mib(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// An error unless `meta` is a regular file.
pub(crate) fn regular(meta: &std::fs::Metadata) -> io::Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    let what = if meta.is_dir() {
        "a directory"
    } else {
        special_kind(&meta.file_type())
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("not a regular file ({what})"),
    ))
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// Opens `path` for reading without waiting on a FIFO.
pub(crate) fn open_nonblocking(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Opening a FIFO with O_NONBLOCK returns at once instead of waiting
        // for a writer (ordinary files ignore it); the kind is checked again after.
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
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

/// A file being loaded: its real path (compared) and its path as written (shown).
struct Open {
    real: PathBuf,
    shown: PathBuf,
}

/// Loads a policy and its includes, collecting every problem.
pub struct Loader<'fs> {
    fs: &'fs dyn FileSystem,
    files: Vec<ParsedFile>,
    by_path: HashMap<PathBuf, usize>,
    errors: Vec<Diagnostic>,
    /// The directories includes may read from (resolved by `fs`): the root
    /// policy's, then those allowed by [`Loader::include_roots`].
    roots: Vec<PathBuf>,
    /// Directories allowed besides the root policy's.
    extra_roots: Vec<PathBuf>,
    /// The root policy's directory until [`Loader::resolve_roots`] resolves it.
    root_dir: Option<PathBuf>,
    /// Bytes read so far, against [`MAX_TOTAL_BYTES`].
    total: u64,
}

impl<'fs> Loader<'fs> {
    /// A loader reading through `fs`.
    pub fn new(fs: &'fs dyn FileSystem) -> Self {
        Loader {
            fs,
            files: Vec::new(),
            by_path: HashMap::new(),
            errors: Vec::new(),
            roots: Vec::new(),
            extra_roots: Vec::new(),
            root_dir: None,
            total: 0,
        }
    }

    /// Also lets includes read files under each of `dirs` (the command
    /// line's `--include-root`). A directory that cannot be resolved is an
    /// error of the load.
    pub fn include_roots(mut self, dirs: &[PathBuf]) -> Self {
        for dir in dirs {
            match self.fs.canonical(dir) {
                Ok(real) => self.extra_roots.push(real),
                Err(e) => self.errors.push(
                    Diagnostic::without_location(
                        crate::diagnostic::code::IO_READ,
                        Level::Error,
                        format!(
                            "cannot use {} for includes: {}",
                            dir.display(),
                            io_reason(&e)
                        ),
                    )
                    .with_help("`--include-root` names an existing directory"),
                ),
            }
        }
        self
    }

    /// Loads `path` and its includes. The first file is the root. Errors in
    /// every file are returned together.
    pub fn load(mut self, path: &Path) -> Result<Vec<ParsedFile>, Vec<Diagnostic>> {
        match self.fs.read_at_most(path, MAX_FILE_BYTES) {
            Ok(bytes) => {
                self.set_roots(path);
                self.total = bytes.len() as u64;
                let real = self.fs.canonical(path).unwrap_or_else(|_| normalize(path));
                self.add(path, real, bytes, &mut Vec::new());
            }
            Err(e) => {
                return Err(vec![
                    Diagnostic::without_location(
                        crate::diagnostic::code::IO_READ,
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
    /// read through the file system relative to `name`'s directory, and may
    /// not leave it.
    pub fn load_text(mut self, name: &str, text: &str) -> Result<Vec<ParsedFile>, Vec<Diagnostic>> {
        let path = Path::new(name);
        self.set_roots(path);
        self.total = text.len() as u64;
        self.add(
            path,
            normalize(path),
            text.as_bytes().to_vec(),
            &mut Vec::new(),
        );
        self.finish()
    }

    /// Notes the root policy's directory; it is resolved at the first
    /// include, so a policy without includes costs no system call.
    fn set_roots(&mut self, root: &Path) {
        let parent = root
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        self.root_dir = Some(parent.to_path_buf());
    }

    /// The root policy's directory, resolved (its `..` and symbolic links
    /// too), then the allowed extras: where includes may read.
    fn resolve_roots(&mut self) {
        if let Some(dir) = self.root_dir.take() {
            if let Ok(dir) = self.fs.canonical(&dir) {
                self.roots.push(dir);
            }
            self.roots.append(&mut self.extra_roots);
        }
    }

    /// Whether an include resolved to `real` may be read.
    fn allowed(&self, real: &Path) -> bool {
        self.roots.iter().any(|root| inside(real, root))
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
    fn add(
        &mut self,
        path: &Path,
        real: PathBuf,
        bytes: Vec<u8>,
        stack: &mut Vec<Open>,
    ) -> Option<usize> {
        let name = path.display().to_string();
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                self.errors.push(
                    Diagnostic::without_location(
                        crate::diagnostic::code::IO_UTF8,
                        Level::Error,
                        format!("{name} is not valid UTF-8 (first bad byte at offset {at})"),
                    )
                    .with_help("save the policy file as UTF-8"),
                );
                return None;
            }
        };
        // A byte-order mark is not part of the policy: `SourceFile` leaves it
        // out of the text and records it, for an editor's positions.
        let src = SourceFile::new(name, text);
        let tree = match parse_file(&src) {
            Ok(tree) => tree,
            Err(errors) => {
                self.errors.extend(errors);
                return None;
            }
        };
        let index = self.files.len();
        self.by_path.insert(real.clone(), index);
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
        stack.push(Open {
            real,
            shown: normalize(path),
        });
        let base = path.parent().unwrap_or(Path::new(""));
        let mut includes = Vec::with_capacity(include_items.len());
        for include in include_items {
            includes.push(self.include(base, &include, stack));
        }
        stack.pop();
        if let Some(file) = self.files.get_mut(index) {
            file.includes = includes;
        }
        Some(index)
    }

    /// Loads the file one `include` names, or says why not. Nothing is
    /// opened before the path is known to be allowed.
    fn include(
        &mut self,
        base: &Path,
        include: &super::ast::Text,
        stack: &mut Vec<Open>,
    ) -> Option<usize> {
        let target = normalize(&base.join(&include.value));
        let cannot = |e: &io::Error| {
            let help = if e.kind() == io::ErrorKind::Unsupported {
                "compile text that includes files with `compile_str_with` and a `FileSystem`"
            } else {
                "paths in `include` are relative to the including file's directory"
            };
            Diagnostic::new(
                crate::diagnostic::code::INCLUDE_MISSING,
                Level::Error,
                format!("cannot include {}: {}", target.display(), io_reason(e)),
                &include.loc,
                "included here",
            )
            .with_help(help)
        };
        self.resolve_roots();
        let real = match self.fs.canonical(&target) {
            Ok(real) => real,
            Err(e) => {
                self.errors.push(cannot(&e));
                return None;
            }
        };
        if !self.allowed(&real) {
            let resolved = if real == target {
                String::new()
            } else {
                format!(" (it is {})", real.display())
            };
            let roots: Vec<String> = self
                .roots
                .iter()
                .map(|r| format!("`{}`", r.display()))
                .collect();
            self.errors.push(
                Diagnostic::new(
                    crate::diagnostic::code::INCLUDE_OUTSIDE,
                    Level::Error,
                    format!(
                        "cannot include {}{resolved}: outside {}",
                        target.display(),
                        roots.join(", ")
                    ),
                    &include.loc,
                    "not read: includes stay in the root policy's directory",
                )
                .with_help(
                    "move the file next to the policy, or allow its directory with `--include-root DIR`",
                ),
            );
            return None;
        }
        if let Some(at) = stack.iter().position(|open| open.real == real) {
            let chain: Vec<String> = stack
                .get(at..)
                .unwrap_or_default()
                .iter()
                .map(|open| open.shown.display().to_string())
                .chain(std::iter::once(target.display().to_string()))
                .collect();
            self.errors.push(
                Diagnostic::new(
                    crate::diagnostic::code::INCLUDE_CYCLE,
                    Level::Error,
                    format!("include cycle: {}", chain.join(" → ")),
                    &include.loc,
                    "this include leads back to a file being included",
                )
                .with_help("remove one of the includes in the cycle"),
            );
            return None;
        }
        if let Some(&done) = self.by_path.get(&real) {
            // Included before: its declarations are already in.
            return Some(done);
        }
        if self.files.len() >= MAX_FILES {
            self.errors.push(
                Diagnostic::new(
                    crate::diagnostic::code::INCLUDE_TOO_MANY,
                    Level::Error,
                    format!("a policy may include at most {MAX_FILES} files"),
                    &include.loc,
                    "one file too many",
                )
                .with_help("merge some of the included files"),
            );
            return None;
        }
        let bytes = match self.fs.read_at_most(&real, MAX_FILE_BYTES) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.errors.push(cannot(&e));
                return None;
            }
        };
        let total = self.total.saturating_add(bytes.len() as u64);
        if total > MAX_TOTAL_BYTES {
            // Read (at most one file's limit) but not parsed.
            self.errors.push(
                Diagnostic::new(
                    crate::diagnostic::code::INCLUDE_TOTAL_SIZE,
                    Level::Error,
                    format!(
                        "cannot include {}: the policy's files would hold more than {} together",
                        target.display(),
                        mib(MAX_TOTAL_BYTES)
                    ),
                    &include.loc,
                    "this include passes the limit",
                )
                .with_help(format!(
                    "a policy and everything it includes may hold at most {} (`syntax::MAX_TOTAL_BYTES`)",
                    mib(MAX_TOTAL_BYTES)
                )),
            );
            return None;
        }
        self.total = total;
        self.add(&target, real, bytes, stack)
    }
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::FileTooLarge => format!("larger than {}", mib(MAX_FILE_BYTES)),
        _ => e
            .get_ref()
            .map_or_else(|| e.to_string(), ToString::to_string),
    }
}

/// Whether `path` lies under `root`, both resolved: component by component,
/// never through `..`, and absolute only under an absolute root.
fn inside(path: &Path, root: &Path) -> bool {
    path.starts_with(root)
        && path.is_absolute() == root.is_absolute()
        && !path.components().any(|c| c == Component::ParentDir)
}

/// `a/./b/../c` → `a/c`, without touching the disk, so cycles are found
/// whatever way a path is spelled.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}
