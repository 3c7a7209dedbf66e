//! The HTML table page: structure, escaping, self-containment, every cell.

use rolecall::compile_str;
use rolecall::render::{Format, escape_html, render, to_html};

use super::support::{ByPosition, cli, table};

/// A small policy touching everything the page shows: labels, sections, an
/// action outside any section, inheritance, allow/deny/conditional/default
/// cells, overrides from a role and from a fact, defaults, assignable roles,
/// limits, advice and notes.
const EXAMPLE: &str = r#"
policy "Example"
source "Help center" url "https://example.com/roles" lang "en"
note "A policy note."
fact granted "if granted"
fact host "Host of the event"
kind member "Team member"
kind guest "Guest"

scope workspace "Workspace" {
    role admin "Admin"
    role user "User"
    action billing "Billing"
    allow admin to billing
}

scope session "Session" {
    role viewer "Viewer"
    role speaker "Speaker" : viewer
    role moderator : speaker
    action react "React"
    section "Stage" {
        action present "Present"
        action mute "Mute someone"
    }
    allow viewer to react
    allow speaker to present when granted
    allow moderator to present, mute
    deny speaker to react when not granted
    default viewer
    default member: speaker
    default guest: none
    assignable member: moderator, speaker, viewer
    assignable guest: viewer
    limit moderator at most 2
    advise 1 moderator per 50 to 100 participants "One moderator per 50 to 100."
    note "A scope note."
}

workspace.admin joins session as moderator
host joins session as moderator when granted
"#;

/// The page with the stylesheet and script (snapshotted through the browser
/// test and reviewed as files) replaced by markers.
fn structure(page: &str) -> String {
    let mut out = page.to_string();
    for (open, close) in [("<style>\n", "</style>"), ("<script>\n", "</script>")] {
        let start = out.find(open).expect("opening tag") + open.len();
        let end = out.find(close).expect("closing tag");
        out.replace_range(start..end, "…\n");
    }
    out
}

#[test]
fn page_structure() {
    let page = render(&table(EXAMPLE), Format::Html, None, false);
    insta::assert_snapshot!(structure(&page));
}

