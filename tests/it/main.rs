//! Integration tests, one binary: one module per pipeline stage.

mod cli;
mod diagnostics;
mod docs;
mod eval;
mod fmt;
mod generate;
mod lines;
mod parse;
mod reference;
mod support;
mod table;
