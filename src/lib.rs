//! rolecall: role-and-permission policies, compiled to decision tables.
//!
//! The pipeline runs one way: text → [`syntax`] (tree with locations) →
//! [`resolve`] (names bound) → [`compile`](mod@compile) (the [`DecisionTable`]) →
//! [`eval`] / [`render`]. Each stage reports [`Diagnostic`]s with spans.
//!
//! ```
//! let table = rolecall::compile_str("example.policy", r#"
//!     scope session {
//!         role viewer
//!         role moderator : viewer
//!         action chat
//!         action mute
//!         allow viewer to chat
//!         allow moderator to mute
//!     }
//! "#).unwrap();
//! let request = rolecall::Request::from_json(
//!     r#"{"principal": {"session": "moderator"}, "action": "session:chat"}"#,
//! ).unwrap();
//! let answer = table.evaluate(&request).unwrap();
//! assert_eq!(answer.decision, rolecall::Effect::Allow);
//! ```

#![deny(missing_docs)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod authzen;
pub mod bdd;
mod canon;
pub mod compile;
mod decision;
pub mod diagnostic;
pub mod diff;
pub mod eval;
pub mod fmt;
// Not part of the API: seeded policies and requests for rolecall's own
// benches, tests and fuzz targets.
#[cfg(feature = "generate")]
#[doc(hidden)]
pub mod generate;
mod invariant;
pub mod json;
pub mod lint;
pub mod render;
// Not part of the API: the REPL's sessions, for the `repl` command and its tests.
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod repl;
pub mod resolve;
pub mod snapshot;
pub mod source;
pub mod syntax;
pub mod testing;

// Not part of the API: the command line, for the `rolecall` binary and its tests.
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
// Not part of the API: the language server, for the `lsp` command and its tests.
#[cfg(feature = "lsp")]
#[doc(hidden)]
pub mod lsp;
#[cfg(feature = "serve")]
pub mod serve;

use std::path::Path;

pub use compile::{DecisionTable, compile};
pub use diagnostic::{CompileError, Diagnostic, Level};
pub use eval::{Answer, EvalError, Request, RequestTarget, Verdict};
pub use syntax::ast::Effect;

/// Where a policy's text comes from and what its `include`s may read: the
/// one way a policy is loaded. Every `compile_*` function, and
/// [`lint::lint_file`] and its kin, are shorthands for it.
///
/// ```
/// use rolecall::Sources;
/// use rolecall::syntax::MemoryFiles;
/// let files = MemoryFiles::new().with("policy/facts.policy", "fact open\n");
/// let table = Sources::from(&files)
///     .compile_text("policy/main.policy", "include \"facts.policy\"\n")
///     .unwrap();
/// assert_eq!(table.policy().facts.len(), 1);
/// ```
#[derive(Clone, Copy)]
pub struct Sources<'a> {
    fs: &'a dyn syntax::FileSystem,
    include_roots: &'a [std::path::PathBuf],
}

impl Sources<'static> {
    /// The disk: includes read regular files inside the root policy's directory.
    pub fn disk() -> Self {
        Sources {
            fs: &syntax::RealFiles,
            include_roots: &[],
        }
    }

    /// No file at all: an `include` is a diagnostic, so text from a tenant
    /// cannot make a service read its disk.
    pub fn none() -> Self {
        Sources {
            fs: &syntax::NoFiles,
            include_roots: &[],
        }
    }
}

impl<'a> Sources<'a> {
    /// Files read through `fs` (the disk, memory, or anything else).
    pub fn from(fs: &'a dyn syntax::FileSystem) -> Self {
        Sources {
            fs,
            include_roots: &[],
        }
    }

    /// Includes may also read under each of `roots` (the command line's `--include-root`).
    pub fn include_roots(self, roots: &'a [std::path::PathBuf]) -> Self {
        Sources {
            include_roots: roots,
            ..self
        }
    }

    /// The parsed files of the policy at `path` and of everything it includes.
    pub fn load_file(&self, path: &Path) -> Result<Vec<syntax::ParsedFile>, CompileError> {
        syntax::Loader::new(self.fs)
            .include_roots(self.include_roots)
            .load(path)
            .map_err(CompileError::new)
    }

    /// The same for policy text shown as `name` (includes relative to `name`).
    pub fn load_text(
        &self,
        name: &str,
        text: &str,
    ) -> Result<Vec<syntax::ParsedFile>, CompileError> {
        syntax::Loader::new(self.fs)
            .include_roots(self.include_roots)
            .load_text(name, text)
            .map_err(CompileError::new)
    }

    /// Loads, resolves and compiles the policy at `path`.
    pub fn compile_file(&self, path: &Path) -> Result<DecisionTable, CompileError> {
        compile_parsed(&self.load_file(path)?)
    }

    /// Loads, resolves and compiles policy text shown as `name`.
    pub fn compile_text(&self, name: &str, text: &str) -> Result<DecisionTable, CompileError> {
        compile_parsed(&self.load_text(name, text)?)
    }
}

/// Resolves and compiles loaded files (the first is the root).
pub fn compile_parsed(files: &[syntax::ParsedFile]) -> Result<DecisionTable, CompileError> {
    let policy = resolve::resolve(files).map_err(CompileError::new)?;
    Ok(compile::compile(policy))
}

/// Loads, resolves and compiles the policy at `path` (with its includes):
/// [`Sources::disk`]. Includes may read only regular files inside the
/// policy's own directory.
///
/// ```
/// let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/livestorm.policy");
/// let table = rolecall::compile_file(&path).unwrap();
/// assert!(table.scope_id("workspace").is_some());
/// // A missing file is a diagnostic naming it, not a panic.
/// let errors = rolecall::compile_file(std::path::Path::new("no/such.policy")).unwrap_err();
/// assert!(errors[0].message.contains("no/such.policy"), "{}", errors[0].message);
/// ```
pub fn compile_file(path: &Path) -> Result<DecisionTable, CompileError> {
    Sources::disk().compile_file(path)
}

/// Same, reading files through `fs`: [`Sources::from`].
pub fn compile_with(
    fs: &dyn syntax::FileSystem,
    path: &Path,
) -> Result<DecisionTable, CompileError> {
    Sources::from(fs).compile_file(path)
}

/// Compiles policy text shown as `name`: [`Sources::none`]. It touches no
/// file: an `include` in the text is a diagnostic (use [`compile_str_with`]
/// to give includes a file system), so text from a tenant cannot make a
/// service read its disk.
///
/// ```
/// let errors = rolecall::compile_str("tenant.policy", "include \"/etc/hostname\"\n").unwrap_err();
/// assert!(errors[0].message.contains("includes from text need a file system"));
/// ```
pub fn compile_str(name: &str, text: &str) -> Result<DecisionTable, CompileError> {
    Sources::none().compile_text(name, text)
}

/// Compiles policy text shown as `name`, its includes read through `fs`
/// relative to `name`'s directory (and confined to it).
///
/// ```
/// use rolecall::syntax::MemoryFiles;
/// let files = MemoryFiles::new().with("facts.policy", "fact open\n");
/// let table = rolecall::compile_str_with(&files, "main.policy", "include \"facts.policy\"\n").unwrap();
/// assert_eq!(table.policy().facts.len(), 1);
/// ```
pub fn compile_str_with(
    fs: &dyn syntax::FileSystem,
    name: &str,
    text: &str,
) -> Result<DecisionTable, CompileError> {
    Sources::from(fs).compile_text(name, text)
}
