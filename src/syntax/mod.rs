//! The syntax layer: policy text to a syntax tree with locations, and the
//! loading of a policy's files (`include`).
//!
//! It knows nothing of later stages: a tree that names unknown roles is fine here.

pub mod ast;
mod loader;
mod messages;
mod parser;
mod recover;

#[cfg(feature = "lsp")]
pub(crate) use loader::normalize as normalize_path;
#[cfg(feature = "cli")]
pub(crate) use loader::regular;
pub use loader::{
    FileSystem, Loader, MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, MemoryFiles, NoFiles,
    ParsedFile, RealFiles, read_limited, read_regular,
};
pub use parser::{MAX_NESTING, is_reserved, parse_file};
pub use recover::MAX_SYNTAX_ERRORS;
