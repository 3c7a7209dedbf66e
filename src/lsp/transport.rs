//! The stdio transport: `Content-Length` frames of JSON-RPC, read by a
//! thread of our own rather than lsp-server's, because that one allocates
//! whatever length a header claims and stops at the first malformed
//! message; here a bad frame is answered (`-32700`, `-32600`) or skipped,
//! and the connection goes on.

use std::io::{self, BufRead, Read, Write};
use std::sync::{Arc, Mutex};
use std::thread;

use lsp_server::{Connection, Message};

/// Largest message read; a longer one is skipped and answered with an error
/// (a 10 MB document fits, with its JSON escaping).
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// Longest header line; anything longer is not a header.
const MAX_HEADER_LINE: usize = 4096;

/// What the reader meets in the stream.
#[derive(Debug)]
pub enum Frame {
    /// A message.
    Message(Message),
    /// A frame that is not a message: answer with this error (id `null`).
    Bad {
        /// JSON-RPC error code.
        code: i32,
        /// Why.
        message: String,
    },
    /// The stream ended.
    End,
}

/// Reads one frame. An `Err` is a broken stream (nothing more can be read).
pub fn read_frame(input: &mut impl BufRead) -> io::Result<Frame> {
    let mut length: Option<usize> = None;
    let mut bad_header = None;
    loop {
        let mut line = Vec::new();
        let n = input
            .by_ref()
            .take(MAX_HEADER_LINE as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(Frame::End);
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if length.is_some() || bad_header.is_some() {
                break;
            }
            // Blank lines between frames are tolerated.
            continue;
        }
        match line.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => bad_header = Some(format!("bad Content-Length: {}", value.trim())),
                }
            }
            Some(_) => {}
            None => bad_header = Some(format!("malformed header line: {line:.80}")),
        }
    }
    let Some(length) = length else {
        return Ok(Frame::Bad {
            code: lsp_server::ErrorCode::InvalidRequest as i32,
            message: bad_header.unwrap_or_else(|| "no Content-Length header".into()),
        });
    };
    if length > MAX_MESSAGE_BYTES {
        // Skipped without holding it, so the next frame is read as usual.
        io::copy(&mut input.by_ref().take(length as u64), &mut io::sink())?;
        return Ok(Frame::Bad {
            code: lsp_server::ErrorCode::InvalidRequest as i32,
            message: format!("message of {length} bytes is over the limit of {MAX_MESSAGE_BYTES}"),
        });
    }
    let mut body = Vec::new();
    input.by_ref().take(length as u64).read_to_end(&mut body)?;
    if body.len() < length {
        return Ok(Frame::End);
    }
    Ok(parse_message(&body))
}

/// A message from a frame's body, or why it is not one.
pub fn parse_message(body: &[u8]) -> Frame {
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => {
            return Frame::Bad {
                code: lsp_server::ErrorCode::ParseError as i32,
                message: format!("invalid JSON: {e}"),
            };
        }
    };
    match serde_json::from_value::<Message>(value) {
        Ok(message) => Frame::Message(message),
        Err(e) => Frame::Bad {
            code: lsp_server::ErrorCode::InvalidRequest as i32,
            message: format!("not a JSON-RPC message: {e}"),
        },
    }
}

/// Writes one message as a frame.
pub fn write_message(out: &mut impl Write, message: &Message) -> io::Result<()> {
    message.write(out)
}

/// Writes an error response whose request could not be read (id `null`).
pub fn write_bad(out: &mut impl Write, code: i32, message: &str) -> io::Result<()> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": code, "message": message},
    })
    .to_string();
    write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    out.flush()
}

/// The threads of a stdio connection.
pub struct Threads {
    reader: thread::JoinHandle<io::Result<()>>,
    writer: thread::JoinHandle<io::Result<()>>,
}

impl Threads {
    /// Waits for both threads; the first error either met.
    pub fn join(self) -> io::Result<()> {
        let reader = self.reader.join();
        let writer = self.writer.join();
        for result in [reader, writer] {
            match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(io::Error::other("transport thread panicked")),
            }
        }
        Ok(())
    }
}

/// A connection over any reader and writer (standard input and output, or
/// a test's pipes), with the server's side of the channels.
pub fn connect<R, W>(input: R, output: W) -> (Connection, Threads)
where
    R: BufRead + Send + 'static,
    W: Write + Send + 'static,
{
    let (to_server, from_client) = crossbeam_channel::unbounded::<Message>();
    let (to_client, from_server) = crossbeam_channel::unbounded::<Message>();
    let output = Arc::new(Mutex::new(output));
    let out_reader = Arc::clone(&output);
    let reader = thread::spawn(move || {
        let mut input = input;
        loop {
            match read_frame(&mut input)? {
                Frame::Message(message) => {
                    let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                    if to_server.send(message).is_err() || exit {
                        return Ok(());
                    }
                }
                Frame::Bad { code, message } => {
                    let mut out = out_reader
                        .lock()
                        .map_err(|_| io::Error::other("output lock poisoned"))?;
                    write_bad(&mut *out, code, &message)?;
                }
                Frame::End => return Ok(()),
            }
        }
    });
    let writer = thread::spawn(move || {
        for message in from_server {
            let mut out = output
                .lock()
                .map_err(|_| io::Error::other("output lock poisoned"))?;
            write_message(&mut *out, &message)?;
        }
        Ok(())
    });
    (
        Connection {
            sender: to_client,
            receiver: from_client,
        },
        Threads { reader, writer },
    )
}
