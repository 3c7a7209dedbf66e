//! Integration tests, one binary: one module per pipeline stage.

mod cli;
mod diagnostics;
mod differential;
mod docs;
mod eval;
mod fmt;
mod graph;
mod html;
mod limits;
mod parse;
mod reference;
mod repl;
mod support;
mod table;
