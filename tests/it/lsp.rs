//! `rolecall lsp` driven as a child process over its standard input and
//! output, with real JSON-RPC frames: every feature on the Livestorm
//! policy, and the protocol's errors for what a client can get wrong.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: ChildStdin,
    from_server: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for a response.
    notes: Vec<Value>,
    /// What the server answered to `initialize`.
    capabilities: Value,
}

fn read_frames(out: impl Read + Send + 'static) -> Receiver<Value> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut out = BufReader::new(out);
        loop {
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if out.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(n) = line.strip_prefix("Content-Length: ") {
                    length = n.parse().expect("a length");
                }
            }
            let mut body = vec![0; length];
            if out.read_exact(&mut body).is_err() {
                return;
            }
            let value: Value = serde_json::from_slice(&body).expect("the server writes JSON");
            if tx.send(value).is_err() {
                return;
            }
        }
    });
    rx
}

impl Client {
    fn start() -> Client {
        Client::start_with(json!({"capabilities": {}, "processId": null}))
    }

    /// A server initialized with `init` as `initialize`'s parameters.
    fn start_with(init: Value) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rolecall"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("rolecall lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let from_server = read_frames(child.stdout.take().expect("stdout"));
        let mut client = Client {
            child,
            stdin,
            from_server,
            next_id: 0,
            notes: Vec::new(),
            capabilities: Value::Null,
        };
        let init = client.request("initialize", init);
        assert_eq!(init["result"]["serverInfo"]["name"], "rolecall", "{init}");
        client.capabilities = init["result"]["capabilities"].clone();
        client.notify("initialized", json!({}));
        client
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn send(&mut self, value: &Value) {
        let body = value.to_string();
        self.raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn receive(&mut self) -> Value {
        match self.from_server.recv_timeout(WAIT) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("no message from the server in {WAIT:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// The response to the request just sent (notifications are kept aside).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.response(json!(id))
    }

    fn response(&mut self, id: Value) -> Value {
        loop {
            let message = self.receive();
            if message.get("method").is_some() {
                self.notes.push(message);
            } else if message["id"] == id {
                return message;
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        if let Some(i) = self.notes.iter().position(|n| {
            n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri
        }) {
            let n = self.notes.remove(i);
            return n["params"]["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default();
        }
        loop {
            let n = self.receive();
            if n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri {
                return n["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
        }
    }

    fn open(&mut self, uri: &str, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "rolecall", "version": 1, "text": text}}),
        );
        self.diagnostics(uri)
    }

    fn change(&mut self, uri: &str, version: i32, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
        self.diagnostics(uri)
    }

    fn at(
        &mut self,
        method: &str,
        uri: &str,
        (line, character): (usize, usize),
        extra: Value,
    ) -> Value {
        let mut params = json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
        if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        self.request(method, params)
    }

    fn stop(mut self) -> i32 {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r["result"], Value::Null, "{r}");
        self.notify("exit", Value::Null);
        drop(self.stdin);
        self.child.wait().expect("exit").code().unwrap_or(-1)
    }
}

fn livestorm() -> (PathBuf, String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/livestorm.policy");
    let text = std::fs::read_to_string(&path).expect("livestorm.policy");
    let uri = format!("file://{}", path.display());
    (path, uri, text)
}

/// (line, column) of the first `needle` in `text`, plus `shift` columns.
fn find(text: &str, needle: &str, shift: usize) -> (usize, usize) {
    let at = text.find(needle).expect(needle);
    let line = text[..at].matches('\n').count();
    let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line, column + shift)
}

#[test]
fn diagnostics_follow_the_edits_with_codes_severities_and_fixes() {
    let (_, uri, text) = livestorm();
    let mut client = Client::start();
    assert_eq!(
        client.open(&uri, &text),
        Vec::<Value>::new(),
        "the shipped policy is clean"
    );

    let typo = text.replacen(
        "allow viewer to ask_questions",
        "allow viewr to ask_questions",
        1,
    );
    let found = client.change(&uri, 2, &typo);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "rolecall::resolve::unknown_role");
    assert_eq!(found[0]["severity"], 1);
    let (line, column) = find(&typo, "viewr to ask", 0);
    assert_eq!(
        found[0]["range"]["start"],
        json!({"line": line, "character": column})
    );
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": found[0]["range"], "context": {"diagnostics": []}}),
    );
    let fix = &actions["result"][0];
    assert_eq!(fix["title"], "Change to `viewer`", "{actions}");
    assert_eq!(fix["edit"]["changes"][&uri][0]["newText"], "viewer");

    // Two syntax errors in one file: the recovery reports both.
    let broken = text
        .replacen("role viewer \"", "role viewer viewer \"", 1)
        .replacen("allow speaker to", "allow speaker too", 1);
    let found = client.change(&uri, 3, &broken);
    let lines: Vec<usize> = found
        .iter()
        .filter_map(|d| d["range"]["start"]["line"].as_u64())
        .map(|l| l as usize)
        .collect();
    assert!(
        lines.contains(&find(&broken, "viewer viewer", 0).0),
        "{found:?}"
    );
    assert!(
        lines.contains(&find(&broken, "speaker too", 0).0),
        "{found:?}"
    );
    assert!(found.iter().all(|d| {
        d["code"]
            .as_str()
            .is_some_and(|c| c.starts_with("rolecall::syntax::"))
    }));

    // A lint finding: a warning with a link to its rule's documentation.
    let unused = format!("fact never_read\n{text}");
    let found = client.change(&uri, 4, &unused);
    let finding = found
        .iter()
        .find(|d| d["code"] == "rolecall::lint::unused-fact")
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(finding["severity"], 2);
    assert!(
        finding["codeDescription"]["href"]
            .as_str()
            .is_some_and(|h| h.ends_with("lint.md#unused-fact"))
    );
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": finding["range"], "context": {"diagnostics": []}}),
    );
    let titles: Vec<&str> = actions["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["title"].as_str())
        .collect();
    assert!(
        titles.contains(&"Suppress `unused-fact` here"),
        "{titles:?}"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn hover_shows_a_roles_row_an_actions_column_and_a_rules_cells() {
    let (_, uri, text) = livestorm();
    let mut client = Client::start();
    client.open(&uri, &text);
    let role = client.at(
        "textDocument/hover",
        &uri,
        find(&text, "role moderator", 6),
        json!({}),
    );
    let value = role["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(value.starts_with("**role `session.moderator`**"), "{value}");
    assert!(
        value.contains("| `send_chat_messages` | ✅ allow"),
        "{value}"
    );
    assert!(value.contains("inherited from `viewer`"), "{value}");

    let action = client.at(
        "textDocument/hover",
        &uri,
        find(&text, "to ask_questions", 4),
        json!({}),
    );
    let value = action["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        value.starts_with("**action `session.ask_questions`**"),
        "{value}"
    );
    assert!(value.contains("| `viewer` | ✅ allow"), "{value}");

    let rule = client.at(
        "textDocument/hover",
        &uri,
        find(&text, "allow viewer to ask_questions", 2),
        json!({}),
    );
    let value = rule["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(value.contains("decides"), "{value}");

    let fact = client.at(
        "textDocument/hover",
        &uri,
        find(&text, "fact event_owner", 6),
        json!({}),
    );
    let value = fact["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(value.starts_with("**fact `event_owner`**"), "{value}");
    // It decides no cell's condition, but who acts as an organizer.
    assert!(
        value.contains("- `event_owner joins session as organizer` (")
            && value.contains("read by 1 declaration"),
        "{value}"
    );
    let setting = client.at(
        "textDocument/hover",
        &uri,
        find(&text, "setting general_access", 9),
        json!({}),
    );
    let value = setting["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let defaults = text.matches("when general_access is").count();
    assert!(defaults >= 2);
    assert!(
        value.contains(&format!("read by {defaults} declarations"))
            && value
                .contains("- `default team_member: organizer when general_access is organizer` ("),
        "{value}"
    );

    let nothing = client.at("textDocument/hover", &uri, (0, 0), json!({}));
    assert_eq!(nothing["result"], Value::Null, "{nothing}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn definition_references_and_rename_refusing_a_clash() {
    let (_, uri, text) = livestorm();
    let mut client = Client::start();
    client.open(&uri, &text);
    let use_of_viewer = find(&text, "allow viewer to ask", 6);
    let def = client.at("textDocument/definition", &uri, use_of_viewer, json!({}));
    let (line, column) = find(&text, "role viewer", 5);
    assert_eq!(
        def["result"]["range"]["start"],
        json!({"line": line, "character": column}),
        "{def}"
    );

    let refs = client.at(
        "textDocument/references",
        &uri,
        use_of_viewer,
        json!({"context": {"includeDeclaration": true}}),
    );
    let count = refs["result"].as_array().map_or(0, Vec::len);
    let session = &text[text.find("scope session").unwrap_or(0)..];
    let session = &session[..session.find("\n}").unwrap_or(session.len())];
    let written = session
        .match_indices("viewer")
        .filter(|(i, _)| {
            let before = session[..*i].chars().next_back();
            let after = session[i + 6..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '"')
                && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .count();
    assert!(
        count >= 3 && count <= written,
        "{count} references, {written} words: {refs}"
    );

    let clash = client.at(
        "textDocument/rename",
        &uri,
        use_of_viewer,
        json!({"newName": "speaker"}),
    );
    assert_eq!(clash["error"]["code"], -32803, "{clash}");
    assert!(
        clash["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("already declared"))
    );
    let bad = client.at(
        "textDocument/rename",
        &uri,
        use_of_viewer,
        json!({"newName": "allow"}),
    );
    assert_eq!(bad["error"]["code"], -32803, "{bad}");

    let renamed = client.at(
        "textDocument/rename",
        &uri,
        use_of_viewer,
        json!({"newName": "audience"}),
    );
    let edits = renamed["result"]["documentChanges"][0]["edits"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(edits.len(), count, "{renamed}");
    // Applying the edits gives a policy that compiles to the same table under the new name.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut sorted = edits.clone();
    sorted.sort_by_key(|e| {
        std::cmp::Reverse((
            e["range"]["start"]["line"].as_u64(),
            e["range"]["start"]["character"].as_u64(),
        ))
    });
    for e in &sorted {
        let line = e["range"]["start"]["line"].as_u64().unwrap_or(0) as usize;
        let start = e["range"]["start"]["character"].as_u64().unwrap_or(0) as usize;
        let end = e["range"]["end"]["character"].as_u64().unwrap_or(0) as usize;
        // The policy's text is ASCII around role names, so columns are bytes here.
        lines[line].replace_range(start..end, "audience");
    }
    let new_text = lines.join("\n") + "\n";
    let table =
        rolecall::compile_str("renamed.policy", &new_text).expect("the renamed policy compiles");
    assert!(table.role_id("session", "audience").is_some());
    assert!(table.role_id("session", "viewer").is_none());
    assert_eq!(client.stop(), 0);
}

#[test]
fn completion_formatting_outline_folding_and_lenses() {
    let (_, uri, text) = livestorm();
    let mut client = Client::start();
    client.open(&uri, &text);
    let after_allow = find(&text, "allow viewer to ask", 6);
    let roles = client.at("textDocument/completion", &uri, after_allow, json!({}));
    let labels: Vec<&str> = roles["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["label"].as_str())
        .collect();
    assert!(
        labels.contains(&"moderator") && labels.contains(&"everyone"),
        "{labels:?}"
    );
    assert!(
        !labels.contains(&"owner"),
        "a workspace role offered in a session rule: {labels:?}"
    );
    let after_to = find(&text, "allow viewer to ask", 16);
    let actions = client.at("textDocument/completion", &uri, after_to, json!({}));
    let labels: Vec<&str> = actions["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["label"].as_str())
        .collect();
    assert!(labels.contains(&"send_emojis"), "{labels:?}");

    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let names: Vec<&str> = symbols["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(
        names.contains(&"session") && names.contains(&"event_owner"),
        "{names:?}"
    );
    let folds = client.request(
        "textDocument/foldingRange",
        json!({"textDocument": {"uri": uri}}),
    );
    let (scope_line, _) = find(&text, "scope session", 0);
    assert!(
        folds["result"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["startLine"] == scope_line),
        "{folds}"
    );

    let lenses = client.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": uri}}),
    );
    let lenses = lenses["result"].as_array().cloned().unwrap_or_default();
    let table = rolecall::compile_str("l.policy", &text).expect("compiles");
    assert_eq!(lenses.len(), table.policy().rules.len());
    assert!(lenses.iter().all(|l| {
        l["command"]["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("decides "))
    }));

    let messy = "scope s {\nrole   viewer\n    action chat\nallow viewer   to chat\n}\n";
    let messy_uri = "untitled:messy";
    client.open(messy_uri, messy);
    let formatted = client.request("textDocument/formatting", json!({"textDocument": {"uri": messy_uri}, "options": {"tabSize": 4, "insertSpaces": true}}));
    let expected = rolecall::fmt::format_source(&rolecall::source::SourceFile::new("m", messy))
        .expect("formats");
    assert_eq!(
        formatted["result"][0]["newText"],
        expected.as_str(),
        "{formatted}"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn protocol_errors_are_answered_and_the_server_goes_on() {
    let mut client = Client::start();
    // Not JSON: a parse error for id null.
    client.raw(b"Content-Length: 9\r\n\r\n{not json");
    let error = client.response(Value::Null);
    assert_eq!(error["error"]["code"], -32700, "{error}");
    // JSON but not a message.
    client.send(&json!([1, 2, 3]));
    let error = client.response(Value::Null);
    assert_eq!(error["error"]["code"], -32600, "{error}");
    // A message over the limit is skipped, not held, and the next one is read.
    let over = rolecall::lsp::transport::MAX_MESSAGE_BYTES + 1;
    client.raw(format!("Content-Length: {over}\r\n\r\n").as_bytes());
    client.raw(&vec![b' '; over]);
    let error = client.response(Value::Null);
    assert_eq!(error["error"]["code"], -32600, "{error}");
    let still = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": "untitled:none"}}),
    );
    assert_eq!(still["result"], Value::Null, "{still}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn unknown_methods_bad_parameters_and_a_ten_megabyte_document() {
    let mut client = Client::start();
    let unknown = client.request("rolecall/noSuchMethod", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let bad = client.request("textDocument/hover", json!({"textDocument": 7}));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    let unopened = client.at(
        "textDocument/hover",
        "file:///nowhere.policy",
        (0, 0),
        json!({}),
    );
    assert_eq!(unopened["result"], Value::Null, "{unopened}");

    let mut big = String::with_capacity(10 << 20);
    while big.len() < 10 << 20 {
        big.push_str("fact f_");
        big.push_str(&big.len().to_string());
        big.push('\n');
    }
    let facts = big.lines().count();
    let found = client.open("untitled:big", &big);
    // Valid and huge: every fact unused, so lint speaks, and the first
    // thousand findings are published with one saying how many more there are.
    assert!(
        found.iter().all(|d| d["severity"] != 1),
        "{:?}",
        found.first()
    );
    assert_eq!(found.len(), 1001);
    assert_eq!(found[999]["code"], "rolecall::lint::unused-fact");
    let more = &found[1000];
    assert_eq!(more["code"], "rolecall::lsp::too_many", "{more}");
    assert_eq!(more["severity"], 3);
    assert!(
        more["message"]
            .as_str()
            .is_some_and(|m| m.starts_with(&format!("{} more diagnostics", facts - 1000))),
        "{more}"
    );
    let hover = client.at("textDocument/hover", "untitled:big", (3, 6), json!({}));
    assert!(
        hover["result"]["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.contains("fact `f_")),
        "{hover}"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn an_included_file_open_in_the_editor_is_read_from_the_editor() {
    let dir = std::env::temp_dir().join(format!("rolecall-lsp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("facts.policy"), "fact live\n").expect("write");
    let main = "include \"facts.policy\"\nscope s {\n role viewer\n action chat\n allow viewer to chat when live\n}\n";
    std::fs::write(dir.join("main.policy"), main).expect("write");
    let main_uri = format!("file://{}", dir.join("main.policy").display());
    let facts_uri = format!("file://{}", dir.join("facts.policy").display());
    let mut client = Client::start();
    assert_eq!(client.open(&main_uri, main), Vec::<Value>::new());
    // The included file, edited but not saved: the fact is gone.
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": facts_uri, "languageId": "rolecall", "version": 1, "text": "fact other\n"}}),
    );
    let found = client.diagnostics(&main_uri);
    assert_eq!(
        found.first().map(|d| d["code"].clone()),
        Some(json!("rolecall::resolve::unknown_fact")),
        "{found:?}"
    );
    let def = client.at("textDocument/definition", &main_uri, (4, 28), json!({}));
    assert_eq!(def["result"], Value::Null, "{def}");
    assert_eq!(client.stop(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The semantic tokens of a document, decoded: (line, column, text, type, declaration).
fn semantic_tokens(
    client: &mut Client,
    uri: &str,
    text: &str,
) -> Vec<(u64, u64, String, String, bool)> {
    let legend = &client.capabilities["semanticTokensProvider"]["legend"];
    let types: Vec<String> = legend["tokenTypes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    assert_eq!(legend["tokenModifiers"], json!(["declaration"]), "{legend}");
    let answer = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    let data: Vec<u64> = answer["result"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect();
    assert_eq!(data.len() % 5, 0, "{answer}");
    let lines: Vec<&str> = text.lines().collect();
    let (mut line, mut column) = (0, 0);
    data.chunks(5)
        .map(|t| {
            if t[0] > 0 {
                column = 0;
            }
            line += t[0];
            column += t[1];
            // Columns count UTF-16 units.
            let units: Vec<u16> = lines[line as usize].encode_utf16().collect();
            let word = String::from_utf16_lossy(&units[column as usize..(column + t[2]) as usize]);
            (line, column, word, types[t[3] as usize].clone(), t[4] == 1)
        })
        .collect()
}

const SMALL: &str = "fact live\nkind guest\nsetting plan { value free  value team  default free }\nscope s {\n    role viewer\n    role speaker : viewer\n    action chat\n    action mute\n    allow viewer to chat when live or plan is team\n    allow speaker to mute\n    deny everyone to mute when kind is guest\n    allow viewer to mute when false\n}\n";

#[test]
fn semantic_tokens_tell_roles_actions_facts_and_settings_apart() {
    let mut client = Client::start();
    let uri = "untitled:small";
    assert_eq!(
        client
            .open(uri, SMALL)
            .iter()
            .filter(|d| d["severity"] == 1)
            .count(),
        0
    );
    let tokens = semantic_tokens(&mut client, uri, SMALL);
    let token = |line: u64, word: &str| {
        tokens
            .iter()
            .find(|t| t.0 == line && t.2 == word)
            .map(|t| (t.3.as_str(), t.4))
    };
    assert_eq!(token(0, "live"), Some(("variable", true)), "{tokens:?}");
    assert_eq!(token(1, "guest"), Some(("enum", true)));
    assert_eq!(token(2, "plan"), Some(("property", true)));
    assert_eq!(token(2, "team"), Some(("enumMember", true)));
    assert_eq!(token(3, "s"), Some(("namespace", true)));
    assert_eq!(token(4, "viewer"), Some(("type", true)));
    // The parent named after `:` is a role, not declared there.
    assert_eq!(token(5, "viewer"), Some(("type", false)));
    assert_eq!(token(6, "chat"), Some(("function", true)));
    // `allow viewer to chat when live or plan is team`: the same words, told apart.
    assert_eq!(token(8, "viewer"), Some(("type", false)));
    assert_eq!(token(8, "chat"), Some(("function", false)));
    assert_eq!(token(8, "live"), Some(("variable", false)));
    assert_eq!(token(8, "plan"), Some(("property", false)));
    assert_eq!(token(8, "team"), Some(("enumMember", false)));
    assert_eq!(token(10, "guest"), Some(("enum", false)));
    // Keywords and `everyone` are left to the TextMate grammar.
    assert_eq!(token(10, "everyone"), None);
    assert_eq!(token(8, "allow"), None);
    // In text order, none overlapping.
    assert!(
        tokens
            .windows(2)
            .all(|w| (w[0].0, w[0].1) < (w[1].0, w[1].1)),
        "{tokens:?}"
    );

    // A syntax error: the names' places are not known, so no tokens rather than wrong ones.
    client.change(uri, 2, "scope s {\n role viewer\n allow viewer to\n}\n");
    let broken = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(broken["result"], Value::Null, "{broken}");

    // Livestorm: every role and action declaration is a token.
    let (_, uri, text) = livestorm();
    client.open(&uri, &text);
    let tokens = semantic_tokens(&mut client, &uri, &text);
    let table = rolecall::compile_str("l.policy", &text).expect("compiles");
    let declared = |kind: &str| tokens.iter().filter(|t| t.3 == kind && t.4).count();
    let roles: usize = table.policy().scopes.values().map(|s| s.roles.len()).sum();
    let actions: usize = table
        .policy()
        .scopes
        .values()
        .map(|s| s.actions.len())
        .sum();
    assert_eq!(declared("type"), roles);
    assert_eq!(declared("function"), actions + declared_groups(&text));
    assert_eq!(client.stop(), 0);
}

/// Groups and named sections declared in a policy text (`group NAME`, `section NAME "`).
fn declared_groups(text: &str) -> usize {
    text.lines()
        .map(str::trim_start)
        .filter(|l| {
            l.starts_with("group ") || (l.starts_with("section ") && !l.starts_with("section \""))
        })
        .count()
}

#[test]
fn inlay_hints_say_how_many_cells_each_rule_decides() {
    let mut client = Client::start();
    let uri = "untitled:small";
    client.open(uri, SMALL);
    let all = json!({"start": {"line": 0, "character": 0}, "end": {"line": 99, "character": 0}});
    let hints = client.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": all}),
    );
    let hints: Vec<(u64, u64, String)> = hints["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            (
                h["position"]["line"].as_u64().unwrap_or(0),
                h["position"]["character"].as_u64().unwrap_or(0),
                h["label"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let lines: Vec<&str> = SMALL.lines().collect();
    let end = |line: usize| (line as u64, lines[line].len() as u64);
    assert_eq!(
        hints,
        vec![
            // viewer and speaker (inherited) may chat when live or on the team plan.
            (end(8).0, end(8).1, "decides 2 cells".to_string()),
            (end(9).0, end(9).1, "decides 1 cell".to_string()),
            // Overruled by viewer's and speaker's own rules (`rolecall table` shows
            // `mute` denied to viewer and allowed to speaker, whatever the kind).
            (end(10).0, end(10).1, "decides no cell".to_string()),
            (end(11).0, end(11).1, "decides no cell".to_string()),
        ]
    );
    // Only the rules ending in the range asked for.
    let one = json!({"start": {"line": 9, "character": 0}, "end": {"line": 9, "character": 99}});
    let some = client.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": one}),
    );
    assert_eq!(some["result"].as_array().map(Vec::len), Some(1), "{some}");
    assert_eq!(client.stop(), 0);
}

/// `value` with every position on line 0 moved `by` UTF-16 units (the
/// protocol's `{line, character}` objects, wherever they are).
fn shift_line_zero(value: &Value, by: u64) -> Value {
    match value {
        Value::Object(map) => {
            let mut out: serde_json::Map<String, Value> = map
                .iter()
                .map(|(k, v)| (k.clone(), shift_line_zero(v, by)))
                .collect();
            if map.len() == 2 && map.get("line") == Some(&json!(0)) {
                if let Some(c) = map.get("character").and_then(Value::as_u64) {
                    out.insert("character".into(), json!(c + by));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| shift_line_zero(v, by)).collect()),
        other => other.clone(),
    }
}

/// The text of a protocol range on one line, columns in UTF-16 units.
fn utf16_slice(text: &str, range: &Value) -> String {
    let line = range["start"]["line"].as_u64().unwrap_or(0) as usize;
    let start = range["start"]["character"].as_u64().unwrap_or(0) as usize;
    let end = range["end"]["character"].as_u64().unwrap_or(0) as usize;
    let units: Vec<u16> = text
        .lines()
        .nth(line)
        .unwrap_or("")
        .encode_utf16()
        .collect();
    String::from_utf16_lossy(&units[start.min(units.len())..end.min(units.len())])
}

/// A document that starts with a byte-order mark (which the loader leaves
/// out of the policy, but an editor that keeps it counts as one UTF-16 unit
/// of line 0) gets the same answers as without it, line 0 one unit to the
/// right: diagnostics, quick fixes, hover, definition, references, rename,
/// completion, semantic tokens, lenses, hints, outline and formatting, asked
/// at every place of the text.
#[test]
fn a_byte_order_mark_moves_line_zero_one_unit_and_nothing_else() {
    let plain = "fact live  fact unused\nscope s {\n    role v\n    role w : v\n    action chat\n    allow v to chat when live\n}\n";
    let bommed = format!("\u{feff}{plain}");
    let (p, b) = ("untitled:plain", "untitled:bom");
    // The BOM document's answers, named as the plain one's.
    let as_plain =
        |v: &Value| -> Value { serde_json::from_str(&v.to_string().replace(b, p)).expect("JSON") };
    let mut client = Client::start();
    let plain_found = client.open(p, plain);
    let bom_found = client.open(b, &bommed);
    let unused = plain_found
        .iter()
        .find(|d| d["code"] == "rolecall::lint::unused-fact")
        .unwrap_or_else(|| panic!("{plain_found:?}"));
    assert_eq!(unused["range"]["start"]["line"], 0, "{unused}");
    assert_eq!(
        as_plain(&json!(bom_found)),
        shift_line_zero(&json!(plain_found), 1)
    );
    let bom_unused = &bom_found[0];
    assert!(
        utf16_slice(&bommed, &bom_unused["range"]).contains("unused"),
        "{bom_unused}"
    );

    let fixes = |client: &mut Client, uri: &str, range: &Value| {
        client.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": []}}),
        )["result"]
            .clone()
    };
    let plain_fixes = fixes(&mut client, p, &unused["range"]);
    assert_ne!(plain_fixes, json!([]), "{plain_fixes}");
    assert_eq!(
        as_plain(&fixes(&mut client, b, &bom_unused["range"])),
        shift_line_zero(&plain_fixes, 1)
    );

    // Every place of every line (and one past each line's end).
    let mut places = Vec::new();
    for (line, text) in plain.lines().enumerate() {
        for column in 0..=text.len() + 2 {
            places.push((line, column));
        }
    }
    let mut answered = 0;
    for (method, extra) in [
        ("textDocument/hover", json!({})),
        ("textDocument/definition", json!({})),
        (
            "textDocument/references",
            json!({"context": {"includeDeclaration": true}}),
        ),
        ("textDocument/prepareRename", json!({})),
        ("textDocument/rename", json!({"newName": "renamed"})),
        ("textDocument/completion", json!({})),
    ] {
        for &(line, column) in &places {
            let shift = usize::from(line == 0);
            let want = client.at(method, p, (line, column), extra.clone());
            let got = client.at(method, b, (line, column + shift), extra.clone());
            assert_eq!(
                as_plain(&got["result"]),
                shift_line_zero(&want["result"], 1),
                "{method} at {line}:{column}"
            );
            assert_eq!(got["error"], want["error"], "{method} at {line}:{column}");
            answered += usize::from(!want["result"].is_null());
        }
    }
    assert!(answered > places.len(), "{answered} answers");
    // Before the mark is the text's start too.
    assert_eq!(
        client.at("textDocument/hover", b, (0, 0), json!({}))["result"],
        client.at("textDocument/hover", p, (0, 0), json!({}))["result"],
    );

    // Straight from a use of `live` to its declaration: after the mark and `fact `.
    let def = client.at(
        "textDocument/definition",
        b,
        find(plain, "when live", 5),
        json!({}),
    );
    assert_eq!(
        def["result"]["range"],
        json!({"start": {"line": 0, "character": 6}, "end": {"line": 0, "character": 10}}),
        "{def}"
    );
    assert_eq!(utf16_slice(&bommed, &def["result"]["range"]), "live");
    // A one-letter role read on a later line (the mark's three bytes are not
    // counted there): its row, not the word after it.
    let v = client.at(
        "textDocument/hover",
        b,
        find(plain, "v to chat", 0),
        json!({}),
    );
    assert!(
        v["result"]["contents"]["value"]
            .as_str()
            .is_some_and(|h| h.starts_with("**role `s.v`**")),
        "{v}"
    );

    // Semantic tokens: the first token of line 0 one unit further, the rest as they are.
    let bom_tokens = semantic_tokens(&mut client, b, &bommed);
    let plain_tokens = semantic_tokens(&mut client, p, plain);
    let moved: Vec<_> = plain_tokens
        .iter()
        .map(|(line, column, word, kind, def)| {
            (
                *line,
                column + u64::from(*line == 0),
                word.clone(),
                kind.clone(),
                *def,
            )
        })
        .collect();
    assert_eq!(bom_tokens, moved);
    assert_eq!(bom_tokens[0].2, "live", "{bom_tokens:?}");

    for method in [
        "textDocument/codeLens",
        "textDocument/documentSymbol",
        "textDocument/foldingRange",
    ] {
        let want = client.request(method, json!({"textDocument": {"uri": p}}));
        let got = client.request(method, json!({"textDocument": {"uri": b}}));
        assert_ne!(want["result"], json!([]), "{method}");
        assert_eq!(
            as_plain(&got["result"]),
            shift_line_zero(&want["result"], 1),
            "{method}"
        );
    }
    let all = json!({"start": {"line": 0, "character": 0}, "end": {"line": 99, "character": 0}});
    let hints = |client: &mut Client, uri: &str| {
        client.request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": uri}, "range": all}),
        )["result"]
            .clone()
    };
    let plain_hints = hints(&mut client, p);
    assert_eq!(
        as_plain(&hints(&mut client, b)),
        shift_line_zero(&plain_hints, 1)
    );

    // Formatting: what `rolecall fmt` writes, which has no mark: the edit
    // covers the whole text, the mark included.
    let format = |client: &mut Client, uri: &str| {
        client.request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
        )["result"]
            .clone()
    };
    let plain_edit = format(&mut client, p);
    let bom_edit = format(&mut client, b);
    let expected = rolecall::fmt::format_source(&rolecall::source::SourceFile::new("m", plain))
        .expect("formats");
    assert_eq!(plain_edit[0]["newText"], expected.as_str(), "{plain_edit}");
    assert_eq!(bom_edit, plain_edit);
    assert_eq!(
        bom_edit[0]["range"]["start"],
        json!({"line": 0, "character": 0})
    );
    // Formatted already, but with a mark: the edit drops it, as `rolecall fmt` does.
    client.change(b, 2, &format!("\u{feff}{expected}"));
    let dropped = format(&mut client, b);
    assert_eq!(dropped[0]["newText"], expected.as_str(), "{dropped}");
    client.change(p, 2, &expected);
    assert_eq!(format(&mut client, p), json!([]));
    assert_eq!(client.stop(), 0);
}

/// docs/language.md 4.21's example: targeted actions and rules `on …`.
const TARGETED: &str = "fact locked \"The session is locked\"\n\nscope session {\n    role viewer\n    role speaker : viewer\n    role moderator : speaker\n    role co_organizer : moderator\n    role organizer : moderator\n    action remove \"Remove a participant\" on participant\n    action mute \"Mute someone\" on participant\n    allow moderator to remove on viewer exactly, speaker exactly\n    allow organizer, co_organizer to remove on below\n    deny co_organizer to remove on organizer\n    allow viewer to mute on self\n    allow moderator to mute on others at or below\n    forbid everyone to remove on organizer when locked\n}\n";

#[test]
fn targeted_actions_hover_with_their_grid_and_their_targets_are_names() {
    let uri = "untitled:targeted";
    let mut client = Client::start();
    let found = client.open(uri, TARGETED);
    assert!(found.iter().all(|d| d["severity"] != 1), "{found:?}");
    let hover = client.at(
        "textDocument/hover",
        uri,
        find(TARGETED, "action remove", 7),
        json!({}),
    );
    let value = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(value.contains("targeted (`on participant`)"), "{value}");
    // docs/language.md 4.21: a moderator removes viewers and speakers exactly; a
    // co-organizer anyone below (a target with no role too), never the organizer.
    assert!(
        value.contains("| `everyone` | `viewer` | `speaker` | `moderator` | `co_organizer` | `organizer` | `self` |"),
        "{value}"
    );
    assert!(
        value.contains("| `moderator` | ❌ | ✅ | ✅ | ❌ | ❌ | ❌ | ❌ |"),
        "{value}"
    );
    assert!(
        value.contains("| `co_organizer` | ✅ | ✅ | ✅ | ✅ | ❌ | ❌ | ❌ |"),
        "{value}"
    );
    let rule = client.at(
        "textDocument/hover",
        uri,
        find(TARGETED, "allow moderator to remove", 2),
        json!({}),
    );
    assert!(
        rule["result"]["contents"]["value"]
            .as_str()
            // The moderator on a viewer, on a speaker, and its untargeted cell.
            .is_some_and(|v| v.contains("`** decides 3 cells\n")),
        "{rule}"
    );
    let plain = client.at(
        "textDocument/hover",
        uri,
        find(TARGETED, "role viewer", 5),
        json!({}),
    );
    assert!(
        plain["result"]["contents"]["value"]
            .as_str()
            .is_some_and(|v| !v.contains("targeted")),
        "{plain}"
    );

    // A target role is a use of the role: definition, and rename updates it.
    let target = find(TARGETED, "on viewer exactly", 3);
    let def = client.at("textDocument/definition", uri, target, json!({}));
    let (line, column) = find(TARGETED, "role viewer", 5);
    assert_eq!(
        def["result"]["range"]["start"],
        json!({"line": line, "character": column}),
        "{def}"
    );
    let renamed = client.at(
        "textDocument/rename",
        uri,
        target,
        json!({"newName": "watcher"}),
    );
    let edits = renamed["result"]["documentChanges"][0]["edits"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut lines: Vec<String> = TARGETED.lines().map(str::to_string).collect();
    for e in edits.iter().rev() {
        let line = e["range"]["start"]["line"].as_u64().unwrap_or(0) as usize;
        let start = e["range"]["start"]["character"].as_u64().unwrap_or(0) as usize;
        let end = e["range"]["end"]["character"].as_u64().unwrap_or(0) as usize;
        lines[line].replace_range(start..end, "watcher");
    }
    let new_text = lines.join("\n") + "\n";
    assert!(!new_text.contains("viewer"), "{new_text}");
    let table =
        rolecall::compile_str("renamed.policy", &new_text).expect("the renamed policy compiles");
    let old = rolecall::compile_str("targeted.policy", TARGETED).expect("compiles");
    assert_eq!(
        rolecall::render::to_csv(&table, None).replace("watcher", "viewer"),
        rolecall::render::to_csv(&old, None)
    );

    let labels = |answer: &Value| -> Vec<String> {
        answer["result"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["label"].as_str().map(str::to_string))
            .collect()
    };
    let after_on = client.at("textDocument/completion", uri, target, json!({}));
    let after_on = labels(&after_on);
    for word in [
        "self",
        "others",
        "viewer",
        "organizer",
        "everyone",
        "below",
        "above",
    ] {
        assert!(after_on.iter().any(|l| l == word), "{word}: {after_on:?}");
    }
    assert!(
        !after_on.iter().any(|l| l == "remove"),
        "an action after `on`: {after_on:?}"
    );
    let declaration = client.at(
        "textDocument/completion",
        uri,
        find(TARGETED, "on participant", 3),
        json!({}),
    );
    assert_eq!(labels(&declaration), ["participant"]);
    assert_eq!(client.stop(), 0);
}

#[test]
fn a_file_removed_under_the_server_is_a_diagnostic_not_a_crash() {
    let dir = std::env::temp_dir().join(format!("rolecall-lsp-removed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("facts.policy"), "fact live\n").expect("write");
    let main = "include \"facts.policy\"\nscope s {\n role viewer\n action chat\n allow viewer to chat when live\n}\n";
    std::fs::write(dir.join("main.policy"), main).expect("write");
    let main_uri = format!("file://{}", dir.join("main.policy").display());
    let mut client = Client::start();
    assert_eq!(client.open(&main_uri, main), Vec::<Value>::new());
    // The included file (not open in the editor) and the document's own file go.
    std::fs::remove_file(dir.join("facts.policy")).expect("remove");
    std::fs::remove_file(dir.join("main.policy")).expect("remove");
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": main_uri}}),
    );
    let found = client.diagnostics(&main_uri);
    assert!(
        found.iter().any(|d| d["severity"] == 1
            && d["message"]
                .as_str()
                .is_some_and(|m| m.contains("facts.policy"))),
        "{found:?}"
    );
    // The document itself is the editor's: still read, still answered.
    let hover = client.at("textDocument/hover", &main_uri, (2, 7), json!({}));
    assert!(hover.get("error").is_none(), "{hover}");
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": main_uri}}),
    );
    assert!(symbols.get("error").is_none(), "{symbols}");
    assert_eq!(client.stop(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// One edit applied to an ASCII text (columns are bytes there).
fn apply(text: &str, edit: &Value) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap_or(0) as usize;
        let column = p["character"].as_u64().unwrap_or(0) as usize;
        text.split_inclusive('\n')
            .take(line)
            .map(str::len)
            .sum::<usize>()
            + column
    };
    let (start, end) = (
        offset(&edit["range"]["start"]),
        offset(&edit["range"]["end"]),
    );
    format!(
        "{}{}{}",
        &text[..start],
        edit["newText"].as_str().unwrap_or(""),
        &text[end..]
    )
}

#[test]
fn quick_fixes_remove_a_redundant_rule_add_a_label_and_related_places_are_given() {
    let text = "scope s \"S\" {\n    role viewer \"Viewer\"\n    role speaker \"Speaker\" : viewer\n    role host : speaker\n    action chat \"Chat\"\n    action mute \"Mute\"\n    allow viewer to chat\n    allow speaker to mute\n    allow host to mute\n}\n";
    let uri = "untitled:fixes";
    let mut client = Client::start();
    let found = client.open(uri, text);
    let fix = |client: &mut Client, found: &[Value], code: &str, title: &str| -> Value {
        let d = found
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("{code}: {found:?}"));
        let actions = client.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": d["range"], "context": {"diagnostics": []}}),
        );
        let action = actions["result"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["title"] == title)
            .unwrap_or_else(|| panic!("{title}: {actions}"))
            .clone();
        action["edit"]["changes"][uri][0].clone()
    };
    // `allow host to mute`: host inherits it from speaker, so the rule goes.
    let redundant = found
        .iter()
        .find(|d| d["code"] == "rolecall::lint::redundant-allow")
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(
        redundant["relatedInformation"][0]["location"]["range"]["start"]["line"],
        find(text, "allow speaker to mute", 0).0,
        "{redundant}"
    );
    let edit = fix(
        &mut client,
        &found,
        "rolecall::lint::redundant-allow",
        "Remove this rule",
    );
    let removed = apply(text, &edit);
    assert_eq!(removed, text.replace("    allow host to mute\n", ""));
    let before = rolecall::compile_str("a.policy", text).expect("compiles");
    let after = rolecall::compile_str("b.policy", &removed).expect("compiles");
    assert_eq!(
        rolecall::render::to_csv(&before, None),
        rolecall::render::to_csv(&after, None)
    );
    let found = client.change(uri, 2, &removed);
    assert!(
        found
            .iter()
            .all(|d| d["code"] != "rolecall::lint::redundant-allow"),
        "{found:?}"
    );
    let edit = fix(
        &mut client,
        &found,
        "rolecall::lint::missing-label",
        "Add the label \"Host\"",
    );
    let labelled = apply(&removed, &edit);
    assert!(
        labelled.contains("    role host \"Host\" : speaker\n"),
        "{labelled}"
    );
    let found = client.change(uri, 3, &labelled);
    assert!(
        found
            .iter()
            .all(|d| d["code"] != "rolecall::lint::missing-label"),
        "{found:?}"
    );

    // A resolve error with a related place: the first declaration.
    let twice = labelled.replace(
        "    action chat",
        "    role viewer \"Again\"\n    action chat",
    );
    let found = client.change(uri, 4, &twice);
    let duplicate = found
        .iter()
        .find(|d| d["code"] == "rolecall::resolve::duplicate")
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(
        duplicate["relatedInformation"][0]["location"]["range"]["start"],
        json!({"line": 1, "character": 9}),
        "{duplicate}"
    );
    assert_eq!(
        duplicate["relatedInformation"][0]["message"],
        "first declared here"
    );
    assert_eq!(client.stop(), 0);
}

#[test]
fn rename_edits_every_file_the_document_loads() {
    let dir = std::env::temp_dir().join(format!("rolecall-lsp-rename-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("facts.policy"), "fact live \"Live\"\n").expect("write");
    let main = "include \"facts.policy\"\nscope s {\n role viewer\n action chat\n allow viewer to chat when live\n}\n";
    std::fs::write(dir.join("main.policy"), main).expect("write");
    let main_uri = format!("file://{}", dir.join("main.policy").display());
    let facts_uri = format!("file://{}", dir.join("facts.policy").display());
    let mut client = Client::start();
    client.open(&main_uri, main);
    let renamed = client.at(
        "textDocument/rename",
        &main_uri,
        find(main, "when live", 5),
        json!({"newName": "on_air"}),
    );
    let changes = renamed["result"]["documentChanges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let edited = |uri: &str| -> Vec<Value> {
        changes
            .iter()
            .filter(|c| c["textDocument"]["uri"] == uri)
            .flat_map(|c| c["edits"].as_array().cloned().unwrap_or_default())
            .collect()
    };
    let in_facts = edited(&facts_uri);
    let in_main = edited(&main_uri);
    assert_eq!(in_facts.len(), 1, "{renamed}");
    assert_eq!(in_main.len(), 1, "{renamed}");
    let facts = apply("fact live \"Live\"\n", &in_facts[0]);
    assert_eq!(facts, "fact on_air \"Live\"\n");
    std::fs::write(dir.join("facts.policy"), &facts).expect("write");
    let main = apply(main, &in_main[0]);
    assert!(main.contains("when on_air"), "{main}");
    assert_eq!(client.change(&main_uri, 2, &main), Vec::<Value>::new());
    assert_eq!(client.stop(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_targeted_rule_counts_the_grid_cells_it_decides() {
    let text = "scope session {\n    role viewer\n    role speaker : viewer\n    role moderator : speaker\n    action mute on participant\n    allow viewer to mute on self\n    allow moderator to mute on others at or below\n    deny moderator to mute on moderator exactly\n}\n";
    let mut client = Client::start();
    let uri = "untitled:targeted";
    client.open(uri, text);
    let all = json!({"start": {"line": 0, "character": 0}, "end": {"line": 99, "character": 0}});
    let hints = client.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": all}),
    );
    let labels: Vec<String> = hints["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| h["label"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        labels,
        vec![
            // The viewer and the speaker on themselves (the moderator's own deny,
            // nearer, decides its cell on itself).
            "decides 2 cells".to_string(),
            // The moderator on viewer and speaker, and its untargeted cell.
            "decides 3 cells".to_string(),
            // The moderator on a moderator and on itself (it holds `moderator`): a
            // deny beats the allow at the same distance.
            "decides 2 cells".to_string(),
        ]
    );
    assert_eq!(client.stop(), 0);
}

/// The hover's Markdown at `position` of `uri` (empty when there is none).
fn hover_at(client: &mut Client, uri: &str, position: (usize, usize)) -> String {
    let answer = client.at("textDocument/hover", uri, position, json!({}));
    answer["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A rule's hover at `needle` in `text`: it starts with `head`, lists each of
/// `decided`, and (when `overruled` is given) ends with exactly that list
/// of the cells it is overruled in. The hover, for further checks.
fn rule_hover(
    client: &mut Client,
    uri: &str,
    (text, needle): (&str, &str),
    head: &str,
    decided: &[&str],
    overruled: Option<&[&str]>,
) -> String {
    let hover = hover_at(client, uri, find(text, needle, 2));
    assert!(hover.starts_with(head), "{hover}");
    for cell in decided {
        assert!(hover.contains(cell), "{cell}: {hover}");
    }
    if let Some(overruled) = overruled {
        let label = match overruled.len() {
            1 => "\noverruled in 1 cell it names:\n\n".to_string(),
            n => format!("\noverruled in {n} cells it names:\n\n"),
        };
        let (above, below) = hover
            .split_once(&label)
            .unwrap_or_else(|| panic!("no overruled list: {hover}"));
        // An overruled cell is not among those it decides.
        for cell in overruled {
            let place = cell.split(':').next().unwrap_or(cell);
            assert!(!above.contains(place), "{place}: {hover}");
        }
        assert_eq!(below.lines().collect::<Vec<_>>(), overruled, "{hover}");
    }
    hover
}

#[test]
fn a_rules_hover_lists_the_cells_where_it_is_overruled() {
    let text = "scope s {\n    role viewer\n    role editor : viewer\n    action read\n    action write\n    allow viewer, editor to read, write\n    deny editor to write\n}\n";
    let uri = "untitled:overruled";
    let mut client = Client::start();
    client.open(uri, text);
    // It names four cells; at the editor's `write` the deny, as near, wins.
    rule_hover(
        &mut client,
        uri,
        (text, "allow viewer"),
        "**`allow viewer, editor to read, write`** decides 3 cells\n",
        &[
            "- `s.read` × `viewer`: ✅ allow — `allow viewer, editor to read, write` (",
            "- `s.read` × `editor`: ✅ allow",
            "- `s.write` × `viewer`: ✅ allow",
        ],
        Some(&["- `s.write` × `editor`: ❌ deny — `deny editor to write` (untitled:overruled:7)"]),
    );
    // The deny decides its one cell and is overruled nowhere.
    let deny = hover_at(&mut client, uri, find(text, "deny editor", 2));
    assert!(
        deny.starts_with("**`deny editor to write`** decides 1 cell\n"),
        "{deny}"
    );
    assert!(!deny.contains("overruled in"), "{deny}");
    assert_eq!(client.stop(), 0);
}

/// Each rule's "decides N cells", by the inlay hints (in rule order) and by
/// the hover on the rule's first word: the two must agree.
fn counts_by_hint_and_hover(client: &mut Client, uri: &str, text: &str) -> Vec<(String, String)> {
    let all = json!({"start": {"line": 0, "character": 0}, "end": {"line": 999, "character": 0}});
    let hints = client.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri}, "range": all}),
    );
    let hints: Vec<(usize, String)> = hints["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            (
                h["position"]["line"].as_u64().unwrap_or(0) as usize,
                h["label"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    hints
        .into_iter()
        .map(|(line, hint)| {
            let column = text
                .lines()
                .nth(line)
                .map_or(0, |l| l.len() - l.trim_start().len());
            let hover = hover_at(client, uri, (line, column + 1));
            let said = hover
                .split_once("`** ")
                .and_then(|(_, rest)| rest.lines().next())
                .unwrap_or("")
                .to_string();
            (hint, said)
        })
        .collect()
}

#[test]
fn a_targeted_rules_hover_lists_its_grid_cells_and_counts_them_as_the_lens() {
    let text = "scope session {\n    role viewer\n    role speaker : viewer\n    role moderator : speaker\n    action mute on participant\n    allow viewer to mute on self\n    allow moderator to mute on others at or below\n    deny moderator to mute on moderator exactly\n}\n";
    let uri = "untitled:grid";
    let mut client = Client::start();
    client.open(uri, text);
    // It names the moderator on each role at or below, not on itself; on a
    // moderator the deny, as near, wins.
    rule_hover(
        &mut client,
        uri,
        (text, "allow moderator"),
        "**`allow moderator to mute on others at or below`** decides 3 cells\n",
        &[
            "- `session.mute` × `moderator` on someone else: ✅ allow — `allow moderator to mute on others at or below` (",
            "- `session.mute` × `moderator` on `viewer`: ✅ allow",
            "- `session.mute` × `moderator` on `speaker`: ✅ allow",
        ],
        Some(&[
            "- `session.mute` × `moderator` on `moderator`: ❌ deny — `deny moderator to mute on moderator exactly` (untitled:grid:8)",
        ]),
    );
    let deny = hover_at(&mut client, uri, find(text, "deny moderator", 2));
    for decided in [
        "- `session.mute` × `moderator` on `moderator`: ❌ deny",
        "- `session.mute` × `moderator` on self: ❌ deny",
    ] {
        assert!(deny.contains(decided), "{decided}: {deny}");
    }
    let own = hover_at(&mut client, uri, find(text, "allow viewer", 2));
    // The speaker inherits it; the moderator's own deny, nearer, decides its
    // cell on itself, which this rule does not name: it is overruled nowhere.
    assert!(
        own.starts_with("**`allow viewer to mute on self`** decides 2 cells\n")
            && own.contains("- `session.mute` × `viewer` on self: ✅ allow")
            && own.contains("- `session.mute` × `speaker` on self: ✅ allow")
            && !own.contains("overruled in"),
        "{own}"
    );
    let counts = counts_by_hint_and_hover(&mut client, uri, text);
    assert_eq!(counts.len(), 3, "{counts:?}");
    for (hint, hover) in &counts {
        assert_eq!(hint, hover, "{counts:?}");
    }

    // The reference example: every rule's hover says what its lens says.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/examples/moderation.policy");
    let moderation = std::fs::read_to_string(&path).expect("moderation.policy");
    let uri = format!("file://{}", path.display());
    client.open(&uri, &moderation);
    let counts = counts_by_hint_and_hover(&mut client, &uri, &moderation);
    let rules = rolecall::compile_str("m.policy", &moderation)
        .expect("compiles")
        .policy()
        .rules
        .len();
    assert_eq!(counts.len(), rules, "{counts:?}");
    for (hint, hover) in &counts {
        assert_eq!(hint, hover, "{counts:?}");
    }
    assert_eq!(client.stop(), 0);
}

/// The edits of a rename's answer to the file `uri`, applied to `text`
/// (from the last edit up, so the earlier ranges still hold).
fn apply_all(answer: &Value, uri: &str, text: &str) -> (usize, String) {
    let mut edits: Vec<Value> = answer["result"]["documentChanges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["textDocument"]["uri"] == uri)
        .flat_map(|c| c["edits"].as_array().cloned().unwrap_or_default())
        .collect();
    edits.sort_by_key(|e| {
        std::cmp::Reverse((
            e["range"]["start"]["line"].as_u64(),
            e["range"]["start"]["character"].as_u64(),
        ))
    });
    let mut out = text.to_string();
    for e in &edits {
        out = apply(&out, e);
    }
    (edits.len(), out)
}

#[test]
fn rename_in_an_included_file_opened_alone_edits_the_files_that_include_it() {
    let dir = std::env::temp_dir().join(format!("rolecall-lsp-includers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("shared")).expect("temp dir");
    let facts = "fact live \"Live\"\nkind guest\n";
    std::fs::write(dir.join("shared/facts.policy"), facts).expect("write");
    // Two files include it, one through the other; a third does not.
    let main = "include \"shared/facts.policy\"\ninclude \"shared/extra.policy\"\nfact paused\nscope s {\n    role viewer\n    action chat\n    allow viewer to chat when live and not paused\n    assignable guest: viewer\n}\n";
    let more = "include \"main.policy\"\nscope t {\n    role r\n    action a\n    allow r to a when live\n}\n";
    let other = "fact live\nscope u {\n    role r\n    action a\n    allow r to a when live\n}\n";
    std::fs::write(dir.join("main.policy"), main).expect("write");
    std::fs::write(dir.join("more.policy"), more).expect("write");
    std::fs::write(dir.join("other.policy"), other).expect("write");
    // Names only an includer declares.
    let extra = "paused joins s as viewer\n";
    std::fs::write(dir.join("shared/extra.policy"), extra).expect("write");
    let uri = |name: &str| format!("file://{}", dir.join(name).display());
    let root = format!("file://{}", dir.display());
    let mut client = Client::start_with(
        json!({"capabilities": {}, "processId": null, "rootUri": root,
               "workspaceFolders": [{"uri": root, "name": "policies"}]}),
    );
    let facts_uri = uri("shared/facts.policy");
    client.open(&facts_uri, facts);
    let at_live = find(facts, "live", 0);

    let prepared = client.at("textDocument/prepareRename", &facts_uri, at_live, json!({}));
    assert_eq!(
        prepared["result"]["start"],
        json!({"line": 0, "character": 5}),
        "{prepared}"
    );
    let renamed = client.at(
        "textDocument/rename",
        &facts_uri,
        at_live,
        json!({"newName": "on_air"}),
    );
    let (n, new_facts) = apply_all(&renamed, &facts_uri, facts);
    assert_eq!(
        (n, new_facts.as_str()),
        (1, "fact on_air \"Live\"\nkind guest\n"),
        "{renamed}"
    );
    let (n, new_main) = apply_all(&renamed, &uri("main.policy"), main);
    assert_eq!(n, 1, "{renamed}");
    assert!(
        new_main.contains("when on_air and not paused"),
        "{new_main}"
    );
    let (n, new_more) = apply_all(&renamed, &uri("more.policy"), more);
    assert_eq!(n, 1, "{renamed}");
    assert!(new_more.contains("when on_air"), "{new_more}");
    // A file that does not include it keeps its own `live`.
    let (n, _) = apply_all(&renamed, &uri("other.policy"), other);
    assert_eq!(n, 0, "{renamed}");
    assert_eq!(
        renamed["result"]["documentChanges"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "{renamed}"
    );
    // Applied, the policy compiles with the new name.
    std::fs::write(dir.join("shared/facts.policy"), &new_facts).expect("write");
    std::fs::write(dir.join("main.policy"), &new_main).expect("write");
    std::fs::write(dir.join("more.policy"), &new_more).expect("write");
    let table =
        rolecall::compile_file(&dir.join("more.policy")).expect("the renamed policy compiles");
    assert!(table.fact_id("on_air").is_some() && table.fact_id("live").is_none());
    std::fs::write(dir.join("shared/facts.policy"), facts).expect("write");
    std::fs::write(dir.join("main.policy"), main).expect("write");
    std::fs::write(dir.join("more.policy"), more).expect("write");

    // `paused` is declared in a file that includes this one: refused, and said where.
    let clash = client.at(
        "textDocument/rename",
        &facts_uri,
        at_live,
        json!({"newName": "paused"}),
    );
    assert_eq!(clash["error"]["code"], -32803, "{clash}");
    let message = clash["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("a fact named `paused` is already declared at ")
            && message.contains("main.policy:3, loaded with this file by "),
        "{message}"
    );
    // A kind is renamed where the including file uses it too.
    let kind = client.at(
        "textDocument/rename",
        &facts_uri,
        find(facts, "guest", 0),
        json!({"newName": "visitor"}),
    );
    let (n, new_main) = apply_all(&kind, &uri("main.policy"), main);
    assert_eq!(n, 1, "{kind}");
    assert!(
        new_main.contains("assignable visitor: viewer"),
        "{new_main}"
    );
    // In a file that only uses names its includer declares, they are renamed there.
    let extra_uri = uri("shared/extra.policy");
    client.open(&extra_uri, extra);
    let fact = client.at(
        "textDocument/rename",
        &extra_uri,
        (0, 1),
        json!({"newName": "on_hold"}),
    );
    assert_eq!(
        apply_all(&fact, &extra_uri, extra),
        (1, "on_hold joins s as viewer\n".to_string()),
        "{fact}"
    );
    let (n, new_main) = apply_all(&fact, &uri("main.policy"), main);
    assert_eq!(n, 2, "{fact}");
    assert!(
        new_main.contains("fact on_hold\n") && new_main.contains("not on_hold"),
        "{new_main}"
    );
    // References and definitions see the includers too: `live`, declared
    // here, is used in main.policy and more.policy; `paused`, used in
    // extra.policy, is declared in main.policy.
    let refs = client.at(
        "textDocument/references",
        &facts_uri,
        at_live,
        json!({"context": {"includeDeclaration": true}}),
    );
    let mut places: Vec<(String, u64)> = refs["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            let uri = l["uri"].as_str().unwrap_or_default();
            let file = uri.rsplit('/').next().unwrap_or_default().to_string();
            (file, l["range"]["start"]["line"].as_u64().unwrap_or(99))
        })
        .collect();
    places.sort();
    assert_eq!(
        places,
        [
            ("facts.policy".to_string(), 0),
            ("main.policy".to_string(), 6),
            ("more.policy".to_string(), 4)
        ],
        "{refs}"
    );
    let without = client.at(
        "textDocument/references",
        &facts_uri,
        at_live,
        json!({"context": {"includeDeclaration": false}}),
    );
    assert_eq!(
        without["result"].as_array().map(Vec::len),
        Some(2),
        "{without}"
    );
    let def = client.at("textDocument/definition", &extra_uri, (0, 1), json!({}));
    assert_eq!(def["result"]["uri"], json!(uri("main.policy")), "{def}");
    assert_eq!(def["result"]["range"]["start"]["line"], 2, "{def}");
    assert_eq!(client.stop(), 0);

    // Without a workspace root, only the file's own directory is looked in:
    // the includers one level up are not found.
    let mut client = Client::start();
    client.open(&facts_uri, facts);
    let alone = client.at(
        "textDocument/rename",
        &facts_uri,
        at_live,
        json!({"newName": "on_air"}),
    );
    assert_eq!(
        alone["result"]["documentChanges"].as_array().map(Vec::len),
        Some(1),
        "{alone}"
    );
    assert_eq!(client.stop(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The labels of a completion answer, in order.
fn completion_labels(answer: &Value) -> Vec<String> {
    answer["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["label"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn completion_after_a_colon_offers_the_scopes_roles() {
    let (_, uri, text) = livestorm();
    let mut client = Client::start();
    client.open(&uri, &text);
    let session = [
        "organizer",
        "moderator",
        "speaker",
        "external_speaker",
        "viewer",
    ];
    let workspace = ["owner", "admin", "member"];
    // A role's parents: the scope's other roles.
    let parents = client.at(
        "textDocument/completion",
        &uri,
        find(&text, "role moderator \"Modérateur\" :", 29),
        json!({}),
    );
    let labels = completion_labels(&parents);
    for role in ["organizer", "speaker", "viewer"] {
        assert!(labels.iter().any(|l| l == role), "{role}: {labels:?}");
    }
    assert!(
        !labels.iter().any(|l| l == "moderator" || l == "none"),
        "{labels:?}"
    );
    assert!(
        !workspace.iter().any(|w| labels.iter().any(|l| l == w)),
        "a workspace role offered in the session: {labels:?}"
    );
    // `default KIND:` the scope's roles, or `none`.
    let default = client.at(
        "textDocument/completion",
        &uri,
        find(&text, "default team_member: viewer", 20),
        json!({}),
    );
    let labels = completion_labels(&default);
    for role in session.iter().chain(&["none"]) {
        assert!(labels.iter().any(|l| l == role), "{role}: {labels:?}");
    }
    assert!(!labels.iter().any(|l| l == "owner"), "{labels:?}");
    // `assignable KIND: a, …` in the workspace: its roles, and no `none` in a list.
    let assignable = client.at(
        "textDocument/completion",
        &uri,
        find(&text, "assignable team_member: owner, ", 31),
        json!({}),
    );
    let labels = completion_labels(&assignable);
    for role in workspace {
        assert!(labels.iter().any(|l| l == role), "{role}: {labels:?}");
    }
    assert!(
        !labels.iter().any(|l| l == "none" || l == "viewer"),
        "{labels:?}"
    );
    // Typing right after the colon (the client's trigger character), in text
    // that does not parse yet: the last parse's roles.
    let typed = text.replacen(
        "    role viewer \"Spectateur / Visionneur\"",
        "    role viewer \"Spectateur / Visionneur\"\n    role guest :",
        1,
    );
    assert!(typed != text, "the session's viewer line moved");
    client.change(&uri, 2, &typed);
    let (line, column) = find(&typed, "role guest :", 12);
    let after = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": column},
               "context": {"triggerKind": 2, "triggerCharacter": ":"}}),
    );
    let labels = completion_labels(&after);
    assert!(labels.iter().any(|l| l == "viewer"), "{labels:?}");
    assert_eq!(client.stop(), 0);
}

#[test]
fn rename_a_kind_a_group_and_a_setting_everywhere_refusing_a_clash() {
    let text = "kind staff\nkind guest\nsetting plan \"Plan\" {\n    value free\n    value team\n    default free\n}\nsetting region {\n    value eu\n    value us\n    default eu\n}\nscope s {\n    role viewer\n    role editor : viewer\n    action read\n    action write\n    action share\n    group edit = write, share\n    allow viewer to read when plan is team or kind is staff\n    allow editor to edit when kind is staff\n    default staff: editor\n    assignable staff: viewer, editor\n    assignable guest: viewer\n}\n";
    let uri = "untitled:rename-kinds";
    let mut client = Client::start();
    let found = client.open(uri, text);
    assert!(found.iter().all(|d| d["severity"] != 1), "{found:?}");
    let old = rolecall::compile_str("old.policy", text).expect("compiles");
    let renamed = |client: &mut Client, at: (usize, usize), to: &str| {
        client.at("textDocument/rename", uri, at, json!({"newName": to}))
    };
    for (at, from, to, count) in [
        // Its declaration, two conditions, a default and an assignable list.
        (find(text, "kind staff", 5), "staff", "employee", 5),
        // Its declaration and the rule that names it.
        (find(text, "group edit", 6), "edit", "modify", 2),
        // Its declaration and the condition reading it.
        (find(text, "when plan", 5), "plan", "tier", 2),
    ] {
        let answer = renamed(&mut client, at, to);
        let (n, new_text) = apply_all(&answer, uri, text);
        assert_eq!(n, count, "{from} → {to}: {answer}");
        let new = rolecall::compile_str("new.policy", &new_text)
            .unwrap_or_else(|e| panic!("{from} → {to} does not compile: {e}\n{new_text}"));
        // The same table, under the new name.
        assert_eq!(
            rolecall::render::to_csv(&new, None).replace(to, from),
            rolecall::render::to_csv(&old, None),
            "{from} → {to}:\n{new_text}"
        );
        assert!(
            !new_text.contains(&format!(" {from} ")) && !new_text.contains(&format!(" {from}:")),
            "{from} left: {new_text}"
        );
    }
    for (at, to, what) in [
        (find(text, "kind is staff", 8), "guest", "kind"),
        // A group and an action share the names a rule may use.
        (find(text, "to edit", 3), "read", "group"),
        (find(text, "setting plan", 8), "region", "setting"),
        (find(text, "setting plan", 8), "plan", ""),
    ] {
        let answer = renamed(&mut client, at, to);
        if what.is_empty() {
            // Its own name: nothing clashes, the edits change nothing.
            assert!(answer["error"].is_null(), "{answer}");
            continue;
        }
        assert_eq!(answer["error"]["code"], -32803, "{to}: {answer}");
        assert_eq!(
            answer["error"]["message"],
            format!("a {what} named `{to}` is already declared"),
            "{answer}"
        );
    }
    let setting_clash = renamed(&mut client, find(text, "setting plan", 8), "staff");
    assert!(
        setting_clash["error"].is_null(),
        "a setting and a kind have names of their own: {setting_clash}"
    );
    assert_eq!(client.stop(), 0);
}