#[test]
fn escape_html_escapes_markup_and_quotes() {
    assert_eq!(
        escape_html(r#"<script>alert('x') && "y"</script>"#),
        "&lt;script&gt;alert(&#39;x&#39;) &amp;&amp; &quot;y&quot;&lt;/script&gt;"
    );
    assert_eq!(escape_html("Rôles – plain"), "Rôles – plain");
}

#[test]
fn hostile_labels_are_text_not_markup() {
    let x = "<script>alert(1)</script>";
    let img = "<img src=x onerror=alert(2)>";
    let text = format!(
        r#"
policy "{x}"
source "{img}" url "javascript:\"{x}"
note "{x}"
fact f "{x} & {img}"
kind k "{x}"
scope s "{x}" {{
    role a "{x}"
    role b "\"quoted\" {img}" : a
    section "{x}" {{
        action act "{x}"
    }}
    allow b to act when f
    default k: a
    assignable k: a, b
    advise 1 a per 1 to 2 participants "{img}"
    note "{img}"
}}
f joins s as b
"#
    );
    // A file name is shown too (rule locations), so it is escaped like the rest.
    let t = compile_str("a\"<b>.policy", &text).expect("compiles");
    let page = to_html(&t, None);
    assert_eq!(
        page.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert_eq!(page.matches("</script>").count(), 1);
    assert!(!page.contains("<img"), "no injected element");
    assert!(!page.contains("<b>.policy"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(page.contains("&quot;quoted&quot;"));
    assert!(page.contains("a&quot;&lt;b&gt;.policy:"));
    assert!(
        !page.contains("href=\"javascript"),
        "only web addresses are links"
    );
}

#[test]
fn page_is_self_contained() {
    let page = render(&table(EXAMPLE), Format::Html, None, false);
    for forbidden in [
        "src=",
        "<link",
        "@import",
        "url(",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(!page.contains(forbidden), "page contains {forbidden}");
    }
    // The only address is the source's, as a link.
    assert_eq!(page.matches("https://").count(), 1);
    // Anything else the page might try to load is blocked by the browser.
    assert!(page.contains(
        r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">"#
    ));
    assert_eq!(page.matches("</style>").count(), 1);
    assert!(page.contains(r#"<input id="filter" type="search""#));
    assert!(page.contains("@media print"));
}

/// The page's cells, in document order: (classes, the cell's markup).
fn cells(page: &str) -> Vec<(&str, &str)> {
    page.split("<td class=\"cell ")
        .skip(1)
        .map(|rest| {
            let end = rest.find("</td>").expect("cell closes");
            let cell = &rest[..end];
            (&cell[..cell.find('"').expect("class ends")], cell)
        })
        .collect()
}

#[test]
fn every_livestorm_cell_shows_its_decision_rule_and_path() {
    let t = rolecall::compile_file(&super::support::root().join("policies/livestorm.policy"))
        .expect("compiles");
    let page = to_html(&t, None);
    let shown = cells(&page);
    assert_eq!(shown.len(), t.cell_count());
    let mut i = 0;
    for (s, scope) in t.policy().scopes.values().enumerate() {
        for a in 0..scope.actions.len() {
            for (r, role) in scope.roles.keys().enumerate() {
                let cell = t.cell_by(s, a, r).unwrap();
                let (class, markup) = shown[i];
                i += 1;
                let want = match cell.decision {
                    rolecall::compile::CellDecision::Allow => "allow",
                    rolecall::compile::CellDecision::Deny => "deny",
                    rolecall::compile::CellDecision::Conditional => "cond",
                };
                assert!(class.starts_with(want), "{role}: {class}");
                assert!(markup.contains(&format!("data-role=\"{role}\"")));
                match cell.rule {
                    Some(id) => {
                        let rule = &t.policy().rules[id.index()];
                        let text = escape_html(&t.policy().rule_for_action(rule, a));
                        assert!(markup.contains(&text), "{markup}");
                        assert!(markup.contains(&rule.loc.file_line()), "{markup}");
                        let path = t.path_by(s, r, id.index());
                        if path.len() > 1 {
                            let labels: Vec<String> = path
                                .iter()
                                .map(|&p| {
                                    let (name, role) = scope.roles.get_index(p).unwrap();
                                    escape_html(role.label.as_deref().unwrap_or(name))
                                })
                                .collect();
                            let expected = format!("Inherited: {}", labels.join(" → "));
                            assert!(markup.contains(&expected), "{expected} in {markup}");
                        } else {
                            assert!(markup.contains("Written for this role."));
                        }
                    }
                    // A targeted action's ordinary cell, read off its grid.
                    None if cell.conditional.is_some_and(|c| c.union) => {
                        assert!(markup.contains("see this action's grid"), "{markup}")
                    }
                    None => assert!(markup.contains("denied by default"), "{markup}"),
                }
            }
        }
    }
    // The override into the session scope is listed below it and marked on its target.
    assert!(page.contains("also: Admin (workspace), Propriétaire de l&#39;événement"));
    assert!(page.contains("<code>workspace.admin</code> (or a role inheriting it) join as"));
}

#[test]
fn conditional_cells_show_the_condition_and_the_candidates() {
    let page = to_html(&table(EXAMPLE), None);
    let shown = cells(&page);
    // session: react, present, mute × viewer, speaker, moderator (after workspace's 2 cells).
    let (class, speaker_react) = shown[2 + 1];
    assert_eq!(class, "cond");
    assert!(speaker_react.contains("Allowed when <code>granted</code>"));
    assert!(speaker_react.contains("<code>granted</code>: if granted"));
    let deny = speaker_react
        .find("deny speaker to react when not granted")
        .unwrap();
    let allow = speaker_react.find("allow viewer to react").unwrap();
    assert!(
        deny < allow,
        "candidates in the order tried: {speaker_react}"
    );
    assert!(speaker_react.contains("Inherited: Speaker → Viewer"));
    assert!(
        !speaker_react.contains("When none applies"),
        "the last one always applies"
    );
    let (_, speaker_present) = shown[2 + 4];
    assert!(speaker_present.contains("When none applies: denied by default."));
}

#[test]
fn one_scope_only() {
    let t = table(EXAMPLE);
    let page = to_html(&t, t.scope_id("workspace"));
    assert_eq!(page.matches("<section class=\"scope\"").count(), 1);
    assert_eq!(cells(&page).len(), 2);
}

#[test]
fn cli_writes_the_page() {
    let run = cli(
        &["table", "policies/livestorm.policy", "--format", "html"],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("<!DOCTYPE html>\n"));
    assert!(run.stdout.ends_with("</html>\n"));
    assert_eq!(cells(&run.stdout).len(), 3 * 27 + 5 * 31);
}
