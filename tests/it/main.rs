//! Integration tests, one binary: one module per pipeline stage.

mod authzen;
mod cli;
mod diagnostics;
mod differential;
mod docs;
mod eval;
mod fmt;
mod limits;
mod parse;
mod reference;
#[cfg(feature = "serve")]
mod serve;
mod support;
mod table;
