//! The `:` commands: loading policies, listing what they declare, facts.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::lookup::{self, What};
use super::query::{self, Name};
use super::{Origin, Outcome, Session};
use crate::compile::Access;
use crate::invariant::name_or_missing;
use crate::render::{Format, render};
use crate::resolve::suggestion;

/// What a command's argument is, for completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// No argument.
    Nothing,
    /// A file path.
    File,
    /// A scope name.
    Scope,
    /// An action.
    Action,
    /// A role.
    Role,
    /// A fact, as `FACT=true|false`.
    FactValue,
    /// A fact.
    Fact,
    /// A loaded policy's name.
    Policy,
    /// A question.
    Question,
}

/// A command: name, argument synopsis, what it does, what its argument is.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// Name, without the colon.
    pub name: &'static str,
    /// Argument synopsis.
    pub args: &'static str,
    /// One line of help.
    pub about: &'static str,
    /// What its argument completes to.
    pub arg: Arg,
}

const fn command(name: &'static str, args: &'static str, about: &'static str, arg: Arg) -> Command {
    Command {
        name,
        args,
        about,
        arg,
    }
}

/// Every command, in the order `:help` lists them.
pub const COMMANDS: [Command; 16] = [
    command("help", "", "this help", Arg::Nothing),
    command(
        "load",
        "FILE",
        "load a policy file (with its includes) and make it current",
        Arg::File,
    ),
    command(
        "reload",
        "",
        "re-read every loaded file; a file with errors keeps its previous version",
        Arg::Nothing,
    ),
    command(
        "policy",
        "",
        "the loaded policies (* marks the current one)",
        Arg::Nothing,
    ),
    command("use", "POLICY", "make a loaded policy current", Arg::Policy),
    command(
        "roles",
        "[SCOPE]",
        "roles, their labels and parents, and the defaults",
        Arg::Scope,
    ),
    command("actions", "[SCOPE]", "actions, by section", Arg::Scope),
    command("table", "[SCOPE]", "the decision table", Arg::Scope),
    command(
        "who",
        "ACTION [TARGET]",
        "every role that may do ACTION (to TARGET, a role or `self`), and under which condition",
        Arg::Action,
    ),
    command(
        "what",
        "ROLE",
        "every action ROLE may do, and under which condition",
        Arg::Role,
    ),
    command(
        "facts",
        "",
        "the facts the policy declares, and those set",
        Arg::Nothing,
    ),
    command(
        "kinds",
        "",
        "the kinds of principal the policy declares",
        Arg::Nothing,
    ),
    command(
        "set",
        "FACT=true|false …",
        "set facts for the following questions (`:set` alone lists them)",
        Arg::FactValue,
    ),
    command(
        "unset",
        "[FACT …]",
        "forget facts set (all of them when none is named)",
        Arg::Fact,
    ),
    command(
        "explain",
        "[QUESTION]",
        "the whole chain behind the last answer, or behind QUESTION (also `why`)",
        Arg::Question,
    ),
    command(
        "quit",
        "",
        "leave (also `:exit`, `:q`, Ctrl-D)",
        Arg::Nothing,
    ),
];

const QUESTIONS: &str = "\
Questions:
  can ROLE ACTION                  may someone holding ROLE do ACTION?
  can ROLE + ROLE ACTION           several roles, in one scope or several (`and` works too)
  can ACTION                       no role assigned: the defaults apply
  as KIND can …                    a kind of principal: checks assignability, picks defaults
  … with FACT, not FACT            facts for this question (`without FACT`; missing facts are false)
  … ACTION TARGET, … ACTION on self  a targeted action, done to someone holding TARGET (or oneself)
  … in POLICY                      ask a loaded policy other than the current one
  why [QUESTION]                   the whole chain behind the last answer (or behind QUESTION)
  who can ACTION [TARGET]          same as :who ACTION [TARGET]
  what can ROLE do                 same as :what ROLE
  Names: `moderator` when one scope declares it, else `session.moderator`; `?` at the end is fine.
  Example: can workspace.admin + session.viewer start_end_session?
";

