//! One file per rule: the type is named for the pattern it flags; its
//! `META` holds the id, category, level, summary and doc.

pub mod action_never_mentioned;
pub mod allow_deny_conflict;
pub mod conditional_deny_inherited;
pub mod constant_condition;
pub mod default_not_assignable;
pub mod deny_overrides_nothing;
pub mod empty_scope;
pub mod empty_section;
pub mod identical_roles;
pub mod impossible_cardinality;
pub mod invalid_suppression;
pub mod missing_label;
pub mod non_snake_case;
pub mod override_changes_nothing;
pub mod override_demotes;
pub mod redundant_allow;
pub mod role_adds_nothing;
pub mod role_grants_nothing;
pub mod shadowed_rule;
pub mod unused_fact;
pub mod unused_kind;
pub mod unused_setting;
pub mod unused_suppression;
