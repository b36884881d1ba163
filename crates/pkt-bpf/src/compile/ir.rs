//! The compiler's intermediate forms: boolean trees of tests (what the code generator builds),
//! the control-flow graph they lower to (what the optimizer rewrites), and the emission of a
//! graph as classic BPF with jumps that fit in 8 bits.

use crate::{op, Insn, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_X};

/// The comparison that ends a test: `jeq`, `jgt`, `jge` or `jset` against `k` or X.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Jmp {
    /// `BPF_JEQ`, `BPF_JGT`, `BPF_JGE` or `BPF_JSET`.
    pub op: u16,
    /// Against X rather than `k`.
    pub x: bool,
    pub k: u32,
}

impl Jmp {
    pub fn k(op: u16, k: u32) -> Jmp {
        Jmp { op, x: false, k }
    }
    pub fn x(op: u16) -> Jmp {
        Jmp { op, x: true, k: 0 }
    }
    pub fn code(&self) -> u16 {
        BPF_JMP | self.op | if self.x { BPF_X } else { BPF_K }
    }
    /// The outcome for A = `a`, X = `x`.
    pub fn eval(&self, a: u32, x: u32) -> bool {
        let v = if self.x { x } else { self.k };
        match self.op {
            BPF_JEQ => a == v,
            BPF_JGT => a > v,
            BPF_JGE => a >= v,
            _ => a & v != 0,
        }
    }
}

/// A boolean combination of tests, evaluated left to right with short circuits, as libpcap's
/// block lists are: a test whose load falls outside the packet ends the whole program with 0.
///
/// Trees are as deep as the expression is long (`tcp and tcp and ...` is a chain of `And`s):
/// nothing walks them recursively, and dropping one takes an explicit stack (see `Drop`).
pub enum Node {
    /// Run the statements, then branch on the jump. The statements may branch among
    /// themselves (forward, offsets within the list), as libpcap's live `vlan N` block does.
    Test(Vec<Insn>, Jmp),
    /// Run the statements (side effects on A, X and M[] that later tests use); true.
    Effect(Vec<Insn>),
    Const(bool),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    /// `protochain`: walks IPv6 extension headers and AH from A (next header) and X (its
    /// offset); see [`Chain`].
    Chain(Box<Chain>),
}

/// libpcap's protochain loop, unrolled [`Chain::DEPTH`] times (classic BPF has no backward
/// jumps): `A == v` is true; `A == 59` (no next header) false; an IPv6 extension header (hop
/// by hop, destination options, routing, fragment) or AH advances X and A and goes round
/// again; anything else is false, as is a chain longer than `DEPTH`. The AH step sets X to
/// the AH header's length rather than adding it, as libpcap's does.
#[derive(Clone, Debug)]
pub struct Chain {
    pub v: u32,
    pub v6: bool,
    /// Offset of the network header.
    pub nl: u32,
    /// Scratch register for the next-header value.
    pub reg: u32,
}

impl Chain {
    pub(crate) const DEPTH: usize = 6;
}

impl Drop for Node {
    fn drop(&mut self) {
        // Moves the composite children out (leaving a leaf in their place) onto a stack, so
        // that every node is dropped with leaves only below it: no recursion.
        fn take(n: &mut Node, stack: &mut Vec<Node>) {
            let mut one = |b: &mut Box<Node>| {
                if matches!(**b, Node::And(..) | Node::Or(..) | Node::Not(_)) {
                    stack.push(std::mem::replace(&mut **b, Node::Const(false)));
                }
            };
            match n {
                Node::And(a, b) | Node::Or(a, b) => {
                    one(a);
                    one(b);
                }
                Node::Not(a) => one(a),
                _ => {}
            }
        }
        let mut stack = Vec::new();
        take(self, &mut stack);
        while let Some(mut n) = stack.pop() {
            take(&mut n, &mut stack);
        }
    }
}

