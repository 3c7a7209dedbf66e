//! `--set NAME=VALUE`: a policy with some condition variables fixed, so that
//! `table`, `snapshot` and `diff` show one configuration. Pinning rewrites
//! the conditions of the resolved policy (rules, overrides, defaults,
//! `assignable` lines) with those values and simplifies them; the compiler
//! then builds the table of that policy as of any other, so a cell that only
//! depended on pinned variables is a plain allow or deny decided by the rule
//! that decides under those values.

use super::model::{Cond, Condition, Policy};
use super::suggest;

/// Condition variables with fixed values, by variable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pins {
    values: Vec<(usize, bool)>,
    /// The names pinned, as given, for the error on a second pin.
    names: Vec<String>,
}

/// A `--set` that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// Not `NAME=VALUE`.
    #[error("`{0}` is not NAME=VALUE")]
    Format(String),
    /// No setting, fact or `kind` by that name.
    #[error("unknown setting or fact `{name}`")]
    UnknownName {
        /// The name.
        name: String,
        /// The closest names, or what is declared.
        help: String,
    },
    /// A value the setting does not declare.
    #[error(
        "setting `{setting}` has no value `{value}` (it takes {})",
        quoted(allowed)
    )]
    UnknownValue {
        /// The setting.
        setting: String,
        /// The value given.
        value: String,
        /// Its declared values.
        allowed: Vec<String>,
    },
    /// A fact pinned to something other than `true` or `false`.
    #[error("fact `{fact}` is true or false, not `{value}`")]
    NotBool {
        /// The fact.
        fact: String,
        /// The value given.
        value: String,
    },
    /// A kind the policy does not declare.
    #[error("unknown kind `{kind}` (kinds: {})", if allowed.is_empty() { "none declared".to_string() } else { allowed.join(", ") })]
    UnknownKind {
        /// The kind given.
        kind: String,
        /// The declared kinds.
        allowed: Vec<String>,
    },
    /// The same name pinned twice.
    #[error("`{0}` is pinned twice")]
    Twice(String),
}

/// `` `a`, `b` ``, as the request errors list values.
fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl PinError {
    /// The stable code of the error, one per variant.
    pub fn code(&self) -> &'static str {
        match self {
            PinError::Format(_) => "rolecall::pin::format",
            PinError::UnknownName { .. } => "rolecall::pin::unknown_name",
            PinError::UnknownValue { .. } => "rolecall::pin::unknown_value",
            PinError::NotBool { .. } => "rolecall::pin::not_bool",
            PinError::UnknownKind { .. } => "rolecall::pin::unknown_kind",
            PinError::Twice(_) => "rolecall::pin::twice",
        }
    }

    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            PinError::Format(_) => {
                "write `--set SETTING=VALUE`, `--set FACT=true|false` or `--set kind=KIND|none`"
                    .to_string()
            }
            PinError::UnknownName { help, .. } => help.clone(),
            PinError::UnknownValue { .. } | PinError::NotBool { .. } => String::new(),
            PinError::UnknownKind { .. } => "`kind=none` pins a principal of no kind".to_string(),
            PinError::Twice(_) => "give each name one `--set`".to_string(),
        }
    }
}

/// Written out, as for the other errors: miette's derive is not used.
impl miette::Diagnostic for PinError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(PinError::code(self)))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        let help = PinError::help(self);
        (!help.is_empty()).then(|| Box::new(help) as Box<dyn std::fmt::Display>)
    }
}

