//! The REPL's session: loaded policies, facts set for following questions,
//! and the last answer, driven one line at a time by [`Session::run_line`].
//!
//! Everything here is independent of the terminal: `cli::repl` feeds it
//! lines from rustyline or from standard input, and tests feed it strings.
//! The input language is in [`query`], name binding in [`lookup`], the
//! commands in `commands`, tab completion in [`complete`].

mod commands;
pub mod complete;
pub mod lookup;
pub mod query;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;

use crate::compile::DecisionTable;
use crate::diagnostic::{Diagnostic, render};
use crate::eval::{Evaluation, ResolvedRequest, explain};
use crate::syntax::MemoryFiles;
use crate::syntax::ast::Effect;
use query::{Input, Query};

/// The shipped reference policies, embedded so `rolecall repl` works from
/// any directory: (path shown in answers, text).
pub const REFERENCE_POLICIES: [(&str, &str); 2] = [
    (
        "policies/goto_webinar.policy",
        include_str!("../../policies/goto_webinar.policy"),
    ),
    (
        "policies/livestorm.policy",
        include_str!("../../policies/livestorm.policy"),
    ),
];

/// Where a loaded policy comes from, to re-read it on `:reload`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file on disk (with its includes).
    File(PathBuf),
    /// A policy built into the binary.
    Embedded {
        /// The path it is shown as.
        path: &'static str,
        /// Its text.
        text: &'static str,
    },
}

impl Origin {
    /// The path, as shown.
    pub fn path(&self) -> String {
        match self {
            Origin::File(path) => path.display().to_string(),
            Origin::Embedded { path, .. } => (*path).to_string(),
        }
    }

    fn compile(&self, include_roots: &[PathBuf]) -> Result<DecisionTable, crate::CompileError> {
        match self {
            Origin::File(path) => crate::Sources::disk()
                .include_roots(include_roots)
                .compile_file(path),
            Origin::Embedded { path, text } => {
                let files = MemoryFiles::new().with(*path, *text);
                crate::compile_with(&files, Path::new(path))
            }
        }
    }
}

/// A loaded policy.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Its short name: the file name without extension, made a valid name.
    pub name: String,
    /// Where it was read from.
    pub origin: Origin,
    /// The compiled table.
    pub table: Arc<DecisionTable>,
}

/// The last question answered, for `why`.
#[derive(Debug, Clone)]
struct Last {
    table: Arc<DecisionTable>,
    request: ResolvedRequest,
    evaluation: Evaluation,
}

/// What happened with a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Done; go on.
    Done,
    /// The line was an error (already reported); go on.
    Failed,
    /// `:quit`
    Quit,
}

/// The state of a REPL session.
#[derive(Debug, Clone, Default)]
pub struct Session {
    policies: Vec<Loaded>,
    current: usize,
    facts: IndexMap<String, bool>,
    last: Option<Last>,
    /// Color in tables and diagnostics.
    pub color: bool,
    /// Directories includes may read besides each policy's own (`--include-root`).
    pub include_roots: Vec<PathBuf>,
}

/// A line's output, and an error to report after it.
type Outcome = Result<(), String>;

impl Session {
    /// A session with no policy loaded.
    pub fn new() -> Self {
        Session::default()
    }

    /// A session with the shipped reference policies; the last one is current.
    pub fn with_reference_policies() -> Self {
        let mut session = Session::new();
        for (path, text) in REFERENCE_POLICIES {
            // The embedded policies are tested to compile; a failure would be a
            // build defect, reported by `load` like any other.
            let _ = session.load(Origin::Embedded { path, text });
        }
        session
    }

    /// Compiles and adds a policy (replacing one loaded from the same place)
    /// and makes it current. Returns its name.
    pub fn load(&mut self, origin: Origin) -> Result<String, Vec<Diagnostic>> {
        let table = Arc::new(
            origin
                .compile(&self.include_roots)
                .map_err(crate::CompileError::into_diagnostics)?,
        );
        if let Some(i) = self.policies.iter().position(|p| p.origin == origin) {
            if let Some(p) = self.policies.get_mut(i) {
                p.table = table;
            }
            self.current = i;
        } else {
            let name = self.fresh_name(&origin);
            self.policies.push(Loaded {
                name,
                origin,
                table,
            });
            self.current = self.policies.len() - 1;
        }
        Ok(self.current_name().to_string())
    }

    /// The loaded policies, in load order.
    pub fn policies(&self) -> &[Loaded] {
        &self.policies
    }

    /// The current policy first, then the others in load order.
    pub(crate) fn policies_current_first(&self) -> impl Iterator<Item = &Loaded> {
        self.current().into_iter().chain(
            self.policies
                .iter()
                .enumerate()
                .filter(move |(i, _)| *i != self.current)
                .map(|(_, p)| p),
        )
    }

    /// The current policy: the last loaded, or the one chosen with `:use`.
    pub fn current(&self) -> Option<&Loaded> {
        self.policies.get(self.current)
    }

    /// The current policy's name (empty when none is loaded).
    pub fn current_name(&self) -> &str {
        self.current().map_or("", |p| p.name.as_str())
    }

    /// Facts set with `:set`, in the order set.
    pub fn facts(&self) -> &IndexMap<String, bool> {
        &self.facts
    }

