//! The server's state (open documents and their analyses) and the dispatch
//! of requests and notifications to the feature modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeLensOptions, CompletionOptions, Hover, HoverContents, HoverProviderCapability,
    InitializeResult, MarkupContent, MarkupKind, OneOf, PrepareRenameResponse, RenameOptions,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, TextEdit, Uri,
};
use serde_json::Value;

use super::index::Index;
use super::text::{offset_in, position_in};
use super::workspace::{Analysis, Includer, analyze, includers, uri_path};
use super::{actions, complete, diagnostics, hover, lens, navigate, outline, semantic};
use crate::source::SourceFile;

/// Why the server stopped other than by `exit`.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Standard input or output failed.
    #[error("language server I/O: {0}")]
    Io(#[source] std::io::Error),
    /// The client went away before `exit`.
    #[error("the client closed the connection without `exit`")]
    Disconnected,
}

/// An open document, its analysis and the index of its files.
struct Open {
    uri: Uri,
    /// The text as the editor holds it.
    text: String,
    version: i32,
    /// The same text as the library reads it (no byte-order mark, one line
    /// end), for positions: the analysis's offsets count in it.
    src: Arc<SourceFile>,
    analysis: Analysis,
    index: Index,
    /// The URIs its last diagnostics went to, to clear them when they go.
    published: BTreeSet<String>,
}

/// The server: open documents by URI.
#[derive(Default)]
pub struct Server {
    docs: BTreeMap<String, Open>,
    shutdown: bool,
    /// The workspace folders the client named at `initialize`: how far up a
    /// rename looks for the files that include its document.
    roots: Vec<PathBuf>,
}

/// What a request handler answers: a result, or a protocol error.
type Reply = Result<Value, (i32, String)>;

fn invalid_params(e: serde_json::Error) -> (i32, String) {
    (
        ErrorCode::InvalidParams as i32,
        format!("invalid parameters: {e}"),
    )
}

fn params<P: serde::de::DeserializeOwned>(value: Value) -> Result<P, (i32, String)> {
    serde_json::from_value(value).map_err(invalid_params)
}

fn to_value(value: impl serde::Serialize) -> Reply {
    serde_json::to_value(value).map_err(|e| (ErrorCode::InternalError as i32, e.to_string()))
}

/// What the server can do, for `initialize`.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![" ".into(), ",".into(), ":".into(), ".".into()]),
            ..CompletionOptions::default()
        }),
        document_formatting_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        folding_range_provider: Some(lsp_types::FoldingRangeProviderCapability::Simple(true)),
        code_action_provider: Some(lsp_types::CodeActionProviderCapability::Simple(true)),
        code_lens_provider: Some(CodeLensOptions {
            resolve_provider: Some(false),
        }),
        semantic_tokens_provider: Some(
            lsp_types::SemanticTokensOptions {
                legend: semantic::legend(),
                full: Some(lsp_types::SemanticTokensFullOptions::Bool(true)),
                range: Some(false),
                work_done_progress_options: Default::default(),
            }
            .into(),
        ),
        inlay_hint_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

/// Runs the server on a connection until `exit` (or the end of input).
pub fn run_connection(connection: &Connection) -> Result<(), ServerError> {
    let mut server = Server::default();
    for message in &connection.receiver {
        let (replies, exit) = server.handle(message);
        for reply in replies {
            if connection.sender.send(reply).is_err() {
                return Err(ServerError::Disconnected);
            }
        }
        if exit {
            return Ok(());
        }
    }
    Err(ServerError::Disconnected)
}

impl Server {
    /// Handles one message: the messages to send, and whether to stop.
    pub fn handle(&mut self, message: Message) -> (Vec<Message>, bool) {
        match message {
            Message::Request(request) => {
                let id = request.id.clone();
                let reply = if self.shutdown && request.method != req::Shutdown::METHOD {
                    Err((
                        ErrorCode::InvalidRequest as i32,
                        "the server is shutting down".into(),
                    ))
                } else {
                    self.request(request)
                };
                (vec![Message::Response(response(id, reply))], false)
            }
            Message::Notification(n) if n.method == note::Exit::METHOD => (Vec::new(), true),
            Message::Notification(n) => (self.notification(n), false),
            // The server sends no requests, so a response answers nothing.
            Message::Response(_) => (Vec::new(), false),
        }
    }

