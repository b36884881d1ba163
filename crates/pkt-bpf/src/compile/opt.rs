//! The optimizer. It takes the decisions libpcap 1.10's optimizer takes, so that our optimized
//! programs load the same packet bytes in the same order as libpcap's (a truncated packet then
//! gets the same verdict) and have the same size. Its parts, over a DAG of blocks (statements,
//! then a conditional jump or a return) numbered in depth-first pre-order from the root, true
//! branch first:
//!
//! - global value numbering ([`Values`]): every register (A, X, the 16 scratch words) holds a
//!   value number at the end of each block; numbers of loads, constants and ALU results are
//!   shared through a table keyed by (opcode, operand numbers), and a block starts with the
//!   numbers its predecessors agree on (0: unknown). With statements enabled, this folds
//!   constants, turns indirect loads with a known X into absolute loads, and deletes statements
//!   that store a value the register already holds;
//! - peephole rules on each block ([`Opt::peep`]), and deletion of definitions that nothing reads
//!   ([`Opt::dead_stores`]) using the registers live at the block's exit;
//! - branch threading ([`Opt::thread`]): an edge into a block whose test repeats, on the same A
//!   and operand, a test on an edge dominating it goes straight to the outcome, and an edge into
//!   a block with both branches equal skips it, when the registers read after the new target
//!   hold the same values;
//! - or/and pull-ups ([`Opt::pull_up`]): in a chain of tests sharing their success (or failure)
//!   exit, a later test of the value the chain started with moves up next to it;
//! - passes to a fixed point with statements frozen (only branches move: threading and
//!   pull-ups look for the loads where the code generator put them), then passes to a fixed
//!   point with statements enabled (no branch movement), merging of identical blocks and a
//!   final cleanup of the root.
//!
//! As in libpcap, analyses (levels, dominators, liveness, predecessors) are computed once per
//! pass and not refreshed while the pass rewrites the graph; the decisions depend on that, as
//! they depend on the block numbering (threading tries dominating edges in number order).
//!
//! The statements of an effect (a goto block of the graph) join the block it leads to when
//! nothing else leads there, which is where libpcap puts them; a goto that stays is a block
//! that threading never skips or folds.

use super::ir::{Block, Cfg, Jmp, Term};
use crate::{op, Insn, BPF_MEMWORDS};

/// A deleted statement.
const NOP: u16 = 0xffff;
/// No block (the branches of a return).
const NONE: usize = usize::MAX;
const MEM: usize = BPF_MEMWORDS as usize;
/// Registers tracked: the scratch words, then A and X.
const N_REGS: usize = MEM + 2;
const RA: usize = MEM;
const RX: usize = MEM + 1;
/// Both A and X (ALU and jumps with an X operand).
const RAX: usize = N_REGS;
/// The largest graph optimized.
const MAX_BLOCKS: usize = 12_000;
/// The error for a graph of more than [`MAX_BLOCKS`] blocks.
pub(crate) const TOO_COMPLEX: &str = "filter is too complex to optimize";
/// A value nothing is known about.
const UNKNOWN: u32 = 0;

fn class(code: u16) -> u16 {
    code & 0x07
}
fn mode(code: u16) -> u16 {
    code & 0xe0
}
fn src_x(code: u16) -> bool {
    code & 0x08 != 0
}
fn bit(r: usize) -> u32 {
    1 << r
}

const CLASS_LD: u16 = 0x00;
const CLASS_LDX: u16 = 0x01;
const CLASS_ST: u16 = 0x02;
const CLASS_STX: u16 = 0x03;
const CLASS_ALU: u16 = 0x04;
const CLASS_JMP: u16 = 0x05;
const CLASS_RET: u16 = 0x06;
const CLASS_MISC: u16 = 0x07;
const MODE_IND: u16 = 0x40;
const MODE_MEM: u16 = 0x60;

/// The register a statement reads (RAX for both), if any.
fn reads(s: &Insn) -> Option<usize> {
    if s.code == NOP {
        return None;
    }
    match class(s.code) {
        CLASS_RET => match s.code & 0x18 {
            0x10 => Some(RA),
            0x08 => Some(RX),
            _ => None,
        },
        CLASS_LD | CLASS_LDX => match mode(s.code) {
            MODE_IND => Some(RX),
            MODE_MEM if (s.k as usize) < MEM => Some(s.k as usize),
            _ => None,
        },
        CLASS_ST => Some(RA),
        CLASS_STX => Some(RX),
        CLASS_JMP | CLASS_ALU => Some(if src_x(s.code) { RAX } else { RA }),
        _ => Some(if s.code == op::TXA { RX } else { RA }),
    }
}

/// The register the jump or return ending a block reads; a goto block's `ja` reads nothing.
fn term_reads(code: u16, k: u32) -> Option<usize> {
    if code == op::JA {
        None
    } else {
        reads(&Insn::stmt(code, k))
    }
}