    fn fresh_name(&self, origin: &Origin) -> String {
        let path = origin.path();
        let stem = Path::new(&path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut base: String = stem
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if !base.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            base.insert(0, 'p');
        }
        let mut name = base.clone();
        let mut n = 2;
        while self.policies.iter().any(|p| p.name == name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        name
    }

    /// Runs one line, appending what it prints to `out` (errors as
    /// `error: …` lines).
    pub fn run_line(&mut self, line: &str, out: &mut String) -> Step {
        let mut text = String::new();
        let step = self.run(line, &mut text);
        // Padding to a column leaves trailing spaces after empty labels.
        for l in text.lines() {
            out.push_str(l.trim_end());
            out.push('\n');
        }
        step
    }

    fn run(&mut self, line: &str, out: &mut String) -> Step {
        let result = match query::parse(line) {
            Err(e) => Err(e.to_string()),
            Ok(Input::Nothing) => Ok(()),
            Ok(Input::Command { name, args }) => {
                if matches!(name.as_str(), "quit" | "q" | "exit") {
                    return Step::Quit;
                }
                self.command(&name, &args, out)
            }
            Ok(Input::Ask(query)) => self.ask(&query, out),
            Ok(Input::Why(None)) => self.why(out),
            Ok(Input::Why(Some(query))) => self
                .ask(&query, &mut String::new())
                .and_then(|()| self.why(out)),
            Ok(Input::Who(action)) => self.who(&[action.to_string()], out),
            Ok(Input::WhoOn(action, target)) => {
                let mut args = vec![action.to_string()];
                match target {
                    query::QueryTarget::Myself => args.push("self".to_string()),
                    query::QueryTarget::Roles(roles) => {
                        args.extend(roles.iter().map(ToString::to_string))
                    }
                }
                self.who(&args, out)
            }
            Ok(Input::What(role)) => self.what(&[role.to_string()], out),
        };
        match result {
            Ok(()) => Step::Done,
            Err(message) => {
                out.push_str("error: ");
                out.push_str(&message);
                out.push('\n');
                Step::Failed
            }
        }
    }

    /// Renders diagnostics into `out`.
    fn diagnostics(&self, diagnostics: &[Diagnostic], out: &mut String) {
        for d in diagnostics {
            out.push_str(&render(d, self.color, 100));
        }
    }

    /// Picks the policy to use: the one named, else the current one when `f`
    /// succeeds on it, else the only other one where `f` succeeds.
    fn pick<T>(
        &self,
        named: Option<&str>,
        f: impl Fn(&Loaded) -> Result<T, String>,
    ) -> Result<(usize, T), String> {
        if let Some(name) = named {
            let Some(i) = self.policies.iter().position(|p| p.name == name) else {
                return Err(format!(
                    "no policy `{name}` is loaded (loaded: {}; `:policy` lists them)",
                    self.policy_names()
                ));
            };
            let policy = self.policies.get(i).ok_or("no policy is loaded")?;
            return f(policy).map(|t| (i, t)).map_err(|e| self.in_policy(i, e));
        }
        let current = self.current().ok_or("no policy is loaded (`:load FILE`)")?;
        let first_error = match f(current) {
            Ok(t) => return Ok((self.current, t)),
            Err(e) => self.in_policy(self.current, e),
        };
        let mut fits: Vec<(usize, T)> = self
            .policies
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != self.current)
            .filter_map(|(i, p)| f(p).ok().map(|t| (i, t)))
            .collect();
        if fits.len() > 1 {
            let names: Vec<&str> = fits
                .iter()
                .filter_map(|(i, _)| self.policies.get(*i).map(|p| p.name.as_str()))
                .collect();
            return Err(format!(
                "{first_error}; it fits several other loaded policies ({}): add `in POLICY`",
                names.join(", ")
            ));
        }
        fits.pop().ok_or(first_error)
    }

    /// `name: error` when several policies are loaded, so it says which one answered.
    fn in_policy(&self, policy: usize, error: String) -> String {
        match self.policies.get(policy) {
            Some(p) if self.policies.len() > 1 => format!("{}: {error}", p.name),
            _ => error,
        }
    }

    fn policy_names(&self) -> String {
        self.policies
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// ` (name)` after a heading when several policies are loaded.
    fn tag(&self, policy: usize) -> String {
        match self.policies.get(policy) {
            Some(p) if self.policies.len() > 1 => format!(" ({})", p.name),
            _ => String::new(),
        }
    }

    /// Answers a question and keeps it for `why`.
    fn ask(&mut self, query: &Query, out: &mut String) -> Outcome {
        let result = self.answer(query, out);
        if result.is_err() {
            // `why` must not explain an older question than the one that failed.
            self.last = None;
        }
        result
    }

    fn answer(&mut self, query: &Query, out: &mut String) -> Outcome {
        let facts = &self.facts;
        let (policy, request) = self.pick(query.policy.as_deref(), |p| {
            let request = lookup::request(&p.table, query, facts)?;
            p.table.resolve_request(&request).map_err(|e| e.to_string())
        })?;
        let table = self
            .policies
            .get(policy)
            .map(|p| Arc::clone(&p.table))
            .ok_or("no policy is loaded")?;
        let evaluation = table.evaluate_resolved(&request);
        let answer = table.answer(&request, &evaluation);
        let decision = match answer.decision {
            Effect::Allow => "ALLOW",
            Effect::Deny => "DENY",
        };
        out.push_str(&format!(
            "{decision} {}{}\n  {}\n",
            answer.action,
            self.tag(policy),
            answer.reason
        ));
        if !answer.would_change.is_empty() {
            out.push_str(&format!(
                "  would change with: {}\n",
                answer.would_change.join(", ")
            ));
        }
        self.last = Some(Last {
            table,
            request,
            evaluation,
        });
        Ok(())
    }

    /// The whole chain behind the last answer.
    fn why(&self, out: &mut String) -> Outcome {
        let Some(last) = &self.last else {
            return Err("no answer to explain: `why` explains the answer to the last question (`can ROLE ACTION`)".to_string());
        };
        out.push_str(&explain(&last.table, &last.request, &last.evaluation));
        Ok(())
    }
}
