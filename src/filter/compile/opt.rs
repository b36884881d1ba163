//! The optimizer, over the control-flow graph (a DAG):
//!
//! - value numbering of what A, X and M[] hold, with constant folding and propagation (`ldx
//!   M[r]` of a constant becomes `ldx #k`, `op x` with a constant X `op #k`, an indirect load
//!   from a constant X an absolute load), and removal of loads and stores that recompute what a
//!   register already holds;
//! - facts from the branches taken (`jeq #k` taken: the value is k; not taken: it is not k):
//!   jumps whose outcome is known on every path are removed, and an edge into a block whose
//!   statements change nothing and whose jump is decided on that edge goes straight to the
//!   decided successor (jump threading);
//! - removal of statements whose results are never used (like libpcap, a load whose value is
//!   unused is dropped, so a truncated packet may then pass where the unoptimized program would
//!   have rejected it);
//! - jumps with equal targets become gotos, empty blocks are bypassed, identical blocks
//!   (identical returns in particular) are merged, unreachable blocks dropped;
//! - libpcap's `or_pullup`/`and_pullup` ([`try_pullup`]): in an or-chain (and-chain) a test
//!   of the value loaded first moves up next to the first test of that value (`port 80 or
//!   443` tests the source port against 80 and 443, then the destination port), which saves
//!   loads and makes the same loads in the same order as libpcap, so that truncated packets
//!   get libpcap's verdicts too.
//!
//! Like libpcap's, it runs in two phases: first only branches move (threading, pullups) while
//! every load stays where the code generator put it (the pullups look for them), then
//! everything above to a fixed point.

use std::collections::HashMap;

use super::ir::{Block, BlockId, Cfg, Jmp, Term};
use crate::filter::{op, Insn, BPF_JEQ, BPF_MEMWORDS};

type Vn = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Val {
    Imm(u32),
    Len,
    /// Absolute load (also ancillary): code, offset.
    Abs(u16, u32),
    /// Indirect load: code, value of X, offset.
    Ind(u16, Vn, u32),
    Msh(u32),
    Alu(u16, Vn, Vn),
    Neg(Vn),
    /// A value we know nothing about (different on different paths), numbered per site.
    Opaque(u32),
}

#[derive(Default)]
struct Table {
    map: HashMap<Val, Vn>,
    vals: Vec<Val>,
}

impl Table {
    fn vn(&mut self, v: Val) -> Vn {
        let v = match v {
            Val::Alu(code, a, b) => match (self.vals[a as usize], self.vals[b as usize]) {
                (Val::Imm(x), Val::Imm(y)) => match fold(code, x, y) {
                    Some(r) => Val::Imm(r),
                    None => v,
                },
                (_, Val::Imm(0)) if matches!(code & 0xf0, 0x50 | 0x20) => Val::Imm(0),
                (_, Val::Imm(0xffff_ffff)) if code & 0xf0 == 0x40 => Val::Imm(0xffff_ffff),
                _ => v,
            },
            Val::Neg(a) => match self.vals[a as usize] {
                Val::Imm(x) => Val::Imm(x.wrapping_neg()),
                _ => v,
            },
            _ => v,
        };
        if let Some(&n) = self.map.get(&v) {
            return n;
        }
        let n = self.vals.len() as Vn;
        self.vals.push(v);
        self.map.insert(v, n);
        n
    }
    fn imm(&self, n: Vn) -> Option<u32> {
        match self.vals[n as usize] {
            Val::Imm(k) => Some(k),
            _ => None,
        }
    }
}

/// `a op b` for an ALU operation code (the K/X bit ignored); None for division by zero.
fn fold(code: u16, a: u32, b: u32) -> Option<u32> {
    Some(match code & 0xf0 {
        0x00 => a.wrapping_add(b),
        0x10 => a.wrapping_sub(b),
        0x20 => a.wrapping_mul(b),
        0x30 => a.checked_div(b)?,
        0x90 => a.checked_rem(b)?,
        0x40 => a | b,
        0x50 => a & b,
        0xa0 => a ^ b,
        0x60 => a.wrapping_shl(b),
        0x70 => a.wrapping_shr(b),
        _ => return None,
    })
}

/// What is known at a point: the value numbers of A, X, M[], and facts about values.
#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    a: Option<Vn>,
    x: Option<Vn>,
    m: [Option<Vn>; BPF_MEMWORDS as usize],
    /// Value -> Ok(k): equals k; Err(set): differs from each of these.
    facts: HashMap<Vn, Result<u32, Vec<u32>>>,
    /// Outcomes of jumps (`jgt`, `jge`, `jset` against constants) on values.
    preds: HashMap<(Vn, u16, u32), bool>,
}

impl State {
    fn entry() -> State {
        State {
            a: None,
            x: None,
            m: [None; BPF_MEMWORDS as usize],
            facts: HashMap::new(),
            preds: HashMap::new(),
        }
    }

