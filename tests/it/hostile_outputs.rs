//! Hostile input against the outputs (issue 15, items 11 and 12): `diff`
//! decides condition equivalence exactly at any number of facts (or says it
//! could not), and no label, name or file name can start markup in the
//! Markdown, HTML, DOT or Mermaid outputs.

use std::path::PathBuf;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use rolecall::bdd::{Bdd, MAX_BDD_STEPS, Ref, Undecided};
use rolecall::diff::{MAX_DIFF_BDD_STEPS, diff, diff_with_budget};
use rolecall::render::{escape_markdown, to_dot, to_html, to_markdown, to_mermaid, to_text};
use rolecall::resolve::Cond;

use super::support::{cli, table};

/// A fresh directory of this test's own.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "rolecall-hostile-outputs-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

// ------------------------------------------------- item 11: exact equivalence

fn facts(names: &[String]) -> String {
    names.iter().map(|f| format!("fact {f} \"F\"\n")).collect()
}

/// One scope, one role, one action; `rules` are the rules' texts.
fn policy(facts_text: &str, rules: &[String]) -> String {
    let mut text = format!("{facts_text}scope s {{\n    role v \"V\"\n    action a \"A\"\n");
    for r in rules {
        text.push_str(&format!("    {r}\n"));
    }
    text.push_str("}\n");
    text
}

fn and(items: &[String]) -> String {
    format!("({})", items.join(" and "))
}

#[test]
fn equivalent_conditions_over_many_facts_are_no_difference() {
    let dir = temp_dir("equivalent");
    for n in [17, 24, 40] {
        let f: Vec<String> = (0..n).map(|i| format!("f{i:02}")).collect();
        let decl = facts(&f);
        let (head, tail) = f.split_at(n - 2);
        let mut reversed = head.to_vec();
        reversed.reverse();
        // a and (b or c), against (c and a') or (b and a) with a' reversed:
        // the same function, not the same text after sorting.
        let old = policy(
            &decl,
            &[format!(
                "allow v to a when {} and ({} or {})",
                and(head),
                tail[0],
                tail[1]
            )],
        );
        let same = policy(
            &decl,
            &[format!(
                "allow v to a when ({} and {}) or ({} and {})",
                and(&reversed),
                tail[1],
                tail[0],
                and(head)
            )],
        );
        // De Morgan, and the condition split over two rules in the other order.
        let split = policy(
            &decl,
            &[
                format!(
                    "allow v to a when not (not {} or not {})",
                    tail[1],
                    and(&reversed)
                ),
                format!("allow v to a when {} and {}", tail[0], and(head)),
            ],
        );
        // One fact dropped from one disjunct: a real change.
        let changed = policy(
            &decl,
            &[format!(
                "allow v to a when ({} and {}) or ({} and {})",
                and(&reversed),
                tail[1],
                tail[0],
                and(&head[1..])
            )],
        );
        let old_path = write(&dir, &format!("old{n}.policy"), &old);
        for (name, text, differences) in [
            ("same", &same, 0),
            ("split", &split, 0),
            ("changed", &changed, 1),
        ] {
            let t_old = table(&old);
            let t_new = table(text);
            let d = diff(&t_old, &t_new);
            assert_eq!(d.len(), differences, "{n} facts, {name}");
            assert_eq!(d.undecided(), 0, "{n} facts, {name}");
            let new_path = write(&dir, &format!("{name}{n}.policy"), text);
            for format in ["text", "markdown", "json"] {
                let run = cli(&["diff", &old_path, &new_path, "--format", format], "");
                assert_eq!(
                    run.code, differences as i32,
                    "{n} {name} {format}: {}",
                    run.stdout
                );
                assert!(!run.stdout.contains("could not decide"), "{}", run.stdout);
            }
            let run = cli(&["diff", &old_path, &new_path], "");
            let summary = if differences == 0 {
                "no differences\n"
            } else {
                "\n1 difference\n"
            };
            assert!(run.stdout.ends_with(summary), "{n} {name}: {}", run.stdout);
        }
    }
}

