//! The role graph: roles per scope with their inheritance, cross-scope and
//! fact overrides ("joins as"), and default roles, as Graphviz DOT or Mermaid.
//!
//! Both formats list the same things in the same order: scopes with their
//! roles and inheritance edges, then fact and kind nodes, then overrides,
//! then defaults, all in declaration order.

use std::fmt::Write as _;

use crate::compile::DecisionTable;
use crate::resolve::{Policy, Scope, Subject};

/// Output formats of `rolecall graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
}

/// Renders the role graph of `table` in `format`.
pub fn render_graph(table: &DecisionTable, format: GraphFormat) -> String {
    match format {
        GraphFormat::Dot => to_dot(table),
        GraphFormat::Mermaid => to_mermaid(table),
    }
}

/// One edge of the graph, by node keys (see [`Node`]).
struct Edge {
    from: Node,
    to: Node,
    kind: EdgeKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Node {
    Role(usize, usize),
    /// The "anyone else" default of a scope.
    Anyone(usize),
    /// `none` (no access) in a scope.
    Nobody(usize),
    Fact(usize),
    Kind(usize),
}

enum EdgeKind {
    /// Override: whether it adds the role, and its condition text.
    Joins(bool, Option<String>),
    /// Default role, with its condition text.
    Default(Option<String>),
}

impl EdgeKind {
    /// The edge's label, one line per item.
    fn label(&self) -> Vec<String> {
        let (head, when) = match self {
            EdgeKind::Joins(false, when) => ("joins as", when),
            EdgeKind::Joins(true, when) => ("also joins as", when),
            EdgeKind::Default(when) => ("default", when),
        };
        let mut lines = vec![head.to_string()];
        if let Some(when) = when {
            lines.push(format!("when {when}"));
        }
        lines
    }
}

/// What both formats draw outside the scopes' own roles and inheritance.
struct Extras {
    facts: Vec<usize>,
    kinds: Vec<usize>,
    /// Scopes needing an "anyone else" node, and a "none" node.
    anyone: Vec<bool>,
    nobody: Vec<bool>,
    edges: Vec<Edge>,
}

fn extras(policy: &Policy) -> Extras {
    let scopes = policy.scopes.len();
    let mut x = Extras {
        facts: Vec::new(),
        kinds: Vec::new(),
        anyone: vec![false; scopes],
        nobody: vec![false; scopes],
        edges: Vec::new(),
    };
    for o in &policy.overrides {
        let from = match o.subject {
            Subject::Role { scope, role } => Node::Role(scope, role),
            Subject::Everyone => {
                if let Some(a) = x.anyone.get_mut(o.scope) {
                    *a = true;
                }
                Node::Anyone(o.scope)
            }
            Subject::Fact(f) => {
                if !x.facts.contains(&f) {
                    x.facts.push(f);
                }
                Node::Fact(f)
            }
        };
        x.edges.push(Edge {
            from,
            to: Node::Role(o.scope, o.role),
            kind: EdgeKind::Joins(o.adds, o.condition.as_ref().map(|c| c.text.clone())),
        });
    }
    for (s, scope) in policy.scopes.values().enumerate() {
        let target = |role: Option<usize>, x: &mut Extras| match role {
            Some(r) => Node::Role(s, r),
            None => {
                if let Some(n) = x.nobody.get_mut(s) {
                    *n = true;
                }
                Node::Nobody(s)
            }
        };
        for d in &scope.defaults {
            if let Some(a) = x.anyone.get_mut(s) {
                *a = true;
            }
            let to = target(d.role, &mut x);
            x.edges.push(Edge {
                from: Node::Anyone(s),
                to,
                kind: EdgeKind::Default(d.condition.as_ref().map(|c| c.text.clone())),
            });
        }
        for (&k, d) in scope
            .kind_defaults
            .iter()
            .flat_map(|(k, list)| list.iter().map(move |d| (k, d)))
        {
            if !x.kinds.contains(&k) {
                x.kinds.push(k);
            }
            let to = target(d.role, &mut x);
            x.edges.push(Edge {
                from: Node::Kind(k),
                to,
                kind: EdgeKind::Default(d.condition.as_ref().map(|c| c.text.clone())),
            });
        }
    }
    // Declaration order, whatever the order of first use.
    x.facts.sort_unstable();
    x.kinds.sort_unstable();
    x
}

/// `Label` and `id` on two lines, or the id alone.
fn two_lines(label: Option<&str>, id: &str) -> Vec<String> {
    match label {
        Some(label) if label != id => vec![label.to_string(), id.to_string()],
        _ => vec![id.to_string()],
    }
}

fn scope_title(name: &str, scope: &Scope) -> String {
    match &scope.label {
        Some(label) if label != name => format!("{label} ({name})"),
        _ => name.to_string(),
    }
}

fn fact_lines(policy: &Policy, f: usize) -> Vec<String> {
    let (name, label) = policy.facts.get_index(f).map_or_else(
        || (crate::invariant::name_or_missing(None, "fact"), None),
        |(n, fact)| (n.as_str(), fact.label.as_deref()),
    );
    let id = format!("fact {name}");
    two_lines(label, &id)
}

fn kind_lines(policy: &Policy, k: usize) -> Vec<String> {
    let (name, label) = policy.kinds.get_index(k).map_or_else(
        || (crate::invariant::name_or_missing(None, "kind"), None),
        |(n, kind)| (n.as_str(), kind.label.as_deref()),
    );
    let id = format!("kind {name}");
    two_lines(label, &id)
}

// ------------------------------------------------------------------ DOT

/// A DOT quoted string.
fn dot_quote(lines: &[String]) -> String {
    let mut out = String::from("\"");
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str("\\n");
        }
        for c in line.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' | '\t' => out.push(' '),
                _ => out.push(c),
            }
        }
    }
    out.push('"');
    out
}