    fn meet(&self, o: &State) -> State {
        let keep = |a: Option<Vn>, b: Option<Vn>| if a == b { a } else { None };
        let mut m = [None; BPF_MEMWORDS as usize];
        for (i, slot) in m.iter_mut().enumerate() {
            *slot = keep(self.m[i], o.m[i]);
        }
        let mut facts = HashMap::new();
        for (v, f) in &self.facts {
            if let Some(g) = o.facts.get(v) {
                match (f, g) {
                    (Ok(a), Ok(b)) if a == b => {
                        facts.insert(*v, Ok(*a));
                    }
                    (Err(a), Err(b)) => {
                        let both: Vec<u32> = a.iter().filter(|k| b.contains(k)).copied().collect();
                        if !both.is_empty() {
                            facts.insert(*v, Err(both));
                        }
                    }
                    (Ok(a), Err(b)) | (Err(b), Ok(a)) => {
                        // equal to a on one side, not in b on the other: "not in b" holds on
                        // both only for the values of b that differ from a.
                        let ne: Vec<u32> = b.iter().filter(|k| *k != a).copied().collect();
                        if !ne.is_empty() {
                            facts.insert(*v, Err(ne));
                        }
                    }
                    _ => {}
                }
            }
        }
        let preds = self
            .preds
            .iter()
            .filter(|(k, v)| o.preds.get(k) == Some(v))
            .map(|(k, v)| (*k, *v))
            .collect();
        State {
            a: keep(self.a, o.a),
            x: keep(self.x, o.x),
            m,
            facts,
            preds,
        }
    }

    fn known(&self, t: &Table, v: Vn) -> Option<u32> {
        t.imm(v).or(match self.facts.get(&v) {
            Some(Ok(k)) => Some(*k),
            _ => None,
        })
    }

    /// The outcome of `jmp` if it is decided here.
    fn decide(&self, t: &Table, jmp: &Jmp) -> Option<bool> {
        let a = self.a?;
        let rhs = if jmp.x { self.known(t, self.x?)? } else { jmp.k };
        if let Some(av) = self.known(t, a) {
            return Some(jmp.eval(av, rhs));
        }
        if let Some(&r) = self.preds.get(&(a, jmp.op, rhs)) {
            return Some(r);
        }
        if jmp.op == BPF_JEQ {
            if let Some(Err(ne)) = self.facts.get(&a) {
                if ne.contains(&rhs) {
                    return Some(false);
                }
            }
            if jmp.x && self.x == Some(a) {
                return Some(true);
            }
        }
        None
    }

    fn add_fact(&mut self, t: &Table, jmp: &Jmp, taken: bool) {
        let (Some(a), rhs) = (
            self.a,
            if jmp.x {
                self.x.and_then(|x| self.known(t, x))
            } else {
                Some(jmp.k)
            },
        ) else {
            return;
        };
        let Some(k) = rhs else { return };
        if jmp.op != BPF_JEQ {
            if self.preds.len() < 256 {
                self.preds.insert((a, jmp.op, k), taken);
            }
            return;
        }
        if taken {
            self.facts.insert(a, Ok(k));
        } else {
            if let Err(ne) = self.facts.entry(a).or_insert_with(|| Err(Vec::new())) {
                if !ne.contains(&k) && ne.len() < 32 {
                    ne.push(k);
                }
            }
        }
    }
}

/// Runs one statement on the state; returns a simpler replacement (or None to delete it).
/// Puts `v` in a register; None when it already holds it (the load is redundant).
fn load(reg: &mut Option<Vn>, v: Vn) -> Option<()> {
    if *reg == Some(v) {
        return None;
    }
    *reg = Some(v);
    Some(())
}

