//! `docs/lint.md`, generated from the rules' own docs.

use std::fmt::Write as _;

use super::RULES;

const INTRO: &str = r#"`rolecall lint` checks a policy that is valid (it resolves and compiles) for the mistakes
that still make it wrong: rules that never decide anything, allows and denies settled only by the
tie-break, roles granted nothing, defaults nobody may be assigned, conditional denies and overrides
that reach roles above the ones they name.

```sh
rolecall lint policies/livestorm.policy                   # miette diagnostics; exit 1 on an error-level finding
rolecall lint --deny warnings --format sarif FILE > lint.sarif   # for code-scanning tools
rolecall lint --list-rules                                # one line per rule: id, level, summary
rolecall lint --explain shadowed-rule                     # a rule's doc
```

## Output and exit codes

- `--format text` (default): each finding as a miette diagnostic (span, label, help line) on
  standard output, then one summary line per file.
- `--format json`: one JSON object per line per finding:
  `{"rule", "level", "file", "line", "column", "message"}` (line and column 1-based).
- `--format sarif`: one SARIF 2.1.0 log, every rule in `tool.driver.rules`, every finding a
  result with its physical location.

Exit **0** when no finding is at `error` level (with `--deny warnings`: no `warning` either),
**1** otherwise, **2** for a usage error or a file that cannot be loaded or is invalid (run
`rolecall check` for its diagnostics). `info` findings never fail.

## Targeted actions

A targeted action (`action … on participant`, language.md §4.21) has a grid of cells, one per
acting role and target. The rules that judge a role's cells as a whole (`role-grants-nothing`,
`role-adds-nothing`, `identical-roles`) read every cell of its grid row, and a rule that decides
no cell of any grid is `shadowed-rule`. The rules that reason over one row of candidates
(`redundant-allow`, `allow-deny-conflict`, `deny-overrides-nothing`, `conditional-deny-inherited`)
say nothing about a targeted action: its candidates differ from one target to the next, and a
finding read off the untargeted row would be false.

## Suppressing a finding

A comment names the rules it silences and says why:

```rolecall
# rolecall: allow(role-adds-nothing) because the source lists both roles
role coorganizer "Co-organisateur" : organizer
role guest "Guest" : viewer  # rolecall: allow(role-adds-nothing) because billed apart
```

A comment `# rolecall: allow(RULE, …) because REASON` suppresses findings of the named rules whose
primary location starts on the comment's own line when it ends a line of code, or otherwise on the
next line that is not only a comment (so it can stand above the construct, after other comments).
The reason is required: a suppression without one still suppresses but is reported by
`invalid-suppression`, as are malformed ones and unknown rule ids. A named rule that silences
nothing is reported by `unused-suppression`. These two rules cannot be suppressed.
"#;

/// The Markdown of `docs/lint.md`: the usage, the suppression syntax, the
/// table of rules, and each rule's doc.
pub fn docs_markdown() -> String {
    let mut out = String::new();
    out.push_str("# Lint rules\n\n");
    out.push_str(
        "<!-- Generated from the rules' docs (src/lint/rules/) by `rolecall::lint::docs_markdown`.\n     Do not edit: regenerate with `UPDATE_DOCS=1 cargo test lint_docs`. -->\n\n",
    );
    out.push_str(INTRO);
    out.push_str("\n## Rules\n\n");
    out.push_str("| rule | category | level | finds |\n|---|---|---|---|\n");
    for rule in RULES {
        let m = rule.meta();
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} | {} | {} |",
            m.id, m.id, m.category, m.level, m.summary
        );
    }
    for rule in RULES {
        let m = rule.meta();
        let _ = write!(
            out,
            "\n## {}\n\n{} · default level **{}** · {}\n\n{}",
            m.id,
            m.category,
            m.level,
            m.summary,
            m.doc.trim_start()
        );
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