/// Splits a trailing `in POLICY` off command arguments.
fn split_policy(args: &[String]) -> (&[String], Option<&str>) {
    match args {
        [rest @ .., word, policy] if word == "in" => (rest, Some(policy.as_str())),
        _ => (args, None),
    }
}

fn one_arg<'a>(args: &'a [String], usage: &str) -> Result<Option<&'a str>, String> {
    match args {
        [] => Ok(None),
        [one] => Ok(Some(one.as_str())),
        _ => Err(format!("too many arguments; usage: {usage}")),
    }
}

fn parse_name(word: &str) -> Result<Name, String> {
    match query::parse(&format!("who can {word}")) {
        Ok(query::Input::Who(name)) => Ok(name),
        Ok(_) => Err(format!("`{word}` is not a name")),
        Err(e) => Err(e.to_string()),
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

impl Session {
    /// Runs `:name args`.
    pub(super) fn command(&mut self, name: &str, args: &[String], out: &mut String) -> Outcome {
        match name {
            "help" | "h" | "?" => {
                out.push_str(QUESTIONS);
                out.push_str("Commands:\n");
                for c in COMMANDS {
                    let synopsis = format!(":{} {}", c.name, c.args);
                    let _ = writeln!(out, "  {synopsis:<32} {}", c.about);
                }
                out.push_str(
                    "  Commands taking a scope, role or action accept `in POLICY` at the end.\n",
                );
                Ok(())
            }
            "load" => {
                if args.is_empty() {
                    return Err("usage: :load FILE".to_string());
                }
                let path = PathBuf::from(args.join(" "));
                self.load_and_report(Origin::File(path), out)
            }
            "reload" => self.reload(out),
            "policy" | "policies" => {
                if self.policies.is_empty() {
                    out.push_str("no policy is loaded (`:load FILE`)\n");
                }
                let width = self
                    .policies
                    .iter()
                    .map(|p| p.name.len())
                    .max()
                    .unwrap_or(0);
                for (i, p) in self.policies.iter().enumerate() {
                    let mark = if i == self.current { '*' } else { ' ' };
                    let embedded = match p.origin {
                        Origin::Embedded { .. } => " (built in)",
                        Origin::File(_) => "",
                    };
                    let _ = writeln!(
                        out,
                        "{mark} {:<width$}  {}{embedded}: {}",
                        p.name,
                        p.origin.path(),
                        summary(&p.table)
                    );
                }
                Ok(())
            }
            "use" => {
                let [policy] = args else {
                    return Err(format!(
                        "usage: :use POLICY (loaded: {})",
                        self.policy_names()
                    ));
                };
                let (i, ()) = self.pick(Some(policy), |_| Ok(()))?;
                self.current = i;
                let _ = writeln!(out, "using {policy}");
                Ok(())
            }
            "roles" => self.scoped(args, ":roles [SCOPE] [in POLICY]", out, roles),
            "actions" => self.scoped(args, ":actions [SCOPE] [in POLICY]", out, actions),
            "table" => {
                let color = self.color;
                self.scoped(args, ":table [SCOPE] [in POLICY]", out, |t, s, out| {
                    out.push_str(&render(
                        t,
                        Format::Text,
                        s.and_then(|s| t.scope_at(s)),
                        color,
                    ));
                })
            }
            "who" => self.who(args, out),
            "what" => self.what(args, out),
            "facts" => self.list_facts(args, out),
            "kinds" => {
                let (rest, policy) = split_policy(args);
                one_arg(rest, ":kinds [in POLICY]")?;
                let (i, table) = self.pick(policy, |p| Ok(p.table.clone()))?;
                self.policy_heading(i, out);
                if table.policy.kinds.is_empty() {
                    out.push_str("the policy declares no kind of principal\n");
                }
                let width = table
                    .policy
                    .kinds
                    .keys()
                    .map(String::len)
                    .max()
                    .unwrap_or(0);
                for (name, kind) in &table.policy.kinds {
                    let _ = writeln!(
                        out,
                        "  {name:<width$}  {}",
                        kind.label.as_deref().unwrap_or("")
                    );
                }
                Ok(())
            }
            "set" => self.set(args, out),
            "unset" => {
                if args.is_empty() {
                    self.facts.clear();
                }
                for fact in args {
                    if self.facts.shift_remove(fact).is_none() {
                        return Err(format!("`{fact}` is not set; {}", self.facts_line()));
                    }
                }
                let _ = writeln!(out, "{}", self.facts_line());
                Ok(())
            }
            "explain" | "why" => {
                if args.is_empty() {
                    return self.why(out);
                }
                let text = args.join(" ");
                let text = if text.starts_with("can") || text.starts_with("as") {
                    text
                } else {
                    format!("can {text}")
                };
                match query::parse(&text).map_err(|e| e.to_string())? {
                    query::Input::Ask(q) => {
                        self.ask(&q, &mut String::new())?;
                        self.why(out)
                    }
                    _ => Err("usage: :explain [QUESTION]".to_string()),
                }
            }
            _ => {
                let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
                let offered = suggestion(name, &names);
                let hint = if offered.is_match() {
                    format!("{} ", offered.render("command", "the REPL"))
                } else {
                    String::new()
                };
                Err(format!(
                    "unknown command `:{name}` ({hint}`:help` lists them)"
                ))
            }
        }
    }

    fn load_and_report(&mut self, origin: Origin, out: &mut String) -> Outcome {
        let path = origin.path();
        match self.load(origin) {
            Ok(name) => {
                let summary = self
                    .current()
                    .map(|p| summary(&p.table))
                    .unwrap_or_default();
                let _ = writeln!(out, "loaded {name} from {path}: {summary}");
                Ok(())
            }
            Err(diagnostics) => {
                self.diagnostics(&diagnostics, out);
                let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                Err(format!(
                    "{path} was not loaded ({})",
                    plural(errors, "error")
                ))
            }
        }
    }

    fn reload(&mut self, out: &mut String) -> Outcome {
        if self.policies.is_empty() {
            return Err("no policy is loaded (`:load FILE`)".to_string());
        }
        let mut failed = Vec::new();
        for i in 0..self.policies.len() {
            let Some(p) = self.policies.get(i) else {
                continue;
            };
            let (name, origin) = (p.name.clone(), p.origin.clone());
            match origin.compile(&self.include_roots) {
                Ok(table) => {
                    let summary = summary(&table);
                    if let Some(p) = self.policies.get_mut(i) {
                        p.table = std::sync::Arc::new(table);
                    }
                    let _ = writeln!(out, "reloaded {name} from {}: {summary}", origin.path());
                }
                Err(diagnostics) => {
                    self.diagnostics(&diagnostics, out);
                    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                    failed.push(format!(
                        "{} was not reloaded ({}); kept the previous version of {name}",
                        origin.path(),
                        plural(errors, "error")
                    ));
                }
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(failed.join("\nerror: "))
        }
    }

    /// Runs a listing over one scope (named) or every scope of the policy.
    fn scoped(
        &self,
        args: &[String],
        usage: &str,
        out: &mut String,
        f: impl Fn(&crate::DecisionTable, Option<usize>, &mut String),
    ) -> Outcome {
        let (rest, policy) = split_policy(args);
        let scope = one_arg(rest, usage)?;
        let (i, s) = self.pick(policy, |p| match scope {
            Some(name) => lookup::scope(&p.table, name).map(Some),
            None => Ok(None),
        })?;
        let Some(p) = self.policies.get(i) else {
            return Ok(());
        };
        self.policy_heading(i, out);
        f(&p.table, s, out);
        Ok(())
    }

    /// `policy NAME` above a listing, when several policies are loaded.
    fn policy_heading(&self, i: usize, out: &mut String) {
        if let Some(p) = self.policies.get(i).filter(|_| self.policies.len() > 1) {
            let _ = writeln!(out, "policy {}", p.name);
        }
    }

    /// `:who ACTION`: the roles that may do it, and when.
    pub(super) fn who(&self, args: &[String], out: &mut String) -> Outcome {
        let (rest, policy) = split_policy(args);
        // `:who ACTION [on] TARGET`: one target column of a targeted action.
        let (rest, target) = match rest {
            [action, on, target] if on == "on" => (std::slice::from_ref(action), Some(target)),
            [action, target] => (std::slice::from_ref(action), Some(target)),
            _ => (rest, None),
        };
        let Some(word) = one_arg(rest, ":who ACTION [TARGET] [in POLICY]")? else {
            return Err("usage: :who ACTION [TARGET] [in POLICY]".to_string());
        };
        let name = parse_name(word)?;
        let (i, (s, action)) =
            self.pick(policy, |p| lookup::bind(&p.table, What::Action, &name, &[]))?;
        let Some(table) = self.policies.get(i).map(|p| &p.table) else {
            return Ok(());
        };
        let Some((scope_name, scope)) = table.policy.scopes.get_index(s) else {
            return Ok(());
        };
        let Some((a, _, decl)) = scope.actions.get_full(&action) else {
            return Ok(());
        };
        let label = decl
            .label
            .as_ref()
            .map(|l| format!(" — {l}"))
            .unwrap_or_default();
        let width = scope.roles.keys().map(String::len).max().unwrap_or(0);
        let mut anyone = false;
        let Some(action_id) = table.action_at_index(s, a) else {
            return Ok(());
        };
        let column = match target.map(String::as_str) {
            None => None,
            Some(_) if !table.is_targeted(action_id) => {
                return Err(format!(
                    "`{scope_name}:{action}` is not done to anyone: `:who {action}` has no target"
                ));
            }
            Some("self" | "themself") => Some(crate::compile::TargetColumn::Myself),
            Some(word) => {
                let role = parse_name(word)?;
                let (ts, t) = lookup::bind(table, What::Role, &role, &[s])?;
                if ts != s {
                    return Err(format!(
                        "`{word}` is a role of another scope: the target of `{action}` is a participant of `{scope_name}`"
                    ));
                }
                let index = scope.roles.get_index_of(&t).ok_or("unknown role")?;
                Some(crate::compile::TargetColumn::Role(index))
            }
        };
        let _ = writeln!(out, "who can {scope_name}:{action}{label}{}", self.tag(i));
        match column {
            Some(c) => {
                let _ = writeln!(out, "  on {}", c.name(scope));
            }
            None if table.is_targeted(action_id) => {
                out.push_str(
                    "  to someone else (name a target: `who can ACTION ROLE` or `… on self`)\n",
                );
            }
            None => {}
        }
        let rows: Vec<(crate::compile::RoleId, Access<'_>)> = match column {
            Some(c) => table.who_can_on(action_id, c).collect(),
            None => table.who_can(action_id).collect(),
        };
        for (role, access) in rows {
            let how = match access {
                Access::When(condition) => format!("when {condition}"),
                Access::Always { rule } => {
                    let mut how = "always".to_string();
                    if let Some(rule) = rule {
                        if let Some(at) = table.rule_at(rule) {
                            let _ = write!(how, " ({at}");
                        }
                        let path = table.inheritance_path(role, rule);
                        if path.len() > 1 {
                            let names: Vec<&str> =
                                path.iter().filter_map(|&p| table.role_name(p)).collect();
                            let _ = write!(how, ", inherited through {}", names.join(" → "));
                        }
                        how.push(')');
                    }
                    how
                }
            };
            anyone = true;
            let name = name_or_missing(table.role_name(role), "role");
            let _ = writeln!(out, "  {name:<width$}  {how}");
        }
        if !anyone {
            out.push_str("  no role may\n");
        }
        for o in table.policy.overrides.iter().filter(|o| o.scope == s) {
            let _ = writeln!(
                out,
                "  override: {} ({})",
                table.policy.describe_override(o),
                o.loc.file_line()
            );
        }
        Ok(())
    }

    /// `:what ROLE`: the actions it may do, and when.
    pub(super) fn what(&self, args: &[String], out: &mut String) -> Outcome {
        let (rest, policy) = split_policy(args);
        let Some(word) = one_arg(rest, ":what ROLE [in POLICY]")? else {
            return Err("usage: :what ROLE [in POLICY]".to_string());
        };
        let name = parse_name(word)?;
        let (i, (s, role)) =
            self.pick(policy, |p| lookup::bind(&p.table, What::Role, &name, &[]))?;
        let Some(table) = self.policies.get(i).map(|p| &p.table) else {
            return Ok(());
        };
        let Some((scope_name, scope)) = table.policy.scopes.get_index(s) else {
            return Ok(());
        };
        let Some((r, _, decl)) = scope.roles.get_full(&role) else {
            return Ok(());
        };
        let mut rows = Vec::new();
        let Some(role_id) = table.role_at_index(s, r) else {
            return Ok(());
        };
        for (action, access) in table.what_can(role_id) {
            let Some((name, action_decl)) = scope.actions.get_index(action.index()) else {
                continue;
            };
            let condition = match access {
                Access::Always { .. } => None,
                Access::When(condition) => Some(condition),
            };
            rows.push((action_decl.section, name.as_str(), condition));
        }
        let mut about = Vec::new();
        if let Some(label) = &decl.label {
            about.push(label.clone());
        }
        let parents: Vec<&str> = decl
            .parents
            .iter()
            .filter_map(|&p| scope.roles.get_index(p).map(|(n, _)| n.as_str()))
            .collect();
        if !parents.is_empty() {
            about.push(format!("inherits {}", parents.join(", ")));
        }
        about.push(format!(
            "{} of {}",
            rows.len(),
            plural(scope.actions.len(), "action")
        ));
        let _ = writeln!(
            out,
            "what can {scope_name}.{role} do — {}{}",
            about.join("; "),
            self.tag(i)
        );
        let mut section = None;
        for (sec, action, condition) in rows {
            if sec != section {
                if let Some(title) = sec.and_then(|x| scope.sections.get(x)) {
                    let _ = writeln!(out, "  {title}");
                }
                section = sec;
            }
            let indent = if section.is_some() { "    " } else { "  " };
            match condition {
                Some(c) => {
                    let _ = writeln!(out, "{indent}{action}  when {c}");
                }
                None => {
                    let _ = writeln!(out, "{indent}{action}");
                }
            }
        }
        Ok(())
    }

    fn list_facts(&self, args: &[String], out: &mut String) -> Outcome {
        let (rest, policy) = split_policy(args);
        one_arg(rest, ":facts [in POLICY]")?;
        let (i, table) = self.pick(policy, |p| Ok(p.table.clone()))?;
        self.policy_heading(i, out);
        if table.policy.facts.is_empty() {
            out.push_str("the policy declares no fact\n");
        }
        let width = table
            .policy
            .facts
            .keys()
            .map(String::len)
            .max()
            .unwrap_or(0);
        for (name, fact) in &table.policy.facts {
            let value = match self.facts.get(name) {
                Some(v) => format!("  [set: {v}]"),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "  {name:<width$}  {}{value}",
                fact.label.as_deref().unwrap_or("")
            );
        }
        Ok(())
    }

    fn set(&mut self, args: &[String], out: &mut String) -> Outcome {
        let text = args.join(" ");
        let text = text
            .replace(" = ", "=")
            .replace(" =", "=")
            .replace("= ", "=");
        let known: Vec<String> = self
            .policies
            .iter()
            .flat_map(|p| p.table.policy.facts.keys().cloned())
            .collect();
        let mut updates = Vec::new();
        for item in text.split_whitespace() {
            let (fact, value) = match item.split_once('=') {
                None => (item, true),
                Some((fact, "true")) => (fact, true),
                Some((fact, "false")) => (fact, false),
                Some((fact, other)) => {
                    return Err(format!(
                        "`{fact}={other}`: a fact is `true` or `false` (usage: :set FACT=true|false)"
                    ));
                }
            };
            if !known.iter().any(|k| k == fact) {
                let names: Vec<&str> = known.iter().map(String::as_str).collect();
                // Several policies may be loaded: they `declare`, in the plural.
                let help =
                    suggestion(fact, &names).render_as("fact", "the loaded policies", "declare");
                return Err(format!("unknown fact `{fact}` ({help})"));
            }
            updates.push((fact.to_string(), value));
        }
        self.facts.extend(updates);
        let _ = writeln!(out, "{}", self.facts_line());
        Ok(())
    }

    /// `facts set: a = true, b = false`
    fn facts_line(&self) -> String {
        if self.facts.is_empty() {
            return "facts set: none (missing facts are false)".to_string();
        }
        let items: Vec<String> = self
            .facts
            .iter()
            .map(|(f, v)| format!("{f} = {v}"))
            .collect();
        format!("facts set: {}", items.join(", "))
    }
}

/// `2 scopes, 10 roles, 70 actions, 1 fact` (`, 1 setting` when there are any)
fn summary(table: &crate::DecisionTable) -> String {
    let policy = &table.policy;
    let roles: usize = policy
        .scopes
        .values()
        .map(|s| s.roles.len() - usize::from(s.everyone.is_some()))
        .sum();
    let actions: usize = policy.scopes.values().map(|s| s.actions.len()).sum();
    let mut text = format!(
        "{}, {}, {}, {}",
        plural(policy.scopes.len(), "scope"),
        plural(roles, "role"),
        plural(actions, "action"),
        plural(policy.facts.len(), "fact")
    );
    if !policy.settings.is_empty() {
        text.push_str(&format!(", {}", plural(policy.settings.len(), "setting")));
    }
    text
}

/// `:roles`: per scope, each role with its label and parents, then the defaults.
fn roles(table: &crate::DecisionTable, only: Option<usize>, out: &mut String) {
    let policy = &table.policy;
    for (s, (scope_name, scope)) in policy.scopes.iter().enumerate() {
        if only.is_some_and(|o| o != s) {
            continue;
        }
        heading(out, scope_name, scope.label.as_deref());
        let width = scope.roles.keys().map(String::len).max().unwrap_or(0);
        let role_name =
            |r: usize| name_or_missing(scope.roles.get_index(r).map(|(n, _)| n.as_str()), "role");
        for (name, role) in &scope.roles {
            let parents: Vec<&str> = role.parents.iter().map(|&p| role_name(p)).collect();
            let inherits = if parents.is_empty() {
                String::new()
            } else {
                format!("  (inherits {})", parents.join(", "))
            };
            let _ = writeln!(
                out,
                "  {name:<width$}  {}{inherits}",
                role.label.as_deref().unwrap_or("")
            );
        }
        let shown = |d: &crate::resolve::DefaultRole| {
            let role = d.role.map_or("none", role_name).to_string();
            match &d.condition {
                Some(c) => format!("{role} when {}", c.text),
                None => role,
            }
        };
        let mut defaults = Vec::new();
        for d in &scope.defaults {
            defaults.push(shown(d));
        }
        for (k, list) in &scope.kind_defaults {
            let kind = name_or_missing(policy.kinds.get_index(*k).map(|(n, _)| n.as_str()), "kind");
            for d in list {
                defaults.push(format!("{kind}: {}", shown(d)));
            }
        }
        if !defaults.is_empty() {
            let _ = writeln!(out, "  default: {}", defaults.join("; "));
        }
    }
}

/// `:actions`: per scope, the actions with their labels, by section.
fn actions(table: &crate::DecisionTable, only: Option<usize>, out: &mut String) {
    for (s, (scope_name, scope)) in table.policy.scopes.iter().enumerate() {
        if only.is_some_and(|o| o != s) {
            continue;
        }
        heading(out, scope_name, scope.label.as_deref());
        let width = scope.actions.keys().map(String::len).max().unwrap_or(0);
        let mut section = None;
        for (name, action) in &scope.actions {
            if action.section != section {
                if let Some(title) = action.section.and_then(|x| scope.sections.get(x)) {
                    let _ = writeln!(out, "  {title}");
                }
                section = action.section;
            }
            let indent = if section.is_some() { "    " } else { "  " };
            let _ = writeln!(
                out,
                "{indent}{name:<width$}  {}",
                action.label.as_deref().unwrap_or("")
            );
        }
    }
}

fn heading(out: &mut String, name: &str, label: Option<&str>) {
    match label {
        Some(label) => {
            let _ = writeln!(out, "scope {name} ({label})");
        }
        None => {
            let _ = writeln!(out, "scope {name}");
        }
    }
}
