//! What the server serves: the compiled policy with its principals file,
//! swapped whole on reload so a request sees one version from start to end.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use crate::authzen::{Pdp, Principals};
use crate::diagnostic::Diagnostic;
use crate::syntax::{Loader, RealFiles};
use crate::{compile, resolve};

/// A loaded policy and principals file, ready to serve.
#[derive(Debug)]
pub struct Loaded {
    /// The decision point.
    pub pdp: Pdp,
    /// Every file it was read from (the policy, its includes, the principals file).
    pub files: Vec<PathBuf>,
    /// A digest of those files' contents, to tell versions apart (`/health`).
    pub digest: String,
    /// The bearer tokens PEPs must present (`--token-file`), if any.
    pub tokens: Option<super::auth::Tokens>,
    /// The TLS configuration (`--tls-cert`, `--tls-key`), if any.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// Why a policy or principals file could not be loaded; the previous
/// version stays in service on reload.
#[derive(Debug)]
pub struct LoadError {
    /// The file at fault.
    pub file: PathBuf,
    /// What is wrong with it.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadError {
    /// Every diagnostic, rendered without color, for a log line or a terminal.
    pub fn render(&self) -> String {
        self.diagnostics
            .iter()
            .map(Diagnostic::render_plain)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Loads, resolves and compiles the policy, then binds the principals file
/// to it. Includes may read under the policy's directory and `include_roots`.
pub fn load(
    policy: &Path,
    principals: Option<&Path>,
    include_roots: &[PathBuf],
) -> Result<Loaded, LoadError> {
    let policy_error = |diagnostics| LoadError {
        file: policy.to_path_buf(),
        diagnostics,
    };
    let parsed = Loader::new(&RealFiles)
        .include_roots(include_roots)
        .load(policy)
        .map_err(policy_error)?;
    let mut files: Vec<PathBuf> = parsed.iter().map(|f| PathBuf::from(f.src.name())).collect();
    let mut digest = Fnv::new();
    for f in &parsed {
        digest.write(f.src.name().as_bytes());
        digest.write(f.src.text().as_bytes());
    }
    let table = compile::compile(resolve::resolve(&parsed).map_err(policy_error)?);
    let principals = match principals {
        None => Principals::empty(),
        Some(path) => {
            let principals_error = |diagnostics| LoadError {
                file: path.to_path_buf(),
                diagnostics,
            };
            // A regular file only: a FIFO would block the reloader for good.
            let text = crate::syntax::read_limited(path).map_err(|e| {
                principals_error(vec![
                    Diagnostic::without_location(
                        crate::diagnostic::code::IO_READ,
                        crate::Level::Error,
                        format!("cannot read {}: {e}", path.display()),
                    )
                    .with_help("check the --principals path"),
                ])
            })?;
            let text = String::from_utf8(text).map_err(|_| {
                principals_error(vec![
                    Diagnostic::without_location(
                        crate::diagnostic::code::IO_UTF8,
                        crate::Level::Error,
                        format!("{} is not valid UTF-8", path.display()),
                    )
                    .with_help("save the principals file as UTF-8 JSON"),
                ])
            })?;
            files.push(path.to_path_buf());
            digest.write(text.as_bytes());
            Principals::parse(&path.display().to_string(), &text).map_err(principals_error)?
        }
    };
    let pdp = Pdp::new(table, &principals).map_err(|diagnostics| LoadError {
        file: principals.name().into(),
        diagnostics,
    })?;
    Ok(Loaded {
        pdp,
        files,
        digest: format!("fnv1a64:{:016x}", digest.0),
        tokens: None,
        tls: None,
    })
}

/// The version in service, and how many versions were loaded.
#[derive(Debug)]
pub struct Current {
    loaded: RwLock<Arc<Loaded>>,
    generation: AtomicU64,
    failures: AtomicU64,
    /// Why the last reload failed, while no later one succeeded.
    refused: RwLock<Option<String>>,
}

impl Current {
    /// Starts serving `loaded` as generation 1.
    pub fn new(loaded: Loaded) -> Current {
        Current {
            loaded: RwLock::new(Arc::new(loaded)),
            generation: AtomicU64::new(1),
            failures: AtomicU64::new(0),
            refused: RwLock::new(None),
        }
    }

    /// The version in service; a request holds it to the end even if a
    /// reload swaps in another meanwhile.
    pub fn get(&self) -> Arc<Loaded> {
        let guard = match self.loaded.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        Arc::clone(&guard)
    }

    /// Puts a new version in service.
    pub fn swap(&self, loaded: Loaded) {
        let mut guard = match self.loaded.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = Arc::new(loaded);
        self.generation.fetch_add(1, Ordering::SeqCst);
        drop(guard);
        self.set_refused(None);
    }

    fn set_refused(&self, why: Option<String>) {
        let mut guard = match self.refused.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = why;
    }

    /// Why the newest version was refused, when the last reload failed
    /// (the previous generation is still in service).
    pub fn refused(&self) -> Option<String> {
        match self.refused.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// 1 for the version loaded at start, +1 per successful reload.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Counts a reload that failed, and why.
    pub fn failed(&self, why: String) {
        self.failures.fetch_add(1, Ordering::SeqCst);
        self.set_refused(Some(why));
    }

    /// Reloads that failed.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::SeqCst)
    }
}

/// What tells a file changed: modification time, length, inode.
pub type Stamp = Option<(SystemTime, u64, u64)>;

/// The stamps of `files`, to compare between polls.
pub fn stamps(files: &[PathBuf]) -> Vec<Stamp> {
    files
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(f).ok()?;
            Some((meta.modified().ok()?, meta.len(), inode(&meta)))
        })
        .collect()
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

/// FNV-1a, 64 bits: a stable digest with no dependency (not for security).
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }
}
