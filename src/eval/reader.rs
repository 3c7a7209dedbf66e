//! The one reader of a request's JSON shape:
//! `{"principal": {"scope": "role" | ["role", …]}, "kind": "…", "action": "scope:action", "context": {"fact": true}}`,
//! and for a targeted action `"target": "self" | {"scope": "role" | ["role", …]}` with an
//! optional `"target_kind": "…"`.
//!
//! Which fields exist, their types, roles as a name or an array of names,
//! facts as booleans, `null` for an absent `kind` or `context`, and unknown
//! fields are written here once, as a serde visitor that hands each part to
//! a [`RequestSink`] as the parser meets it. Two sinks read through it:
//! [`Request`](super::Request)'s, from a `serde_json::Value` (`crate::json`
//! has refused a key given twice), which keeps owned names and says exactly
//! what is wrong; and `rolecall eval`'s fast path (`lines/parse.rs`), from
//! the line's text, which resolves each name to its id in storage reused
//! between lines and stops at the first thing it will not take (a key given
//! twice among them), leaving the line to the general path.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A sink will not take a part: the reading stops (the fast path's unknown
/// names, keys given twice and shape errors, which it leaves to the general
/// path to report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stop;

/// How a request is not of the shape. A scope's or a fact's is about the one
/// the sink was given last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Invalid<'a> {
    NotAnObject,
    UnknownField(&'a str),
    NotRoles,
    RoleNotString,
    PrincipalNotObject,
    MissingPrincipal,
    KindNotString,
    ActionNotString,
    MissingAction,
    FactNotBool,
    ContextNotObject,
    TargetNotObject,
    TargetKindNotString,
}

impl Invalid<'_> {
    /// Which is reported when a request has several: the first met of the
    /// lowest rank (unknown fields, then `principal`, `kind`, `action`,
    /// `context`, wherever each is in the document).
    pub(crate) fn rank(self) -> u8 {
        match self {
            Invalid::NotAnObject | Invalid::UnknownField(_) => 0,
            Invalid::NotRoles
            | Invalid::RoleNotString
            | Invalid::PrincipalNotObject
            | Invalid::MissingPrincipal => 1,
            Invalid::KindNotString => 2,
            Invalid::TargetNotObject | Invalid::TargetKindNotString => 2,
            Invalid::ActionNotString | Invalid::MissingAction => 3,
            Invalid::FactNotBool | Invalid::ContextNotObject => 4,
        }
    }
}