fn step(t: &mut Table, s: &mut State, insn: Insn, site: u32) -> Option<Insn> {
    let k = insn.k;
    let mut out = insn;
    match insn.code {
        op::LD_W_ABS | op::LD_H_ABS | op::LD_B_ABS => {
            let v = t.vn(Val::Abs(insn.code, k));
            load(&mut s.a, v)?;
        }
        op::LD_W_IND | op::LD_H_IND | op::LD_B_IND => {
            let x = s.x.unwrap_or_else(|| t.vn(Val::Opaque(site)));
            let v = match t.imm(x) {
                Some(c) if (k as u64 + c as u64) < 0x8000_0000 => {
                    let abs = insn.code - 0x20; // IND -> ABS
                    out = Insn::stmt(abs, k + c);
                    t.vn(Val::Abs(abs, k + c))
                }
                _ => t.vn(Val::Ind(insn.code, x, k)),
            };
            load(&mut s.a, v)?;
        }
        op::LD_W_LEN => {
            let v = t.vn(Val::Len);
            load(&mut s.a, v)?;
        }
        op::LD_IMM => {
            let v = t.vn(Val::Imm(k));
            load(&mut s.a, v)?;
        }
        op::LDX_IMM => {
            let v = t.vn(Val::Imm(k));
            load(&mut s.x, v)?;
        }
        op::LDX_W_LEN => {
            let v = t.vn(Val::Len);
            load(&mut s.x, v)?;
        }
        op::LDX_B_MSH => {
            let v = t.vn(Val::Msh(k));
            load(&mut s.x, v)?;
        }
        op::LD_MEM => {
            let v = s.m[k as usize].unwrap_or_else(|| t.vn(Val::Opaque(site)));
            s.m[k as usize] = Some(v);
            load(&mut s.a, v)?;
            if let Some(c) = t.imm(v) {
                out = Insn::stmt(op::LD_IMM, c);
            }
        }
        op::LDX_MEM => {
            let v = s.m[k as usize].unwrap_or_else(|| t.vn(Val::Opaque(site)));
            s.m[k as usize] = Some(v);
            load(&mut s.x, v)?;
            if let Some(c) = t.imm(v) {
                out = Insn::stmt(op::LDX_IMM, c);
            }
        }
        op::ST => {
            let v = s.a.unwrap_or_else(|| t.vn(Val::Opaque(site)));
            load(&mut s.m[k as usize], v)?;
            s.a = Some(v);
        }
        op::STX => {
            let v = s.x.unwrap_or_else(|| t.vn(Val::Opaque(site)));
            load(&mut s.m[k as usize], v)?;
            s.x = Some(v);
        }
        op::TAX => {
            let v = s.a.unwrap_or_else(|| t.vn(Val::Opaque(site)));
            load(&mut s.x, v)?;
            s.a = Some(v);
        }
        op::TXA => {
            let v = s.x.unwrap_or_else(|| t.vn(Val::Opaque(site)));
            load(&mut s.a, v)?;
            s.x = Some(v);
        }
        op::NEG => {
            let a = s.a.unwrap_or_else(|| t.vn(Val::Opaque(site)));
            let v = t.vn(Val::Neg(a));
            if let Some(c) = t.imm(v) {
                out = Insn::stmt(op::LD_IMM, c);
            }
            s.a = Some(v);
        }
        code if code & 0x07 == crate::filter::BPF_ALU => {
            let a = s.a.unwrap_or_else(|| t.vn(Val::Opaque(site)));
            let is_x = code & 0x08 != 0;
            let b = if is_x {
                s.x.unwrap_or_else(|| t.vn(Val::Opaque(site + 1)))
            } else {
                t.vn(Val::Imm(k))
            };
            if is_x {
                if let Some(c) = t.imm(b) {
                    let divides = matches!(code & 0xf0, 0x30 | 0x90);
                    let shifts = matches!(code & 0xf0, 0x60 | 0x70);
                    if !(divides && c == 0 || shifts && c > 31) {
                        out = Insn::stmt(code & !0x08, c);
                    }
                }
            }
            let v = t.vn(Val::Alu(code & 0xf0, a, b));
            if let Some(c) = t.imm(v) {
                out = Insn::stmt(op::LD_IMM, c);
            } else if !is_x || out.code != code {
                // x + 0, x | 0, ... change nothing.
                let c = t.imm(b);
                if matches!(
                    (code & 0xf0, c),
                    (0x00 | 0x10 | 0x40 | 0xa0 | 0x60 | 0x70, Some(0)) | (0x20 | 0x30, Some(1))
                ) {
                    s.a = Some(a);
                    return None;
                }
            }
            s.a = Some(v);
        }
        _ => {}
    }
    Some(out)
}

/// Entry states of all reachable blocks (meet over predecessors), in `order`.
fn entry_states(cfg: &Cfg, t: &mut Table, order: &[BlockId]) -> HashMap<BlockId, State> {
    let mut incoming: HashMap<BlockId, State> = HashMap::new();
    incoming.insert(cfg.entry, State::entry());
    let mut entries = HashMap::new();
    for &b in order {
        let Some(mut s) = incoming.remove(&b) else {
            continue;
        };
        entries.insert(b, s.clone());
        let blk = &cfg.blocks[b];
        for (i, insn) in blk.stmts.iter().enumerate() {
            let site = (b as u32) << 12 | (i as u32) << 1;
            let _ = step(t, &mut s, *insn, site);
        }
        let mut push = |to: BlockId, st: State| {
            let merged = match incoming.get(&to) {
                Some(old) => old.meet(&st),
                None => st,
            };
            incoming.insert(to, merged);
        };
        match blk.term {
            Term::Cond { jmp, jt, jf } => match s.decide(t, &jmp) {
                Some(true) => push(jt, s),
                Some(false) => push(jf, s),
                None => {
                    let mut st = s.clone();
                    st.add_fact(t, &jmp, true);
                    push(jt, st);
                    let mut sf = s;
                    sf.add_fact(t, &jmp, false);
                    push(jf, sf);
                }
            },
            Term::Goto(to) => push(to, s),
            Term::Ret(_) => {}
        }
    }
    entries
}