impl Pins {
    /// Reads `NAME=VALUE` assignments against `policy`'s settings, facts
    /// and kinds.
    pub fn parse<S: AsRef<str>>(policy: &Policy, sets: &[S]) -> Result<Pins, PinError> {
        let mut pins = Pins::default();
        for set in sets {
            let set = set.as_ref();
            let (name, value) = set
                .split_once('=')
                .map(|(n, v)| (n.trim(), v.trim()))
                .filter(|(n, v)| !n.is_empty() && !v.is_empty())
                .ok_or_else(|| PinError::Format(set.to_string()))?;
            if pins.names.iter().any(|n| n == name) {
                return Err(PinError::Twice(name.to_string()));
            }
            pins.names.push(name.to_string());
            if name == "kind" {
                pins.kind(policy, value)?;
            } else if let Some((s, _, setting)) = policy.settings.get_full(name) {
                let v =
                    setting
                        .values
                        .get_index_of(value)
                        .ok_or_else(|| PinError::UnknownValue {
                            setting: name.to_string(),
                            value: value.to_string(),
                            allowed: setting.values.keys().cloned().collect(),
                        })?;
                let chosen = setting.atoms.get(v).copied().flatten();
                for atom in policy.setting_atoms(s) {
                    pins.values.push((atom, Some(atom) == chosen));
                }
            } else if let Some(f) = policy.facts.get_index_of(name) {
                let on = match value {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(PinError::NotBool {
                            fact: name.to_string(),
                            value: value.to_string(),
                        });
                    }
                };
                pins.values.push((f, on));
            } else {
                let mut names: Vec<&str> = policy.settings.keys().map(String::as_str).collect();
                names.extend(policy.facts.keys().map(String::as_str));
                names.push("kind");
                return Err(PinError::UnknownName {
                    name: name.to_string(),
                    help: suggest(name, &names, "setting or fact", "the policy"),
                });
            }
        }
        Ok(pins)
    }

    fn kind(&mut self, policy: &Policy, value: &str) -> Result<(), PinError> {
        let chosen = match value {
            "none" => None,
            k => Some(
                policy
                    .kinds
                    .get_index_of(k)
                    .ok_or_else(|| PinError::UnknownKind {
                        kind: k.to_string(),
                        allowed: policy.kinds.keys().cloned().collect(),
                    })?,
            ),
        };
        for k in 0..policy.kinds.len() {
            if let Some(atom) = policy.kind_atom(k) {
                self.values.push((atom, Some(k) == chosen));
            }
        }
        Ok(())
    }

    /// Whether nothing is pinned.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn value(&self, atom: usize) -> Option<bool> {
        self.values
            .iter()
            .find(|(a, _)| *a == atom)
            .map(|&(_, v)| v)
    }
}

impl Policy {
    /// This policy with `pins` substituted into every condition. A rule
    /// whose condition became false can never apply and names no action; one
    /// whose condition became true is unconditional.
    pub fn pinned(&self, pins: &Pins) -> Policy {
        let mut policy = self.clone();
        let pin = |c: &mut Option<Condition>, fact_name: &dyn Fn(usize) -> String| -> bool {
            let Some(cond) = c.as_mut() else {
                return true;
            };
            let pinned = cond.expr.pin(&|a| pins.value(a));
            if pinned == cond.expr {
                return true;
            }
            match pinned {
                Cond::Const(holds) => {
                    *c = None;
                    holds
                }
                expr => {
                    cond.text = expr.render(&fact_name);
                    cond.expr = expr;
                    true
                }
            }
        };
        let names = self.clone();
        let fact_name = |f: usize| names.fact_name(f);
        for rule in &mut policy.rules {
            if !pin(&mut rule.condition, &fact_name) {
                rule.actions.clear();
            }
        }
        // An override, default or list whose condition became false never
        // applies: dropped (nothing refers to them by position but answers
        // of the pinned policy, which are its own).
        policy
            .overrides
            .retain_mut(|o| pin(&mut o.condition, &fact_name));
        for scope in policy.scopes.values_mut() {
            scope
                .defaults
                .retain_mut(|d| pin(&mut d.condition, &fact_name));
            for list in scope.kind_defaults.values_mut() {
                list.retain_mut(|d| pin(&mut d.condition, &fact_name));
            }
            for list in scope.assignable.values_mut() {
                list.retain_mut(|a| pin(&mut a.condition, &fact_name));
            }
        }
        policy
    }
}

impl Cond {
    /// With the variables `value` fixes replaced by constants, simplified.
    pub fn pin(&self, value: &impl Fn(usize) -> Option<bool>) -> Cond {
        match self {
            Cond::Fact(f) => value(*f).map_or(Cond::Fact(*f), Cond::Const),
            Cond::Const(b) => Cond::Const(*b),
            Cond::Not(inner) => match inner.pin(value) {
                Cond::Const(b) => Cond::Const(!b),
                c => Cond::Not(Box::new(c)),
            },
            Cond::And(items) => fold(items, value, false),
            Cond::Or(items) => fold(items, value, true),
        }
    }
}

/// An `and` (`absorbing` false) or `or` (`absorbing` true) of pinned items.
fn fold(items: &[Cond], value: &impl Fn(usize) -> Option<bool>, absorbing: bool) -> Cond {
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        match item.pin(value) {
            Cond::Const(b) if b == absorbing => return Cond::Const(absorbing),
            Cond::Const(_) => {}
            c => kept.push(c),
        }
    }
    match kept.len() {
        0 => Cond::Const(!absorbing),
        1 => kept.pop().unwrap_or(Cond::Const(!absorbing)),
        _ if absorbing => Cond::Or(kept),
        _ => Cond::And(kept),
    }
}
