//! The linter: checks a valid policy for likely mistakes.
//!
//! A policy that resolves and compiles can still be wrong: a rule that never
//! decides anything, an allow and a deny settled only by the tie-break, a role
//! that is granted nothing. Each check is a [`Rule`] in its own file under
//! `rules/`, registered once in [`RULES`], with a stable kebab-case id, a
//! [`Category`], a default [`Level`] and a doc that `--explain` prints and
//! `docs/lint.md` is generated from ([`docs_markdown`]).
//!
//! Input is what the pipeline already builds: the parsed files (which keep
//! comments, for suppressions), and the compiled [`DecisionTable`] (which
//! embeds the resolved policy). Findings in a line can be suppressed by a
//! comment; see [`suppress`].

/// A rule's [`Meta`]: its diagnostic code, `rolecall::lint::` and the id,
/// is made from the id at compile time, so the id is written once.
macro_rules! meta {
    (id: $id:literal, $($field:ident: $value:expr),+ $(,)?) => {
        $crate::lint::Meta {
            id: $id,
            code: concat!("rolecall::lint::", $id),
            $($field: $value),+
        }
    };
}

pub mod analysis;
mod context;
mod docs;
mod report;
pub mod rules;
pub mod suppress;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

pub use crate::diagnostic::Level;
pub use context::{Conflict, Context, RoleFacts};
pub use docs::docs_markdown;
pub use report::{json_lines, sarif};

use crate::Sources;
use crate::compile::DecisionTable;
use crate::diagnostic::{CompileError, Diagnostic};
use crate::source::Loc;
use crate::syntax::{FileSystem, ParsedFile};

/// What kind of mistake a rule finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// The policy says something it cannot mean.
    Correctness,
    /// Legal, but most likely not what the author meant.
    Suspicious,
    /// Something that has no effect and can go.
    Redundancy,
    /// How the policy is written.
    Style,
    /// About the suppression comments themselves.
    Suppression,
}

impl Category {
    /// The category's name as shown: `correctness`, `suspicious`…
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Correctness => "correctness",
            Category::Suspicious => "suspicious",
            Category::Redundancy => "redundancy",
            Category::Style => "style",
            Category::Suppression => "suppression",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What describes a rule: its id, category, level, summary and doc.
#[derive(Debug)]
pub struct Meta {
    /// Stable kebab-case id, used in suppressions and output.
    pub id: &'static str,
    /// The code of its diagnostics: `rolecall::lint::` and the id.
    pub code: &'static str,
    /// What kind of mistake it finds.
    pub category: Category,
    /// How bad its findings are.
    pub level: Level,
    /// One line saying what it finds.
    pub summary: &'static str,
    /// Markdown with the fixed headings `### What it does`, `### Why is this bad?`,
    /// `### Example` and `### Use instead`.
    pub doc: &'static str,
}

/// One check.
pub trait Rule: Sync {
    /// The rule's description.
    fn meta(&self) -> &'static Meta;

    /// Adds the rule's findings for the policy in `cx` to `out`.
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>);
}

/// Every rule, in the order `--list-rules` and `docs/lint.md` show them.
pub const RULES: &[&dyn Rule] = &[
    &rules::default_not_assignable::DefaultNotAssignable,
    &rules::impossible_cardinality::ImpossibleCardinality,
    &rules::action_never_mentioned::ActionNeverMentioned,
    &rules::role_grants_nothing::RoleGrantsNothing,
    &rules::allow_deny_conflict::AllowDenyConflict,
    &rules::constant_condition::ConstantCondition,
    &rules::conditional_deny_inherited::ConditionalDenyInherited,
    &rules::identical_roles::IdenticalRoles,
    &rules::override_demotes::OverrideDemotes,
    &rules::shadowed_rule::ShadowedRule,
    &rules::redundant_allow::RedundantAllow,
    &rules::deny_overrides_nothing::DenyOverridesNothing,
    &rules::override_changes_nothing::OverrideChangesNothing,
    &rules::role_adds_nothing::RoleAddsNothing,
    &rules::unused_fact::UnusedFact,
    &rules::unused_setting::UnusedSetting,
    &rules::unused_kind::UnusedKind,
    &rules::missing_label::MissingLabel,
    &rules::non_snake_case::NonSnakeCase,
    &rules::empty_section::EmptySection,
    &rules::empty_scope::EmptyScope,
    &rules::unused_suppression::UnusedSuppression,
    &rules::invalid_suppression::InvalidSuppression,
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.meta().id == id)
}

