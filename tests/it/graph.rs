//! The role graph, as DOT and Mermaid.

use rolecall::compile_str;
use rolecall::render::{GraphFormat, render_graph, to_dot, to_mermaid};

use super::support::{cli, root, table};

/// Multiple inheritance, an unlabelled role, overrides from a role (with a
/// condition) and from a fact, a scope default, kind defaults including `none`.
const EXAMPLE: &str = r#"
policy "Example"
fact host "Host of the event"
fact granted
kind member "Team member"
kind guest

scope workspace "Workspace" {
    role owner "Owner" : admin
    role admin "Admin"
    role billing
}

scope session "Session" {
    role viewer "Viewer"
    role speaker "Speaker" : viewer
    role moderator "Moderator" : speaker
    role producer "Producer" : viewer
    role host_role "Host" : moderator, producer
    default viewer
    default member: speaker
    default guest: none
}

workspace.admin joins session as host_role
workspace.billing joins session as producer when granted
host joins session as host_role
"#;

fn livestorm() -> rolecall::DecisionTable {
    rolecall::compile_file(&root().join("policies/livestorm.policy")).expect("compiles")
}

#[test]
fn example_dot() {
    insta::assert_snapshot!(to_dot(&table(EXAMPLE)));
}

#[test]
fn example_mermaid() {
    insta::assert_snapshot!(to_mermaid(&table(EXAMPLE)));
}

#[test]
fn livestorm_dot() {
    insta::assert_snapshot!(render_graph(&livestorm(), GraphFormat::Dot));
}

#[test]
fn livestorm_mermaid() {
    insta::assert_snapshot!(render_graph(&livestorm(), GraphFormat::Mermaid));
}

#[test]
fn labels_are_escaped() {
    let t = compile_str(
        "test.policy",
        r#"
policy "Quote \" and \\ back"
scope s "A \"scope\"" {
    role a "x<y> & #1 `code`"
    role b "line\none" : a
}
"#,
    )
    .expect("compiles");
    let dot = to_dot(&t);
    assert!(dot.contains(r#"digraph "Quote \" and \\ back" {"#), "{dot}");
    assert!(dot.contains(r#"label="A \"scope\" (s)";"#), "{dot}");
    assert!(dot.contains(r#"[label="line\none\nb"];"#), "{dot}");
    // Checked in a browser with Mermaid 11: these show as the characters written.
    let mermaid = to_mermaid(&t);
    assert!(
        mermaid.contains(r#"subgraph s0["A &quot;scope&quot; (s)"]"#),
        "{mermaid}"
    );
    assert!(
        mermaid.contains(r#"s0r0["x&lt;y&gt; &amp; &num;1 &grave;code&grave;<br/>a"]"#),
        "{mermaid}"
    );
    assert!(
        mermaid.contains(r#"s0r1["line<br/>one<br/>b"]"#),
        "{mermaid}"
    );
    // A name Mermaid reserves is never a node id.
    let end = to_mermaid(&table("scope end { role end }"));
    assert!(end.contains(r#"s0r0["end"]"#), "{end}");
}

#[test]
fn cli_formats_and_errors() {
    let run = cli(&["graph", "policies/livestorm.policy"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, to_dot(&livestorm()));
    let run = cli(
        &["graph", "policies/livestorm.policy", "--format", "mermaid"],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, to_mermaid(&livestorm()));
    let run = cli(
        &["graph", "policies/livestorm.policy", "--format", "png"],
        "",
    );
    assert_eq!(run.code, 2);
    let run = cli(&["graph", "policies/nowhere.policy"], "");
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
}
