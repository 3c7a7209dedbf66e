//! Parser tests: every construct of the grammar, and syntax errors.

use rolecall::source::SourceFile;
use rolecall::syntax::ast::*;
use rolecall::syntax::parse_file;

use super::support::render_all;

fn parse(text: &str) -> File {
    let src = SourceFile::new("test.policy", text);
    match parse_file(&src) {
        Ok(file) => file,
        Err(errors) => panic!("{}", render_all(&errors)),
    }
}

fn syntax_error(text: &str) -> String {
    let src = SourceFile::new("test.policy", text);
    match parse_file(&src) {
        Ok(_) => panic!("expected a syntax error"),
        Err(errors) => render_all(&errors),
    }
}

fn scope_items(file: &File) -> &[ScopeItem] {
    match file.items.iter().find_map(|i| match i {
        Item::Scope(s) => Some(s),
        _ => None,
    }) {
        Some(scope) => &scope.items,
        None => panic!("no scope"),
    }
}

#[test]
fn top_level_declarations() {
    let file = parse(
        r#"
        policy "Demo"   # a comment
        source "Help page" url "https://example.com/roles" date "2025-01" lang "fr"
        note "Une note"
        include "common.policy"
        fact event_owner "Propriétaire de l'événement"
        fact bare
        kind team_member "Membre"
        "#,
    );
    let kinds: Vec<&str> = file
        .items
        .iter()
        .map(|i| match i {
            Item::Policy(_) => "policy",
            Item::Source(_) => "source",
            Item::Note(_) => "note",
            Item::Include(_) => "include",
            Item::Fact(_) => "fact",
            Item::Kind(_) => "kind",
            Item::Setting(_) => "setting",
            Item::Scope(_) => "scope",
            Item::Override(_) => "override",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "policy", "source", "note", "include", "fact", "fact", "kind"
        ]
    );
    let Item::Source(source) = &file.items[1] else {
        panic!()
    };
    assert_eq!(source.title.value, "Help page");
    let attrs: Vec<(&str, &str)> = source
        .attrs
        .iter()
        .map(|(k, v)| (k.name.as_str(), v.value.as_str()))
        .collect();
    assert_eq!(
        attrs,
        [
            ("url", "https://example.com/roles"),
            ("date", "2025-01"),
            ("lang", "fr")
        ]
    );
    let Item::Fact(fact) = &file.items[4] else {
        panic!()
    };
    assert_eq!(fact.name.name, "event_owner");
    assert_eq!(
        fact.label.as_ref().map(|l| l.value.as_str()),
        Some("Propriétaire de l'événement")
    );
    let Item::Fact(bare) = &file.items[5] else {
        panic!()
    };
    assert!(bare.label.is_none());
    assert_eq!(file.comments.len(), 1);
    assert_eq!(file.comments[0].text, "# a comment");
}

