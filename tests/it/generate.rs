//! The policy generator: valid policies of every size, the same for a seed.

use super::support::ByPosition;
use rolecall::Request;
use rolecall::compile::CellDecision;
use rolecall::generate::{Spec, generate, requests};

use crate::support::table;

#[test]
fn generated_policies_compile_with_the_expected_cell_counts() {
    for spec in [
        Spec::new(1, 1, 1),
        Spec::new(1, 10, 10),
        Spec::new(2, 10, 10),
        Spec::new(3, 50, 20),
        Spec::new(2, 100, 100),
    ] {
        let t = table(&generate(&spec));
        assert_eq!(t.cell_count(), spec.cells(), "{spec:?}");
        assert_eq!(t.policy().scopes.len(), spec.scopes);
        for scope in t.policy().scopes.values() {
            assert_eq!(scope.roles.len(), spec.roles);
            assert_eq!(scope.actions.len(), spec.actions);
        }
        let overrides = usize::from(spec.scopes >= 2 || spec.facts > 0);
        assert_eq!(t.policy().overrides.len(), overrides, "{spec:?}");
    }
}

#[test]
fn generated_policies_mix_allow_deny_and_conditional_cells() {
    let spec = Spec::new(2, 100, 100);
    let t = table(&generate(&spec));
    let mut counts = [0usize; 3];
    for s in 0..spec.scopes {
        for a in 0..spec.actions {
            for r in 0..spec.roles {
                let cell = t.cell_by(s, a, r).expect("cell");
                counts[match cell.decision {
                    CellDecision::Allow => 0,
                    CellDecision::Deny => 1,
                    CellDecision::Conditional => 2,
                }] += 1;
            }
        }
    }
    let [allow, deny, conditional] = counts;
    assert_eq!(allow + deny + conditional, spec.cells());
    assert!(allow > spec.cells() / 10, "{counts:?}");
    assert!(deny > spec.cells() / 10, "{counts:?}");
    assert!(conditional > 0, "{counts:?}");
    // Inheritance reaches far: some rule decides a cell through a parent.
    let inherited = (0..spec.roles).any(|r| {
        (0..spec.actions).any(|a| {
            t.cell_by(0, a, r)
                .and_then(|c| c.rule)
                .is_some_and(|rule| t.path_by(0, r, rule.index()).len() > 2)
        })
    });
    assert!(inherited);
}

#[test]
fn a_seed_gives_the_same_policy_and_another_seed_a_different_one() {
    let spec = Spec::new(2, 30, 30);
    assert_eq!(generate(&spec), generate(&spec));
    assert_ne!(generate(&spec), generate(&spec.with_seed(2)));
    assert_eq!(requests(&spec, 50), requests(&spec, 50));
}

