//! Synthetic policies and requests of any size, for benchmarks and tests.
//!
//! [`generate`] writes policy text with `scopes` scopes of `roles` roles and
//! `actions` actions each (so `scopes × roles × actions` cells), a seeded
//! random inheritance DAG, allow and deny rules (some conditional on a few
//! facts), a cross-scope override, and defaults. The same [`Spec`] always
//! gives the same text: the random numbers come from a seeded SplitMix64, not
//! from the system.

use std::fmt::Write;

/// The shape of a generated policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// Number of scopes.
    pub scopes: usize,
    /// Roles per scope.
    pub roles: usize,
    /// Actions per scope.
    pub actions: usize,
    /// Facts conditions may read (0: no conditional rules).
    pub facts: usize,
    /// Seed of the random choices.
    pub seed: u64,
}

impl Spec {
    /// `scopes` scopes of `roles` roles and `actions` actions, 4 facts, seed 1.
    pub fn new(scopes: usize, roles: usize, actions: usize) -> Spec {
        Spec {
            scopes,
            roles,
            actions,
            facts: 4,
            seed: 1,
        }
    }

    /// The same shape with another seed.
    pub fn with_seed(self, seed: u64) -> Spec {
        Spec { seed, ..self }
    }

    /// The number of cells the compiled table has.
    pub fn cells(&self) -> usize {
        self.scopes * self.roles * self.actions
    }
}

/// SplitMix64: small, fast, and good enough to pick names.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// True with probability `1/n`.
    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// Writes the policy text for `spec`.
///
/// Roles are `r0…`, actions `a0…`, scopes `s0…`, facts `f0…`. Role `r0` is the
/// root everyone inherits from (and the scope's default); each later role
/// inherits one or two earlier roles, mostly near ones, so inheritance chains
/// grow with the number of roles. Actions are dealt out to rules of up to
/// eight actions each, each naming one or two roles; about one rule in eight
/// is a deny and one in six has a `when` condition.
pub fn generate(spec: &Spec) -> String {
    let mut rng = Rng(spec.seed);
    let mut out = String::with_capacity(spec.scopes * (spec.roles + spec.actions) * 24);
    let _ = writeln!(
        out,
        "policy \"Generated {}x{}x{} (seed {})\"",
        spec.scopes, spec.roles, spec.actions, spec.seed
    );
    for f in 0..spec.facts {
        let _ = writeln!(out, "fact f{f}");
    }
    out.push_str("kind member\n\n");
    for s in 0..spec.scopes {
        scope(&mut out, &mut rng, spec, s);
    }
    // Holders of the top role of one scope act as that role in the next.
    if spec.scopes >= 2 && spec.roles > 0 {
        let top = spec.roles - 1;
        let _ = writeln!(out, "s0.r{top} joins s1 as r{top}");
    } else if spec.scopes == 1 && spec.roles > 0 && spec.facts > 0 {
        let top = spec.roles - 1;
        let _ = writeln!(out, "f0 joins s0 as r{top} when not f1");
    }
    out
}

fn scope(out: &mut String, rng: &mut Rng, spec: &Spec, s: usize) {
    let _ = writeln!(out, "scope s{s} \"Scope {s}\" {{");
    for r in 0..spec.roles {
        let _ = write!(out, "    role r{r}");
        if r > 0 {
            // A near parent (chains deepen with size), sometimes a second one anywhere before.
            let near = r - 1 - rng.below(r.min(4));
            let _ = write!(out, " : r{near}");
            if r > 1 && rng.one_in(4) {
                let other = rng.below(r);
                if other != near {
                    let _ = write!(out, ", r{other}");
                }
            }
        }
        out.push('\n');
    }
    for a in 0..spec.actions {
        let _ = writeln!(out, "    action a{a}");
    }
    let mut a = 0;
    while a < spec.actions && spec.roles > 0 {
        let count = 1 + rng.below(8);
        let end = (a + count).min(spec.actions);
        let effect = if rng.one_in(8) { "deny" } else { "allow" };
        let first = rng.below(spec.roles);
        let _ = write!(out, "    {effect} r{first}");
        if rng.one_in(3) {
            let second = rng.below(spec.roles);
            if second != first {
                let _ = write!(out, ", r{second}");
            }
        }
        out.push_str(" to ");
        for (i, action) in (a..end).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "a{action}");
        }
        if spec.facts > 0 && rng.one_in(6) {
            condition(out, rng, spec.facts);
        }
        out.push('\n');
        // Most actions get one rule; some get a second, overlapping one.
        if rng.one_in(5) {
            a = a + 1 + rng.below(count);
        } else {
            a = end;
        }
    }
    out.push_str("    default r0\n");
    if spec.roles > 1 {
        out.push_str("    default member: r1\n");
    }
    out.push_str("}\n\n");
}

fn condition(out: &mut String, rng: &mut Rng, facts: usize) {
    let f = rng.below(facts);
    let g = rng.below(facts);
    let _ = match rng.below(3) {
        0 => write!(out, " when f{f}"),
        1 if f != g => write!(out, " when f{f} and not f{g}"),
        2 if f != g => write!(out, " when f{f} or f{g}"),
        _ => write!(out, " when not f{f}"),
    };
}

/// `n` JSON-lines requests against a policy generated from `spec`, one per
/// line: random actions, one or two assigned roles (or none, so the default
/// applies), sometimes the kind, sometimes facts.
pub fn requests(spec: &Spec, n: usize) -> String {
    let mut rng = Rng(spec.seed ^ 0x5EED);
    let mut out = String::with_capacity(n * 110);
    if spec.scopes == 0 || spec.roles == 0 || spec.actions == 0 {
        return out;
    }
    for _ in 0..n {
        let s = rng.below(spec.scopes);
        out.push_str("{\"principal\": {");
        match rng.below(4) {
            0 => {}
            1 => {
                let _ = write!(
                    out,
                    "\"s{s}\": [\"r{}\", \"r{}\"]",
                    rng.below(spec.roles),
                    rng.below(spec.roles)
                );
            }
            _ => {
                let _ = write!(out, "\"s{s}\": \"r{}\"", rng.below(spec.roles));
            }
        }
        // Sometimes a role in the scope before, which may trigger the override.
        if s > 0 && rng.one_in(4) {
            if !out.ends_with('{') {
                out.push_str(", ");
            }
            let _ = write!(out, "\"s{}\": \"r{}\"", s - 1, rng.below(spec.roles));
        }
        out.push('}');
        if rng.one_in(4) {
            out.push_str(", \"kind\": \"member\"");
        }
        let _ = write!(out, ", \"action\": \"s{s}:a{}\"", rng.below(spec.actions));
        if spec.facts > 0 && rng.one_in(3) {
            let _ = write!(
                out,
                ", \"context\": {{\"f{}\": {}}}",
                rng.below(spec.facts),
                rng.one_in(2)
            );
        }
        out.push_str("}\n");
    }
    out
}