#[test]
fn roles_with_labels_and_multiple_inheritance() {
    let file = parse(
        r#"scope s {
            role a "Rôle A"
            role b
            role c "C" : a, b
            role d : s.c
        }"#,
    );
    let roles: Vec<&RoleDecl> = scope_items(&file)
        .iter()
        .filter_map(|i| match i {
            ScopeItem::Role(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(roles.len(), 4);
    assert_eq!(
        roles[0].label.as_ref().map(|l| l.value.as_str()),
        Some("Rôle A")
    );
    let parents: Vec<String> = roles[2].parents.iter().map(NameRef::display).collect();
    assert_eq!(parents, ["a", "b"]);
    assert_eq!(roles[3].parents[0].display(), "s.c");
}

#[test]
fn sections_group_actions_and_rules() {
    let file = parse(
        r#"scope s {
            role r
            section "Gestion générale" {
                action start "Démarrer"
                allow r to start
                note "inside"
            }
            action loose
        }"#,
    );
    let items = scope_items(&file);
    let ScopeItem::Section(section) = &items[1] else {
        panic!("{items:?}")
    };
    assert_eq!(section.label.value, "Gestion générale");
    assert_eq!(section.items.len(), 3);
    assert!(matches!(items[2], ScopeItem::Action(_)));
}

#[test]
fn rules_with_several_roles_actions_and_conditions() {
    let file = parse(
        r#"scope s {
            allow a, b to x, s.y
            deny c to z when f and not (g or h) and true
            allow d to w when not not f or false
        }"#,
    );
    let rules: Vec<&Rule> = scope_items(&file)
        .iter()
        .filter_map(|i| match i {
            ScopeItem::Rule(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(rules[0].effect, Effect::Allow);
    assert_eq!(
        rules[0]
            .roles
            .iter()
            .map(NameRef::display)
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(
        rules[0]
            .actions
            .iter()
            .map(NameRef::display)
            .collect::<Vec<_>>(),
        ["x", "s.y"]
    );
    assert!(rules[0].condition.is_none());
    assert_eq!(rules[1].effect, Effect::Deny);
    let Some(Expr::And(parts, _)) = &rules[1].condition else {
        panic!("{:?}", rules[1].condition)
    };
    assert_eq!(parts.len(), 3);
    assert!(matches!(&parts[0], Expr::Fact(f) if f.name == "f"));
    let Expr::Not(inner, _) = &parts[1] else {
        panic!()
    };
    assert!(matches!(&**inner, Expr::Or(items, _) if items.len() == 2));
    assert!(matches!(parts[2], Expr::Bool(true, _)));
    // `not` binds tighter than `or`.
    let Some(Expr::Or(items, _)) = &rules[2].condition else {
        panic!()
    };
    assert!(matches!(&items[0], Expr::Not(inner, _) if matches!(**inner, Expr::Not(..))));
    assert!(matches!(items[1], Expr::Bool(false, _)));
}

#[test]
fn defaults_assignable_limits_advice() {
    let file = parse(
        r#"scope s {
            default viewer
            default team_member: speaker
            default guest: none
            assignable registrant: speaker, viewer
            assignable outsider: none
            limit presenter at most 1
            limit billing at least 1
            limit owner exactly 1
            limit admin between 1 and 5
            limit member unlimited
            advise 1 moderator per 50 to 100 participants "1 pour 50 à 100"
            advise 2 helper per 10 participants
        }"#,
    );
    let items = scope_items(&file);
    let ScopeItem::Default(d) = &items[0] else {
        panic!()
    };
    assert!(d.kind.is_none());
    assert_eq!(d.role.as_ref().map(|r| r.name.as_str()), Some("viewer"));
    let ScopeItem::Default(d) = &items[1] else {
        panic!()
    };
    assert_eq!(
        d.kind.as_ref().map(|k| k.name.as_str()),
        Some("team_member")
    );
    let ScopeItem::Default(d) = &items[2] else {
        panic!()
    };
    assert!(d.role.is_none(), "`none` is no role");
    let ScopeItem::Assignable(a) = &items[3] else {
        panic!()
    };
    assert_eq!(
        a.roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["speaker", "viewer"]
    );
    let ScopeItem::Assignable(a) = &items[4] else {
        panic!()
    };
    assert!(a.roles.is_empty());
    let cards: Vec<Cardinality> = items
        .iter()
        .filter_map(|i| match i {
            ScopeItem::Limit(l) => Some(l.cardinality),
            _ => None,
        })
        .collect();
    assert_eq!(
        cards,
        [
            Cardinality::AtMost { max: 1 },
            Cardinality::AtLeast { min: 1 },
            Cardinality::Exactly { count: 1 },
            Cardinality::Between { min: 1, max: 5 },
            Cardinality::Unlimited
        ]
    );
    let ScopeItem::Advise(a) = &items[10] else {
        panic!()
    };
    assert_eq!(
        (a.count, a.role.name.as_str(), a.per_min, a.per_max),
        (1, "moderator", 50, 100)
    );
    assert_eq!(
        a.label.as_ref().map(|l| l.value.as_str()),
        Some("1 pour 50 à 100")
    );
    let ScopeItem::Advise(a) = &items[11] else {
        panic!()
    };
    assert_eq!((a.per_min, a.per_max), (10, 10));
}

#[test]
fn overrides_by_role_and_by_fact() {
    let file = parse(
        "workspace.admin joins session as organizer\nevent_owner joins session as organizer when live\n",
    );
    let Item::Override(o) = &file.items[0] else {
        panic!()
    };
    assert_eq!(o.subject.display(), "workspace.admin");
    assert_eq!(
        (o.scope.name.as_str(), o.role.name.as_str()),
        ("session", "organizer")
    );
    let Item::Override(o) = &file.items[1] else {
        panic!()
    };
    assert_eq!(o.subject.display(), "event_owner");
    assert!(matches!(&o.condition, Some(Expr::Fact(f)) if f.name == "live"));
}

#[test]
fn strings_escapes_unicode_crlf_and_contextual_words() {
    let file = parse("fact url \"a \\\"quoted\\\" \\\\ word\\n\"\r\nfact per \"été\"\r\n");
    let Item::Fact(f) = &file.items[0] else {
        panic!()
    };
    assert_eq!(f.name.name, "url", "contextual words stay usable as names");
    assert_eq!(
        f.label.as_ref().map(|l| l.value.as_str()),
        Some("a \"quoted\" \\ word\n")
    );
    let Item::Fact(f) = &file.items[1] else {
        panic!()
    };
    assert_eq!(f.label.as_ref().map(|l| l.value.as_str()), Some("été"));
}

#[test]
fn keywords_are_not_names() {
    insta::assert_snapshot!(syntax_error("scope s {\n    role allow\n}\n"));
}

#[test]
fn missing_to_in_rule() {
    insta::assert_snapshot!(syntax_error(
        "scope s {\n    role r\n    action a\n    allow r a\n}\n"
    ));
}

#[test]
fn unterminated_string() {
    insta::assert_snapshot!(syntax_error("policy \"Demo\nscope s {}\n"));
}

#[test]
fn unclosed_scope() {
    insta::assert_snapshot!(syntax_error("scope s {\n    role r\n"));
}

#[test]
fn bad_cardinality() {
    insta::assert_snapshot!(syntax_error("scope s {\n    role r\n    limit r at 3\n}\n"));
}

#[test]
fn unsupported_escape() {
    insta::assert_snapshot!(syntax_error("fact f \"caf\\u00e9\"\n"));
}

#[test]
fn unusual_space_is_shown_by_its_code_point() {
    let rendered = syntax_error("scope s {\n    role a\u{a0}b\n}\n");
    assert!(rendered.contains("(U+00A0)"), "{rendered}");
}