/// A block's statements without the deleted ones. A conditional jump among the statements (the
/// live `vlan N` test has one) gives its targets as offsets in the statement list, deleted
/// entries included; they are resolved as libpcap does when it lays out a block: against the
/// first n entries of the list, n being the number of statements left, and a jump that is the
/// last statement but one keeps offsets 0. (With deletions before the targets this is not
/// the jump the code generator meant, but it is libpcap's program.) An unconditional `ja` keeps
/// its count.
fn emit_stmts(list: &[Insn]) -> Res<Vec<Insn>> {
    let live: Vec<usize> = (0..list.len()).filter(|&i| list[i].code != NOP).collect();
    let n = live.len();
    let mut out = Vec::with_capacity(n);
    for (at, &i) in live.iter().enumerate() {
        let mut s = list[i];
        if class(s.code) == CLASS_JMP && s.code != op::JA && at + 2 != n {
            let resolve = |rel: u8| -> Res<u8> {
                let target = i + 1 + rel as usize;
                if target >= n {
                    return Err(format!(
                        "no destination found for block-local relative jump: off={at}"
                    ));
                }
                match target.checked_sub(at + 1) {
                    Some(d) if d < 256 => Ok(d as u8),
                    _ => Err(format!(
                        "out-of-range jump for block-local relative jump: off={at}"
                    )),
                }
            };
            s.jt = resolve(s.jt)?;
            s.jf = resolve(s.jf)?;
        } else if class(s.code) == CLASS_JMP && s.code != op::JA {
            s.jt = 0;
            s.jf = 0;
        }
        out.push(s);
    }
    Ok(out)
}

/// The register a statement writes, if any.
fn writes(s: &Insn) -> Option<usize> {
    if s.code == NOP {
        return None;
    }
    match class(s.code) {
        CLASS_LD | CLASS_ALU => Some(RA),
        CLASS_LDX => Some(RX),
        CLASS_ST | CLASS_STX if (s.k as usize) < MEM => Some(s.k as usize),
        CLASS_MISC => Some(if s.code == op::TAX { RX } else { RA }),
        _ => None,
    }
}

/// The value-number table: (opcode, operand, operand) -> number, and the constants.
#[derive(Default)]
struct Values {
    map: std::collections::HashMap<(u16, u32, u32), u32>,
    /// Constant of each number (index 0 is UNKNOWN).
    konst: Vec<Option<u32>>,
}

impl Values {
    fn reset(&mut self) {
        self.map.clear();
        self.konst.clear();
        self.konst.push(None);
    }
    fn num(&mut self, code: u16, v0: u32, v1: u32) -> u32 {
        if let Some(&v) = self.map.get(&(code, v0, v1)) {
            return v;
        }
        let v = self.konst.len() as u32;
        let is_imm = mode(code) == 0 && (class(code) == CLASS_LD || class(code) == CLASS_LDX);
        self.konst.push(if is_imm { Some(v0) } else { None });
        self.map.insert((code, v0, v1), v);
        v
    }
    fn k(&mut self, c: u32) -> u32 {
        self.num(op::LD_IMM, c, 0)
    }
    fn konst(&self, v: u32) -> Option<u32> {
        self.konst.get(v as usize).copied().flatten()
    }
}

/// Sets of block or edge numbers, one row each, in one allocation.
struct Sets {
    words: usize,
    bits: Vec<u64>,
}

impl Sets {
    fn new(rows: usize, width: usize) -> Sets {
        let words = width / 64 + 1;
        Sets {
            words,
            bits: vec![0; rows * words],
        }
    }
    fn fill(&mut self) {
        self.bits.iter_mut().for_each(|w| *w = !0);
    }
    fn row(&self, r: usize) -> &[u64] {
        &self.bits[r * self.words..(r + 1) * self.words]
    }
    fn clear_row(&mut self, r: usize) {
        let w = self.words;
        self.bits[r * w..(r + 1) * w].iter_mut().for_each(|x| *x = 0);
    }
    fn insert(&mut self, r: usize, i: usize) {
        self.bits[r * self.words + i / 64] |= 1 << (i % 64);
    }
    fn has(&self, r: usize, i: usize) -> bool {
        self.bits[r * self.words + i / 64] & (1 << (i % 64)) != 0
    }
    /// Row `dst` &= row `src`.
    fn intersect(&mut self, dst: usize, src: usize) {
        if dst == src {
            return;
        }
        let w = self.words;
        for i in 0..w {
            let s = self.bits[src * w + i];
            self.bits[dst * w + i] &= s;
        }
    }
}

struct Blk {
    stmts: Vec<Insn>,
    /// The jump (JEQ/JGT/JGE/JSET with K or X, JA for a plain goto) or the return.
    code: u16,
    k: u32,
    jt: usize,
    jf: usize,
    level: usize,
    /// Value numbers of the registers at the end of the block.
    val: [u32; N_REGS],
    /// Value number of the jump's operand.
    oval: u32,
    kill: u32,
    in_use: u32,
    out_use: u32,
    /// Opcodes of the edges for threading, as of this pass (the false edge negated).
    code_t: i32,
    code_f: i32,
}

impl Blk {
    fn leaf(&self) -> bool {
        self.jt == NONE
    }
}

/// One branch: the true or the false edge of a block.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Edge {
    from: usize,
    taken: bool,
}