fn dot_id(policy: &Policy, node: Node) -> String {
    let scope_name = |s: usize| {
        crate::invariant::name_or_missing(
            policy.scopes.get_index(s).map(|(n, _)| n.as_str()),
            "scope",
        )
    };
    let id = match node {
        Node::Role(s, r) => policy.role_name(s, r),
        Node::Anyone(s) => format!("{} anyone", scope_name(s)),
        Node::Nobody(s) => format!("{} none", scope_name(s)),
        Node::Fact(f) => format!("fact {}", policy.fact_name(f)),
        Node::Kind(k) => format!(
            "kind {}",
            crate::invariant::name_or_missing(
                policy.kinds.get_index(k).map(|(n, _)| n.as_str()),
                "kind"
            )
        ),
    };
    dot_quote(&[id])
}

/// The role graph as Graphviz DOT: a cluster per scope; inheritance as solid
/// arrows from a role to its parent, overrides dashed ("joins as"), defaults dotted.
pub fn to_dot(table: &DecisionTable) -> String {
    let policy = &table.policy;
    let x = extras(policy);
    let mut out = String::new();
    let name = policy.name.as_deref().unwrap_or("policy");
    let _ = writeln!(
        out,
        "// Roles of {}: solid arrows point from a role to the role it inherits,\n\
         // dashed arrows are overrides (\"joins as\"), dotted arrows default roles.",
        name.replace(['\n', '\r'], " ")
    );
    let _ = writeln!(out, "digraph {} {{", dot_quote(&[name.to_string()]));
    out.push_str("  rankdir=BT;\n  newrank=true;\n");
    // With rankdir=BT, `labelloc=b` puts the scopes' titles on top.
    out.push_str("  graph [fontname=\"Helvetica\", labelloc=b];\n");
    out.push_str("  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for (s, (scope_name, scope)) in policy.scopes.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph {} {{\n    label={};",
            dot_quote(&[format!("cluster_{scope_name}")]),
            dot_quote(&[scope_title(scope_name, scope)])
        );
        for (r, (role_name, role)) in scope.roles.iter().enumerate() {
            let _ = writeln!(
                out,
                "    {} [label={}];",
                dot_id(policy, Node::Role(s, r)),
                dot_quote(&two_lines(role.label.as_deref(), role_name))
            );
        }
        if x.anyone.get(s).copied().unwrap_or(false) {
            let _ = writeln!(
                out,
                "    {} [label=\"anyone else\", shape=plaintext];",
                dot_id(policy, Node::Anyone(s))
            );
        }
        if x.nobody.get(s).copied().unwrap_or(false) {
            let _ = writeln!(
                out,
                "    {} [label=\"none (no access)\", shape=plaintext];",
                dot_id(policy, Node::Nobody(s))
            );
        }
        for (r, role) in scope.roles.values().enumerate() {
            for &p in &role.parents {
                let _ = writeln!(
                    out,
                    "    {} -> {} [arrowhead=empty];",
                    dot_id(policy, Node::Role(s, r)),
                    dot_id(policy, Node::Role(s, p))
                );
            }
        }
        out.push_str("  }\n");
    }
    for &f in &x.facts {
        let _ = writeln!(
            out,
            "  {} [label={}, shape=ellipse];",
            dot_id(policy, Node::Fact(f)),
            dot_quote(&fact_lines(policy, f))
        );
    }
    for &k in &x.kinds {
        let _ = writeln!(
            out,
            "  {} [label={}, shape=hexagon];",
            dot_id(policy, Node::Kind(k)),
            dot_quote(&kind_lines(policy, k))
        );
    }
    for edge in &x.edges {
        let attrs = match &edge.kind {
            EdgeKind::Joins(..) => format!("style=dashed, label={}", dot_quote(&edge.kind.label())),
            EdgeKind::Default(_) => {
                format!("style=dotted, label={}", dot_quote(&edge.kind.label()))
            }
        };
        let _ = writeln!(
            out,
            "  {} -> {} [{attrs}];",
            dot_id(policy, edge.from),
            dot_id(policy, edge.to)
        );
    }
    out.push_str("}\n");
    out
}