/// 17 facts, `a and (b or c)` against `(a and b) or (a and c)`, on `roles`
/// roles named by one rule each side.
fn distributed(roles: usize) -> (String, String) {
    let f: Vec<String> = (0..17).map(|i| format!("f{i:02}")).collect();
    let names: Vec<String> = (0..roles).map(|i| format!("r{i}")).collect();
    let mut head = facts(&f);
    head.push_str("scope s {\n");
    for r in &names {
        head.push_str(&format!("    role {r}\n"));
    }
    head.push_str("    action a\n");
    let (a, bc) = f.split_at(15);
    let who = names.join(", ");
    let old = format!(
        "{head}    allow {who} to a when {} and ({} or {})\n}}\n",
        and(a),
        bc[0],
        bc[1]
    );
    let new = format!(
        "{head}    allow {who} to a when ({} and {}) or ({} and {})\n}}\n",
        and(a),
        bc[0],
        and(a),
        bc[1]
    );
    (old, new)
}

#[test]
fn one_budget_for_all_comparisons_of_a_diff_and_each_pair_compared_once() {
    let (old, new) = distributed(1);
    let (old, new) = (table(&old), table(&new));
    assert_eq!(diff(&old, &new).undecided(), 0);
    // No budget left: undecided, not a change.
    let d = diff_with_budget(&old, &new, 0);
    assert_eq!((d.len(), d.undecided()), (0, 1));
    // The fewest steps that decide this comparison (the count is deterministic).
    let mut need = 1;
    while diff_with_budget(&old, &new, need).undecided() > 0 {
        need *= 2;
        assert!(need <= MAX_DIFF_BDD_STEPS, "never decided");
    }
    let (mut low, mut high) = (need / 2, need);
    while low + 1 < high {
        let mid = (low + high) / 2;
        if diff_with_budget(&old, &new, mid).undecided() > 0 {
            low = mid;
        } else {
            high = mid;
        }
    }
    let need = high;
    assert_eq!(diff_with_budget(&old, &new, need - 1).undecided(), 1);
    // 300 cells of the same pair of conditions: that budget decides them all,
    // so the pair was compared once.
    let (old, new) = distributed(300);
    let (old, new) = (table(&old), table(&new));
    let d = diff_with_budget(&old, &new, need);
    assert_eq!((d.len(), d.undecided()), (0, 0));
}

/// `(x0 and … and x19 and y0 and … and y19) or (x0 and y0) or … (x19 and y19)`:
/// the long conjunction first puts every x before every y in the diagram's
/// order, where the pairs need 2^20 nodes: past the budget.
fn over_budget() -> (String, String) {
    let m = 20;
    let xs: Vec<String> = (0..m).map(|i| format!("x{i:02}")).collect();
    let ys: Vec<String> = (0..m).map(|i| format!("y{i:02}")).collect();
    let decl = facts(&xs.iter().chain(&ys).cloned().collect::<Vec<_>>());
    let all: Vec<String> = xs.iter().chain(&ys).cloned().collect();
    let pairs: Vec<String> = (0..m)
        .map(|i| format!("({} and {})", xs[i], ys[i]))
        .collect();
    let mut reversed = pairs.clone();
    reversed.reverse();
    let old = policy(
        &decl,
        &[format!(
            "allow v to a when {} or {}",
            and(&all),
            pairs.join(" or ")
        )],
    );
    let new = policy(
        &decl,
        &[format!(
            "allow v to a when {} or (x00 and not x00)",
            reversed.join(" or ")
        )],
    );
    (old, new)
}