struct Opt {
    b: Vec<Blk>,
    root: usize,
    vals: Values,
    /// Something changed in this pass.
    changed: bool,
    /// Something other than branch movement changed in this pass.
    moved_code: bool,
    /// Blocks by level, each in processing order.
    levels: Vec<Vec<usize>>,
    dom: Sets,
    /// Edge dominators; edge numbers: true edge of block i is i, false edge n + i.
    edom: Sets,
    /// Predecessor edges of each block, in processing order.
    preds: Vec<Vec<Edge>>,
}

type Res<T> = Result<T, String>;

impl Opt {
    fn new(cfg: &Cfg) -> Opt {
        // Effect blocks (gotos) are part of the block they lead to when nothing else leads
        // there, as libpcap prepends such statements to the next test.
        let n0 = cfg.blocks.len();
        let mut npred = vec![0usize; n0];
        for b in cfg.order() {
            for s in match cfg.blocks[b].term {
                Term::Cond { jt, jf, .. } => vec![jt, jf],
                Term::Goto(t) => vec![t],
                Term::Ret(_) => vec![],
            } {
                npred[s] += 1;
            }
        }
        let expand = |b: usize| -> (Vec<Insn>, Term) {
            let mut stmts = cfg.blocks[b].stmts.clone();
            let mut term = cfg.blocks[b].term;
            let mut steps = 0;
            while let Term::Goto(t) = term {
                if npred[t] != 1 || t == b || steps > n0 {
                    break;
                }
                stmts.extend_from_slice(&cfg.blocks[t].stmts);
                term = cfg.blocks[t].term;
                steps += 1;
            }
            (stmts, term)
        };
        // Number in pre-order, true branch first.
        let mut id = vec![NONE; n0];
        let mut order = Vec::new();
        let mut terms = Vec::new();
        let mut stack = vec![cfg.entry];
        while let Some(c) = stack.pop() {
            if id[c] != NONE {
                continue;
            }
            id[c] = order.len();
            let (stmts, term) = expand(c);
            order.push(stmts);
            terms.push(term);
            match term {
                Term::Cond { jt, jf, .. } => {
                    stack.push(jf);
                    stack.push(jt);
                }
                Term::Goto(t) => stack.push(t),
                Term::Ret(_) => {}
            }
        }
        let n = order.len();
        let b = order
            .into_iter()
            .zip(terms)
            .map(|(stmts, term)| {
                let (code, k, jt, jf) = match term {
                    Term::Cond { jmp, jt, jf } => (jmp.code(), jmp.k, id[jt], id[jf]),
                    Term::Goto(t) => (op::JA, 0, id[t], id[t]),
                    Term::Ret(k) => (op::RET_K, k, NONE, NONE),
                };
                Blk {
                    stmts,
                    code,
                    k,
                    jt,
                    jf,
                    level: 0,
                    val: [UNKNOWN; N_REGS],
                    oval: UNKNOWN,
                    kill: 0,
                    in_use: 0,
                    out_use: 0,
                    code_t: 0,
                    code_f: 0,
                }
            })
            .collect();
        Opt {
            b,
            root: 0,
            vals: Values::default(),
            changed: false,
            moved_code: false,
            levels: Vec::new(),
            dom: Sets::new(n, n),
            edom: Sets::new(2 * n, 2 * n),
            preds: vec![Vec::new(); n],
        }
    }

    fn n(&self) -> usize {
        self.b.len()
    }

    fn to_cfg(&self) -> Res<Cfg> {
        let mut cfg = Cfg {
            blocks: Vec::with_capacity(self.n()),
            entry: self.root,
        };
        for b in &self.b {
            let stmts = emit_stmts(&b.stmts)?;
            let term = if b.leaf() {
                Term::Ret(b.k)
            } else if b.code == op::JA {
                Term::Goto(b.jt)
            } else {
                Term::Cond {
                    jmp: Jmp {
                        op: b.code & 0xf0,
                        x: src_x(b.code),
                        k: b.k,
                    },
                    jt: b.jt,
                    jf: b.jf,
                }
            };
            cfg.blocks.push(Block { stmts, term });
        }
        Ok(cfg)
    }

    fn edge_to(&self, e: Edge) -> usize {
        let b = &self.b[e.from];
        if e.taken {
            b.jt
        } else {
            b.jf
        }
    }
    fn set_edge(&mut self, e: Edge, to: usize) {
        let b = &mut self.b[e.from];
        if e.taken {
            b.jt = to;
        } else {
            b.jf = to;
        }
    }
    fn edge_id(&self, e: Edge) -> usize {
        if e.taken {
            e.from
        } else {
            self.n() + e.from
        }
    }
    fn edge_of(&self, id: usize) -> Edge {
        let n = self.n();
        Edge {
            from: id % n,
            taken: id < n,
        }
    }

    fn mark_code(&mut self) {
        self.changed = true;
        self.moved_code = true;
    }

