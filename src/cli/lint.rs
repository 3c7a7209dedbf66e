//! `rolecall lint FILE... [--format text|json|sarif] [--deny warnings] [--list-rules] [--explain RULE]`

use std::path::PathBuf;

use super::{CommandError, FAILURE, Io, OK, PolicyArgs, USAGE};
use crate::diagnostic::{Level, render};
use crate::lint::{self, Finding, RULES, Report};

/// Lint policy files.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit 0 when no finding is at error level (with --deny warnings: no warning either), 1 otherwise, 2 for a usage error or a file that cannot be loaded or is invalid.\n\nSuppress a finding with a comment at the end of its line, or on its own line above it:\n  # rolecall: allow(RULE) because REASON\n\nExamples:\n  rolecall lint policies/livestorm.policy\n  rolecall lint --deny warnings --format sarif policies/*.policy > lint.sarif\n  rolecall lint --list-rules\n  rolecall lint --explain shadowed-rule\n\nThe rules and their docs: docs/lint.md"
)]
pub struct Args {
    /// Policy files to lint (each with its includes).
    #[arg(value_name = "FILE", required_unless_present_any = ["list_rules", "explain"])]
    files: Vec<PathBuf>,
    /// Output format: `text` (diagnostics), `json` (one object per line per
    /// finding: rule, level, file, line, column, message), `sarif` (SARIF 2.1.0).
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    format: LintFormat,
    /// Also fail (exit 1) on findings at this level.
    #[arg(long, value_enum, value_name = "LEVEL")]
    deny: Option<DenyLevel>,
    /// Print one line per rule: id, level, summary.
    #[arg(long, conflicts_with = "explain")]
    list_rules: bool,
    /// Print the documentation of a rule.
    #[arg(long, value_name = "RULE")]
    explain: Option<String>,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LintFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DenyLevel {
    /// Warnings fail too.
    Warnings,
}

/// Lints the files, lists the rules, or explains one.
pub fn run(args: &Args, io: &mut Io<'_>) -> i32 {
    if args.list_rules {
        return list_rules(args.format, io);
    }
    if let Some(id) = &args.explain {
        return explain(id, io);
    }
    let mut code = OK;
    let mut all: Vec<Finding> = Vec::new();
    for file in &args.files {
        let sources = crate::Sources::disk().include_roots(&args.policy.include_root);
        let report = match lint::lint_sources(&sources, file) {
            Ok(report) => report,
            Err(diagnostics) => {
                io.diagnostics(&diagnostics);
                io.error(CommandError::NotLintable {
                    path: file.clone(),
                    errors: super::error::error_count(&diagnostics),
                });
                code = USAGE;
                continue;
            }
        };
        let fails = report.findings.iter().any(|f| {
            f.level() == Level::Error
                || (f.level() == Level::Warning && args.deny == Some(DenyLevel::Warnings))
        });
        if fails && code == OK {
            code = FAILURE;
        }
        match args.format {
            LintFormat::Text => {
                for f in &report.findings {
                    let _ = writeln!(io.stdout, "{}", render(&f.diagnostic(), io.color_out, 100));
                }
                let _ = writeln!(io.stdout, "{}: {}", file.display(), summary(&report));
            }
            LintFormat::Json => {
                let _ = write!(io.stdout, "{}", lint::json_lines(&report.findings));
            }
            LintFormat::Sarif => {}
        }
        all.extend(report.findings);
    }
    if args.format == LintFormat::Sarif {
        let log = lint::sarif(&all);
        let text = serde_json::to_string_pretty(&log).unwrap_or_default();
        let _ = writeln!(io.stdout, "{text}");
    }
    code
}

/// `no findings`, or `1 error, 2 warnings (3 suppressed)`.
fn summary(report: &Report) -> String {
    let mut parts = Vec::new();
    for (level, one, many) in [
        (Level::Error, "error", "errors"),
        (Level::Warning, "warning", "warnings"),
        (Level::Info, "info", "info"),
    ] {
        match report.count(level) {
            0 => {}
            1 => parts.push(format!("1 {one}")),
            n => parts.push(format!("{n} {many}")),
        }
    }
    let mut text = if parts.is_empty() {
        "no findings".to_string()
    } else {
        parts.join(", ")
    };
    if report.suppressed > 0 {
        text.push_str(&format!(" ({} suppressed)", report.suppressed));
    }
    text
}

fn list_rules(format: LintFormat, io: &mut Io<'_>) -> i32 {
    match format {
        LintFormat::Text => {
            let width = RULES.iter().map(|r| r.meta().id.len()).max().unwrap_or(0);
            for rule in RULES {
                let m = rule.meta();
                let _ = writeln!(
                    io.stdout,
                    "{:width$}  {:7}  {}",
                    m.id,
                    m.level.to_string(),
                    m.summary
                );
            }
        }
        LintFormat::Json => {
            for rule in RULES {
                let m = rule.meta();
                let line = serde_json::json!({
                    "id": m.id,
                    "category": m.category.as_str(),
                    "level": m.level,
                    "summary": m.summary,
                });
                let _ = writeln!(io.stdout, "{line}");
            }
        }
        LintFormat::Sarif => {
            let text = serde_json::to_string_pretty(&lint::sarif(&[])).unwrap_or_default();
            let _ = writeln!(io.stdout, "{text}");
        }
    }
    OK
}

fn explain(id: &str, io: &mut Io<'_>) -> i32 {
    let Some(rule) = lint::rule(id) else {
        let ids: Vec<&str> = RULES.iter().map(|r| r.meta().id).collect();
        io.error(CommandError::UnknownRule {
            id: id.to_string(),
            help: crate::resolve::suggest(id, &ids, "rule", "rolecall lint"),
        });
        return USAGE;
    };
    let m = rule.meta();
    let _ = writeln!(
        io.stdout,
        "{}: {}\ncategory: {}, default level: {}\n\n{}",
        m.id,
        m.summary,
        m.category,
        m.level,
        m.doc.trim()
    );
    OK
}