/// One round of value numbering, folding and threading; true if anything changed. With
/// `stmts` false only jumps change (decided jumps, threading), as in libpcap's first
/// optimizer loop, which moves branches while every load is still in place.
fn simplify(cfg: &mut Cfg, stmts: bool) -> bool {
    let mut t = Table::default();
    let order = cfg.order();
    let entries = entry_states(cfg, &mut t, &order);
    let mut changed = false;
    // Liveness, memoized for the whole pass: blocks change in `order`, and are only asked
    // about before they change (everything asked about comes later in `order`).
    let mut memo = HashMap::new();
    for &b in &order {
        let Some(entry) = entries.get(&b) else { continue };
        let mut s = entry.clone();
        let old = cfg.blocks[b].stmts.clone();
        let mut new = Vec::with_capacity(old.len());
        for (i, insn) in old.iter().enumerate() {
            let site = (b as u32) << 12 | (i as u32) << 1;
            if let Some(r) = step(&mut t, &mut s, *insn, site) {
                new.push(r);
            }
        }
        // `sub x; jeq #0` / `sub #k; jeq #0` compare directly (A's value afterwards is not
        // used: every path reloads A before using it, checked by liveness below).
        let mut term = cfg.blocks[b].term;
        if let Term::Cond { jmp, jt, jf } = term {
            if let Some(dec) = s.decide(&t, &jmp) {
                term = Term::Goto(if dec { jt } else { jf });
            } else if stmts && !jmp.x && jmp.op == BPF_JEQ {
                if let Some(last) = new.last().copied() {
                    let live_after = live_in(cfg, jt, &mut memo) | live_in(cfg, jf, &mut memo);
                    if live_after & A_BIT == 0 {
                        if last.code == op::SUB_K {
                            new.pop();
                            term = Term::Cond {
                                jmp: Jmp::k(BPF_JEQ, jmp.k.wrapping_add(last.k)),
                                jt,
                                jf,
                            };
                        } else if last.code == op::ADD_K {
                            new.pop();
                            term = Term::Cond {
                                jmp: Jmp::k(BPF_JEQ, jmp.k.wrapping_sub(last.k)),
                                jt,
                                jf,
                            };
                        } else if last.code == op::XOR_K {
                            new.pop();
                            term = Term::Cond {
                                jmp: Jmp::k(BPF_JEQ, jmp.k ^ last.k),
                                jt,
                                jf,
                            };
                        } else if last.code == op::SUB_X && jmp.k == 0 {
                            new.pop();
                            term = Term::Cond {
                                jmp: Jmp::x(BPF_JEQ),
                                jt,
                                jf,
                            };
                        } else if last.code == op::AND_K && jmp.k == 0 {
                            new.pop();
                            term = Term::Cond {
                                jmp: Jmp::k(crate::filter::BPF_JSET, last.k),
                                jt: jf,
                                jf: jt,
                            };
                        }
                    }
                }
            } else if jmp.x {
                if let Some(c) = s.x.and_then(|x| t.imm(x)) {
                    term = Term::Cond {
                        jmp: Jmp::k(jmp.op, c),
                        jt,
                        jf,
                    };
                }
            }
        }
        if let Term::Cond { jt, jf, .. } = term {
            if jt == jf {
                term = Term::Goto(jt);
            }
        }
        if !stmts {
            new = old;
        }
        if new != cfg.blocks[b].stmts || term != cfg.blocks[b].term {
            changed = true;
            cfg.blocks[b].stmts = new;
            cfg.blocks[b].term = term;
        }
    }
    // Jump threading: an edge into a block that changes nothing on that edge and whose jump
    // is decided there goes to the decided successor.
    let entries = entry_states(cfg, &mut t, &cfg.order());
    let order = cfg.order();
    let mut memo = HashMap::new();
    for &p in &order {
        let Some(entry) = entries.get(&p) else { continue };
        let mut s = entry.clone();
        for (i, insn) in cfg.blocks[p].stmts.clone().iter().enumerate() {
            let site = (p as u32) << 12 | (i as u32) << 1;
            let _ = step(&mut t, &mut s, *insn, site);
        }
        let Term::Cond { jmp, jt, jf } = cfg.blocks[p].term else {
            continue;
        };
        let mut targets = [jt, jf];
        for (idx, taken) in [(0usize, true), (1, false)] {
            let mut st = s.clone();
            st.add_fact(&t, &jmp, taken);
            let mut target = targets[idx];
            // Registers whose values on the new edge would differ from the old path's.
            let mut dirty = 0u32;
            let mut best = target;
            // Follow a chain of blocks whose jumps are decided on this edge.
            for _ in 0..64 {
                let blk = &cfg.blocks[target];
                let mut sim = st.clone();
                for (i, insn) in blk.stmts.iter().enumerate() {
                    let site = (target as u32) << 12 | (i as u32) << 1;
                    let before = (sim.a, sim.x, sim.m);
                    let r = step(&mut t, &mut sim, *insn, site);
                    if r.is_some() {
                        if sim.a != before.0 {
                            dirty |= A_BIT;
                        }
                        if sim.x != before.1 {
                            dirty |= X_BIT;
                        }
                        for (j, (n, o)) in sim.m.iter().zip(before.2.iter()).enumerate() {
                            if n != o {
                                dirty |= 1 << j;
                            }
                        }
                    }
                }
                let next = match blk.term {
                    Term::Cond {
                        jmp: j2,
                        jt: t2,
                        jf: f2,
                    } => match sim.decide(&t, &j2) {
                        Some(true) => {
                            sim.add_fact(&t, &j2, true);
                            t2
                        }
                        Some(false) => {
                            sim.add_fact(&t, &j2, false);
                            f2
                        }
                        None => break,
                    },
                    Term::Goto(to) => to,
                    Term::Ret(_) => break,
                };
                target = next;
                st = sim;
                if dirty & live_in(cfg, target, &mut memo) == 0 {
                    best = target;
                }
            }
            if best != targets[idx] {
                targets[idx] = best;
                changed = true;
            }
        }
        cfg.blocks[p].term = Term::Cond {
            jmp,
            jt: targets[0],
            jf: targets[1],
        };
    }
    changed
}

