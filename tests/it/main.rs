//! Integration tests, one binary: one module per pipeline stage.

mod authzen;
mod batch;
mod cli;
mod diagnostics;
mod diff;
mod differential;
mod docs;
mod errors;
mod eval;
mod fmt;
mod generate;
mod graph;
mod guarantees;
mod hostile_sizes;
mod html;
mod limits;
mod lines;
mod lint;
mod parse;
mod policy_tests;
mod reference;
mod regressions;
mod repl;
#[cfg(feature = "serve")]
mod serve;
mod snapshot;
mod support;
mod table;