#[test]
fn conditions_past_the_budget_are_undecided_not_changed() {
    let dir = temp_dir("undecided");
    let (old, new) = over_budget();
    let d = diff(&table(&old), &table(&new));
    assert_eq!(d.len(), 0);
    assert_eq!(d.undecided(), 1);
    assert!(!d.is_empty());
    let old_path = write(&dir, "old.policy", &old);
    let new_path = write(&dir, "new.policy", &new);
    let text = cli(&["diff", &old_path, &new_path], "");
    assert_eq!(text.code, 1);
    assert!(
        text.stdout
            .contains("a × v: could not decide whether this changed"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.ends_with(
            "\n0 differences; 1 comparison could not be decided (conditions too large to compare)\n"
        ),
        "{}",
        text.stdout
    );
    let markdown = cli(&["diff", &old_path, &new_path, "--format", "markdown"], "");
    assert_eq!(markdown.code, 1);
    assert!(
        markdown.stdout.contains("could not decide"),
        "{}",
        markdown.stdout
    );
    assert!(
        !markdown.stdout.contains("| Action |"),
        "no table of changes"
    );
    let json = cli(&["diff", &old_path, &new_path, "--format", "json"], "");
    assert_eq!(json.code, 1);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["differences"], 0);
    assert_eq!(value["undecided"], 1);
    let scope = &value["scopes"]["changed"][0];
    assert_eq!(scope["cells"].as_array().unwrap().len(), 0);
    assert_eq!(scope["undecided"][0]["action"], "a");
    assert_eq!(scope["undecided"][0]["role"], "v");
}

#[test]
fn override_conditions_past_the_budget_are_undecided_not_added_and_removed() {
    let (old, new) = over_budget();
    // The same conditions on an override from a fact into the scope.
    let as_override = |text: &str| {
        let (head, rule) = text.split_once("    allow v to a when ").unwrap();
        let condition = rule.trim_end().trim_end_matches('}').trim_end();
        format!("{head}    allow v to a\n}}\nx00 joins s as v when {condition}\n")
    };
    let (old, new) = (as_override(&old), as_override(&new));
    let d = diff(&table(&old), &table(&new));
    assert_eq!(d.len(), 0, "{:?}", d.overrides);
    assert_eq!(d.overrides.undecided.len(), 1);
    assert!(d.overrides.added.is_empty() && d.overrides.removed.is_empty());
}

// The decision diagram itself.
fn fact(i: usize) -> Cond {
    Cond::Fact(i)
}

fn id(i: usize) -> usize {
    i
}

#[test]
fn bdd_de_morgan_and_distribution_are_equivalent() {
    let mut bdd = Bdd::default();
    let a = bdd
        .build(&Cond::Not(Box::new(Cond::Or(vec![fact(0), fact(1)]))), &id)
        .unwrap();
    let b = bdd
        .build(
            &Cond::And(vec![
                Cond::Not(Box::new(fact(1))),
                Cond::Not(Box::new(fact(0))),
            ]),
            &id,
        )
        .unwrap();
    assert_eq!(a, b);
    let c = bdd
        .build(
            &Cond::And(vec![fact(0), Cond::Or(vec![fact(1), fact(2)])]),
            &id,
        )
        .unwrap();
    let d = bdd
        .build(
            &Cond::Or(vec![
                Cond::And(vec![fact(0), fact(2)]),
                Cond::And(vec![fact(1), fact(0)]),
            ]),
            &id,
        )
        .unwrap();
    assert_eq!(c, d);
    assert_ne!(a, c);
    let f0 = fact_ref(&mut bdd, 0);
    assert!(bdd.implies(c, f0).unwrap());
    assert!(!bdd.implies(f0, c).unwrap());
}

fn fact_ref(bdd: &mut Bdd, i: usize) -> Ref {
    bdd.build(&fact(i), &id).unwrap()
}

#[test]
fn bdd_constants_and_tautologies() {
    let mut bdd = Bdd::default();
    let t = bdd
        .build(&Cond::Or(vec![fact(3), Cond::Not(Box::new(fact(3)))]), &id)
        .unwrap();
    assert!(t.is_true());
    let z = bdd
        .build(&Cond::And(vec![fact(3), Cond::Not(Box::new(fact(3)))]), &id)
        .unwrap();
    assert!(z.is_false());
    assert!(bdd.build(&Cond::And(vec![]), &id).unwrap().is_true());
    assert!(bdd.build(&Cond::Or(vec![]), &id).unwrap().is_false());
}