const A_BIT: u32 = 1 << 16;
const X_BIT: u32 = 1 << 17;

/// Registers a statement reads and writes (bits 0..16 M[], 16 A, 17 X).
fn uses_defs(insn: &Insn) -> (u32, u32) {
    let k = insn.k;
    match insn.code {
        op::LD_W_ABS | op::LD_H_ABS | op::LD_B_ABS | op::LD_W_LEN | op::LD_IMM => (0, A_BIT),
        op::LD_W_IND | op::LD_H_IND | op::LD_B_IND => (X_BIT, A_BIT),
        op::LD_MEM => (1 << k, A_BIT),
        op::LDX_MEM => (1 << k, X_BIT),
        op::LDX_IMM | op::LDX_W_LEN | op::LDX_B_MSH => (0, X_BIT),
        op::ST => (A_BIT, 1 << k),
        op::STX => (X_BIT, 1 << k),
        op::TAX => (A_BIT, X_BIT),
        op::TXA => (X_BIT, A_BIT),
        op::NEG => (A_BIT, A_BIT),
        code if code & 0x07 == crate::filter::BPF_ALU => {
            (A_BIT | if code & 0x08 != 0 { X_BIT } else { 0 }, A_BIT)
        }
        _ => (A_BIT | X_BIT | 0xffff, 0),
    }
}

fn term_uses(term: &Term) -> u32 {
    match term {
        Term::Cond { jmp, .. } => A_BIT | if jmp.x { X_BIT } else { 0 },
        _ => 0,
    }
}

/// Registers live at the start of block `b`, memoized in `memo`.
fn live_in(cfg: &Cfg, b: BlockId, memo: &mut HashMap<BlockId, u32>) -> u32 {
    if let Some(&l) = memo.get(&b) {
        return l;
    }
    let blk = &cfg.blocks[b];
    let mut live = match blk.term {
        Term::Cond { jt, jf, .. } => live_in(cfg, jt, memo) | live_in(cfg, jf, memo),
        Term::Goto(t) => live_in(cfg, t, memo),
        Term::Ret(_) => 0,
    } | term_uses(&blk.term);
    for insn in blk.stmts.iter().rev() {
        let (u, d) = uses_defs(insn);
        live = (live & !d) | u;
    }
    memo.insert(b, live);
    live
}

/// Removes statements whose results are never read.
fn dead_code(cfg: &mut Cfg) -> bool {
    let order = cfg.order();
    let mut memo = HashMap::new();
    // Post-order: successors first.
    for &b in order.iter().rev() {
        live_in(cfg, b, &mut memo);
    }
    let mut changed = false;
    for &b in &order {
        let blk = &cfg.blocks[b];
        let mut live = match blk.term {
            Term::Cond { jt, jf, .. } => memo[&jt] | memo[&jf],
            Term::Goto(t) => memo[&t],
            Term::Ret(_) => 0,
        } | term_uses(&blk.term);
        let mut keep = vec![true; blk.stmts.len()];
        for (i, insn) in blk.stmts.iter().enumerate().rev() {
            let (u, d) = uses_defs(insn);
            if d != 0 && live & d == 0 {
                keep[i] = false;
                continue;
            }
            live = (live & !d) | u;
        }
        if keep.iter().any(|k| !k) {
            let mut it = keep.iter();
            cfg.blocks[b].stmts.retain(|_| *it.next().unwrap_or(&true));
            changed = true;
        }
    }
    changed
}