/// Where the parts of a request go, in document order.
pub(crate) trait RequestSink {
    /// A scope of `principal`; its roles follow.
    fn scope(&mut self, name: &str) -> Result<(), Stop>;
    /// A role of the scope given last.
    fn role(&mut self, name: &str) -> Result<(), Stop>;
    /// The `kind` (not called for `null`).
    fn kind(&mut self, name: &str) -> Result<(), Stop>;
    /// The `action`, as written.
    fn action(&mut self, action: &str) -> Result<(), Stop>;
    /// A fact of `context`; its value follows.
    fn fact(&mut self, name: &str) -> Result<(), Stop>;
    /// The value of the fact given last.
    fn truth(&mut self, value: bool) -> Result<(), Stop>;
    /// A string value for the name given last by [`fact`](Self::fact): the
    /// name is a setting's, and this its value (which it is, and whether the
    /// name is a setting at all, is for the sink to say).
    fn choice(&mut self, value: &str) -> Result<(), Stop>;
    /// `"target": "self"`: the principal acts on themself. A sink that
    /// does not read targets stops (the fast path leaves them to the general one).
    fn target_self(&mut self) -> Result<(), Stop> {
        Err(Stop)
    }
    /// `"target": {…}`: another participant, whose scopes follow.
    fn target_other(&mut self) -> Result<(), Stop> {
        Err(Stop)
    }
    /// A scope of `target`; its roles follow, to [`role`](Self::role).
    fn target_scope(&mut self, _name: &str) -> Result<(), Stop> {
        Err(Stop)
    }
    /// The `target_kind` (not called for `null`).
    fn target_kind(&mut self, _name: &str) -> Result<(), Stop> {
        Err(Stop)
    }
    /// The request is not of the shape. `Ok` reads on (to find the error
    /// of lowest [`Invalid::rank`]), `Err` stops.
    fn invalid(&mut self, error: Invalid<'_>) -> Result<(), Stop>;
}

/// Reads one request from `d` into `sink`. An error is serde's (syntax) or
/// the sink's [`Stop`]; how the request is not of the shape goes to
/// [`RequestSink::invalid`].
pub(crate) fn read<'de, D: Deserializer<'de>, S: RequestSink>(
    d: D,
    sink: &mut S,
) -> Result<(), D::Error> {
    d.deserialize_any(Reader {
        sink,
        at: Slot::Request,
    })
}

/// A scope's roles read as a request's are (`"role"` or `["role", …]`), for
/// the readers whose roles are written alike (the principals file, AuthZEN
/// claimed roles); `None` for anything else.
pub(crate) fn roles<'de, D: Deserializer<'de>>(d: D) -> Option<Vec<String>> {
    let mut roles = Roles(Vec::new());
    Reader::at(&mut roles, Slot::Roles).deserialize(d).ok()?;
    Some(roles.0)
}

/// The sink of [`roles`]: only roles are read at `Slot::Roles`.
struct Roles(Vec<String>);

impl RequestSink for Roles {
    fn role(&mut self, name: &str) -> Result<(), Stop> {
        self.0.push(name.to_string());
        Ok(())
    }
    fn invalid(&mut self, _: Invalid<'_>) -> Result<(), Stop> {
        Err(Stop)
    }
    fn scope(&mut self, _: &str) -> Result<(), Stop> {
        Err(Stop)
    }
    fn fact(&mut self, _: &str) -> Result<(), Stop> {
        Err(Stop)
    }
    fn kind(&mut self, _: &str) -> Result<(), Stop> {
        Err(Stop)
    }
    fn action(&mut self, _: &str) -> Result<(), Stop> {
        Err(Stop)
    }
    fn truth(&mut self, _: bool) -> Result<(), Stop> {
        Err(Stop)
    }
    fn choice(&mut self, _: &str) -> Result<(), Stop> {
        Err(Stop)
    }
}

/// The error a sink's [`Stop`] ends the reading with.
fn stopped<E: de::Error>(Stop: Stop) -> E {
    E::custom("the request was not read to the end")
}

/// Where in a request a value is, which says what it may be.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Request,     // an object of the fields
    Principal,   // an object of scopes
    Scope,       // a key of `principal`
    Roles,       // a scope's roles: a name or an array of names
    Role,        // a name in an array of roles
    Kind,        // a name or `null`
    Action,      // a string
    Context,     // an object of facts, or `null`
    Fact,        // a key of `context`
    Truth,       // a fact's value (a boolean) or a setting's (a string)
    Target,      // "self", or an object of scopes
    TargetScope, // a key of `target`
    TargetKind,  // a name or `null`
}

/// A value at `at`, given to `sink`.
struct Reader<'s, S> {
    sink: &'s mut S,
    at: Slot,
}

impl<'s, S: RequestSink> Reader<'s, S> {
    fn at(sink: &'s mut S, at: Slot) -> Self {
        Reader { sink, at }
    }

    /// A value of a type `at` does not take.
    fn wrong<E: de::Error>(self) -> Result<(), E> {
        let error = match self.at {
            Slot::Request => Invalid::NotAnObject,
            Slot::Principal => Invalid::PrincipalNotObject,
            Slot::Roles => Invalid::NotRoles,
            Slot::Role => Invalid::RoleNotString,
            Slot::Kind => Invalid::KindNotString,
            Slot::Action => Invalid::ActionNotString,
            Slot::Context => Invalid::ContextNotObject,
            Slot::Truth => Invalid::FactNotBool,
            Slot::Target => Invalid::TargetNotObject,
            Slot::TargetKind => Invalid::TargetKindNotString,
            // A key is a string: serde_json reads no other.
            Slot::Scope | Slot::Fact | Slot::TargetScope => return Err(stopped(Stop)),
        };
        self.sink.invalid(error).map_err(stopped)
    }

