//! The formatter: one canonical layout for policy files, from the syntax tree.
//!
//! Layout: four-space indentation; one declaration per line; lists filled up
//! to [`WIDTH`] columns and continued with four more spaces; at most one
//! blank line between declarations, always one around scope blocks;
//! canonical spacing inside declarations; strings re-escaped; conditions
//! parenthesised only where needed. Every comment is kept: a comment on the
//! line of a declaration stays at its end, a comment on its own line stays
//! on its own line before the next declaration; a comment inside a
//! multi-line declaration moves just above it.

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::syntax::ast::*;
use crate::syntax::parse_file;

/// Lines are filled up to this many columns.
pub const WIDTH: usize = 100;
const INDENT: &str = "    ";

/// Formats policy text; a file that does not parse yields its syntax error.
pub fn format_source(src: &Arc<SourceFile>) -> Result<String, Vec<Diagnostic>> {
    let tree = parse_file(src)?;
    Ok(format_tree(src.text(), &tree))
}

/// Formats a parsed file. `text` is the file's text, read for blank lines and comments.
pub fn format_tree(text: &str, tree: &File) -> String {
    let mut printer = Printer {
        text,
        comments: &tree.comments,
        next_comment: 0,
        out: String::new(),
        last_end: 0,
    };
    let items: Vec<Element<'_>> = tree.items.iter().map(Element::Top).collect();
    printer.block(&items, text.len(), 0);
    let mut out = printer.out.trim_end().to_string();
    out.push('\n');
    if out.trim().is_empty() {
        return String::new();
    }
    out
}