/// Bypasses empty gotos, merges identical blocks (if `dedup`), turns equal-target jumps into
/// gotos.
fn merge(cfg: &mut Cfg, dedup: bool) -> bool {
    let mut changed = false;
    loop {
        let order = cfg.order();
        // Resolve chains of empty gotos.
        let resolve = |cfg: &Cfg, mut b: BlockId| {
            for _ in 0..cfg.blocks.len() {
                match &cfg.blocks[b] {
                    Block {
                        stmts,
                        term: Term::Goto(t),
                    } if stmts.is_empty() => b = *t,
                    _ => break,
                }
            }
            b
        };
        let mut round = false;
        let mut canon: HashMap<Block, BlockId> = HashMap::new();
        let mut rep: HashMap<BlockId, BlockId> = HashMap::new();
        // Successors first, so that blocks are compared with canonical successors.
        for &b in order.iter().rev() {
            let mut blk = cfg.blocks[b].clone();
            let fix = |x: BlockId| {
                let r = resolve(cfg, x);
                *rep.get(&r).unwrap_or(&r)
            };
            blk.term = match blk.term {
                Term::Cond { jmp, jt, jf } => {
                    let (jt, jf) = (fix(jt), fix(jf));
                    if jt == jf {
                        Term::Goto(jt)
                    } else {
                        Term::Cond { jmp, jt, jf }
                    }
                }
                Term::Goto(t) => Term::Goto(fix(t)),
                r => r,
            };
            if blk != cfg.blocks[b] {
                cfg.blocks[b] = blk.clone();
                round = true;
            }
            match canon.get(&blk) {
                Some(&c) if c != b && dedup => {
                    rep.insert(b, c);
                    round = true;
                }
                _ => {
                    canon.insert(blk, b);
                }
            }
        }
        let e = resolve(cfg, cfg.entry);
        let e = *rep.get(&e).unwrap_or(&e);
        if e != cfg.entry {
            cfg.entry = e;
            round = true;
        }
        if !round {
            return changed;
        }
        changed = true;
    }
}

/// `ld #c; add x; tax; ld [x + k]` with X dead afterwards becomes `ld [x + k+c]` (the
/// transport-header loads of `tcp[...]` with a constant index).
fn peephole(cfg: &mut Cfg) -> bool {
    let order = cfg.order();
    let mut memo = HashMap::new();
    for &b in order.iter().rev() {
        live_in(cfg, b, &mut memo);
    }
    let mut changed = false;
    for &b in &order {
        let blk = &cfg.blocks[b];
        let live_out = match blk.term {
            Term::Cond { jt, jf, .. } => memo[&jt] | memo[&jf],
            Term::Goto(t) => memo[&t],
            Term::Ret(_) => 0,
        } | term_uses(&blk.term);
        // live[i]: registers live after statement i.
        let n = blk.stmts.len();
        let mut live = vec![0u32; n];
        let mut l = live_out;
        for i in (0..n).rev() {
            live[i] = l;
            let (u, d) = uses_defs(&blk.stmts[i]);
            l = (l & !d) | u;
        }
        let mut out = Vec::with_capacity(n);
        let mut i = 0;
        let st = &blk.stmts;
        while i < n {
            if i + 3 < n
                && st[i].code == op::LD_IMM
                && st[i + 1].code == op::ADD_X
                && st[i + 2].code == op::TAX
                && matches!(st[i + 3].code, op::LD_W_IND | op::LD_H_IND | op::LD_B_IND)
                && live[i + 3] & X_BIT == 0
                && (st[i + 3].k as u64 + st[i].k as u64) < 0x8000_0000
            {
                out.push(Insn::stmt(st[i + 3].code, st[i + 3].k + st[i].k));
                i += 4;
                continue;
            }
            if i + 4 < n
                && st[i].code == op::LD_IMM
                && st[i + 1].code == op::LDX_B_MSH
                && st[i + 2].code == op::ADD_X
                && st[i + 3].code == op::TAX
                && matches!(st[i + 4].code, op::LD_W_IND | op::LD_H_IND | op::LD_B_IND)
                && live[i + 4] & X_BIT == 0
                && (st[i + 4].k as u64 + st[i].k as u64) < 0x8000_0000
            {
                out.push(st[i + 1]);
                out.push(Insn::stmt(st[i + 4].code, st[i + 4].k + st[i].k));
                i += 5;
                continue;
            }
            out.push(st[i]);
            i += 1;
        }
        if out.len() != n {
            cfg.blocks[b].stmts = out;
            changed = true;
        }
    }
    changed
}

pub fn optimize(cfg: &mut Cfg) {
    // First, as libpcap's first loop does, move branches only (threading and pullups), with the
    // loads still where the code generator put them: the pullups look for them.
    for _ in 0..32 {
        let a = simplify(cfg, false);
        let b = dead_code(cfg);
        let c = merge(cfg, false);
        let d = peephole(cfg);
        let e = pullup(cfg);
        if !(a || b || c || d || e) {
            break;
        }
    }
    for _ in 0..32 {
        let a = simplify(cfg, true);
        let b = dead_code(cfg);
        let c = merge(cfg, true);
        let d = peephole(cfg);
        let e = pullup(cfg);
        if !(a || b || c || d || e) {
            break;
        }
    }
}

/// What [`pullup`] needs to know about the graph, by block id: predecessors (block, edge), the
/// value of A at the end of the block (None: unknown or unreachable), immediate dominators,
/// registers live on entry, and the reachable blocks in reverse post-order.
struct Shape {
    preds: Vec<Vec<(BlockId, Edge)>>,
    end_a: Vec<Option<Vn>>,
    idom: Vec<Option<BlockId>>,
    live: Vec<u32>,
    order: Vec<BlockId>,
}