// ------------------------------------------------------------------ Mermaid

/// A Mermaid quoted label. Mermaid renders labels as HTML, so markup
/// characters become HTML entities; `#` and backquote too, because Mermaid
/// reads `#name;` as its own entity codes and backquotes as Markdown.
fn mermaid_quote(lines: &[String]) -> String {
    let mut out = String::from("\"");
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str("<br/>");
        }
        for c in line.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '"' => out.push_str("&quot;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '#' => out.push_str("&num;"),
                '`' => out.push_str("&grave;"),
                '\n' => out.push_str("<br/>"),
                '\r' | '\t' => out.push(' '),
                _ => out.push(c),
            }
        }
    }
    out.push('"');
    out
}

/// Node ids by position: names like `end` would break a Mermaid flowchart.
fn mermaid_id(node: Node) -> String {
    match node {
        Node::Role(s, r) => format!("s{s}r{r}"),
        Node::Anyone(s) => format!("s{s}anyone"),
        Node::Nobody(s) => format!("s{s}none"),
        Node::Fact(f) => format!("f{f}"),
        Node::Kind(k) => format!("k{k}"),
    }
}

/// The role graph as a Mermaid flowchart: a subgraph per scope; inheritance as
/// solid arrows from a role to its parent, overrides dotted ("joins as"),
/// defaults thick.
pub fn to_mermaid(table: &DecisionTable) -> String {
    let policy = &table.policy;
    let x = extras(policy);
    let mut out = String::new();
    let name = policy.name.as_deref().unwrap_or("policy");
    let _ = writeln!(
        out,
        "%% Roles of {}: solid arrows point from a role to the role it inherits,\n\
         %% dotted arrows are overrides (\"joins as\"), thick arrows default roles.",
        name.replace(['\n', '\r'], " ")
    );
    out.push_str("flowchart BT\n");
    out.push_str("  classDef fact fill:#fff4cc,stroke:#8a6d00\n");
    out.push_str("  classDef kind fill:#e6eefc,stroke:#34518a\n");
    out.push_str("  classDef dflt fill:#ffffff,stroke:#999999,stroke-dasharray:3 3\n");
    for (s, (scope_name, scope)) in policy.scopes.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph s{s}[{}]",
            mermaid_quote(&[scope_title(scope_name, scope)])
        );
        for (r, (role_name, role)) in scope.roles.iter().enumerate() {
            let _ = writeln!(
                out,
                "    {}[{}]",
                mermaid_id(Node::Role(s, r)),
                mermaid_quote(&two_lines(role.label.as_deref(), role_name))
            );
        }
        if x.anyone.get(s).copied().unwrap_or(false) {
            let _ = writeln!(
                out,
                "    {}([\"anyone else\"]):::dflt",
                mermaid_id(Node::Anyone(s))
            );
        }
        if x.nobody.get(s).copied().unwrap_or(false) {
            let _ = writeln!(
                out,
                "    {}([\"none (no access)\"]):::dflt",
                mermaid_id(Node::Nobody(s))
            );
        }
        for (r, role) in scope.roles.values().enumerate() {
            for &p in &role.parents {
                let _ = writeln!(
                    out,
                    "    {} --> {}",
                    mermaid_id(Node::Role(s, r)),
                    mermaid_id(Node::Role(s, p))
                );
            }
        }
        out.push_str("  end\n");
    }
    for &f in &x.facts {
        let _ = writeln!(
            out,
            "  {}([{}]):::fact",
            mermaid_id(Node::Fact(f)),
            mermaid_quote(&fact_lines(policy, f))
        );
    }
    for &k in &x.kinds {
        let _ = writeln!(
            out,
            "  {}{{{{{}}}}}:::kind",
            mermaid_id(Node::Kind(k)),
            mermaid_quote(&kind_lines(policy, k))
        );
    }
    for edge in &x.edges {
        let arrow = match &edge.kind {
            EdgeKind::Joins(..) => {
                format!("-.->|{}|", mermaid_quote(&[edge.kind.label().join(" ")]))
            }
            EdgeKind::Default(_) => {
                format!("==>|{}|", mermaid_quote(&[edge.kind.label().join(" ")]))
            }
        };
        let _ = writeln!(
            out,
            "  {} {arrow} {}",
            mermaid_id(edge.from),
            mermaid_id(edge.to)
        );
    }
    out
}
