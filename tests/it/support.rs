//! Helpers shared by the test modules: one `check` per layer.

use std::path::Path;

use rolecall::cli::{Io, run};
use rolecall::{DecisionTable, Diagnostic, Request, compile_str};

/// Compiles policy text, panicking with the rendered diagnostics on failure.
pub fn table(text: &str) -> DecisionTable {
    match compile_str("test.policy", text) {
        Ok(table) => table,
        Err(errors) => panic!("{}", render_all(&errors)),
    }
}

/// Compiles policy text that must fail; returns its diagnostics.
pub fn errors(text: &str) -> Vec<Diagnostic> {
    match compile_str("test.policy", text) {
        Ok(_) => panic!("expected errors, the policy compiled"),
        Err(errors) => errors.into_diagnostics(),
    }
}

/// Every diagnostic rendered as miette draws it: no color, fixed width.
pub fn render_all(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(Diagnostic::render_plain)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text each diagnostic's primary label underlines.
pub fn underlined(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            d.primary()
                .map(|l| l.text().to_string())
                .unwrap_or_default()
        })
        .collect()
}

/// Evaluates one JSON request; returns (decision, rule line, answer).
pub fn ask(table: &DecisionTable, json: &str) -> rolecall::Answer {
    let request = Request::from_json(json).unwrap_or_else(|e| panic!("bad request {json}: {e}"));
    table
        .evaluate(&request)
        .unwrap_or_else(|e| panic!("request {json} failed: {e}"))
}

/// `allow` or `deny` for a request.
pub fn decide(table: &DecisionTable, json: &str) -> &'static str {
    ask(table, json).decision.as_str()
}

/// Output of running the CLI in-process.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `rolecall ARGS` in-process with `stdin`, from the crate root.
pub fn cli(args: &[&str], stdin: &str) -> Run {
    let mut input = stdin.as_bytes();
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let code = run(
        std::iter::once("rolecall").chain(args.iter().copied()),
        &mut Io {
            stdin: &mut input,
            stdout: &mut stdout,
            stderr: &mut stderr,
            color_out: false,
            color_err: false,
        },
    );
    Run {
        code,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// The crate root, so paths like `policies/livestorm.policy` work.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Writes `text` to a fresh temporary file and returns its path.
pub fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rolecall-test-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// The table read by positions (declaration order), as tests walk it; the
/// library's own API takes typed ids, which these resolve first.
pub trait ByPosition {
    fn cell_by(
        &self,
        scope: usize,
        action: usize,
        role: usize,
    ) -> Option<rolecall::compile::Cell<'_>>;
    fn path_by(&self, scope: usize, role: usize, rule: usize) -> Vec<usize>;
    fn action_by(&self, scope: usize, action: usize) -> Option<rolecall::compile::ActionId>;
    fn role_by(&self, scope: usize, role: usize) -> Option<rolecall::compile::RoleId>;
}

impl ByPosition for DecisionTable {
    fn cell_by(
        &self,
        scope: usize,
        action: usize,
        role: usize,
    ) -> Option<rolecall::compile::Cell<'_>> {
        self.cell(self.action_by(scope, action)?, self.role_by(scope, role)?)
    }
    fn path_by(&self, scope: usize, role: usize, rule: usize) -> Vec<usize> {
        let (Some(role), Some(rule)) = (self.role_by(scope, role), rule_id(self, rule)) else {
            return Vec::new();
        };
        self.inheritance_path(role, rule)
            .iter()
            .map(|r| r.index())
            .collect()
    }
    fn action_by(&self, scope: usize, action: usize) -> Option<rolecall::compile::ActionId> {
        self.action_at(self.scope_at(scope)?, action)
    }
    fn role_by(&self, scope: usize, role: usize) -> Option<rolecall::compile::RoleId> {
        self.role_at(self.scope_at(scope)?, role)
    }
}

/// The id of the rule at position `index`.
pub fn rule_id(table: &DecisionTable, index: usize) -> Option<rolecall::compile::RuleId> {
    table.rule_ids().nth(index)
}

/// A fresh directory for one case of `module`.
pub fn case_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("rolecall-tests-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