/// Which successor of a block an edge is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Edge {
    True,
    False,
    Goto,
}

impl Shape {
    fn of(cfg: &Cfg) -> Shape {
        let n = cfg.blocks.len();
        let order = cfg.order();
        let mut t = Table::default();
        let entries = entry_states(cfg, &mut t, &order);
        let mut end_a = vec![None; n];
        let mut preds: Vec<Vec<(BlockId, Edge)>> = vec![Vec::new(); n];
        for &b in &order {
            if let Some(e) = entries.get(&b) {
                let mut s = e.clone();
                for (i, insn) in cfg.blocks[b].stmts.iter().enumerate() {
                    let site = (b as u32) << 12 | (i as u32) << 1;
                    let _ = step(&mut t, &mut s, *insn, site);
                }
                end_a[b] = s.a;
            }
            match cfg.blocks[b].term {
                Term::Cond { jt, jf, .. } => {
                    preds[jt].push((b, Edge::True));
                    preds[jf].push((b, Edge::False));
                }
                Term::Goto(to) => preds[to].push((b, Edge::Goto)),
                Term::Ret(_) => {}
            }
        }
        // Immediate dominators (Cooper, Harvey and Kennedy), over the reverse post-order.
        let mut pos = vec![usize::MAX; n];
        for (i, &b) in order.iter().enumerate() {
            pos[b] = i;
        }
        let mut idom: Vec<Option<BlockId>> = vec![None; n];
        idom[cfg.entry] = Some(cfg.entry);
        for &b in order.iter().skip(1) {
            let mut new: Option<BlockId> = None;
            for &(p, _) in &preds[b] {
                if idom[p].is_none() {
                    continue;
                }
                new = Some(match new {
                    None => p,
                    Some(mut x) => {
                        let mut y = p;
                        while x != y {
                            while pos[x] > pos[y] {
                                x = idom[x].unwrap_or(cfg.entry);
                            }
                            while pos[y] > pos[x] {
                                y = idom[y].unwrap_or(cfg.entry);
                            }
                        }
                        x
                    }
                });
            }
            idom[b] = new;
        }
        let mut sh = Shape {
            preds,
            end_a,
            idom,
            live: vec![0; n],
            order,
        };
        sh.liveness(cfg);
        sh
    }

    fn liveness(&mut self, cfg: &Cfg) {
        for &b in self.order.iter().rev() {
            let blk = &cfg.blocks[b];
            let mut live = match blk.term {
                Term::Cond { jt, jf, .. } => self.live[jt] | self.live[jf],
                Term::Goto(t) => self.live[t],
                Term::Ret(_) => 0,
            } | term_uses(&blk.term);
            for insn in blk.stmts.iter().rev() {
                let (u, d) = uses_defs(insn);
                live = (live & !d) | u;
            }
            self.live[b] = live;
        }
    }

    /// `d` dominates `b`.
    fn dominates(&self, d: BlockId, mut b: BlockId) -> bool {
        loop {
            if b == d {
                return true;
            }
            match self.idom[b] {
                Some(p) if p != b => b = p,
                _ => return false,
            }
        }
    }
}

/// Registers the statements of a block read before writing them.
fn uses(stmts: &[Insn]) -> u32 {
    stmts.iter().rev().fold(0, |live, s| {
        let (u, d) = uses_defs(s);
        (live & !d) | u
    })
}

/// Registers the statements of a block define.
fn defs(stmts: &[Insn]) -> u32 {
    stmts.iter().fold(0, |acc, s| acc | uses_defs(s).1)
}

