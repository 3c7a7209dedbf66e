//! Integration tests, one binary: one module per pipeline stage.

mod authzen;
mod batch;
#[cfg(feature = "serve")]
mod certification;
mod check;
mod cli;
mod diagnostics;
mod diff;
mod differential;
mod docs;
mod duplicate_keys;
mod editors;
mod errors;
mod eval;
mod facade;
mod flat;
mod fmt;
mod forbid;
mod generate;
mod graph;
mod guarantees;
mod hostile_files;
mod hostile_outputs;
mod hostile_sizes;
mod hostile_syntax;
mod html;
mod library;
mod limits;
mod lines;
mod lint;
#[cfg(feature = "lsp")]
mod lsp;
mod parse;
mod policy_tests;
mod product;
mod reference;
mod regressions;
mod repl;
#[cfg(feature = "serve")]
mod search_interop;
#[cfg(feature = "serve")]
mod serve;
#[cfg(feature = "serve")]
mod serve_limits;
#[cfg(feature = "serve")]
mod serve_ops;
#[cfg(feature = "serve")]
mod serve_security;
mod snapshot;
mod support;
mod syntax_errors;
mod table;
mod target;
mod typed_reader;