#[test]
fn generated_requests_are_answered() {
    let spec = Spec::new(3, 20, 20);
    let t = table(&generate(&spec));
    let text = requests(&spec, 500);
    assert_eq!(text.lines().count(), 500);
    let mut allowed = 0;
    for line in text.lines() {
        let request = Request::from_json(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        let answer = t
            .evaluate(&request)
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        allowed += usize::from(answer.decision == rolecall::Effect::Allow);
    }
    assert!(allowed > 50 && allowed < 450, "{allowed} of 500 allowed");
}

/// The combination rule computed the slow, obvious way for one cell: every
/// rule naming the action and the role or an ancestor, by (distance, deny
/// first, declaration order); the first whose condition holds decides.
fn oracle(
    t: &rolecall::DecisionTable,
    s: usize,
    a: usize,
    r: usize,
    facts: u64,
) -> (bool, Option<usize>) {
    let scope = &t.policy().scopes[s];
    let mut distance = vec![usize::MAX; scope.roles.len()];
    let mut queue = std::collections::VecDeque::from([r]);
    distance[r] = 0;
    while let Some(x) = queue.pop_front() {
        for &p in &scope.roles[x].parents {
            if distance[p] == usize::MAX {
                distance[p] = distance[x] + 1;
                queue.push_back(p);
            }
        }
    }
    let mut candidates: Vec<(usize, u8, usize)> = t
        .policy()
        .rules
        .iter()
        .enumerate()
        .filter(|(_, rule)| rule.scope == s && rule.actions.contains(&a))
        .filter_map(|(i, rule)| {
            let d = rule.roles.iter().map(|&x| distance[x]).min()?;
            let deny_first = u8::from(rule.effect == rolecall::Effect::Allow);
            (d != usize::MAX).then_some((d, deny_first, i))
        })
        .collect();
    candidates.sort_unstable();
    for (_, _, i) in candidates {
        let rule = &t.policy().rules[i];
        let holds = rule
            .condition
            .as_ref()
            .is_none_or(|c| c.expr.eval(&|f| facts & (1 << f) != 0));
        if holds {
            return (rule.effect == rolecall::Effect::Allow, Some(i));
        }
    }
    (false, None)
}

#[test]
fn every_cell_agrees_with_the_combination_rule_computed_naively() {
    // 300 × 300 has more than 64 rules, so its cells take two bytes; 20 × 20 one.
    let cases = [
        (Spec::new(2, 20, 20), 1, &[0u64, 0b1111, 0b0101, 0b1010][..]),
        (Spec::new(1, 300, 300), 2, &[0b0101][..]),
    ];
    for (spec, width, masks) in cases {
        let t = table(&generate(&spec));
        assert!(t.policy().rules.len() > 2, "{spec:?}");
        assert!(
            t.cell_bytes() >= width * t.cell_count()
                && t.cell_bytes() < (width + 1) * t.cell_count(),
            "{spec:?}: {} bytes for {} cells",
            t.cell_bytes(),
            t.cell_count()
        );
        for &facts in masks {
            let mut set = rolecall::compile::FactSet::new();
            for f in 0..spec.facts {
                if facts & (1 << f) != 0 {
                    set.insert(t.fact_id(&format!("f{f}")).unwrap());
                }
            }
            for s in 0..spec.scopes {
                for a in 0..spec.actions {
                    let action = t.action_by(s, a).unwrap();
                    for r in 0..spec.roles {
                        let role = t.role_by(s, r).unwrap();
                        let outcome = t.decide(action, role, &set);
                        let expected = oracle(&t, s, a, r, facts);
                        assert_eq!(
                            (
                                outcome.effect == rolecall::Effect::Allow,
                                outcome.rule.map(|r| r.index())
                            ),
                            expected,
                            "{spec:?} s{s} a{a} r{r} facts {facts:b}"
                        );
                        assert_eq!(t.allows(action, role, &set), expected.0);
                    }
                }
            }
        }
    }
}

#[test]
fn reference_tables_take_one_byte_a_cell() {
    for path in ["policies/livestorm.policy", "policies/goto_webinar.policy"] {
        let t = rolecall::compile_file(&crate::support::root().join(path)).unwrap();
        let cells = t.cell_count() + t.targeted_cell_count();
        assert_eq!(t.cell_bytes() - side_table(&t), cells, "{path}");
    }
}

/// Bytes of the conditional side table: what `cell_bytes` counts beyond the cells.
fn side_table(t: &rolecall::DecisionTable) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut bytes = 0;
    for (s, scope) in t.policy().scopes.values().enumerate() {
        for a in 0..scope.actions.len() {
            for r in 0..scope.roles.len() {
                // The cell, and a targeted action's grid cells of the role.
                let grid = rolecall::compile::TargetColumn::all(scope.roles.len())
                    .filter_map(|column| column.cell(t, s, a, r));
                for cell in std::iter::once(t.cell_by(s, a, r).unwrap()).chain(grid) {
                    if let Some(c) = cell.conditional {
                        if seen.insert(c as *const _) {
                            bytes += std::mem::size_of_val(c)
                                + c.candidates.len()
                                    * std::mem::size_of::<(rolecall::Effect, usize)>()
                                + c.text.len();
                        }
                    }
                }
            }
        }
    }
    bytes
}