    /// Levels (0 for returns, else one more than the highest successor), each level listing
    /// its blocks last-finished first in a depth-first walk, true branch first.
    fn find_levels(&mut self) {
        let n = self.n();
        let mut seen = vec![false; n];
        let mut finished: Vec<usize> = Vec::new();
        let mut stack: Vec<(usize, u8)> = vec![(self.root, 0)];
        seen[self.root] = true;
        while let Some(top) = stack.last_mut() {
            let (b, step) = *top;
            let next = match step {
                0 => self.b[b].jt,
                1 => self.b[b].jf,
                _ => {
                    stack.pop();
                    let blk = &self.b[b];
                    let level = if blk.leaf() {
                        0
                    } else {
                        self.b[blk.jt].level.max(self.b[blk.jf].level) + 1
                    };
                    self.b[b].level = level;
                    finished.push(b);
                    continue;
                }
            };
            top.1 += 1;
            if next != NONE && !seen[next] {
                seen[next] = true;
                stack.push((next, 0));
            }
        }
        let max = self.b[self.root].level;
        self.levels = vec![Vec::new(); max + 1];
        for &b in finished.iter().rev() {
            let l = self.b[b].level;
            self.levels[l].push(b);
        }
    }

    /// Blocks from the root's level down (predecessors before successors).
    fn top_down(&self) -> Vec<usize> {
        self.levels.iter().rev().flatten().copied().collect()
    }

    /// Blocks from level 1 up.
    fn bottom_up(&self) -> Vec<usize> {
        self.levels.iter().skip(1).flatten().copied().collect()
    }

    fn find_dom(&mut self) {
        self.dom.fill();
        self.dom.clear_row(self.root);
        for b in self.top_down() {
            self.dom.insert(b, b);
            let (jt, jf) = (self.b[b].jt, self.b[b].jf);
            if jt == NONE {
                continue;
            }
            self.dom.intersect(jt, b);
            self.dom.intersect(jf, b);
        }
    }

    fn find_edom(&mut self) {
        let n = self.n();
        self.edom.fill();
        self.edom.clear_row(self.root);
        self.edom.clear_row(n + self.root);
        for b in self.top_down() {
            for e in [b, n + b] {
                self.edom.insert(e, e);
                let to = if e < n { self.b[b].jt } else { self.b[b].jf };
                if to != NONE {
                    self.edom.intersect(to, e);
                    self.edom.intersect(n + to, e);
                }
            }
        }
    }

    /// Registers each block reads before writing (`in_use`), writes before reading (`kill`),
    /// and that are read after it (`out_use`).
    fn find_use(&mut self) {
        for b in self.top_down() {
            let blk = &mut self.b[b];
            let (mut def, mut used, mut kill) = (0u32, 0u32, 0u32);
            let note = |r: Option<usize>, def: u32, used: &mut u32| match r {
                Some(RAX) => {
                    *used |= (bit(RA) | bit(RX)) & !def;
                }
                Some(r) => *used |= bit(r) & !def,
                None => {}
            };
            for s in &blk.stmts {
                if s.code == NOP {
                    continue;
                }
                note(reads(s), def, &mut used);
                if let Some(w) = writes(s) {
                    if used & bit(w) == 0 {
                        kill |= bit(w);
                    }
                    def |= bit(w);
                }
            }
            if class(blk.code) == CLASS_JMP {
                note(term_reads(blk.code, blk.k), def, &mut used);
            }
            blk.kill = kill;
            blk.in_use = used;
            blk.out_use = 0;
        }
        for b in self.bottom_up() {
            let (jt, jf) = (self.b[b].jt, self.b[b].jf);
            let out = self.b[jt].in_use | self.b[jf].in_use;
            let blk = &mut self.b[b];
            blk.out_use |= out;
            blk.in_use |= blk.out_use & !blk.kill;
        }
    }

    fn find_preds(&mut self) {
        for p in self.preds.iter_mut() {
            p.clear();
        }
        for b in self.top_down() {
            if self.b[b].leaf() {
                continue;
            }
            let (jt, jf) = (self.b[b].jt, self.b[b].jf);
            self.preds[jt].insert(0, Edge { from: b, taken: true });
            self.preds[jf].insert(
                0,
                Edge {
                    from: b,
                    taken: false,
                },
            );
        }
    }

