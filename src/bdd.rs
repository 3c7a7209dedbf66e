//! Reduced ordered binary decision diagrams: exact equivalence of conditions
//! over any number of facts, within a work budget.
//!
//! Two conditions built in one [`Bdd`] with the same variable order are
//! equivalent exactly when they are the same node. Every operation runs on
//! explicit stacks (no recursion), so the depth of a condition or the number
//! of its facts never reaches the thread's stack. Work is counted: past
//! [`MAX_BDD_STEPS`] the answer is [`Undecided`], never a guess.

use std::collections::HashMap;

use crate::resolve::Cond;

/// Most node expansions one [`Bdd`] performs (nodes, memo entries and time
/// are each at most proportional to it). Conditions written by people need
/// hundreds; a function whose diagram is exponential in the variable order
/// exceeds it at about 17 pairs of facts.
pub const MAX_BDD_STEPS: usize = 200_000;

/// The comparison needed more than [`MAX_BDD_STEPS`] steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Undecided;

/// A node of a [`Bdd`]: a boolean function of the variables (by default
/// the constant `false`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Ref(u32);

const FALSE: Ref = Ref(0);
const TRUE: Ref = Ref(1);
/// The variable of the terminals: after every real variable.
const TERMINAL: u32 = u32::MAX;

impl Ref {
    /// Whether this is the constant `true`.
    pub fn is_true(self) -> bool {
        self == TRUE
    }