#[test]
fn names_resolve_to_their_ids_even_when_their_hashes_collide() {
    // The name hash reads the length and at most three words: these names
    // differ only in the middle, so they collide, and must still resolve.
    let roles: Vec<String> = (0..20)
        .map(|i| format!("a_long_common_prefix_{i:02}_then_the_same_suffix"))
        .collect();
    let mut text = String::from("fact f\nscope s {\n");
    for r in &roles {
        text.push_str(&format!("  role {r}\n"));
    }
    text.push_str("  action x\n  action y\n");
    text.push_str(&format!("  allow {} to x\n", roles[7]));
    text.push_str(&format!("  allow {} to y when f\n}}\n", roles[12]));
    let t = table(&text);
    let facts = rolecall::compile::FactSet::new();
    for (i, r) in roles.iter().enumerate() {
        assert_eq!(t.role_id("s", r), t.role_by(0, i), "{r}");
        assert_eq!(t.allows_names("s", "x", r, &facts), Some(i == 7), "{r}");
        assert_eq!(t.allows_names("s", "y", r, &facts), Some(false), "{r}");
    }
    assert_eq!(t.action_id("s", "y"), t.action_by(0, 1));
    assert_eq!(t.fact_id("f").map(|f| f.index()), Some(0));
    assert_eq!(
        t.allows_names(
            "s",
            "x",
            "a_long_common_prefix_99_then_the_same_suffix",
            &facts
        ),
        None
    );
    assert_eq!(t.allows_names("s", "z", &roles[0], &facts), None);
    assert_eq!(t.allows_names("t", "x", &roles[0], &facts), None);
    assert_eq!(t.role_id("s", ""), None);

    // Every name of a generated policy, short and long.
    let spec = Spec::new(2, 50, 50);
    let t = table(&generate(&spec));
    for (s, (scope, sc)) in t.policy().scopes.iter().enumerate() {
        for (a, action) in sc.actions.keys().enumerate() {
            assert_eq!(t.action_id(scope, action), t.action_by(s, a));
            for (r, role) in sc.roles.keys().enumerate() {
                let ids = t.allows(t.action_by(s, a).unwrap(), t.role_by(s, r).unwrap(), &facts);
                assert_eq!(t.allows_names(scope, action, role, &facts), Some(ids));
            }
        }
    }
}

#[test]
fn more_than_16383_rules_take_four_bytes_a_cell_and_read_back() {
    let n = 16_500;
    let mut text = String::from("scope s {\n  role r0\n  role r1 : r0\n");
    for a in 0..n {
        text.push_str(&format!("  action a{a}\n"));
    }
    for a in 0..n {
        let (effect, role) = if a % 3 == 0 {
            ("deny", "r1")
        } else {
            ("allow", "r0")
        };
        text.push_str(&format!("  {effect} {role} to a{a}\n"));
    }
    text.push_str("}\n");
    let t = table(&text);
    assert_eq!(t.cell_count(), 2 * n);
    assert_eq!(t.cell_bytes(), 4 * t.cell_count());
    let facts = rolecall::compile::FactSet::new();
    for a in 0..n {
        let action = t.action_by(0, a).unwrap();
        let (r0, r1) = (t.role_by(0, 0).unwrap(), t.role_by(0, 1).unwrap());
        let allowed = a % 3 != 0;
        assert_eq!(t.allows(action, r0, &facts), allowed, "a{a}");
        assert_eq!(t.allows(action, r1, &facts), allowed, "a{a}");
        // The rule index survives the packing: rule a is the one for action a.
        let expected = if allowed { (0, Some(a)) } else { (1, Some(a)) };
        let outcome = t.decide(action, if allowed { r0 } else { r1 }, &facts);
        assert_eq!(
            (
                u8::from(outcome.effect == rolecall::Effect::Deny),
                outcome.rule.map(|r| r.index())
            ),
            expected
        );
    }
}
