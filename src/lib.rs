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
pub mod generate;
pub mod json;
pub mod lint;
pub mod render;
pub mod repl;
pub mod resolve;
pub mod snapshot;
pub mod source;
pub mod syntax;
pub mod testing;

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "serve")]
pub mod serve;

use std::path::Path;

pub use compile::{DecisionTable, compile};
pub use diagnostic::{CompileError, Diagnostic, Level};
pub use eval::{Answer, EvalError, Request, Verdict};
pub use syntax::ast::Effect;

/// Loads, resolves and compiles the policy at `path` (with its includes).
/// Includes may read only regular files inside the policy's own directory.
pub fn compile_file(path: &Path) -> Result<DecisionTable, CompileError> {
    compile_with(&syntax::RealFiles, path)
}

/// Same, reading files through `fs`.
pub fn compile_with(
    fs: &dyn syntax::FileSystem,
    path: &Path,
) -> Result<DecisionTable, CompileError> {
    compile_with_roots(fs, path, &[])
}

/// Same, and includes may also read under each of `include_roots` (the
/// command line's `--include-root`).
pub fn compile_with_roots(
    fs: &dyn syntax::FileSystem,
    path: &Path,
    include_roots: &[std::path::PathBuf],
) -> Result<DecisionTable, CompileError> {
    let files = syntax::Loader::new(fs)
        .include_roots(include_roots)
        .load(path)
        .map_err(CompileError::new)?;
    let policy = resolve::resolve(&files).map_err(CompileError::new)?;
    Ok(compile::compile(policy))
}

/// Compiles policy text shown as `name`. It touches no file: an `include`
/// in the text is a diagnostic (use [`compile_str_with`] to give includes a
/// file system), so text from a tenant cannot make a service read its disk.
///
/// ```
/// let errors = rolecall::compile_str("tenant.policy", "include \"/etc/hostname\"\n").unwrap_err();
/// assert!(errors[0].message.contains("includes from text need a file system"));
/// ```
pub fn compile_str(name: &str, text: &str) -> Result<DecisionTable, CompileError> {
    compile_str_with(&syntax::NoFiles, name, text)
}

/// Compiles policy text shown as `name`, its includes read through `fs`
/// relative to `name`'s directory (and confined to it).
///
/// ```
/// use rolecall::syntax::MemoryFiles;
/// let files = MemoryFiles::new().with("facts.policy", "fact open\n");
/// let table = rolecall::compile_str_with(&files, "main.policy", "include \"facts.policy\"\n").unwrap();
/// assert_eq!(table.policy.facts.len(), 1);
/// ```
pub fn compile_str_with(
    fs: &dyn syntax::FileSystem,
    name: &str,
    text: &str,
) -> Result<DecisionTable, CompileError> {
    let files = syntax::Loader::new(fs)
        .load_text(name, text)
        .map_err(CompileError::new)?;
    let policy = resolve::resolve(&files).map_err(CompileError::new)?;
    Ok(compile::compile(policy))
}
