//! `rolecall lsp`: a language server (LSP 3.17 over stdio) on the library's
//! own pipeline. `transport` reads frames, `server` is the state and the
//! dispatch, and each feature has its module, reading a document's
//! `workspace::Analysis` (the loader, resolver, compiler and linter's
//! results) and its `index::Index` (every name of the syntax tree).

mod actions;
mod cells;
mod complete;
mod diagnostics;
mod hover;
mod index;
mod lens;
mod navigate;
mod outline;
mod semantic;
mod server;
mod text;
pub mod transport;
mod workspace;

pub use server::{Server, ServerError, run_connection};

/// Serves the protocol on standard input and output until `exit`.
pub fn run_stdio() -> Result<(), ServerError> {
    // Copies of the descriptors: the command line holds the locks of the
    // process's `Stdin` and `Stdout` for the whole run, and the transport's
    // threads would wait on them forever.
    let (input, output) = std_streams().map_err(ServerError::Io)?;
    let (connection, threads) = transport::connect(
        std::io::BufReader::new(input),
        std::io::BufWriter::new(output),
    );
    let result = run_connection(&connection);
    drop(connection);
    // The reader stops at `exit` or the end of input; the writer when the
    // server's side of the channel is dropped.
    threads.join().map_err(ServerError::Io)?;
    result
}

#[cfg(unix)]
fn std_streams() -> std::io::Result<(std::fs::File, std::fs::File)> {
    use std::os::fd::AsFd;
    let input = std::io::stdin().as_fd().try_clone_to_owned()?;
    let output = std::io::stdout().as_fd().try_clone_to_owned()?;
    Ok((input.into(), output.into()))
}

#[cfg(windows)]
fn std_streams() -> std::io::Result<(std::fs::File, std::fs::File)> {
    use std::os::windows::io::AsHandle;
    let input = std::io::stdin().as_handle().try_clone_to_owned()?;
    let output = std::io::stdout().as_handle().try_clone_to_owned()?;
    Ok((input.into(), output.into()))
}
