//! The policy generator: valid policies of every size, the same for a seed.

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
        assert_eq!(t.policy.scopes.len(), spec.scopes);
        for scope in t.policy.scopes.values() {
            assert_eq!(scope.roles.len(), spec.roles);
            assert_eq!(scope.actions.len(), spec.actions);
        }
        let overrides = usize::from(spec.scopes >= 2 || spec.facts > 0);
        assert_eq!(t.policy.overrides.len(), overrides, "{spec:?}");
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
                let cell = t.cell(s, a, r).expect("cell");
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
            t.cell(0, a, r)
                .and_then(|c| c.rule)
                .is_some_and(|rule| t.inheritance_path(0, r, rule).len() > 2)
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
