//! Integration tests, one binary: one module per pipeline stage.

mod batch;
mod cli;
mod diagnostics;
mod differential;
mod docs;
mod errors;
mod eval;
mod fmt;
mod guarantees;
mod limits;
mod parse;
mod reference;
mod regressions;
mod support;
mod table;