    /// Whether this is the constant `false`.
    pub fn is_false(self) -> bool {
        self == FALSE
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Node {
    var: u32,
    lo: Ref,
    hi: Ref,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    And,
    Or,
    Xor,
}

/// A diagram manager: shared nodes, each unique, and a memo of operations.
#[derive(Debug)]
pub struct Bdd {
    nodes: Vec<Node>,
    unique: HashMap<Node, Ref>,
    memo: HashMap<(Op, Ref, Ref), Ref>,
    steps: usize,
    budget: usize,
}

impl Default for Bdd {
    fn default() -> Self {
        Bdd::with_budget(MAX_BDD_STEPS)
    }
}

impl Bdd {
    /// A manager allowed `budget` node expansions in all.
    pub fn with_budget(budget: usize) -> Bdd {
        let terminal = |r| Node {
            var: TERMINAL,
            lo: r,
            hi: r,
        };
        Bdd {
            nodes: vec![terminal(FALSE), terminal(TRUE)],
            unique: HashMap::new(),
            memo: HashMap::new(),
            steps: 0,
            budget,
        }
    }

    /// Node expansions performed so far.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The diagram of `cond`, fact `f` being variable `var(f)` (smaller
    /// variables are tested first).
    pub fn build(&mut self, cond: &Cond, var: &impl Fn(usize) -> usize) -> Result<Ref, Undecided> {
        enum Task<'a> {
            Visit(&'a Cond),
            Not,
            Fold(Op, usize),
        }
        let mut tasks = vec![Task::Visit(cond)];
        let mut values: Vec<Ref> = Vec::new();
        while let Some(task) = tasks.pop() {
            match task {
                Task::Visit(Cond::Fact(f)) => {
                    let v = u32::try_from(var(*f))
                        .ok()
                        .filter(|v| *v < TERMINAL)
                        .ok_or(Undecided)?;
                    let v = self.mk(v, FALSE, TRUE)?;
                    values.push(v);
                }
                Task::Visit(Cond::Const(b)) => values.push(if *b { TRUE } else { FALSE }),
                Task::Visit(Cond::Not(inner)) => {
                    tasks.push(Task::Not);
                    tasks.push(Task::Visit(inner));
                }
                Task::Visit(Cond::And(items)) | Task::Visit(Cond::Or(items)) => {
                    let op = if matches!(task, Task::Visit(Cond::And(_))) {
                        Op::And
                    } else {
                        Op::Or
                    };
                    tasks.push(Task::Fold(op, items.len()));
                    tasks.extend(items.iter().rev().map(Task::Visit));
                }
                Task::Not => {
                    let v = values.pop().ok_or(Undecided)?;
                    let n = self.not(v)?;
                    values.push(n);
                }
                Task::Fold(op, n) => {
                    let start = values.len().checked_sub(n).ok_or(Undecided)?;
                    let mut acc = if op == Op::And { TRUE } else { FALSE };
                    for v in values.split_off(start) {
                        acc = self.apply(op, acc, v)?;
                    }
                    values.push(acc);
                }
            }
        }
        values.pop().ok_or(Undecided)
    }

    /// `not a`.
    pub fn not(&mut self, a: Ref) -> Result<Ref, Undecided> {
        self.apply(Op::Xor, a, TRUE)
    }

    /// `a and b`.
    pub fn and(&mut self, a: Ref, b: Ref) -> Result<Ref, Undecided> {
        self.apply(Op::And, a, b)
    }

    /// Whether `b` holds whenever `a` does.
    pub fn implies(&mut self, a: Ref, b: Ref) -> Result<bool, Undecided> {
        let not_b = self.not(b)?;
        Ok(self.and(a, not_b)?.is_false())
    }

    fn node(&self, r: Ref) -> Result<Node, Undecided> {
        self.nodes.get(r.0 as usize).copied().ok_or(Undecided)
    }

    /// The unique node testing `var`, reduced when both branches agree.
    fn mk(&mut self, var: u32, lo: Ref, hi: Ref) -> Result<Ref, Undecided> {
        if lo == hi {
            return Ok(lo);
        }
        let node = Node { var, lo, hi };
        if let Some(&r) = self.unique.get(&node) {
            return Ok(r);
        }
        let r = Ref(u32::try_from(self.nodes.len()).map_err(|_| Undecided)?);
        self.nodes.push(node);
        self.unique.insert(node, r);
        Ok(r)
    }

    fn terminal_case(op: Op, a: Ref, b: Ref) -> Option<Ref> {
        match op {
            Op::And if a == FALSE || b == FALSE => Some(FALSE),
            Op::Or if a == TRUE || b == TRUE => Some(TRUE),
            Op::And if a == TRUE => Some(b),
            Op::Or | Op::Xor if a == FALSE => Some(b),
            Op::And if b == TRUE => Some(a),
            Op::Or | Op::Xor if b == FALSE => Some(a),
            Op::And | Op::Or if a == b => Some(a),
            Op::Xor if a == b => Some(FALSE),
            _ => None,
        }
    }

    /// Shannon expansion on the smaller top variable, memoized; the three
    /// operations are commutative, so operands are memoized in order.
    fn apply(&mut self, op: Op, a: Ref, b: Ref) -> Result<Ref, Undecided> {
        enum Step {
            Expand(Ref, Ref),
            Combine(u32, (Op, Ref, Ref)),
        }
        let mut steps = vec![Step::Expand(a, b)];
        let mut results: Vec<Ref> = Vec::new();
        while let Some(step) = steps.pop() {
            match step {
                Step::Expand(a, b) => {
                    if let Some(r) = Self::terminal_case(op, a, b) {
                        results.push(r);
                        continue;
                    }
                    let key = (op, a.min_ref(b), a.max_ref(b));
                    if let Some(&r) = self.memo.get(&key) {
                        results.push(r);
                        continue;
                    }
                    self.steps += 1;
                    if self.steps > self.budget {
                        return Err(Undecided);
                    }
                    let (na, nb) = (self.node(a)?, self.node(b)?);
                    let var = na.var.min(nb.var);
                    let split = |n: Node, r: Ref| {
                        if n.var == var { (n.lo, n.hi) } else { (r, r) }
                    };
                    let ((a0, a1), (b0, b1)) = (split(na, a), split(nb, b));
                    steps.push(Step::Combine(var, key));
                    steps.push(Step::Expand(a1, b1));
                    steps.push(Step::Expand(a0, b0));
                }
                Step::Combine(var, key) => {
                    let hi = results.pop().ok_or(Undecided)?;
                    let lo = results.pop().ok_or(Undecided)?;
                    let r = self.mk(var, lo, hi)?;
                    self.memo.insert(key, r);
                    results.push(r);
                }
            }
        }
        results.pop().ok_or(Undecided)
    }
}

impl Ref {
    fn min_ref(self, other: Ref) -> Ref {
        if self.0 <= other.0 { self } else { other }
    }

    fn max_ref(self, other: Ref) -> Ref {
        if self.0 <= other.0 { other } else { self }
    }
}

/// Variables for the facts of some conditions, numbered in order of first
/// appearance (facts read together tend to sit together, which keeps the
/// diagrams small); `key` names a fact so that two policies can share one.
pub fn order_of<K: Eq + std::hash::Hash>(keys: impl IntoIterator<Item = K>) -> HashMap<K, usize> {
    let mut order = HashMap::new();
    for k in keys {
        let next = order.len();
        order.entry(k).or_insert(next);
    }
    order
}