    /// One step of value numbering on statement `i` of block `b`; with `alter`, rewrites it.
    fn stmt(&mut self, b: usize, i: usize, val: &mut [u32; N_REGS], alter: bool) -> Res<()> {
        let s = self.b[b].stmts[i];
        let mut out = s;
        // Puts `v` in register `r`, or deletes the statement if `r` already holds it.
        let store = |out: &mut Insn, val: &mut [u32; N_REGS], r: usize, v: u32| {
            if alter && v != UNKNOWN && val[r] == v {
                out.code = NOP;
            } else {
                val[r] = v;
            }
        };
        match s.code {
            op::LD_W_ABS | op::LD_H_ABS | op::LD_B_ABS => {
                let v = self.vals.num(s.code, s.k, 0);
                store(&mut out, val, RA, v);
            }
            op::LD_W_IND | op::LD_H_IND | op::LD_B_IND => {
                let x = val[RX];
                let v = match self.vals.konst(x) {
                    Some(c) if alter => {
                        out.code = CLASS_LD | (s.code & 0x18) | 0x20;
                        out.k = s.k.wrapping_add(c);
                        self.mark_code();
                        self.vals.num(out.code, out.k, 0)
                    }
                    _ => self.vals.num(s.code, s.k, x),
                };
                store(&mut out, val, RA, v);
            }
            op::LD_W_LEN => {
                let v = self.vals.num(s.code, 0, 0);
                store(&mut out, val, RA, v);
            }
            op::LD_IMM => {
                let v = self.vals.k(s.k);
                store(&mut out, val, RA, v);
            }
            op::LDX_IMM => {
                let v = self.vals.k(s.k);
                store(&mut out, val, RX, v);
            }
            op::LDX_B_MSH => {
                let v = self.vals.num(s.code, s.k, 0);
                store(&mut out, val, RX, v);
            }
            op::NEG => match self.vals.konst(val[RA]) {
                Some(c) if alter => {
                    out = Insn::stmt(op::LD_IMM, c.wrapping_neg());
                    val[RA] = self.vals.k(out.k);
                }
                _ => val[RA] = self.vals.num(s.code, val[RA], 0),
            },
            code if class(code) == CLASS_ALU && !src_x(code) => {
                let o = code & 0xf0;
                if alter {
                    if s.k == 0 {
                        match o {
                            0x00 | 0x60 | 0x70 | 0x40 | 0xa0 => {
                                out.code = NOP;
                                self.b[b].stmts[i] = out;
                                return Ok(());
                            }
                            0x20 | 0x50 => {
                                out.code = op::LD_IMM;
                                val[RA] = self.vals.k(0);
                                self.b[b].stmts[i] = out;
                                return Ok(());
                            }
                            0x30 => return Err("division by zero".to_owned()),
                            0x90 => return Err("modulus by zero".to_owned()),
                            _ => {}
                        }
                    }
                    if let Some(a) = self.vals.konst(val[RA]) {
                        out = Insn::stmt(op::LD_IMM, fold(o, a, s.k)?);
                        self.mark_code();
                        val[RA] = self.vals.k(out.k);
                        self.b[b].stmts[i] = out;
                        return Ok(());
                    }
                }
                let kv = self.vals.k(s.k);
                val[RA] = self.vals.num(code, val[RA], kv);
            }
            code if class(code) == CLASS_ALU => {
                let o = code & 0xf0;
                let xk = self.vals.konst(val[RX]);
                let ak = self.vals.konst(val[RA]);
                if let (true, Some(x)) = (alter, xk) {
                    if let Some(a) = ak {
                        out = Insn::stmt(op::LD_IMM, fold(o, a, x)?);
                        self.mark_code();
                        val[RA] = self.vals.k(out.k);
                    } else {
                        out = Insn::stmt(CLASS_ALU | o, x);
                        if (o == 0x60 || o == 0x70) && x > 31 {
                            return Err("shift by more than 31 bits".to_owned());
                        }
                        self.mark_code();
                        let kv = self.vals.k(x);
                        val[RA] = self.vals.num(out.code, val[RA], kv);
                    }
                } else if alter && ak == Some(0) && matches!(o, 0x00 | 0x40 | 0xa0) {
                    out = Insn::stmt(op::TXA, 0);
                    store(&mut out, val, RA, val[RX]);
                } else if alter && ak == Some(0) && matches!(o, 0x20 | 0x30 | 0x90 | 0x50 | 0x60 | 0x70) {
                    out = Insn::stmt(op::LD_IMM, 0);
                    let z = self.vals.k(0);
                    store(&mut out, val, RA, z);
                } else {
                    val[RA] = self.vals.num(code, val[RA], val[RX]);
                }
            }
            op::TXA => store(&mut out, val, RA, val[RX]),
            op::TAX => store(&mut out, val, RX, val[RA]),
            op::LD_MEM | op::LDX_MEM if (s.k as usize) < MEM => {
                let v = val[s.k as usize];
                let x = s.code == op::LDX_MEM;
                if let (true, Some(c)) = (alter, self.vals.konst(v)) {
                    out = Insn::stmt(if x { op::LDX_IMM } else { op::LD_IMM }, c);
                    self.mark_code();
                }
                store(&mut out, val, if x { RX } else { RA }, v);
            }
            op::ST | op::STX if (s.k as usize) < MEM => {
                let v = if s.code == op::ST { val[RA] } else { val[RX] };
                store(&mut out, val, s.k as usize, v);
            }
            _ => {}
        }
        self.b[b].stmts[i] = out;
        Ok(())
    }