    fn request(&mut self, request: Request) -> Reply {
        let Request {
            method, params: p, ..
        } = request;
        match method.as_str() {
            req::Initialize::METHOD => {
                self.roots = workspace_roots(&p);
                to_value(InitializeResult {
                    capabilities: capabilities(),
                    server_info: Some(ServerInfo {
                        name: "rolecall".into(),
                        version: Some(env!("CARGO_PKG_VERSION").into()),
                    }),
                })
            }
            req::Shutdown::METHOD => {
                self.shutdown = true;
                Ok(Value::Null)
            }
            req::HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = params(p)?;
                let at = &p.text_document_position_params;
                let answer = self
                    .at(&at.text_document.uri, at.position)
                    .and_then(|(doc, offset)| hover::hover(&doc.analysis, &doc.index, offset));
                to_value(answer.map(|text| Hover {
                    contents: HoverContents::Markup(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: text,
                    }),
                    range: None,
                }))
            }
            req::GotoDefinition::METHOD => {
                let p: lsp_types::GotoDefinitionParams = params(p)?;
                let at = &p.text_document_position_params;
                let answer =
                    self.at(&at.text_document.uri, at.position)
                        .and_then(|(doc, offset)| {
                            navigate::definition_across(
                                &doc.index,
                                || self.includers(doc),
                                &doc.analysis.name,
                                offset,
                                &doc.uri,
                            )
                        });
                to_value(answer)
            }
            req::References::METHOD => {
                let p: lsp_types::ReferenceParams = params(p)?;
                let at = &p.text_document_position;
                let answer: Vec<_> = self
                    .at(&at.text_document.uri, at.position)
                    .map(|(doc, offset)| {
                        navigate::references_across(
                            &doc.index,
                            &self.includers(doc),
                            &doc.analysis.name,
                            offset,
                            p.context.include_declaration,
                            &doc.uri,
                        )
                    })
                    .unwrap_or_default();
                to_value(answer)
            }
            req::PrepareRenameRequest::METHOD => {
                let p: lsp_types::TextDocumentPositionParams = params(p)?;
                let Some((doc, offset)) = self.at(&p.text_document.uri, p.position) else {
                    return Ok(Value::Null);
                };
                let includers = self.includers(doc);
                match navigate::rename_target(&doc.index, &includers, &doc.analysis.name, offset) {
                    Ok(o) => to_value(PrepareRenameResponse::Range(super::text::loc_range(&o.loc))),
                    Err(e) => Err((ErrorCode::RequestFailed as i32, e.to_string())),
                }
            }
            req::Rename::METHOD => {
                let p: lsp_types::RenameParams = params(p)?;
                let at = &p.text_document_position;
                let Some((doc, offset)) = self.at(&at.text_document.uri, at.position) else {
                    return Ok(Value::Null);
                };
                let includers = self.includers(doc);
                match navigate::rename(
                    &doc.index,
                    &includers,
                    &doc.analysis.name,
                    offset,
                    &p.new_name,
                    &doc.uri,
                ) {
                    Ok(edit) => to_value(edit),
                    Err(e) => Err((ErrorCode::RequestFailed as i32, e.to_string())),
                }
            }
            req::Completion::METHOD => {
                let p: lsp_types::CompletionParams = params(p)?;
                let at = &p.text_document_position;
                let answer = self
                    .at(&at.text_document.uri, at.position)
                    .map(|(doc, offset)| {
                        complete::complete(doc.src.text().get(..offset).unwrap_or(""), &doc.index)
                    });
                to_value(answer)
            }
            req::Formatting::METHOD => {
                let p: lsp_types::DocumentFormattingParams = params(p)?;
                let Some(doc) = self.doc(&p.text_document.uri) else {
                    return Ok(Value::Null);
                };
                match crate::fmt::format_source(&doc.src) {
                    Ok(formatted) if formatted == doc.text => to_value(Vec::<TextEdit>::new()),
                    // The whole text, byte-order mark included: what `rolecall fmt` writes.
                    Ok(formatted) => {
                        let end = position_in(&doc.src, doc.src.text().len());
                        let range = lsp_types::Range::new(lsp_types::Position::new(0, 0), end);
                        to_value(vec![TextEdit::new(range, formatted)])
                    }
                    // A file that does not parse is left as it is; its diagnostics say why.
                    Err(_) => Ok(Value::Null),
                }
            }
            req::DocumentSymbolRequest::METHOD => {
                let p: lsp_types::DocumentSymbolParams = params(p)?;
                let answer = self.doc(&p.text_document.uri).and_then(|doc| {
                    doc.analysis
                        .files
                        .first()
                        .map(|f| outline::symbols(&f.tree))
                });
                to_value(answer.map(lsp_types::DocumentSymbolResponse::Nested))
            }
            req::FoldingRangeRequest::METHOD => {
                let p: lsp_types::FoldingRangeParams = params(p)?;
                let answer = self.doc(&p.text_document.uri).and_then(|doc| {
                    doc.analysis
                        .files
                        .first()
                        .map(|f| outline::folding(&f.tree))
                });
                to_value(answer)
            }
            req::CodeActionRequest::METHOD => {
                let p: lsp_types::CodeActionParams = params(p)?;
                let answer = self
                    .doc(&p.text_document.uri)
                    .map(|doc| actions::actions(&doc.analysis, &doc.index, &doc.uri, p.range));
                to_value(answer)
            }
            req::CodeLensRequest::METHOD => {
                let p: lsp_types::CodeLensParams = params(p)?;
                to_value(
                    self.doc(&p.text_document.uri)
                        .map(|doc| lens::lenses(&doc.analysis)),
                )
            }
            req::InlayHintRequest::METHOD => {
                let p: lsp_types::InlayHintParams = params(p)?;
                to_value(
                    self.doc(&p.text_document.uri)
                        .map(|doc| lens::inlay_hints(&doc.analysis, p.range)),
                )
            }
            req::SemanticTokensFullRequest::METHOD => {
                let p: lsp_types::SemanticTokensParams = params(p)?;
                // The index is of the last text that parsed: after a syntax
                // error its places are stale, and no tokens beat wrong ones.
                let answer = self
                    .doc(&p.text_document.uri)
                    .filter(|doc| !doc.analysis.files.is_empty())
                    .map(|doc| semantic::tokens(&doc.index, &doc.analysis.name));
                to_value(answer.map(lsp_types::SemanticTokensResult::Tokens))
            }
            _ => Err((
                ErrorCode::MethodNotFound as i32,
                format!("unknown method `{method}`"),
            )),
        }
    }

    fn notification(&mut self, n: Notification) -> Vec<Message> {
        match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                let doc = p.text_document;
                self.docs.insert(
                    doc.uri.as_str().to_string(),
                    Open {
                        src: SourceFile::new(doc.uri.as_str(), doc.text.as_str()),
                        uri: doc.uri,
                        text: doc.text,
                        version: doc.version,
                        analysis: Analysis::default(),
                        index: Index::default(),
                        published: BTreeSet::new(),
                    },
                );
                self.reanalyze()
            }
            note::DidChangeTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                let Some(doc) = self.docs.get_mut(p.text_document.uri.as_str()) else {
                    return Vec::new();
                };
                // Full sync: the last change holds the whole text.
                let Some(change) = p.content_changes.into_iter().next_back() else {
                    return Vec::new();
                };
                doc.text = change.text;
                doc.version = p.text_document.version;
                doc.src = SourceFile::new(doc.uri.as_str(), doc.text.as_str());
                self.reanalyze()
            }
            note::DidSaveTextDocument::METHOD => self.reanalyze(),
            note::DidCloseTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                let mut out = Vec::new();
                if let Some(doc) = self.docs.remove(p.text_document.uri.as_str()) {
                    for uri in doc.published {
                        if let Ok(uri) = uri.parse::<Uri>() {
                            out.push(publish(uri, Vec::new(), None));
                        }
                    }
                }
                out.extend(self.reanalyze());
                out
            }
            // `initialized`, `$/cancelRequest`, settings: nothing to do.
            _ => Vec::new(),
        }
    }

    /// The open documents' texts by path, which the loader reads before the disk.
    fn open_texts(&self) -> BTreeMap<PathBuf, String> {
        self.docs
            .values()
            .filter_map(|d| {
                Some((
                    crate::syntax::normalize_path(&uri_path(&d.uri)?),
                    d.text.clone(),
                ))
            })
            .collect()
    }

    /// The files that include `doc` (open or on the disk near it), loaded,
    /// for a rename to see: none for a document that is not a file.
    fn includers(&self, doc: &Open) -> Vec<Includer> {
        match uri_path(&doc.uri) {
            Some(path) => includers(&path, &self.roots, &self.open_texts()),
            None => Vec::new(),
        }
    }

    /// Analyzes every open document again (one may include another) and
    /// publishes the diagnostics of each.
    fn reanalyze(&mut self) -> Vec<Message> {
        let open = self.open_texts();
        let mut out = Vec::new();
        for doc in self.docs.values_mut() {
            let path = uri_path(&doc.uri);
            let name = path
                .as_ref()
                .map_or_else(|| doc.uri.as_str().to_string(), |p| p.display().to_string());
            doc.analysis = analyze(&name, &doc.text, path.as_deref(), &open);
            if !doc.analysis.files.is_empty() {
                doc.index = Index::new(&doc.analysis.files);
            }
            let by_file = diagnostics::by_file(&doc.analysis, &doc.uri);
            let now: BTreeSet<String> = by_file.keys().cloned().collect();
            for gone in doc.published.difference(&now) {
                if let Ok(uri) = gone.parse::<Uri>() {
                    out.push(publish(uri, Vec::new(), None));
                }
            }
            for (key, (uri, list)) in by_file {
                let version = (key == doc.uri.as_str()).then_some(doc.version);
                out.push(publish(uri, list, version));
            }
            doc.published = now;
        }
        out
    }

    fn doc(&self, uri: &Uri) -> Option<&Open> {
        self.docs.get(uri.as_str())
    }

    /// The document and the byte offset of an editor's position in it, in
    /// the text the library reads (where the analysis's offsets count).
    fn at(&self, uri: &Uri, position: lsp_types::Position) -> Option<(&Open, usize)> {
        let doc = self.doc(uri)?;
        Some((doc, offset_in(&doc.src, position)))
    }
}

/// The workspace folders of `initialize`'s parameters (`workspaceFolders`,
/// else `rootUri`, else `rootPath`), as local paths.
fn workspace_roots(p: &Value) -> Vec<PathBuf> {
    let folders: Vec<PathBuf> = p
        .get("workspaceFolders")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| f.get("uri")?.as_str()?.parse::<Uri>().ok())
        .filter_map(|uri| uri_path(&uri))
        .collect();
    if !folders.is_empty() {
        return folders;
    }
    let root_uri = p
        .get("rootUri")
        .and_then(Value::as_str)
        .and_then(|u| u.parse::<Uri>().ok())
        .and_then(|uri| uri_path(&uri));
    let root_path = p.get("rootPath").and_then(Value::as_str).map(PathBuf::from);
    root_uri.or(root_path).into_iter().collect()
}

fn publish(uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) -> Message {
    Message::Notification(Notification::new(
        note::PublishDiagnostics::METHOD.to_string(),
        lsp_types::PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        },
    ))
}

fn response(id: RequestId, reply: Reply) -> Response {
    match reply {
        Ok(result) => Response {
            id,
            result: Some(result),
            error: None,
        },
        Err((code, message)) => Response::new_err(id, code, message),
    }
}
