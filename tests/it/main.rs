//! Integration tests, one binary: one module per pipeline stage.

mod cli;
mod diagnostics;
mod eval;
mod lint;
mod parse;
mod reference;
mod support;
mod table;