#[test]
fn bdd_deep_condition_needs_no_stack() {
    let mut c = fact(0);
    for i in 1..5_000 {
        c = Cond::Not(Box::new(Cond::And(vec![fact(i % 7), c])));
    }
    let mut bdd = Bdd::default();
    let r = bdd.build(&c, &id);
    assert!(r.is_ok());
}

#[test]
fn bdd_budget_is_kept() {
    // (x0 and y0) or … with every x before every y: 2^n nodes.
    let n = 20;
    let c = Cond::Or(
        (0..n)
            .map(|i| Cond::And(vec![fact(i), fact(n + i)]))
            .collect(),
    );
    let mut bdd = Bdd::default();
    assert_eq!(bdd.build(&c, &id), Err(Undecided));
    assert!(bdd.steps() <= MAX_BDD_STEPS + 1);
    // The interleaved order makes it linear.
    let mut bdd = Bdd::default();
    let inter = |i: usize| if i < n { 2 * i } else { 2 * (i - n) + 1 };
    assert!(bdd.build(&c, &inter).is_ok());
    assert!(bdd.steps() < 1_000, "{}", bdd.steps());
}

// ------------------------------------------------------ item 12: escaping

/// Labels as written in a policy string, and as the policy means them.
const HOSTILE: &[(&str, &str)] = &[
    ("<!--", "<!--"),
    ("a|b|c", "a|b|c"),
    ("*bold* and _it_", "*bold* and _it_"),
    ("`tick` ``two``", "`tick` ``two``"),
    ("]] [[", "]] [["),
    ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("&amp; &lt; &#60;", "&amp; &lt; &#60;"),
    ("# heading", "# heading"),
    ("- item", "- item"),
    ("1. item", "1. item"),
    ("two\\nlines", "two\nlines"),
    ("back\\\\slash\\\\|", "back\\slash\\|"),
    ("~~gone~~", "~~gone~~"),
    ("-->", "-->"),
    ("say \\\"hi\\\"", "say \"hi\""),
    (
        "<img src=x onerror=alert(1)>",
        "<img src=x onerror=alert(1)>",
    ),
];

/// A scope whose label, roles, actions, a section and a fact are all labelled
/// with the hostile strings; `allow r0 to a0 when f` shows the fact's label.
fn hostile_policy() -> String {
    let mut text = format!("fact f \"{}\"\n", HOSTILE[1].0);
    text.push_str(&format!("scope s \"{}\" {{\n", HOSTILE[0].0));
    for (i, (label, _)) in HOSTILE.iter().enumerate() {
        text.push_str(&format!("    role r{i} \"{label}\"\n"));
    }
    for (i, (label, _)) in HOSTILE.iter().enumerate() {
        text.push_str(&format!("    action a{i} \"{label}\"\n"));
    }
    text.push_str(&format!(
        "    section \"{}\" {{\n        action b0 \"{}\"\n    }}\n",
        HOSTILE[0].0, HOSTILE[2].0
    ));
    text.push_str("    allow r0 to a0 when f\n    allow r1 to a1\n}\n");
    text
}

/// Markdown read back as GitHub reads it: the table rows (cells' text), the
/// headings' text, and every piece of markup that is not ours.
struct Read {
    rows: Vec<Vec<String>>,
    headings: Vec<String>,
    strong: usize,
    foreign: Vec<String>,
}