    fn opt_block(&mut self, b: usize, do_stmts: bool) -> Res<()> {
        let mut val = [UNKNOWN; N_REGS];
        if let Some((first, rest)) = self.preds[b].split_first() {
            val = self.b[first.from].val;
            for e in rest {
                let pv = &self.b[e.from].val;
                for (v, p) in val.iter_mut().zip(pv) {
                    if *v != *p {
                        *v = UNKNOWN;
                    }
                }
            }
        }
        let (aval, xval) = (val[RA], val[RX]);
        for i in 0..self.b[b].stmts.len() {
            self.stmt(b, i, &mut val, do_stmts)?;
        }
        self.b[b].val = val;
        let blk = &self.b[b];
        let unchanged =
            blk.out_use == 0 && aval != UNKNOWN && val[RA] == aval && xval != UNKNOWN && val[RX] == xval;
        if do_stmts && (unchanged || class(blk.code) == CLASS_RET) {
            if !blk.stmts.is_empty() {
                self.b[b].stmts.clear();
                self.mark_code();
            }
        } else {
            self.peep(b);
            self.dead_stores(b);
        }
        let blk = &self.b[b];
        let oval = if src_x(blk.code) {
            blk.val[RX]
        } else {
            self.vals.k(blk.k)
        };
        let blk = &mut self.b[b];
        blk.oval = oval;
        blk.code_t = blk.code as i32;
        blk.code_f = -(blk.code as i32);
        Ok(())
    }

    /// The next statement at or after `i` that is not deleted.
    fn live_at(&self, b: usize, mut i: usize) -> Option<usize> {
        let st = &self.b[b].stmts;
        while i < st.len() && st[i].code == NOP {
            i += 1;
        }
        (i < st.len()).then_some(i)
    }

    fn peep(&mut self, b: usize) {
        if self.b[b].stmts.is_empty() {
            return;
        }
        let mut last = 0;
        let mut at = 0;
        while let Some(s) = self.live_at(b, at) {
            let Some(next) = self.live_at(b, s + 1) else {
                break;
            };
            last = next;
            at = next;
            let st = &mut self.b[b].stmts;
            // st M[k]; ldx M[k] -> st M[k]; tax
            if st[s].code == op::ST && st[next].code == op::LDX_MEM && st[s].k == st[next].k {
                st[next].code = op::TAX;
                self.mark_code();
            }
            let st = &mut self.b[b].stmts;
            // ld #k; tax -> ldx #k; txa
            if st[s].code == op::LD_IMM && st[next].code == op::TAX {
                st[s].code = op::LDX_IMM;
                st[next].code = op::TXA;
                self.mark_code();
            }
            // ld #k; [ldxms]; add x; tax; ld [x + j] -> [ldxms]; ld [x + k+j] (X dead after).
            if self.b[b].stmts[s].code == op::LD_IMM {
                if self.b[b].out_use & bit(RX) != 0 {
                    continue;
                }
                let add = if self.b[b].stmts[next].code != op::LDX_B_MSH {
                    Some(next)
                } else {
                    self.live_at(b, next + 1)
                };
                let Some(add) = add.filter(|&a| self.b[b].stmts[a].code == op::ADD_X) else {
                    continue;
                };
                let Some(tax) = self
                    .live_at(b, add + 1)
                    .filter(|&t| self.b[b].stmts[t].code == op::TAX)
                else {
                    continue;
                };
                let Some(ild) = self.live_at(b, tax + 1).filter(|&l| {
                    let c = self.b[b].stmts[l].code;
                    class(c) == CLASS_LD && mode(c) == MODE_IND
                }) else {
                    continue;
                };
                let st = &mut self.b[b].stmts;
                st[ild].k = st[ild].k.wrapping_add(st[s].k);
                st[s].code = NOP;
                st[add].code = NOP;
                st[tax].code = NOP;
                self.mark_code();
            }
        }
        let blk = &self.b[b];
        if blk.leaf() || blk.code == op::JA {
            return;
        }
        if blk.code == op::JEQ_K && blk.out_use & bit(RA) == 0 {
            let lc = blk.stmts[last].code;
            let lk = blk.stmts[last].k;
            let xk = self.vals.konst(blk.val[RX]);
            let blk = &mut self.b[b];
            if lc == op::SUB_X {
                if let Some(x) = xk {
                    blk.k = blk.k.wrapping_add(x);
                    blk.stmts[last].code = NOP;
                    self.mark_code();
                } else if blk.k == 0 {
                    blk.stmts[last].code = NOP;
                    blk.code = op::JEQ_X;
                    self.mark_code();
                }
            } else if lc == op::SUB_K {
                blk.stmts[last].code = NOP;
                blk.k = blk.k.wrapping_add(lk);
                self.mark_code();
            } else if lc == op::AND_K && blk.k == 0 {
                blk.k = lk;
                blk.code = op::JSET_K;
                blk.stmts[last].code = NOP;
                std::mem::swap(&mut blk.jt, &mut blk.jf);
                self.mark_code();
            }
        }
        let blk = &mut self.b[b];
        if blk.code == op::JSET_K {
            if blk.k == 0 {
                blk.jt = blk.jf;
            }
            if blk.k == 0xffff_ffff {
                blk.jf = blk.jt;
            }
        }
        if let (Some(x), true) = (self.vals.konst(self.b[b].val[RX]), src_x(self.b[b].code)) {
            let blk = &mut self.b[b];
            blk.code &= !0x08;
            blk.k = x;
        }
        if let (Some(a), false) = (self.vals.konst(self.b[b].val[RA]), src_x(self.b[b].code)) {
            let blk = &mut self.b[b];
            let taken = Jmp::k(blk.code & 0xf0, blk.k).eval(a, 0);
            if blk.jt != blk.jf {
                self.mark_code();
            }
            let blk = &mut self.b[b];
            if taken {
                blk.jf = blk.jt;
            } else {
                blk.jt = blk.jf;
            }
        }
    }