/// One problem a rule found, at one place.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule that found it.
    pub rule: &'static Meta,
    /// One sentence saying what is wrong.
    pub message: String,
    /// The primary location: suppressions match its first line.
    pub loc: Loc,
    /// The label under the primary location.
    pub label: String,
    /// What to do about it.
    pub help: String,
    /// Other places worth showing, each with its label.
    pub notes: Vec<(Loc, String)>,
}

impl Finding {
    /// A finding of `rule` at `loc`.
    pub fn new(
        rule: &'static Meta,
        loc: &Loc,
        message: impl Into<String>,
        label: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Finding {
            rule,
            message: message.into(),
            loc: loc.clone(),
            label: label.into(),
            help: help.into(),
            notes: Vec::new(),
        }
    }

    /// Adds a secondary location.
    pub fn with_note(mut self, loc: &Loc, label: impl Into<String>) -> Self {
        self.notes.push((loc.clone(), label.into()));
        self
    }

    /// How bad it is: its rule's level.
    pub fn level(&self) -> Level {
        self.rule.level
    }

    /// The file, as diagnostics name it.
    pub fn file(&self) -> &str {
        self.loc.src.name()
    }

    /// 1-based line and column of the primary location.
    pub fn line_col(&self) -> (usize, usize) {
        self.loc.src.line_col(self.loc.start)
    }

    /// The diagnostic shown to a person.
    pub fn diagnostic(&self) -> Diagnostic {
        let mut d = Diagnostic::new(
            self.rule.code,
            self.rule.level,
            self.message.clone(),
            &self.loc,
            self.label.clone(),
        )
        .with_help(self.help.clone());
        for (loc, label) in &self.notes {
            d = d.with_label(loc, label.clone());
        }
        d
    }
}

/// The outcome of linting one policy.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Findings left after suppressions, in the order a reader meets them.
    pub findings: Vec<Finding>,
    /// How many findings suppression comments silenced.
    pub suppressed: usize,
}

impl Report {
    /// How many findings are at `level`.
    pub fn count(&self, level: Level) -> usize {
        self.findings.iter().filter(|f| f.level() == level).count()
    }
}

/// Lints a compiled policy; `files` are the parsed files it was compiled from
/// (root first, as [`Loader`](crate::syntax::Loader) returns them), for their comments.
pub fn lint(files: &[ParsedFile], table: &DecisionTable) -> Report {
    let cx = Context::new(files, table);
    let mut findings = Vec::new();
    for rule in RULES {
        rule.check(&cx, &mut findings);
    }
    let mut report = suppress::apply(files, findings);
    sort(&mut report.findings, files);
    report
}

/// Loads, compiles and lints the policy at `path`; the diagnostics when it
/// cannot be loaded or is invalid.
pub fn lint_file(path: &Path) -> Result<Report, CompileError> {
    lint_sources(&Sources::disk(), path)
}

/// Same, reading files through `fs`.
pub fn lint_with(fs: &dyn FileSystem, path: &Path) -> Result<Report, CompileError> {
    lint_sources(&Sources::from(fs), path)
}

/// Same, from any [`Sources`] (include roots, say).
pub fn lint_sources(sources: &Sources<'_>, path: &Path) -> Result<Report, CompileError> {
    lint_parsed(sources.load_file(path)?)
}

/// Lints policy text shown as `name`. It touches no file: an `include` is
/// a diagnostic, as in [`compile_str`](crate::compile_str).
///
/// ```
/// let report = rolecall::lint::lint_str("p.policy", "fact unused\nscope session {\n role viewer\n action chat\n allow viewer to chat\n}\n").unwrap();
/// let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.id).collect();
/// assert!(rules.contains(&"unused-fact"), "{rules:?}");
/// ```
pub fn lint_str(name: &str, text: &str) -> Result<Report, CompileError> {
    lint_parsed(Sources::none().load_text(name, text)?)
}

fn lint_parsed(files: Vec<ParsedFile>) -> Result<Report, CompileError> {
    let table = crate::compile_parsed(&files)?;
    Ok(lint(&files, &table))
}

/// Orders findings by file (load order), position, then rule order.
fn sort(findings: &mut [Finding], files: &[ParsedFile]) {
    let rule_order = |f: &Finding| {
        RULES
            .iter()
            .position(|r| std::ptr::eq(r.meta(), f.rule))
            .unwrap_or(usize::MAX)
    };
    findings.sort_by_key(|f| {
        (
            files
                .iter()
                .position(|p| Arc::ptr_eq(&p.src, &f.loc.src))
                .unwrap_or(usize::MAX),
            f.loc.start,
            rule_order(f),
            f.loc.end,
        )
    });
}