    /// The fields of a request.
    fn fields<'de, A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let sink = self.sink;
        let (mut principal, mut kind, mut action, mut context) = (false, false, false, false);
        let (mut target, mut target_kind) = (false, false);
        while let Some(field) = map.next_key::<Field>()? {
            let (given, at) = match field {
                Field::Principal => (&mut principal, Slot::Principal),
                Field::Kind => (&mut kind, Slot::Kind),
                Field::Action => (&mut action, Slot::Action),
                Field::Context => (&mut context, Slot::Context),
                Field::Target => (&mut target, Slot::Target),
                Field::TargetKind => (&mut target_kind, Slot::TargetKind),
                Field::Other(name) => {
                    sink.invalid(Invalid::UnknownField(&name))
                        .map_err(stopped)?;
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            // Given twice: only text can say so (a `Value` holds a key once).
            if std::mem::replace(given, true) {
                return Err(stopped(Stop));
            }
            map.next_value_seed(Reader::at(sink, at))?;
        }
        if !principal {
            sink.invalid(Invalid::MissingPrincipal).map_err(stopped)?;
        }
        if !action {
            sink.invalid(Invalid::MissingAction).map_err(stopped)?;
        }
        Ok(())
    }

    /// The entries of `principal` (`Slot::Scope` keys) or `context` (`Slot::Fact` keys).
    fn entries<'de, A: MapAccess<'de>>(
        self,
        mut map: A,
        key: Slot,
        value: Slot,
    ) -> Result<(), A::Error> {
        let sink = self.sink;
        while let Some(()) = map.next_key_seed(Reader::at(sink, key))? {
            map.next_value_seed(Reader::at(sink, value))?;
        }
        Ok(())
    }
}

impl<'de, S: RequestSink> DeserializeSeed<'de> for Reader<'_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.at {
            Slot::Scope | Slot::Fact | Slot::TargetScope => d.deserialize_str(self),
            // Any type, so that a wrong one goes to the sink (`wrong`)
            // rather than failing in serde with serde's words.
            _ => d.deserialize_any(self),
        }
    }
}

impl<'de, S: RequestSink> Visitor<'de> for Reader<'_, S> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a rolecall request")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        match self.at {
            Slot::Truth => self.sink.truth(v).map_err(stopped),
            _ => self.wrong(),
        }
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.wrong()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.wrong()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.wrong()
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        match self.at {
            Slot::Scope => self.sink.scope(v).map_err(stopped),
            Slot::Fact => self.sink.fact(v).map_err(stopped),
            Slot::Roles | Slot::Role => self.sink.role(v).map_err(stopped),
            Slot::Kind => self.sink.kind(v).map_err(stopped),
            Slot::Action => self.sink.action(v).map_err(stopped),
            Slot::Truth => self.sink.choice(v).map_err(stopped),
            Slot::Target if v == "self" => self.sink.target_self().map_err(stopped),
            Slot::TargetScope => self.sink.target_scope(v).map_err(stopped),
            Slot::TargetKind => self.sink.target_kind(v).map_err(stopped),
            _ => self.wrong(),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        match self.at {
            Slot::Kind | Slot::Context | Slot::TargetKind => Ok(()),
            _ => self.wrong(),
        }
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.at {
            Slot::Roles => {
                while let Some(()) = seq.next_element_seed(Reader::at(self.sink, Slot::Role))? {}
                Ok(())
            }
            _ => {
                self.wrong()?;
                IgnoredAny.visit_seq(seq).map(drop)
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        match self.at {
            Slot::Request => self.fields(map),
            Slot::Principal => self.entries(map, Slot::Scope, Slot::Roles),
            Slot::Context => self.entries(map, Slot::Fact, Slot::Truth),
            Slot::Target => {
                self.sink.target_other().map_err(stopped)?;
                self.entries(map, Slot::TargetScope, Slot::Roles)
            }
            _ => {
                self.wrong()?;
                IgnoredAny.visit_map(map).map(drop)
            }
        }
    }
}

/// A key of a request, read without allocating unless it is no field.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Field {
    Principal,
    Kind,
    Action,
    Context,
    Target,
    TargetKind,
    /// Not a field of a request.
    Other(String),
}