    fn dead_stores(&mut self, b: usize) {
        let mut last: [Option<usize>; N_REGS] = [None; N_REGS];
        let n = self.b[b].stmts.len();
        let (code, k) = (self.b[b].code, self.b[b].k);
        for i in 0..=n {
            let s = if i < n {
                self.b[b].stmts[i]
            } else {
                Insn::stmt(NOP, 0)
            };
            let r = if i < n { reads(&s) } else { term_reads(code, k) };
            match r {
                Some(RAX) => {
                    last[RA] = None;
                    last[RX] = None;
                }
                Some(r) => last[r] = None,
                None => {}
            }
            if let Some(w) = writes(&s) {
                if let Some(p) = last[w] {
                    self.b[b].stmts[p].code = NOP;
                    self.mark_code();
                }
                // The jump defines nothing, so `i < n` here.
                last[w] = Some(i);
            }
        }
        let out = self.b[b].out_use;
        for (r, l) in last.iter().enumerate() {
            if let Some(p) = *l {
                if out & bit(r) == 0 {
                    self.b[b].stmts[p].code = NOP;
                    self.mark_code();
                }
            }
        }
    }

    /// A register read after `to` holds a different value at the end of `from`.
    fn use_conflict(&self, from: usize, to: usize) -> bool {
        let used = self.b[to].out_use;
        (0..N_REGS).any(|r| used & bit(r) != 0 && self.b[from].val[r] != self.b[to].val[r])
    }

    /// Where `child` goes when entered after the dominating edge `e` was taken, if its test
    /// repeats that edge's test.
    fn fold_edge(&self, child: usize, e: Edge) -> Option<usize> {
        let p = &self.b[e.from];
        let code = if e.taken { p.code_t } else { p.code_f };
        let c = &self.b[child];
        if c.code == op::JA || c.code as i32 != code.abs() {
            return None;
        }
        if c.val[RA] != p.val[RA] {
            return None;
        }
        if c.oval == p.oval {
            return Some(if e.taken { c.jt } else { c.jf });
        }
        if e.taken && c.code == op::JEQ_K {
            return Some(c.jf);
        }
        None
    }

