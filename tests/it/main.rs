//! Integration tests, one binary: one module per pipeline stage.

mod cli;
mod diagnostics;
mod diff;
mod eval;
mod parse;
mod policy_tests;
mod reference;
mod snapshot;
mod support;
mod table;