impl Node {
    pub fn test(stmts: Vec<Insn>, jmp: Jmp) -> Node {
        Node::Test(stmts, jmp)
    }
    pub fn and(a: Node, b: Node) -> Node {
        Node::And(Box::new(a), Box::new(b))
    }
    pub fn or(a: Node, b: Node) -> Node {
        Node::Or(Box::new(a), Box::new(b))
    }
    #[allow(clippy::should_implement_trait)]
    pub fn not(a: Node) -> Node {
        Node::Not(Box::new(a))
    }
    /// How many blocks the node lowers to at least: its tests, constants, protochains and
    /// effects with statements (each its own block, every one reachable).
    pub fn least_blocks(&self) -> usize {
        let mut stack = vec![self];
        let mut n = 0;
        while let Some(x) = stack.pop() {
            match x {
                Node::And(a, b) | Node::Or(a, b) => {
                    stack.push(a);
                    stack.push(b);
                }
                Node::Not(a) => stack.push(a),
                Node::Effect(s) if s.is_empty() => {}
                _ => n += 1,
            }
        }
        n
    }
    /// Folds `and`s left to right.
    pub fn all(nodes: impl IntoIterator<Item = Node>) -> Node {
        let mut it = nodes.into_iter();
        let first = it.next().unwrap_or(Node::Const(true));
        it.fold(first, Node::and)
    }
    /// Folds `or`s left to right.
    pub fn any(nodes: impl IntoIterator<Item = Node>) -> Node {
        let mut it = nodes.into_iter();
        let first = it.next().unwrap_or(Node::Const(false));
        it.fold(first, Node::or)
    }
}

pub type BlockId = usize;

/// How a block ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Term {
    Cond { jmp: Jmp, jt: BlockId, jf: BlockId },
    Goto(BlockId),
    Ret(u32),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Block {
    pub stmts: Vec<Insn>,
    pub term: Term,
}

/// A program as a DAG of blocks; `entry` is where it starts.
#[derive(Clone, Debug)]
pub struct Cfg {
    pub blocks: Vec<Block>,
    pub entry: BlockId,
}

impl Cfg {
    /// Lowers `root`: accept returns `snaplen`, reject 0.
    pub fn lower(root: &Node, snaplen: u32) -> Cfg {
        let mut cfg = Cfg {
            blocks: Vec::new(),
            entry: 0,
        };
        let accept = cfg.add(Vec::new(), Term::Ret(snaplen));
        let reject = cfg.add(Vec::new(), Term::Ret(0));
        cfg.entry = cfg.lower_node(root, accept, reject);
        cfg
    }

    pub fn add(&mut self, stmts: Vec<Insn>, term: Term) -> BlockId {
        self.blocks.push(Block { stmts, term });
        self.blocks.len() - 1
    }