    fn thread(&mut self, e: Edge) {
        let succ = self.edge_to(e);
        if self.b[succ].leaf() {
            return;
        }
        let s = &self.b[succ];
        if s.jt == s.jf && s.code != op::JA && !self.use_conflict(e.from, s.jt) {
            let to = s.jt;
            self.mark_code();
            self.set_edge(e, to);
        }
        let id = self.edge_id(e);
        let row: Vec<usize> = {
            let r = self.edom.row(id);
            let mut v = Vec::new();
            for (w, &word) in r.iter().enumerate() {
                let mut x = word;
                while x != 0 {
                    let t = x.trailing_zeros() as usize;
                    x &= x - 1;
                    v.push(w * 64 + t);
                }
            }
            v
        };
        'top: loop {
            for &k in &row {
                if k >= 2 * self.n() {
                    break;
                }
                let dom_edge = self.edge_of(k);
                let cur = self.edge_to(e);
                if let Some(target) = self.fold_edge(cur, dom_edge) {
                    if target != NONE && !self.use_conflict(e.from, target) {
                        self.changed = true;
                        self.set_edge(e, target);
                        if !self.b[target].leaf() {
                            continue 'top;
                        }
                        return;
                    }
                }
            }
            return;
        }
    }

    /// libpcap's or-pullup (`or`) and and-pullup: `common` is the exit the chain shares (true
    /// for or), `next` the other.
    fn pull_up(&mut self, b: usize, or: bool) {
        let preds = self.preds[b].clone();
        let Some(first) = preds.first() else {
            return;
        };
        let val = self.b[first.from].val[RA];
        if preds.iter().any(|e| self.b[e.from].val[RA] != val) {
            return;
        }
        let common = |o: &Opt, x: usize| if or { o.b[x].jt } else { o.b[x].jf };
        let down = |x: usize| Edge { from: x, taken: !or };
        let mut diff = Edge {
            from: first.from,
            taken: self.b[first.from].jt == b,
        };
        let mut at_top = true;
        let bc = common(self, b);
        loop {
            let d = self.edge_to(diff);
            if d == NONE || common(self, d) != bc || !self.dom.has(d, b) {
                return;
            }
            if self.b[d].val[RA] != val {
                break;
            }
            diff = down(d);
            at_top = false;
        }
        let mut same = down(self.edge_to(diff));
        loop {
            let s = self.edge_to(same);
            if s == NONE || common(self, s) != bc || !self.dom.has(s, b) {
                return;
            }
            if self.b[s].val[RA] == val {
                break;
            }
            same = down(s);
        }
        let pull = self.edge_to(same);
        let after = self.edge_to(down(pull));
        self.set_edge(same, after);
        let d = self.edge_to(diff);
        self.set_edge(down(pull), d);
        if at_top {
            for e in preds {
                let p = &mut self.b[e.from];
                if p.jt == b {
                    p.jt = pull;
                } else {
                    p.jf = pull;
                }
            }
        } else {
            self.set_edge(diff, pull);
        }
        self.changed = true;
    }

    fn pass(&mut self, do_stmts: bool) -> Res<()> {
        self.vals.reset();
        self.find_preds();
        for b in self.top_down() {
            self.opt_block(b, do_stmts)?;
        }
        if do_stmts {
            return Ok(());
        }
        for b in self.bottom_up() {
            self.thread(Edge { from: b, taken: true });
            self.thread(Edge {
                from: b,
                taken: false,
            });
        }
        self.find_preds();
        for b in self.bottom_up() {
            self.pull_up(b, true);
            self.pull_up(b, false);
        }
        Ok(())
    }

    fn run(&mut self, do_stmts: bool) -> Res<()> {
        let mut idle = 0;
        for _ in 0..10_000 {
            self.changed = false;
            self.moved_code = false;
            self.find_levels();
            self.find_dom();
            self.find_use();
            self.find_edom();
            self.pass(do_stmts)?;
            if !self.changed {
                break;
            }
            if self.moved_code {
                idle = 0;
            } else {
                idle += 1;
                if idle >= 100 {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Merges identical reachable blocks (same statements, jump and successors).
    fn intern(&mut self) {
        let n = self.n();
        loop {
            let mut seen = vec![false; n];
            let mut stack = vec![self.root];
            while let Some(x) = stack.pop() {
                if seen[x] {
                    continue;
                }
                seen[x] = true;
                if !self.b[x].leaf() {
                    stack.push(self.b[x].jt);
                    stack.push(self.b[x].jf);
                }
            }
            let mut link = vec![NONE; n];
            for i in (0..n.saturating_sub(1)).rev() {
                if !seen[i] {
                    continue;
                }
                for j in i + 1..n {
                    if seen[j] && self.same_block(i, j) {
                        link[i] = if link[j] != NONE { link[j] } else { j };
                        break;
                    }
                }
            }
            let mut again = false;
            for i in 0..n {
                if self.b[i].leaf() {
                    continue;
                }
                let (jt, jf) = (self.b[i].jt, self.b[i].jf);
                if link[jt] != NONE {
                    self.b[i].jt = link[jt];
                    again = true;
                }
                if link[jf] != NONE {
                    self.b[i].jf = link[jf];
                    again = true;
                }
            }
            if !again {
                break;
            }
        }
    }

    fn same_block(&self, i: usize, j: usize) -> bool {
        let (x, y) = (&self.b[i], &self.b[j]);
        if x.code != y.code || x.k != y.k || x.jt != y.jt || x.jf != y.jf {
            return false;
        }
        let live = |b: &Blk| -> Vec<(u16, u32)> {
            b.stmts
                .iter()
                .filter(|s| s.code != NOP)
                .map(|s| (s.code, s.k))
                .collect()
        };
        live(x) == live(y)
    }

    /// Skips root blocks whose branches agree, keeping the root's statements.
    fn fix_root(&mut self) {
        let stmts = std::mem::take(&mut self.b[self.root].stmts);
        let mut r = self.root;
        let mut steps = 0;
        while class(self.b[r].code) == CLASS_JMP
            && self.b[r].code != op::JA
            && self.b[r].jt == self.b[r].jf
            && steps <= self.n()
        {
            r = self.b[r].jt;
            steps += 1;
        }
        let mut s = stmts;
        s.append(&mut self.b[r].stmts);
        self.b[r].stmts = s;
        if self.b[r].leaf() {
            self.b[r].stmts.clear();
        }
        self.root = r;
    }
}

/// `a op b` for an ALU operation, as libpcap folds it.
fn fold(o: u16, a: u32, b: u32) -> Res<u32> {
    Ok(match o {
        0x00 => a.wrapping_add(b),
        0x10 => a.wrapping_sub(b),
        0x20 => a.wrapping_mul(b),
        0x30 => a.checked_div(b).ok_or_else(|| "division by zero".to_owned())?,
        0x90 => a.checked_rem(b).ok_or_else(|| "modulus by zero".to_owned())?,
        0x50 => a & b,
        0x40 => a | b,
        0xa0 => a ^ b,
        0x60 => a.checked_shl(b).unwrap_or(0),
        0x70 => a.checked_shr(b).unwrap_or(0),
        _ => a,
    })
}

/// Optimizes `cfg` in place. Errors are libpcap's optimizer errors (a division by a value that
/// folds to zero, ...).
pub fn optimize(cfg: &mut Cfg) -> Result<(), String> {
    // The edge-dominator sets take (2 blocks)^2 bits; far beyond any program the kernel takes.
    if cfg.order().len() > MAX_BLOCKS {
        return Err(TOO_COMPLEX.to_owned());
    }
    let mut o = Opt::new(cfg);
    o.run(false)?;
    o.run(true)?;
    o.intern();
    o.fix_root();
    *cfg = o.to_cfg()?;
    Ok(())
}