/// libpcap's `or_pullup` (`or` true) and `and_pullup`: in a chain of tests that all branch to
/// the same place on success (or: true, and: false) and go on to the next test otherwise, a
/// test of the value A held on entry to the chain, found further down behind tests of other
/// values, moves up to the point where the chain first tests another value: `src == 80 or dst
/// == 80 or src == 443 or dst == 443` becomes `src == 80 or src == 443 or dst == 80 or dst ==
/// 443`, whose second load is then redundant. Besides being shorter, this changes the order of
/// the packet loads, and so what truncated packets give, exactly as libpcap's optimizer does.
///
/// libpcap moves the test without checking that nothing else enters the chain; here the move
/// is made only when it keeps the program's meaning on whole packets (single entries, the
/// moved test defines nothing but A and reads nothing the tests it jumps over define, and
/// those define nothing used where their common branch goes).
fn try_pullup(cfg: &mut Cfg, sh: &mut Shape, b: BlockId, or: bool) -> bool {
    // (common target, next in chain) of a conditional block.
    let split = |cfg: &Cfg, x: BlockId| match cfg.blocks[x].term {
        Term::Cond { jt, jf, .. } => Some(if or { (jt, jf) } else { (jf, jt) }),
        _ => None,
    };
    let Some((common, _)) = split(cfg, b) else {
        return false;
    };
    let Some(&(p0, _)) = sh.preds[b].first() else {
        return false;
    };
    let Some(val) = sh.end_a[p0] else {
        return false;
    };
    if sh.preds[b].iter().any(|&(p, _)| sh.end_a[p] != Some(val)) {
        return false;
    }
    // Down the chain while A is still `val`.
    let mut holder: Option<BlockId> = None;
    let mut diff = b;
    loop {
        match split(cfg, diff) {
            Some((c, next)) if c == common && sh.dominates(b, diff) => {
                if sh.end_a[diff] != Some(val) {
                    break;
                }
                holder = Some(diff);
                diff = next;
            }
            _ => return false,
        }
    }
    // Further down, the first test of `val` again.
    let mut between = vec![diff];
    let mut prev = diff;
    let mut cur = split(cfg, diff).map(|(_, n)| n).unwrap_or(diff);
    loop {
        match split(cfg, cur) {
            Some((c, next)) if c == common && sh.dominates(b, cur) => {
                if sh.end_a[cur] == Some(val) {
                    break;
                }
                between.push(cur);
                prev = cur;
                cur = next;
            }
            _ => return false,
        }
    }
    let pull = cur;
    let Some((_, after)) = split(cfg, pull) else {
        return false;
    };
    // Safety on whole packets.
    if defs(&cfg.blocks[pull].stmts) & !A_BIT != 0 || sh.preds[pull].len() != 1 {
        return false;
    }
    let skipped = between.iter().fold(0, |acc, &x| acc | defs(&cfg.blocks[x].stmts));
    // What it reads is the same where it moves to (so it still loads `val`, which A then
    // already holds).
    if uses(&cfg.blocks[pull].stmts) & skipped != 0 {
        return false;
    }
    for (i, &x) in between.iter().enumerate() {
        if i == 0 && holder.is_none() {
            continue; // diff == b: all its predecessors move to `pull`
        }
        if sh.preds[x].len() != 1 {
            return false;
        }
    }
    if sh.live[after] & A_BIT != 0 || skipped & sh.live[common] != 0 {
        return false;
    }
    // Move it: `prev` skips it, it goes to `diff`, and what went to `diff` goes to it.
    let set_next = |cfg: &mut Cfg, x: BlockId, to: BlockId| {
        if let Term::Cond { jt, jf, .. } = &mut cfg.blocks[x].term {
            if or {
                *jf = to;
            } else {
                *jt = to;
            }
        }
    };
    let next_edge = if or { Edge::False } else { Edge::True };
    set_next(cfg, prev, after);
    set_next(cfg, pull, diff);
    // Keep the shape up to date for the rest of the pass (dominators stay as they were, as in
    // libpcap; the checks above do not depend on them).
    let into_pull = match holder {
        Some(h) => {
            set_next(cfg, h, pull);
            vec![(h, next_edge)]
        }
        None => {
            for &(p, e) in &sh.preds[b] {
                match (&mut cfg.blocks[p].term, e) {
                    (Term::Cond { jt, .. }, Edge::True) => *jt = pull,
                    (Term::Cond { jf, .. }, Edge::False) => *jf = pull,
                    (Term::Goto(to), Edge::Goto) => *to = pull,
                    _ => {}
                }
            }
            sh.preds[b].clone()
        }
    };
    sh.preds[pull] = into_pull;
    sh.preds[diff] = vec![(pull, next_edge)];
    for pe in sh.preds[after].iter_mut() {
        if pe.0 == pull && pe.1 == next_edge {
            pe.0 = prev;
        }
    }
    // A at the end of `after` (and of what follows it without setting A) may have changed.
    let mut stack = vec![after];
    while let Some(x) = stack.pop() {
        if defs(&cfg.blocks[x].stmts) & A_BIT != 0 || sh.end_a[x].is_none() {
            continue;
        }
        sh.end_a[x] = None;
        stack.extend(cfg.succs(x));
    }
    sh.liveness(cfg);
    true
}

/// Runs libpcap's pullups to a fixed point: passes over the blocks nearest the returns first,
/// an or pullup and an and pullup at each, as libpcap's passes do.
fn pullup(cfg: &mut Cfg) -> bool {
    let mut changed = false;
    for _ in 0..1024 {
        let mut sh = Shape::of(cfg);
        // Levels: the longest path to a return.
        let mut level = vec![0usize; cfg.blocks.len()];
        for &b in sh.order.iter().rev() {
            level[b] = cfg.succs(b).iter().map(|&s| level[s] + 1).max().unwrap_or(0);
        }
        let mut blocks: Vec<BlockId> = sh.order.clone();
        blocks.sort_by_key(|&b| level[b]);
        let mut any = false;
        for &b in &blocks {
            any |= try_pullup(cfg, &mut sh, b, true);
            any |= try_pullup(cfg, &mut sh, b, false);
        }
        if !any {
            break;
        }
        changed = true;
    }
    changed
}