    /// The entry of `n` with true going to `t` and false to `f`. Blocks are added in the order
    /// of a recursive descent that lowers the right operand of `and`/`or` before the left one
    /// (the left one jumps into it), with an explicit stack instead of recursion: trees are
    /// as deep as their input is long.
    fn lower_node(&mut self, n: &Node, t: BlockId, f: BlockId) -> BlockId {
        /// What is left to do when a subtree's entry is known.
        enum Then<'a> {
            /// Lower the left operand of an `and` into the right one's entry, false to `f`.
            And(&'a Node, BlockId),
            /// Lower the left operand of an `or`: true to `t`, false into the right one's entry.
            Or(&'a Node, BlockId),
        }
        let mut then: Vec<Then<'_>> = Vec::new();
        let (mut n, mut t, mut f) = (n, t, f);
        loop {
            let entry = match n {
                Node::Not(a) => {
                    (n, t, f) = (a, f, t);
                    continue;
                }
                Node::And(a, b) => {
                    then.push(Then::And(a, f));
                    n = b;
                    continue;
                }
                Node::Or(a, b) => {
                    then.push(Then::Or(a, t));
                    n = b;
                    continue;
                }
                Node::Test(stmts, jmp) => self.add(
                    stmts.clone(),
                    Term::Cond {
                        jmp: *jmp,
                        jt: t,
                        jf: f,
                    },
                ),
                Node::Effect(stmts) => {
                    if stmts.is_empty() {
                        t
                    } else {
                        self.add(stmts.clone(), Term::Goto(t))
                    }
                }
                // libpcap's `gen_true`/`gen_false`: a test of a loaded constant, which the
                // optimizer folds.
                Node::Const(v) => self.add(
                    vec![Insn::stmt(op::LD_IMM, u32::from(!*v))],
                    Term::Cond {
                        jmp: Jmp::k(BPF_JEQ, 0),
                        jt: t,
                        jf: f,
                    },
                ),
                Node::Chain(c) => self.lower_chain(c, t, f),
            };
            match then.pop() {
                None => return entry,
                Some(Then::And(a, af)) => (n, t, f) = (a, entry, af),
                Some(Then::Or(a, at)) => (n, t, f) = (a, at, entry),
            }
        }
    }

    fn lower_chain(&mut self, c: &Chain, t: BlockId, f: BlockId) -> BlockId {
        let st = |code, k| Insn::stmt(code, k);
        let mut next = f;
        for _ in 0..Chain::DEPTH {
            let ah_adv = self.add(
                vec![
                    st(op::TXA, 0),
                    st(op::LD_B_IND, c.nl),
                    st(op::ST, c.reg),
                    st(op::TXA, 0),
                    st(op::ADD_K, 1),
                    st(op::TAX, 0),
                    st(op::LD_B_IND, c.nl),
                    st(op::ADD_K, 2),
                    st(op::MUL_K, 4),
                    st(op::TAX, 0),
                    st(op::LD_MEM, c.reg),
                ],
                Term::Goto(next),
            );
            let ah = self.add(
                vec![],
                Term::Cond {
                    jmp: Jmp::k(BPF_JEQ, 51),
                    jt: ah_adv,
                    jf: f,
                },
            );
            let mut after = ah;
            if c.v6 {
                let adv = self.add(
                    vec![
                        st(op::LD_B_IND, c.nl),
                        st(op::ST, c.reg),
                        st(op::LD_B_IND, c.nl + 1),
                        st(op::ADD_K, 1),
                        st(op::MUL_K, 8),
                        st(op::ADD_X, 0),
                        st(op::TAX, 0),
                        st(op::LD_MEM, c.reg),
                    ],
                    Term::Goto(next),
                );
                for k in [44u32, 43, 60, 0] {
                    after = self.add(
                        vec![],
                        Term::Cond {
                            jmp: Jmp::k(BPF_JEQ, k),
                            jt: adv,
                            jf: after,
                        },
                    );
                }
            }
            let none = self.add(
                vec![],
                Term::Cond {
                    jmp: Jmp::k(BPF_JEQ, 59),
                    jt: f,
                    jf: after,
                },
            );
            next = self.add(
                vec![],
                Term::Cond {
                    jmp: Jmp::k(BPF_JEQ, c.v),
                    jt: t,
                    jf: none,
                },
            );
        }
        next
    }

    /// A lower bound of the emitted program's length: the statements and the jump or return
    /// of every reachable block (gotos may fall through; trampolines come on top).
    pub fn least_len(&self) -> usize {
        self.order()
            .into_iter()
            .map(|b| {
                let blk = &self.blocks[b];
                blk.stmts.len() + usize::from(!matches!(blk.term, Term::Goto(_)))
            })
            .sum()
    }

    pub fn succs(&self, b: BlockId) -> Vec<BlockId> {
        match self.blocks[b].term {
            Term::Cond { jt, jf, .. } => vec![jt, jf],
            Term::Goto(t) => vec![t],
            Term::Ret(_) => vec![],
        }
    }

    /// Blocks reachable from the entry, in an order where every block comes before its
    /// successors (reverse post-order).
    pub fn order(&self) -> Vec<BlockId> {
        let n = self.blocks.len();
        let mut seen = vec![false; n];
        let mut post = Vec::with_capacity(n);
        // Iterative DFS: (block, next successor index).
        let mut stack = vec![(self.entry, 0usize)];
        seen[self.entry] = true;
        while let Some(&mut (b, ref mut i)) = stack.last_mut() {
            let succs = self.succs(b);
            // Visit the false branch first so that the true branch tends to follow its test.
            let order: Vec<BlockId> = succs.iter().rev().copied().collect();
            if *i < order.len() {
                let s = order[*i];
                *i += 1;
                if !seen[s] {
                    seen[s] = true;
                    stack.push((s, 0));
                }
            } else {
                post.push(b);
                stack.pop();
            }
        }
        post.reverse();
        post
    }

    /// Emits the program: blocks in `order()` (as libpcap lays them out), an unconditional `ja` where
    /// a block does not fall through to its successor, and `ja` trampolines where a conditional
    /// jump would be longer than 255 instructions.
    pub fn emit(&self) -> Vec<Insn> {
        // libpcap's layout: each block before what it jumps to, the false branch's blocks
        // after the true branch's (reverse post-order of a walk taking the false branch first).
        let order = self.order();
        // Trampolines: (block, true edge?) pairs that go through a `ja` after the block.
        let mut tramp: std::collections::HashSet<(BlockId, bool)> = Default::default();
        loop {
            let (pos, len) = self.layout(&order, &tramp);
            let mut added = false;
            for &b in &order {
                if let Term::Cond { jt, jf, .. } = self.blocks[b].term {
                    let at = pos[b].1; // index of the jump instruction
                    for (edge, target) in [(true, jt), (false, jf)] {
                        if tramp.contains(&(b, edge)) {
                            continue;
                        }
                        let dist = pos[target].0 as i64 - at as i64 - 1;
                        if !(0..=255).contains(&dist) {
                            tramp.insert((b, edge));
                            added = true;
                        }
                    }
                }
            }
            if !added {
                return self.write(&order, &tramp, &pos, len);
            }
        }
    }

    /// Start index and jump index of every block, and the total length.
    fn layout(
        &self,
        order: &[BlockId],
        tramp: &std::collections::HashSet<(BlockId, bool)>,
    ) -> (Vec<(usize, usize)>, usize) {
        let mut pos = vec![(0usize, 0usize); self.blocks.len()];
        let mut at = 0;
        for (i, &b) in order.iter().enumerate() {
            let blk = &self.blocks[b];
            let start = at;
            at += blk.stmts.len();
            let jump = at;
            match blk.term {
                Term::Cond { .. } => {
                    at += 1;
                    at += usize::from(tramp.contains(&(b, true))) + usize::from(tramp.contains(&(b, false)));
                }
                Term::Ret(_) => at += 1,
                Term::Goto(t) => {
                    if order.get(i + 1) != Some(&t) {
                        at += 1;
                    }
                }
            }
            pos[b] = (start, jump);
        }
        (pos, at)
    }

    fn write(
        &self,
        order: &[BlockId],
        tramp: &std::collections::HashSet<(BlockId, bool)>,
        pos: &[(usize, usize)],
        len: usize,
    ) -> Vec<Insn> {
        let mut out = Vec::with_capacity(len);
        for (i, &b) in order.iter().enumerate() {
            let blk = &self.blocks[b];
            out.extend_from_slice(&blk.stmts);
            match blk.term {
                Term::Ret(k) => out.push(Insn::stmt(op::RET_K, k)),
                Term::Goto(t) => {
                    if order.get(i + 1) != Some(&t) {
                        let here = out.len();
                        out.push(Insn::stmt(op::JA, (pos[t].0 - here - 1) as u32));
                    }
                }
                Term::Cond { jmp, jt, jf } => {
                    let here = out.len();
                    let mut next = here + 1;
                    let mut tslot = None;
                    let mut fslot = None;
                    if tramp.contains(&(b, true)) {
                        tslot = Some(next);
                        next += 1;
                    }
                    if tramp.contains(&(b, false)) {
                        fslot = Some(next);
                    }
                    let off = |target: usize| (target - here - 1) as u8;
                    let t_at = tslot.unwrap_or(pos[jt].0);
                    let f_at = fslot.unwrap_or(pos[jf].0);
                    out.push(Insn::jump(jmp.code(), jmp.k, off(t_at), off(f_at)));
                    for (slot, target) in [(tslot, jt), (fslot, jf)] {
                        if let Some(s) = slot {
                            debug_assert_eq!(out.len(), s);
                            out.push(Insn::stmt(op::JA, (pos[target].0 - s - 1) as u32));
                        }
                    }
                }
            }
        }
        debug_assert_eq!(out.len(), len);
        out
    }
}

/// `BPF_JGE` and `BPF_JGT` as used by relations.
pub(crate) const JGE: u16 = BPF_JGE;
pub(crate) const JGT: u16 = BPF_JGT;
pub(crate) const JEQ: u16 = BPF_JEQ;
pub(crate) const JSET: u16 = BPF_JSET;