/// Something printed on its own line(s) inside a block.
enum Element<'a> {
    Top(&'a Item),
    Scope(&'a ScopeItem),
    /// `value v "Label"` in a setting.
    Value(&'a Decl),
    /// `default v` in a setting.
    Default(&'a Ident),
}

impl Element<'_> {
    fn start(&self) -> usize {
        self.loc().start
    }

    fn end(&self) -> usize {
        self.loc().end
    }

    fn loc(&self) -> &crate::source::Loc {
        match self {
            Element::Top(item) => match item {
                Item::Policy(t) | Item::Note(t) | Item::Include(t) => &t.loc,
                Item::Source(s) => &s.loc,
                Item::Fact(d) | Item::Kind(d) => &d.loc,
                Item::Setting(s) => &s.loc,
                Item::Scope(s) => &s.loc,
                Item::Override(o) => &o.loc,
            },
            Element::Scope(item) => match item {
                ScopeItem::Role(r) => &r.loc,
                ScopeItem::Action(d) => &d.loc,
                ScopeItem::Section(s) => &s.loc,
                ScopeItem::Rule(r) => &r.loc,
                ScopeItem::Default(d) => &d.loc,
                ScopeItem::Assignable(a) => &a.loc,
                ScopeItem::Limit(l) => &l.loc,
                ScopeItem::Advise(a) => &a.loc,
                ScopeItem::Note(t) => &t.loc,
                ScopeItem::Group(g) => &g.loc,
            },
            Element::Value(d) => &d.loc,
            Element::Default(i) => &i.loc,
        }
    }

    fn is_block(&self) -> bool {
        matches!(
            self,
            Element::Top(Item::Scope(_) | Item::Setting(_)) | Element::Scope(ScopeItem::Section(_))
        )
    }
}

/// Text before a prefix: `prefix` then `items` joined by ", ".
struct Printer<'a> {
    text: &'a str,
    comments: &'a [Comment],
    next_comment: usize,
    out: String,
    /// End offset in the source of the last thing printed (code or comment).
    last_end: usize,
}

impl Printer<'_> {
    fn blank_line_between(&self, from: usize, to: usize) -> bool {
        self.text
            .get(from.min(to)..to)
            .is_some_and(|gap| gap.matches('\n').count() >= 2)
    }

    fn same_line(&self, from: usize, to: usize) -> bool {
        self.text
            .get(from.min(to)..to)
            .is_some_and(|gap| !gap.contains('\n'))
    }

    fn peek_comment(&self) -> Option<&Comment> {
        self.comments.get(self.next_comment)
    }

    fn push_line(&mut self, indent: usize, line: &str) {
        for _ in 0..indent {
            self.out.push_str(INDENT);
        }
        self.out.push_str(line);
        self.out.push('\n');
    }

    fn ensure_blank_line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// Appends a comment at the end of the last printed line.
    fn trail(&mut self, comment: &str) {
        if self.out.ends_with('\n') {
            self.out.pop();
        }
        self.out.push_str("  ");
        self.out.push_str(comment);
        self.out.push('\n');
    }

    /// Prints the comments that start before `pos`, as trailing comments when
    /// on the line of what was printed last, else on their own lines.
    fn comments_before(&mut self, pos: usize, indent: usize) {
        while let Some(c) = self.peek_comment() {
            if c.loc.start >= pos {
                break;
            }
            let (start, end, text) = (c.loc.start, c.loc.end, c.text.clone());
            self.next_comment += 1;
            if self.last_end > 0 && self.same_line(self.last_end, start) && !self.out.is_empty() {
                self.trail(&text);
            } else {
                if self.blank_line_between(self.last_end, start) {
                    self.ensure_blank_line();
                }
                self.push_line(indent, &text);
            }
            self.last_end = end;
        }
    }

    /// Prints the elements of a block whose closing brace (or end of file) is at `end`.
    fn block(&mut self, items: &[Element<'_>], end: usize, indent: usize) {
        let mut previous_was_block = false;
        for (i, item) in items.iter().enumerate() {
            // Scope and section blocks always stand apart, comments above them included.
            if i > 0 && (item.is_block() || previous_was_block) {
                self.ensure_blank_line();
            }
            self.comments_before(item.start(), indent);
            let starts_block = self.out.is_empty() || self.out.ends_with("{\n");
            if !starts_block && self.blank_line_between(self.last_end, item.start()) {
                self.ensure_blank_line();
            }
            if !item.is_block() {
                // Comments inside a one-declaration span move just above it.
                while let Some(c) = self.peek_comment() {
                    if c.loc.start >= item.end() {
                        break;
                    }
                    let text = c.text.clone();
                    self.next_comment += 1;
                    self.push_line(indent, &text);
                }
            }
            self.element(item, indent);
            self.last_end = item.end();
            // A comment on the same line right after the declaration stays there.
            if let Some(c) = self.peek_comment() {
                if c.loc.start < end && self.same_line(item.end(), c.loc.start) {
                    let (text, c_end) = (c.text.clone(), c.loc.end);
                    self.next_comment += 1;
                    self.trail(&text);
                    self.last_end = c_end;
                }
            }
            previous_was_block = item.is_block();
        }
        self.comments_before(end, indent);
    }

    fn element(&mut self, element: &Element<'_>, indent: usize) {
        match element {
            Element::Top(item) => self.top_item(item, indent),
            Element::Scope(item) => self.scope_item(item, indent),
            Element::Value(decl) => self.push_line(indent, &decl_line("value", decl)),
            Element::Default(value) => self.push_line(indent, &format!("default {}", value.name)),
        }
    }

    fn top_item(&mut self, item: &Item, indent: usize) {
        match item {
            Item::Policy(name) => self.push_line(indent, &format!("policy {}", quote(&name.value))),
            Item::Note(note) => self.push_line(indent, &format!("note {}", quote(&note.value))),
            Item::Include(path) => {
                self.push_line(indent, &format!("include {}", quote(&path.value)));
            }
            Item::Source(source) => {
                let mut line = format!("source {}", quote(&source.title.value));
                for (key, value) in &source.attrs {
                    line.push_str(&format!(" {} {}", key.name, quote(&value.value)));
                }
                self.push_line(indent, &line);
            }
            Item::Fact(decl) => self.push_line(indent, &decl_line("fact", decl)),
            Item::Kind(decl) => self.push_line(indent, &decl_line("kind", decl)),
            Item::Setting(setting) => {
                let header = decl_line(
                    "setting",
                    &Decl {
                        name: setting.name.clone(),
                        label: setting.label.clone(),
                        loc: setting.loc.clone(),
                    },
                );
                let mut elements: Vec<Element<'_>> = setting
                    .values
                    .iter()
                    .map(Element::Value)
                    .chain(setting.defaults.iter().map(Element::Default))
                    .collect();
                // As written: comments between the lines stay between them.
                elements.sort_by_key(Element::start);
                self.open_block(
                    &header,
                    setting.loc.start,
                    elements,
                    setting.loc.end,
                    indent,
                );
            }
            Item::Scope(scope) => {
                let mut header = format!("scope {}", scope.name.name);
                if let Some(label) = &scope.label {
                    header.push(' ');
                    header.push_str(&quote(&label.value));
                }
                let elements = scope.items.iter().map(Element::Scope).collect();
                self.open_block(&header, scope.loc.start, elements, scope.loc.end, indent);
            }
            Item::Override(o) => {
                let mut line = format!(
                    "{}{} joins {} as {}",
                    o.subject.display(),
                    if o.adds { " also" } else { "" },
                    o.scope.name,
                    o.role.name
                );
                if let Some(c) = &o.condition {
                    line.push_str(" when ");
                    line.push_str(&expr(c));
                }
                self.push_line(indent, &line);
            }
        }
    }

    /// Prints `header {`, the items, `}`; `{}` when there is nothing inside.
    fn open_block(
        &mut self,
        header: &str,
        start: usize,
        elements: Vec<Element<'_>>,
        end: usize,
        indent: usize,
    ) {
        let close = end.saturating_sub(1);
        let has_comments = self.peek_comment().is_some_and(|c| c.loc.start < close);
        if elements.is_empty() && !has_comments {
            self.push_line(indent, &format!("{header} {{}}"));
            return;
        }
        self.push_line(indent, &format!("{header} {{"));
        // A comment on the header's line stays there.
        if let Some(c) = self.peek_comment() {
            if c.loc.start < close && self.same_line(start, c.loc.start) {
                let (text, c_end) = (c.text.clone(), c.loc.end);
                self.next_comment += 1;
                self.trail(&text);
                self.last_end = c_end;
            } else {
                self.last_end = start;
            }
        }
        self.block(&elements, close, indent + 1);
        self.push_line(indent, "}");
    }

    fn scope_item(&mut self, item: &ScopeItem, indent: usize) {
        match item {
            ScopeItem::Role(role) => {
                let mut head = decl_line(
                    "role",
                    &Decl {
                        name: role.name.clone(),
                        label: role.label.clone(),
                        loc: role.loc.clone(),
                    },
                );
                if role.parents.is_empty() {
                    self.push_line(indent, &head);
                } else {
                    head.push_str(" :");
                    let parents: Vec<String> = role.parents.iter().map(NameRef::display).collect();
                    self.filled(indent, &head, &parents, None);
                }
            }
            ScopeItem::Action(a) => {
                let mut line = decl_line(
                    "action",
                    &Decl {
                        name: a.name.clone(),
                        label: a.label.clone(),
                        loc: a.loc.clone(),
                    },
                );
                if a.target.is_some() {
                    line.push_str(" on participant");
                }
                self.push_line(indent, &line)
            }
            ScopeItem::Group(g) => {
                let head = decl_line(
                    "group",
                    &Decl {
                        name: g.name.clone(),
                        label: g.label.clone(),
                        loc: g.loc.clone(),
                    },
                ) + " =";
                let actions: Vec<String> = g.actions.iter().map(|a| a.name.clone()).collect();
                self.filled(indent, &head, &actions, None);
            }
            ScopeItem::Note(note) => {
                self.push_line(indent, &format!("note {}", quote(&note.value)))
            }
            ScopeItem::Section(section) => {
                let header = match &section.name {
                    Some(name) => format!("section {} {}", name.name, quote(&section.label.value)),
                    None => format!("section {}", quote(&section.label.value)),
                };
                let elements = section.items.iter().map(Element::Scope).collect();
                self.open_block(
                    &header,
                    section.loc.start,
                    elements,
                    section.loc.end,
                    indent,
                );
            }
            ScopeItem::Rule(rule) => {
                let roles: Vec<String> = rule.roles.iter().map(NameRef::display).collect();
                let actions: Vec<String> = rule.actions.iter().map(NameRef::display).collect();
                let head = format!(
                    "{} {} to",
                    crate::syntax::ast::verb(rule.effect, rule.forbid),
                    roles.join(", ")
                );
                let target = rule
                    .target
                    .as_ref()
                    .map(|t| format!("on {}", t.canonical()));
                let when = rule.condition.as_ref().map(|c| format!("when {}", expr(c)));
                let tail = match (target, when) {
                    (Some(t), Some(w)) => Some(format!("{t} {w}")),
                    (t, w) => t.or(w),
                };
                self.filled(indent, &head, &actions, tail.as_deref());
            }
            ScopeItem::Default(d) => {
                let role = d.role.as_ref().map_or("none", |r| r.name.as_str());
                let mut line = match &d.kind {
                    Some(kind) => format!("default {}: {role}", kind.name),
                    None => format!("default {role}"),
                };
                if let Some(c) = &d.condition {
                    line.push_str(" when ");
                    line.push_str(&expr(c));
                }
                self.push_line(indent, &line);
            }
            ScopeItem::Assignable(a) => {
                let head = format!("assignable {}:", a.kind.name);
                let when = a.condition.as_ref().map(|c| format!("when {}", expr(c)));
                if a.roles.is_empty() {
                    let mut line = format!("{head} none");
                    if let Some(when) = &when {
                        line.push(' ');
                        line.push_str(when);
                    }
                    self.push_line(indent, &line);
                } else {
                    let roles: Vec<String> = a.roles.iter().map(|r| r.name.clone()).collect();
                    self.filled(indent, &head, &roles, when.as_deref());
                }
            }
            ScopeItem::Limit(l) => {
                self.push_line(indent, &format!("limit {} {}", l.role.name, l.cardinality));
            }
            ScopeItem::Advise(a) => {
                let mut line = format!("advise {} {} per {}", a.count, a.role.name, a.per_min);
                if a.per_max != a.per_min {
                    line.push_str(&format!(" to {}", a.per_max));
                }
                line.push_str(" participants");
                if let Some(label) = &a.label {
                    line.push(' ');
                    line.push_str(&quote(&label.value));
                }
                self.push_line(indent, &line);
            }
        }
    }

    /// `head item, item, … tail`, filled to the width, continuation lines
    /// indented once more.
    fn filled(&mut self, indent: usize, head: &str, items: &[String], tail: Option<&str>) {
        let base = indent * INDENT.len();
        let one_line = {
            let mut line = format!("{head} {}", items.join(", "));
            if let Some(tail) = tail {
                line.push(' ');
                line.push_str(tail);
            }
            line
        };
        if base + one_line.chars().count() <= WIDTH {
            self.push_line(indent, &one_line);
            return;
        }
        let mut lines: Vec<String> = Vec::new();
        let mut current = head.to_string();
        let mut current_base = base;
        let last = items.len().saturating_sub(1);
        for (i, item) in items.iter().enumerate() {
            let piece = if i == last {
                item.clone()
            } else {
                format!("{item},")
            };
            let fits = current_base + current.chars().count() + 1 + piece.chars().count() <= WIDTH;
            let empty = current.is_empty();
            if !fits && !empty && current != head {
                lines.push(std::mem::take(&mut current));
                current_base = base + INDENT.len();
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(&piece);
        }
        if let Some(tail) = tail {
            if current_base + current.chars().count() + 1 + tail.chars().count() <= WIDTH {
                current.push(' ');
                current.push_str(tail);
            } else {
                lines.push(std::mem::take(&mut current));
                current = tail.to_string();
            }
        }
        lines.push(current);
        for (i, line) in lines.iter().enumerate() {
            self.push_line(if i == 0 { indent } else { indent + 1 }, line);
        }
    }
}

fn decl_line(keyword: &str, decl: &Decl) -> String {
    match &decl.label {
        Some(label) => format!("{keyword} {} {}", decl.name.name, quote(&label.value)),
        None => format!("{keyword} {}", decl.name.name),
    }
}

/// A string literal for `value`, escaped.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// A condition with parentheses only where precedence needs them.
pub fn expr(e: &Expr) -> String {
    e.canonical()
}
