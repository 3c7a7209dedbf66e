//! Integration tests, one binary: one module per pipeline stage.

mod authzen;
mod cli;
mod diagnostics;
mod diff;
mod differential;
mod docs;
mod eval;
mod fmt;
mod generate;
mod graph;
mod html;
mod limits;
mod lines;
mod lint;
mod parse;
mod policy_tests;
mod reference;
mod repl;
#[cfg(feature = "serve")]
mod serve;
mod snapshot;
mod support;
mod table;
