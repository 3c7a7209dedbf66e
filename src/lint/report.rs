//! Machine-readable findings: JSON lines and SARIF 2.1.0.

use serde_json::{Value, json};

use super::{Finding, Level, RULES};

/// One JSON object per line per finding: rule, level, file, line, column, message.
pub fn json_lines(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let (line, column) = f.line_col();
        let object = json!({
            "rule": f.rule.id,
            "level": f.level(),
            "file": f.file(),
            "line": line,
            "column": column,
            "message": f.message,
        });
        out.push_str(&object.to_string());
        out.push('\n');
    }
    out
}

/// The JSON schema of SARIF 2.1.0.
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Info => "note",
    }
}

/// A SARIF 2.1.0 log of `findings`: one run, every rule described in
/// `tool.driver.rules`, one result per finding.
pub fn sarif(findings: &[Finding]) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            let m = r.meta();
            json!({
                "id": m.id,
                "name": m.id,
                "shortDescription": {"text": m.summary},
                "fullDescription": {"text": m.summary},
                "help": {"text": m.doc, "markdown": m.doc},
                "defaultConfiguration": {"level": sarif_level(m.level)},
                "properties": {"category": m.category.as_str()},
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let (line, column) = f.line_col();
            let (end_line, end_column) = f.loc.src.line_col(f.loc.end);
            let mut text = f.message.clone();
            if !f.help.is_empty() {
                text.push_str(" (help: ");
                text.push_str(&f.help);
                text.push(')');
            }
            json!({
                "ruleId": f.rule.id,
                "ruleIndex": RULES.iter().position(|r| std::ptr::eq(r.meta(), f.rule)),
                "level": sarif_level(f.level()),
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(f.file())},
                        "region": {
                            "startLine": line,
                            "startColumn": column,
                            "endLine": end_line,
                            "endColumn": end_column,
                        },
                    },
                }],
            })
        })
        .collect();
    let mut driver = json!({
        "name": "rolecall",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    let home = env!("CARGO_PKG_REPOSITORY");
    if !home.is_empty() {
        if let Some(d) = driver.as_object_mut() {
            d.insert("informationUri".to_string(), json!(home));
        }
    }
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// A path as a relative URI reference: `/` separators, other than unreserved
/// characters percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