fn read_markdown(text: &str) -> Read {
    let mut read = Read {
        rows: Vec::new(),
        headings: Vec::new(),
        strong: 0,
        foreign: Vec::new(),
    };
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut cell: Option<String> = None;
    let mut heading: Option<String> = None;
    for event in Parser::new_ext(text, options) {
        match event {
            Event::Start(Tag::TableHead | Tag::TableRow) => read.rows.push(Vec::new()),
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let (Some(c), Some(row)) = (cell.take(), read.rows.last_mut()) {
                    row.push(c);
                }
            }
            Event::Start(Tag::Heading { level, .. }) => {
                if level != HeadingLevel::H2 && level != HeadingLevel::H3 {
                    read.foreign.push(format!("heading {level:?}"));
                }
                heading = Some(String::new());
            }
            Event::End(TagEnd::Heading(_)) => read.headings.extend(heading.take()),
            Event::Start(Tag::Strong) => read.strong += 1,
            Event::Text(t) | Event::Code(t) => {
                for target in [&mut cell, &mut heading].into_iter().flatten() {
                    target.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => read.foreign.push("line break".into()),
            Event::Html(h) | Event::InlineHtml(h) => read.foreign.push(format!("html {h}")),
            Event::Start(
                t @ (Tag::Emphasis
                | Tag::Strikethrough
                | Tag::Link { .. }
                | Tag::Image { .. }
                | Tag::BlockQuote(_)
                | Tag::CodeBlock(_)
                | Tag::HtmlBlock),
            ) => read.foreign.push(format!("{t:?}")),
            _ => {}
        }
    }
    read
}

/// As shown in one line: line breaks as spaces.
fn flat(label: &str) -> String {
    label.replace('\n', " ")
}

#[test]
fn markdown_table_keeps_every_row_and_every_label_as_text() {
    let t = table(&hostile_policy());
    let md = to_markdown(&t, None);
    let read = read_markdown(&md);
    assert!(read.foreign.is_empty(), "{:?}\n{md}", read.foreign);
    // Header, one row per action, one for the section heading.
    let n = HOSTILE.len();
    assert_eq!(read.rows.len(), 1 + n + 1 + 1, "{md}");
    let mut header = vec!["Action".to_string()];
    header.extend(HOSTILE.iter().map(|(_, l)| flat(l)));
    assert_eq!(read.rows[0], header);
    for (i, (_, label)) in HOSTILE.iter().enumerate() {
        let row = &read.rows[1 + i];
        assert_eq!(row.len(), n + 1, "row {i}: {row:?}");
        assert_eq!(row[0], flat(label), "row {i}");
    }
    // The fact's label in the conditional cell, the allowed one, and the rest denied.
    assert_eq!(read.rows[1][1], format!("✅ ({})", HOSTILE[1].1));
    assert_eq!(read.rows[2][2], "✅");
    assert_eq!(read.rows[3][1], "❌");
    // The section heading is the one bold text, as text.
    assert_eq!(read.strong, 1);
    assert_eq!(read.rows[1 + n][0], HOSTILE[0].1);
    assert_eq!(read.rows[2 + n][0], flat(HOSTILE[2].1));
    assert_eq!(read.headings, [format!("{} (s)", HOSTILE[0].1)]);
    // And in the raw text: no tag or comment of the policy's.
    for raw in ["<!--", "-->", "<script", "<img", "<b>"] {
        assert!(!md.contains(raw), "{raw} in\n{md}");
    }
}

#[test]
fn escape_markdown_leaves_plain_words_alone() {
    assert_eq!(
        escape_markdown("Manage billing (admins)"),
        "Manage billing (admins)"
    );
    assert_eq!(escape_markdown("<!--"), "&lt;!--");
    assert_eq!(escape_markdown("a|b"), "a\\|b");
    assert_eq!(escape_markdown("# h"), "\\# h");
    assert_eq!(escape_markdown("12. x"), "12\\. x");
    assert_eq!(escape_markdown("x #1 - 2. y"), "x #1 - 2. y");
    assert_eq!(escape_markdown("1)"), "1\\)");
    assert_eq!(escape_markdown("1.2."), "1\\.2.");
    assert_eq!(escape_markdown(".5"), ".5");
    // Linear: a long run of digits then of dots.
    let long = format!("{}{}", "1".repeat(100_000), ".".repeat(100_000));
    let escaped = escape_markdown(&long);
    assert_eq!(escaped.len(), long.len() + 1);
}

#[test]
fn diff_markdown_keeps_every_row_with_hostile_file_names() {
    let dir = temp_dir("diff-markdown");
    let base = hostile_policy();
    // Three cells change: r1 loses a1, r2 and r3 gain a2.
    let changed = base.replace("    allow r1 to a1\n", "    allow r2, r3 to a2\n");
    let (old_name, new_name) = ("<!-- old|`x`*[y]", "new]] `` <b>|");
    let old = write(&dir, &format!("{old_name}.policy"), &base);
    let new = write(&dir, &format!("{new_name}.policy"), &changed);
    let run = cli(&["diff", &old, &new, "--format", "markdown"], "");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let md = &run.stdout;
    let read = read_markdown(md);
    assert!(read.foreign.is_empty(), "{:?}\n{md}", read.foreign);
    // The header and three changed cells, each of six columns.
    assert_eq!(read.rows.len(), 4, "{md}");
    assert!(read.rows.iter().all(|r| r.len() == 6), "{:?}", read.rows);
    assert_eq!(read.rows[1][..2], ["a1", "r1"]);
    assert!(
        read.rows[1][4].contains(&format!("{old}:")),
        "{:?}",
        read.rows[1]
    );
    assert!(
        read.rows[2][5].contains(&format!("{new}:")),
        "{:?}",
        read.rows[2]
    );
    // In the heading the names are code spans: `<!--` stays literal there.
    assert_eq!(read.headings[0], format!("Policy changes: {old} → {new}"));
    // Outside code spans (the rule cells' locations), nothing raw.
    for row in &run
        .stdout
        .lines()
        .filter(|l| l.starts_with("| `a"))
        .collect::<Vec<_>>()
    {
        let location = row.rsplit_once(" (").map_or("", |(_, at)| at);
        assert!(!location.contains('<'), "{row}");
    }
}

#[test]
fn html_dot_and_mermaid_keep_hostile_labels_inert() {
    let t = table(&hostile_policy());
    let html = to_html(&t, None);
    for raw in [
        "<!--",
        "<script>alert",
        "<img src=x",
        "javascript:alert(1)\"",
    ] {
        assert!(!html.contains(raw), "{raw} in the HTML page");
    }
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    // DOT: every quote inside a label escaped, so quotes pair up on each line.
    let dot = to_dot(&t);
    for line in dot.lines() {
        let mut unescaped = 0;
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => unescaped += 1,
                _ => {}
            }
        }
        assert_eq!(unescaped % 2, 0, "unbalanced quotes: {line}");
    }
    assert!(dot.contains("say \\\"hi\\\""), "{dot}");
    // Mermaid reads labels as HTML: no tag but its own line breaks, no quote.
    let mermaid = to_mermaid(&t);
    let without_breaks = mermaid.replace("<br/>", "");
    assert!(!without_breaks.contains('<'), "{mermaid}");
    for line in mermaid.lines().filter(|l| !l.starts_with("%%")) {
        assert_eq!(line.matches('"').count() % 2, 0, "{line}");
    }
    assert!(mermaid.contains("say &quot;hi&quot;"), "{mermaid}");
}

#[test]
fn terminal_text_writes_control_characters_of_labels_as_escapes() {
    // A label with ESC sequences (recolor, retitle) and a line break.
    let policy = "scope s \"\u{1b}[31mred\u{1b}]0;title\u{7}\\nnext\" {\n    role r\n    section \"\u{1b}[2J\" {\n        action a\n    }\n    allow r to a\n}\n";
    let t = table(policy);
    for color in [false, true] {
        let text = to_text(&t, None, color);
        let policy_escapes = text.matches('\u{1b}').count();
        let own = if color {
            text.matches("\u{1b}[").count()
        } else {
            0
        };
        assert_eq!(policy_escapes, own, "{text:?}");
        assert!(!text.contains('\u{7}'), "{text:?}");
        assert!(
            text.contains("scope s (\\u{1b}[31mred\\u{1b}]0;title\\u{7}\\nnext)"),
            "{text:?}"
        );
    }
}
