//! Integration tests, one binary: one module per pipeline stage.

mod cli;
mod diagnostics;
mod eval;
mod parse;
mod reference;
mod repl;
mod support;
mod table;
