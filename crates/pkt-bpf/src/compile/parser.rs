//! The parser: libpcap's grammar (grammar.y) as a recursive descent parses it, with its quirks:
//! `and` and `or` of equal precedence, left associative; `not` binding tighter; qualifiers
//! carried over to a bare id after `and`/`or`; `%` and `^` without precedence (bison always
//! shifts them). The descent keeps its pending constructs on explicit stacks ([`Frame`],
//! [`ArthK`], [`SynK`]) rather than the machine stack: filter text comes from users, and no
//! nesting or length of it may overflow the stack; nesting deeper than [`MAX_DEPTH`] is an
//! error, as it is in libpcap.
//! Each primitive is generated when it has been parsed, in source order, as libpcap's actions
//! run, because `vlan`, `mpls`, `pppoes` and `geneve` change the offsets of what follows.

use std::net::IpAddr;

use super::gen::legacy::{self, Family};
use super::gen::{Addr, Arth, Dir, Gen, Link, Proto, Qual, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP};
use super::ir::{Node, JEQ, JGE, JGT};
use super::lexer::{Kw, Tok, Token};
use super::{names, CompileError};
use crate::{
    BPF_ADD, BPF_ALU, BPF_AND, BPF_DIV, BPF_LSH, BPF_MOD, BPF_MUL, BPF_OR, BPF_RSH, BPF_SUB, BPF_XOR,
};

type PResult<T> = Result<T, CompileError>;

/// Qualifiers that flow to the next id: `None` is libpcap's `qerr`.
type Q = Option<Qual>;

pub struct Parser {
    toks: Vec<Token>,
    i: usize,
    pub g: Gen,
    /// Nesting of the constructs being parsed (parentheses, `not`s, unary minus, loads,
    /// operands of `%` and `^`), bounded by [`MAX_DEPTH`].
    depth: usize,
    /// For each token, the end of the run of `(` starting there (the token itself if not one).
    open_run: Vec<usize>,
    /// For each token, how many `)` follow in a row from there.
    close_run: Vec<usize>,
    /// What `arth(0)` does from a token, once known: `Some(end)` it parses and stops at `end`,
    /// `None` it fails. Spares the relation attempted at every `(` of deeply nested
    /// parentheses from parsing the same arithmetic again at each level (quadratic time).
    arth_memo: Vec<Option<Option<usize>>>,
    /// Blocks the primitives parsed so far lower to, at least.
    blocks: usize,
    /// Set when parsing stopped because the program would have more than [`MAX_BLOCKS`] blocks.
    pub too_big: bool,
}

/// Parsing stops once the primitives lower to more blocks than this (each at least one
/// instruction): far more than the optimizer takes and than the kernel takes unoptimized, so
/// that memory stays bounded however long the expression.
pub(crate) const MAX_BLOCKS: usize = 65_536;

/// The deepest nesting accepted: libpcap's parser (bison's stack of 10000 states) refuses a
/// little less than that. Nothing recurses on it: the parser, the code generator, the lowering
/// and the trees' destructors use explicit stacks, so the bound is about time and memory.
pub(crate) const MAX_DEPTH: usize = 10_000;

/// A pending construct of the boolean grammar (`expr`, `term`, `id`, `pid`), waiting for the
/// value of the one inside it: the parser's explicit stack.
enum Frame {
    /// `expr`: the operands so far and how the next one joins them (`None` before the first);
    /// with `Some(q)` the next operand is an id and the qualifiers `q` flow on past it.
    Expr {
        acc: Option<(Node, bool)>,
        id_q: Option<Q>,
    },
    /// `not term`.
    TermNot,
    /// `( expr )` as a term; the qualifiers that flowed in flow out.
    TermParen { inq: Q },
    /// `head id`: the qualifiers of the head flow out.
    HeadId { q: Q },
    /// `( pid )` as an id.
    IdParen,
    /// `not id`.
    NidNot,
    /// `pid`: ids joined by `and`/`or` with the qualifiers `q`.
    Pid { acc: Option<(Node, bool)>, q: Q },
}

impl Frame {
    /// Whether the frame is a level of nesting (the others are bounded by those).
    fn nests(&self) -> bool {
        matches!(
            self,
            Frame::TermNot | Frame::TermParen { .. } | Frame::IdParen | Frame::NidNot
        )
    }
}

/// What to parse next.
#[derive(Clone, Copy)]
enum Goal {
    Expr(Q),
    Term(Q),
    Id(Q),
    Pid(Q),
    Nid(Q),
}

/// What one step of the parser did: a value for the frame on top of the stack, or a frame to
/// push and what to parse inside it.
enum Step {
    Done(Node, Q),
    Call(Frame, Goal),
}

/// A pending construct of the arithmetic grammar.
enum ArthK {
    /// `- arth`.
    Neg,
    /// `( arth )`.
    Paren,
    /// `proto [ arth [: size] ]`.
    Load { proto: Proto, pos: usize },
    /// `lhs op arth`; `nests` for `%` and `^`, whose right operands nest without bound.
    Rhs {
        code: u16,
        lhs: Arth,
        pos: usize,
        nests: bool,
    },
}

/// An [`ArthK`] and the `min` precedence and first token of the `arth` invocation it belongs to.
struct ArthFrame {
    k: ArthK,
    min: u8,
    start: usize,
}

/// The syntactic look-ahead's pending constructs.
enum SynK {
    /// `( pid )`: a `)` must follow.
    Close,
    /// `pid` with `n` ids (a lone number does not count).
    Pid(usize),
}

fn pname(k: Kw) -> Option<Proto> {
    Some(match k {
        Kw::Link => Proto::Link,
        Kw::Ip => Proto::Ip,
        Kw::Arp => Proto::Arp,
        Kw::Rarp => Proto::Rarp,
        Kw::Sctp => Proto::Sctp,
        Kw::Tcp => Proto::Tcp,
        Kw::Udp => Proto::Udp,
        Kw::Icmp => Proto::Icmp,
        Kw::Igmp => Proto::Igmp,
        Kw::Igrp => Proto::Igrp,
        Kw::Pim => Proto::Pim,
        Kw::Vrrp => Proto::Vrrp,
        Kw::Carp => Proto::Carp,
        Kw::Radio => Proto::Radio,
        Kw::Ip6 => Proto::Ip6,
        Kw::Icmp6 => Proto::Icmp6,
        Kw::Ah => Proto::Ah,
        Kw::Esp => Proto::Esp,
        Kw::Atalk => Proto::Legacy(Family::Atalk),
        Kw::Aarp => Proto::Legacy(Family::Aarp),
        Kw::Decnet => Proto::Legacy(Family::Decnet),
        Kw::Lat => Proto::Legacy(Family::Lat),
        Kw::Sca => Proto::Legacy(Family::Sca),
        Kw::Moprc => Proto::Legacy(Family::Moprc),
        Kw::Mopdl => Proto::Legacy(Family::Mopdl),
        Kw::Iso => Proto::Legacy(Family::Iso),
        Kw::Esis => Proto::Legacy(Family::Esis),
        Kw::Isis => Proto::Legacy(Family::Isis),
        Kw::L1 => Proto::Legacy(Family::IsisL1),
        Kw::L2 => Proto::Legacy(Family::IsisL2),
        Kw::Iih => Proto::Legacy(Family::IsisIih),
        Kw::Lsp => Proto::Legacy(Family::IsisLsp),
        Kw::Snp => Proto::Legacy(Family::IsisSnp),
        Kw::Csnp => Proto::Legacy(Family::IsisCsnp),
        Kw::Psnp => Proto::Legacy(Family::IsisPsnp),
        Kw::Clnp => Proto::Legacy(Family::Clnp),
        Kw::Stp => Proto::Legacy(Family::Stp),
        Kw::Ipx => Proto::Legacy(Family::Ipx),
        Kw::Netbeui => Proto::Legacy(Family::Netbeui),
        _ => return None,
    })
}

impl Parser {
    pub fn new(toks: Vec<Token>, g: Gen) -> Parser {
        let n = toks.len();
        let mut open_run = vec![0; n];
        let mut close_run = vec![0; n + 1];
        for j in (0..n).rev() {
            open_run[j] = if matches!(toks[j].kind, Tok::Punct('(')) && j + 1 < n {
                open_run[j + 1]
            } else {
                j
            };
            close_run[j] = if matches!(toks[j].kind, Tok::Punct(')')) {
                close_run[j + 1] + 1
            } else {
                0
            };
        }
        Parser {
            toks,
            i: 0,
            g,
            depth: 0,
            open_run,
            close_run,
            arth_memo: vec![None; n],
            blocks: 0,
            too_big: false,
        }
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.i.min(self.toks.len() - 1)].kind
    }
    fn peek_at(&self, j: usize) -> &Tok {
        &self.toks[j.min(self.toks.len() - 1)].kind
    }
    fn pos(&self) -> usize {
        self.toks[self.i.min(self.toks.len() - 1)].pos
    }
    fn bump(&mut self) -> Token {
        let t = self.toks[self.i.min(self.toks.len() - 1)].clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }
    fn is_kw(&self, k: Kw) -> bool {
        matches!(self.peek(), Tok::Kw(x) if *x == k)
    }
    fn is_punct(&self, c: char) -> bool {
        matches!(self.peek(), Tok::Punct(x) if *x == c)
    }

    fn syntax(&self) -> CompileError {
        self.syntax_at(self.i)
    }
    fn syntax_at(&self, j: usize) -> CompileError {
        let t = &self.toks[j.min(self.toks.len() - 1)];
        let what = match &t.kind {
            Tok::Eof => "end of expression".to_owned(),
            _ => format!("'{}'", describe(&t.kind)),
        };
        CompileError::new(t.pos, format!("syntax error: unexpected {what}"))
    }
    fn err(&self, pos: usize, msg: impl Into<String>) -> CompileError {
        CompileError::new(pos, msg.into())
    }
    fn expect_punct(&mut self, c: char) -> PResult<()> {
        if self.is_punct(c) {
            self.bump();
            Ok(())
        } else {
            Err(self.syntax())
        }
    }
    fn too_deep(&self) -> CompileError {
        self.err(
            self.pos(),
            format!("expression nested too deeply (more than {MAX_DEPTH} levels)"),
        )
    }

    /// `prog`: the whole expression; `None` for an empty one.
    pub fn prog(&mut self) -> PResult<Option<Node>> {
        if matches!(self.peek(), Tok::Eof) {
            return Ok(None);
        }
        let (n, _) = self.parse(Goal::Expr(None))?;
        if !matches!(self.peek(), Tok::Eof) {
            return Err(self.syntax());
        }
        Ok(Some(n))
    }

    /// Parses `goal` with an explicit stack of pending constructs: libpcap's grammar as a
    /// recursive descent would parse it (see the `*_step` functions for each construct), in
    /// constant machine stack however deep the expression nests.
    fn parse(&mut self, goal: Goal) -> PResult<(Node, Q)> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut goal = goal;
        loop {
            let step = match goal {
                Goal::Expr(q) => Step::Call(
                    Frame::Expr {
                        acc: None,
                        id_q: None,
                    },
                    Goal::Term(q),
                ),
                Goal::Term(q) => self.term_step(q)?,
                Goal::Id(q) => self.id_step(q)?,
                Goal::Pid(q) => {
                    let first = if let Tok::Num(_) | Tok::Punct('(') = self.peek() {
                        Goal::Id(q)
                    } else {
                        Goal::Nid(q)
                    };
                    Step::Call(Frame::Pid { acc: None, q }, first)
                }
                Goal::Nid(q) => self.nid_step(q)?,
            };
            let (mut n, mut q) = match step {
                Step::Call(frame, inner) => {
                    if frame.nests() {
                        self.depth += 1;
                        if self.depth > MAX_DEPTH {
                            return Err(self.too_deep());
                        }
                    }
                    stack.push(frame);
                    goal = inner;
                    continue;
                }
                Step::Done(n, q) => {
                    self.blocks += n.least_blocks();
                    if self.blocks > MAX_BLOCKS {
                        self.too_big = true;
                        return Err(self.err(self.pos(), "expression too long"));
                    }
                    (n, q)
                }
            };
            // Hand the value to the pending constructs until one needs more input.
            loop {
                let Some(frame) = stack.pop() else {
                    return Ok((n, q));
                };
                if frame.nests() {
                    self.depth -= 1;
                }
                match frame {
                    Frame::Expr { acc, id_q } => {
                        if let Some((lhs, is_and)) = acc {
                            n = if is_and {
                                Node::and(lhs, n)
                            } else {
                                Node::or(lhs, n)
                            };
                            if let Some(iq) = id_q {
                                q = iq;
                            }
                        }
                        let is_and = match self.peek() {
                            Tok::Kw(Kw::And) => true,
                            Tok::Kw(Kw::Or) => false,
                            // The expression ends: its value goes on down.
                            _ => continue,
                        };
                        self.bump();
                        let (id_q, inner) = if self.rhs_is_id() {
                            (Some(q), Goal::Id(q))
                        } else {
                            (None, Goal::Term(q))
                        };
                        stack.push(Frame::Expr {
                            acc: Some((n, is_and)),
                            id_q,
                        });
                        goal = inner;
                        break;
                    }
                    Frame::TermNot | Frame::NidNot => n = Node::not(n),
                    Frame::TermParen { inq } => {
                        self.expect_punct(')')?;
                        q = inq;
                    }
                    Frame::HeadId { q: hq } => q = hq,
                    Frame::IdParen => self.expect_punct(')')?,
                    Frame::Pid { acc, q: pq } => {
                        if let Some((lhs, is_and)) = acc {
                            n = if is_and {
                                Node::and(lhs, n)
                            } else {
                                Node::or(lhs, n)
                            };
                        }
                        let is_and = match self.peek() {
                            Tok::Kw(Kw::And) => true,
                            Tok::Kw(Kw::Or) => false,
                            _ => {
                                q = None;
                                continue;
                            }
                        };
                        self.bump();
                        stack.push(Frame::Pid {
                            acc: Some((n, is_and)),
                            q: pq,
                        });
                        goal = Goal::Id(pq);
                        break;
                    }
                }
            }
        }
    }

    /// After `and`/`or` in an `expr`: whether an id follows (carrying the qualifiers over)
    /// rather than a term. An id unless it is a number or parenthesis that starts an
    /// arithmetic relation, also behind `not`s (`tcp and not 1 = 1`: libpcap's `not id` gives
    /// way to `not term` when the number goes on as an arithmetic expression).
    fn rhs_is_id(&self) -> bool {
        let mut first = self.i;
        while matches!(self.peek_at(first), Tok::Kw(Kw::Not)) {
            first += 1;
        }
        let numeric = matches!(self.peek_at(first), Tok::Num(_) | Tok::Punct('('));
        match self.syn_id(self.i) {
            Some(end) => !numeric || self.ends_expr(end),
            None => false,
        }
    }

    /// Whether the token at `j` can follow an id that ends an expression operand.
    fn ends_expr(&self, j: usize) -> bool {
        matches!(
            self.peek_at(j),
            Tok::Kw(Kw::And) | Tok::Kw(Kw::Or) | Tok::Punct(')') | Tok::Eof
        )
    }

    // ---- syntactic look-ahead for ids (no code generated) ----

    /// `pnum` at `j`: `(`s, a number and as many `)`s; where it ends.
    fn syn_pnum(&self, j: usize) -> Option<usize> {
        let num = *self.open_run.get(j)?;
        if !matches!(self.peek_at(num), Tok::Num(_)) {
            return None;
        }
        let opens = num - j;
        (self.close_run[num + 1] >= opens).then_some(num + 1 + opens)
    }

    /// A `nid` that is a single address (with its mask), at `j`: where it ends.
    fn syn_addr(&self, j: usize) -> Option<usize> {
        match self.peek_at(j) {
            Tok::Id(_) | Tok::Eid(_) | Tok::Aid(_) => Some(j + 1),
            Tok::Hid(_) => match (self.peek_at(j + 1), self.peek_at(j + 2)) {
                (Tok::Punct('/'), Tok::Num(_)) => Some(j + 3),
                (Tok::Kw(Kw::Mask), Tok::Hid(_)) => Some(j + 3),
                _ => Some(j + 1),
            },
            Tok::Hid6(_) => match (self.peek_at(j + 1), self.peek_at(j + 2)) {
                (Tok::Punct('/'), Tok::Num(_)) => Some(j + 3),
                _ => Some(j + 1),
            },
            _ => None,
        }
    }

    /// Whether an `id` starts at `j` (libpcap's grammar, syntax only): where it ends.
    ///
    /// `id`: `nid` | `pnum` | `( pid )`; `nid`: an address | `not id`; `pid`: (`nid` | `pnum` |
    /// `( pid )`) followed by `and`/`or` `id`s, but not a lone `pnum`. With an explicit stack.
    fn syn_id(&self, j: usize) -> Option<usize> {
        let mut stack: Vec<SynK> = Vec::new();
        let mut j = j;
        // Whether the construct at `j` is a `pid` (else an `id`).
        let mut pid = false;
        loop {
            let mut e = if !pid {
                while matches!(self.peek_at(j), Tok::Kw(Kw::Not)) {
                    j += 1;
                }
                if let Some(e) = self.syn_addr(j) {
                    e
                } else if let Some(e) = self.syn_pnum(j) {
                    e
                } else if matches!(self.peek_at(j), Tok::Punct('(')) {
                    stack.push(SynK::Close);
                    j += 1;
                    pid = true;
                    continue;
                } else {
                    return None;
                }
            } else if self.syn_addr(j).is_some() || matches!(self.peek_at(j), Tok::Kw(Kw::Not)) {
                // A `nid` first: an address, or `not id`.
                stack.push(SynK::Pid(1));
                pid = false;
                continue;
            } else if let Some(e) = self.syn_pnum(j) {
                stack.push(SynK::Pid(0));
                e
            } else if matches!(self.peek_at(j), Tok::Punct('(')) {
                stack.push(SynK::Pid(1));
                stack.push(SynK::Close);
                j += 1;
                continue;
            } else {
                return None;
            };
            // Hand the end `e` to the pending constructs until one needs more.
            loop {
                match stack.pop() {
                    None => return Some(e),
                    Some(SynK::Close) => {
                        if !matches!(self.peek_at(e), Tok::Punct(')')) {
                            return None;
                        }
                        e += 1;
                    }
                    Some(SynK::Pid(n)) => {
                        if matches!(self.peek_at(e), Tok::Kw(Kw::And) | Tok::Kw(Kw::Or)) {
                            stack.push(SynK::Pid(n + 1));
                            j = e + 1;
                            pid = false;
                            break;
                        }
                        if n == 0 {
                            return None;
                        }
                    }
                }
            }
        }
    }

    // ---- ids ----

    /// `id` with the qualifiers `q` carried over.
    fn id_step(&mut self, q: Q) -> PResult<Step> {
        if self.is_punct('(') {
            // `( pid )` or `( pnum )`.
            if let Some(e) = self.syn_pnum(self.i) {
                let pos = self.pos();
                let v = self.pnum()?;
                debug_assert_eq!(self.i, e);
                return Ok(Step::Done(self.ncode(pos, None, v, q)?, None));
            }
            self.bump();
            return Ok(Step::Call(Frame::IdParen, Goal::Pid(q)));
        }
        if let Tok::Num(_) = self.peek() {
            let pos = self.pos();
            let v = self.pnum()?;
            return Ok(Step::Done(self.ncode(pos, None, v, q)?, None));
        }
        self.nid_step(q)
    }

    /// `nid`: `not id`, or an address (see [`Parser::nid`]).
    fn nid_step(&mut self, q: Q) -> PResult<Step> {
        if self.is_kw(Kw::Not) {
            self.bump();
            return Ok(Step::Call(Frame::NidNot, Goal::Id(q)));
        }
        Ok(Step::Done(self.nid(q)?, None))
    }

    /// A `nid` other than `not id`.
    fn nid(&mut self, q: Q) -> PResult<Node> {
        let t = self.bump();
        let pos = t.pos;
        match t.kind {
            Tok::Id(name) => self.scode(pos, &name, q),
            Tok::Hid(s) => {
                if self.is_punct('/') {
                    self.bump();
                    let Tok::Num(len) = self.peek().clone() else {
                        return Err(self.syntax());
                    };
                    self.bump();
                    return self.mcode(pos, &s, None, len, q);
                }
                if self.is_kw(Kw::Mask) {
                    self.bump();
                    let Tok::Hid(m) = self.peek().clone() else {
                        return Err(self.syntax());
                    };
                    self.bump();
                    return self.mcode(pos, &s, Some(&m), 0, q);
                }
                if let Some(q) = q {
                    let bad = match q.addr {
                        Addr::Port => Some("'port' modifier applied to ip host"),
                        Addr::PortRange => Some("'portrange' modifier applied to ip host"),
                        Addr::Proto => Some("'proto' modifier applied to ip host"),
                        Addr::ProtoChain => Some("'protochain' modifier applied to ip host"),
                        _ => None,
                    };
                    if let Some(m) = bad {
                        return Err(self.err(pos, m));
                    }
                }
                self.ncode(pos, Some(&s), 0, q)
            }
            Tok::Hid6(s) => {
                let mut len = 128;
                if self.is_punct('/') {
                    self.bump();
                    let Tok::Num(l) = self.peek().clone() else {
                        return Err(self.syntax());
                    };
                    self.bump();
                    len = l;
                }
                self.mcode6(pos, &s, len, q)
            }
            Tok::Eid(s) => self.ecode(pos, &s, q),
            Tok::Aid(s) => self.acode(pos, &s, q),
            _ => {
                self.i -= 1;
                Err(self.syntax())
            }
        }
    }

    /// `pnum`: a number in any number of parentheses (syntactically checked by
    /// [`Parser::syn_pnum`] where it matters).
    fn pnum(&mut self) -> PResult<u32> {
        let mut opens = 0;
        while self.is_punct('(') {
            self.bump();
            opens += 1;
            if self.depth + opens > MAX_DEPTH {
                return Err(self.too_deep());
            }
        }
        let Tok::Num(v) = *self.peek() else {
            return Err(self.syntax());
        };
        self.bump();
        for _ in 0..opens {
            self.expect_punct(')')?;
        }
        Ok(v)
    }

    // ---- terms ----

    fn term_step(&mut self, inq: Q) -> PResult<Step> {
        let start = self.i;
        let pos = self.pos();
        match self.peek().clone() {
            Tok::Kw(Kw::Not) => {
                self.bump();
                Ok(Step::Call(Frame::TermNot, Goal::Term(inq)))
            }
            Tok::Punct('(') => {
                // An arithmetic relation in parentheses, or a parenthesised expression.
                // Errors of the attempt only mean that it is not a relation.
                if let Ok(Some(rel)) = self.try_relation() {
                    return Ok(Step::Done(rel, None));
                }
                self.i = start;
                self.bump();
                Ok(Step::Call(Frame::TermParen { inq }, Goal::Expr(inq)))
            }
            Tok::Num(_) | Tok::Punct('-') | Tok::Kw(Kw::Len) => {
                let n = self.relation()?;
                Ok(Step::Done(n, None))
            }
            Tok::Kw(k) => {
                if let Some(p) = pname(k) {
                    match self.peek_at(self.i + 1) {
                        Tok::Kw(
                            Kw::Src
                            | Kw::Dst
                            | Kw::Host
                            | Kw::Net
                            | Kw::Port
                            | Kw::PortRange
                            | Kw::Proto
                            | Kw::ProtoChain
                            | Kw::Gateway,
                        )
                        | Tok::Kw(Kw::Addr1 | Kw::Addr2 | Kw::Addr3 | Kw::Addr4 | Kw::Ra | Kw::Ta) => {
                            self.bump();
                            self.head_id(p)
                        }
                        // `pqual p80211`: the protocol is ignored.
                        Tok::Kw(Kw::Type | Kw::Subtype | Kw::Dir) => {
                            self.bump();
                            Ok(Step::Done(self.p80211()?, None))
                        }
                        Tok::Punct('[') => Ok(Step::Done(self.relation()?, None)),
                        Tok::Kw(Kw::Broadcast) => {
                            self.bump();
                            self.bump();
                            Ok(Step::Done(
                                self.g.broadcast(p).map_err(|m| self.err(pos, m))?,
                                None,
                            ))
                        }
                        Tok::Kw(Kw::Multicast) => {
                            self.bump();
                            self.bump();
                            Ok(Step::Done(
                                self.g.multicast(p).map_err(|m| self.err(pos, m))?,
                                None,
                            ))
                        }
                        _ => {
                            self.bump();
                            // Only and/or/`)`/the end follow a protocol on its own: libpcap's
                            // parser sees a syntax error (`decnet 1.2`) before it generates
                            // the protocol's test, which may fail on this link type.
                            if !self.ends_expr(self.i) {
                                return Err(self.syntax());
                            }
                            Ok(Step::Done(
                                self.g.proto_abbrev(p).map_err(|m| self.err(pos, m))?,
                                None,
                            ))
                        }
                    }
                } else {
                    self.other_or_head(k, pos)
                }
            }
            _ => Err(self.syntax()),
        }
    }

    fn other_or_head(&mut self, k: Kw, pos: usize) -> PResult<Step> {
        let e = |p: &Parser, m: String| p.err(pos, m);
        match k {
            Kw::Src
            | Kw::Dst
            | Kw::Host
            | Kw::Net
            | Kw::Port
            | Kw::PortRange
            | Kw::Proto
            | Kw::ProtoChain
            | Kw::Gateway
            | Kw::Addr1
            | Kw::Addr2
            | Kw::Addr3
            | Kw::Addr4
            | Kw::Ra
            | Kw::Ta => self.head_id(Proto::Default),
            Kw::Type | Kw::Subtype | Kw::Dir => Ok(Step::Done(self.p80211()?, None)),
            Kw::PfIfname | Kw::PfRset | Kw::PfRnr | Kw::PfSrnr | Kw::PfReason | Kw::PfAction => {
                Ok(Step::Done(self.pfvar(k)?, None))
            }
            Kw::Broadcast => {
                self.bump();
                Ok(Step::Done(
                    self.g.broadcast(Proto::Default).map_err(|m| e(self, m))?,
                    None,
                ))
            }
            Kw::Multicast => {
                self.bump();
                Ok(Step::Done(
                    self.g.multicast(Proto::Default).map_err(|m| e(self, m))?,
                    None,
                ))
            }
            Kw::Less | Kw::Greater => {
                self.bump();
                let Tok::Num(n) = self.peek().clone() else {
                    return Err(self.syntax());
                };
                self.bump();
                Ok(Step::Done(self.g.len_cmp(k == Kw::Greater, n), None))
            }
            Kw::Byte => {
                self.bump();
                let Tok::Num(idx) = self.peek().clone() else {
                    return Err(self.syntax());
                };
                self.bump();
                let opc = match self.peek() {
                    Tok::Punct(c @ ('&' | '|' | '<' | '>' | '=')) => *c,
                    _ => return Err(self.syntax()),
                };
                self.bump();
                let Tok::Num(val) = self.peek().clone() else {
                    return Err(self.syntax());
                };
                self.bump();
                Ok(Step::Done(
                    self.g.byteop(opc, idx, val).map_err(|m| e(self, m))?,
                    None,
                ))
            }
            Kw::Inbound | Kw::Outbound => {
                self.bump();
                Ok(Step::Done(
                    self.g.inbound(k == Kw::Outbound).map_err(|m| e(self, m))?,
                    None,
                ))
            }
            Kw::Ifindex => {
                self.bump();
                let Tok::Num(n) = self.peek().clone() else {
                    return Err(self.syntax());
                };
                self.bump();
                Ok(Step::Done(self.g.ifindex(n).map_err(|m| e(self, m))?, None))
            }
            Kw::Vlan | Kw::Mpls | Kw::Pppoes | Kw::Geneve => {
                self.bump();
                let arg = if self.syn_pnum(self.i).is_some() {
                    Some(self.pnum()?)
                } else {
                    None
                };
                let r = match k {
                    Kw::Vlan => self.g.vlan(arg),
                    Kw::Mpls => self.g.mpls(arg),
                    Kw::Pppoes => self.g.pppoes(arg),
                    _ => {
                        if self.g.live
                            && matches!(self.g.outermost(), super::gen::Link::Sll | super::gen::Link::Sll2)
                        {
                            Err("geneve is not supported in the live form of cooked captures".into())
                        } else {
                            self.g.geneve(arg)
                        }
                    }
                };
                Ok(Step::Done(r.map_err(|m| e(self, m))?, None))
            }
            Kw::Pppoed => {
                self.bump();
                Ok(Step::Done(self.g.pppoed().map_err(|m| e(self, m))?, None))
            }
            Kw::Atm(a) => {
                self.bump();
                Ok(Step::Done(self.g.atm_abbrev(a).map_err(|m| e(self, m))?, None))
            }
            Kw::Vpi | Kw::Vci => {
                self.bump();
                let b = self.atm_value(Field::Atm(k == Kw::Vci), pos)?;
                Ok(Step::Done(b, None))
            }
            Kw::Mtp2(t) => {
                self.bump();
                Ok(Step::Done(self.g.mtp2_abbrev(t).map_err(|m| e(self, m))?, None))
            }
            Kw::Mtp3(f) => {
                self.bump();
                let b = self.atm_value(Field::Mtp3(f), pos)?;
                Ok(Step::Done(b, None))
            }
            Kw::Llc => {
                // `llc`, `llc NAME`, and `llc rnr` (pf's keyword `rnr`/`rulenum` there).
                self.bump();
                let r = match self.peek().clone() {
                    Tok::Id(name) => {
                        let at = self.pos();
                        self.bump();
                        let r = self.g.llc_named(&name);
                        if let Err(m) = r {
                            return Err(self.err(at, m));
                        }
                        r
                    }
                    Tok::Kw(Kw::PfRnr) => {
                        self.bump();
                        self.g.llc_rnr()
                    }
                    _ => self.g.llc(),
                };
                Ok(Step::Done(r.map_err(|m| e(self, m))?, None))
            }
            _ => Err(self.syntax()),
        }
    }

    /// What follows `vpi`/`vci` (libpcap's `atmvalue`) and the MTP3 fields (`mtp3value`):
    /// `N`, `OP N` or `(N or N ...)`.
    fn atm_value(&mut self, field: Field, pos: usize) -> PResult<Node> {
        let e = |p: &Parser, m: String| p.err(pos, m);
        let t = self.peek().clone();
        if let Tok::Num(n) = t {
            self.bump();
            return self.g.value_field(field, JEQ, false, n).map_err(|m| e(self, m));
        }
        if let Some((jop, reverse)) = relop(&t) {
            self.bump();
            let Tok::Num(n) = self.peek().clone() else {
                return Err(self.syntax());
            };
            self.bump();
            return self.g.value_field(field, jop, reverse, n).map_err(|m| e(self, m));
        }
        if t != Tok::Punct('(') {
            return Err(self.syntax());
        }
        self.bump();
        let mut b: Option<Node> = None;
        loop {
            let Tok::Num(n) = self.peek().clone() else {
                return Err(self.syntax());
            };
            self.bump();
            let v = self.g.value_field(field, JEQ, false, n).map_err(|m| e(self, m))?;
            b = Some(match b {
                Some(prev) => Node::or(prev, v),
                None => v,
            });
            match self.peek() {
                Tok::Kw(Kw::Or) => {
                    self.bump();
                }
                Tok::Punct(')') => {
                    self.bump();
                    return Ok(b.expect("a value"));
                }
                _ => return Err(self.syntax()),
            }
        }
    }

    /// `head id`: the protocol qualifier (if any) has been consumed.
    fn head_id(&mut self, proto: Proto) -> PResult<Step> {
        let mut dir = Dir::Default;
        let mut addr = Addr::Default;
        match self.peek() {
            Tok::Kw(Kw::Src) | Tok::Kw(Kw::Dst) => {
                let first = if self.is_kw(Kw::Src) { Dir::Src } else { Dir::Dst };
                self.bump();
                dir = first;
                if let Tok::Kw(c @ (Kw::Or | Kw::And)) = self.peek().clone() {
                    let other = if first == Dir::Src { Kw::Dst } else { Kw::Src };
                    if matches!(self.peek_at(self.i + 1), Tok::Kw(x) if *x == other) {
                        self.bump();
                        self.bump();
                        dir = if c == Kw::Or { Dir::Or } else { Dir::And };
                    } else {
                        return Err(self.syntax_at(self.i + 1));
                    }
                }
                self.aqual(&mut addr);
            }
            Tok::Kw(k @ (Kw::Addr1 | Kw::Addr2 | Kw::Addr3 | Kw::Addr4 | Kw::Ra | Kw::Ta)) => {
                dir = match k {
                    Kw::Addr1 => Dir::Addr1,
                    Kw::Addr2 => Dir::Addr2,
                    Kw::Addr3 => Dir::Addr3,
                    Kw::Addr4 => Dir::Addr4,
                    Kw::Ra => Dir::Ra,
                    _ => Dir::Ta,
                };
                self.bump();
                self.aqual(&mut addr);
            }
            Tok::Kw(Kw::Host)
            | Tok::Kw(Kw::Net)
            | Tok::Kw(Kw::Port)
            | Tok::Kw(Kw::PortRange)
            | Tok::Kw(Kw::Proto)
            | Tok::Kw(Kw::ProtoChain)
            | Tok::Kw(Kw::Gateway) => {
                addr = match self.peek() {
                    Tok::Kw(Kw::Host) => Addr::Host,
                    Tok::Kw(Kw::Net) => Addr::Net,
                    Tok::Kw(Kw::Port) => Addr::Port,
                    Tok::Kw(Kw::PortRange) => Addr::PortRange,
                    Tok::Kw(Kw::Proto) => Addr::Proto,
                    Tok::Kw(Kw::ProtoChain) => Addr::ProtoChain,
                    _ => Addr::Gateway,
                };
                self.bump();
            }
            _ => return Err(self.syntax()),
        }
        let q = Some(Qual { proto, dir, addr });
        match self.syn_id(self.i) {
            Some(_) => Ok(Step::Call(Frame::HeadId { q }, Goal::Id(q))),
            None => Err(self.syntax()),
        }
    }

    /// An optional `aqual` after a `dqual`: `host`, `net`, `port`, `portrange`.
    fn aqual(&mut self, addr: &mut Addr) {
        *addr = match self.peek() {
            Tok::Kw(Kw::Host) => Addr::Host,
            Tok::Kw(Kw::Net) => Addr::Net,
            Tok::Kw(Kw::Port) => Addr::Port,
            Tok::Kw(Kw::PortRange) => Addr::PortRange,
            _ => return,
        };
        self.bump();
    }

    /// `p80211` at its keyword: `type T [subtype S]`, `subtype S`, `dir D`, with libpcap's
    /// names (wlan.rs) and checks of numbers.
    fn p80211(&mut self) -> PResult<Node> {
        use super::gen::wlan::{dir_value, lookup, TYPES, TYPE_SUBTYPES};
        let kw = self.bump();
        let pos = self.pos();
        let arg = self.peek().clone();
        let e = |m: String| CompileError::new(pos, m);
        let (v, mask) = match (kw.kind, arg) {
            (Tok::Kw(Kw::Type), Tok::Num(_) | Tok::Id(_)) => {
                let t = match self.bump().kind {
                    Tok::Num(t) if t & !0x0c != 0 => {
                        return Err(e(format!("invalid 802.11 type value 0x{t:02x}")))
                    }
                    Tok::Num(t) => t,
                    Tok::Id(name) => lookup(TYPES, &name)
                        .ok_or_else(|| e(format!("unknown 802.11 type name \"{name}\"")))?,
                    _ => return Err(self.syntax()),
                };
                if !self.is_kw(Kw::Subtype) {
                    (t, 0x0c)
                } else {
                    self.bump();
                    let pos = self.pos();
                    let e = |m: String| CompileError::new(pos, m);
                    let st = match self.peek().clone() {
                        Tok::Num(st) if st & !0xf0 != 0 => {
                            return Err(e(format!("invalid 802.11 subtype value 0x{st:02x}")))
                        }
                        Tok::Num(st) => st,
                        Tok::Id(name) => {
                            let Some((_, names)) = TYPE_SUBTYPES.iter().find(|(ty, _)| *ty == t) else {
                                return Err(e("unknown 802.11 type".into()));
                            };
                            lookup(names, &name)
                                .ok_or_else(|| e(format!("unknown 802.11 subtype name \"{name}\"")))?
                        }
                        _ => return Err(self.syntax()),
                    };
                    self.bump();
                    (t | st, 0xfc)
                }
            }
            (Tok::Kw(Kw::Subtype), Tok::Id(name)) => {
                self.bump();
                let v = TYPE_SUBTYPES
                    .iter()
                    .find_map(|(ty, names)| lookup(names, &name).map(|st| st | ty))
                    .ok_or_else(|| e("unknown 802.11 type name".into()))?;
                (v, 0xfc)
            }
            (Tok::Kw(Kw::Dir), Tok::Num(d)) => {
                self.bump();
                return self.g.p80211_fcdir(d).map_err(e);
            }
            (Tok::Kw(Kw::Dir), Tok::Id(name)) => {
                self.bump();
                let d = dir_value(&name).ok_or_else(|| e("unknown 802.11 direction".into()))?;
                return self.g.p80211_fcdir(d).map_err(e);
            }
            _ => return Err(self.syntax()),
        };
        self.g.p80211_type(v, mask).map_err(e)
    }

    /// `pfvar` at its keyword `k`: `on`/`ifname NAME`, `ruleset NAME`, `rnr N`, `srnr N`,
    /// `reason N|NAME`, `action NAME`.
    fn pfvar(&mut self, k: Kw) -> PResult<Node> {
        use super::gen::pflog::{ACTIONS, REASONS};
        use super::gen::wlan::lookup;
        self.bump();
        let pos = self.pos();
        let e = |m: String| CompileError::new(pos, m);
        let arg = self.peek().clone();
        let g = &mut self.g;
        let r = match (k, arg) {
            (Kw::PfIfname, Tok::Id(n)) => g.pf_ifname(&n),
            (Kw::PfRset, Tok::Id(n)) => g.pf_ruleset(&n),
            (Kw::PfRnr, Tok::Num(n)) => g.pf_rnr(n),
            (Kw::PfSrnr, Tok::Num(n)) => g.pf_srnr(n),
            (Kw::PfReason, Tok::Num(n)) => g.pf_reason(n),
            (Kw::PfReason, Tok::Id(n)) => {
                let v = lookup(REASONS, &n).ok_or_else(|| e(format!("unknown PF reason \"{n}\"")))?;
                g.pf_reason(v)
            }
            (Kw::PfAction, Tok::Id(n)) => {
                let v = lookup(ACTIONS, &n).ok_or_else(|| e(format!("unknown PF action \"{n}\"")))?;
                g.pf_action(v)
            }
            _ => return Err(self.syntax()),
        };
        self.bump();
        r.map_err(e)
    }

    // ---- arithmetic ----

    /// `arth relop arth` at a `(`: `Ok(None)` if it is not one.
    fn try_relation(&mut self) -> PResult<Option<Node>> {
        match self.arth_memo[self.i] {
            Some(None) => return Ok(None),
            Some(Some(end)) if relop(self.peek_at(end)).is_none() => return Ok(None),
            _ => {}
        }
        let Ok(a0) = self.arth(0) else { return Ok(None) };
        if relop(self.peek()).is_none() {
            return Ok(None);
        }
        Ok(Some(self.finish_relation(a0)?))
    }

    fn relation(&mut self) -> PResult<Node> {
        let a0 = self.arth(0)?;
        self.finish_relation(a0)
    }

    fn finish_relation(&mut self, a0: Arth) -> PResult<Node> {
        let pos = self.pos();
        let Some((jop, rev)) = relop(self.peek()) else {
            return Err(self.syntax());
        };
        self.bump();
        let a1 = self.arth(0)?;
        self.g
            .relation(jop, &a0, &a1, rev)
            .map_err(|(p, m)| self.err(if p == usize::MAX { pos } else { p }, m))
    }

    /// `arth` with operators of precedence `min` and up (`%` and `^`, which have none in
    /// libpcap's grammar, whatever `min`), by precedence climbing with an explicit stack.
    /// Records in `arth_memo` what each `arth(0)` inside did.
    fn arth(&mut self, min: u8) -> PResult<Arth> {
        let mut stack: Vec<ArthFrame> = Vec::new();
        let mut cur = (min, self.i);
        let r = self.arth_run(&mut cur, &mut stack);
        if r.is_err() {
            // Every invocation still open fails with the innermost.
            for (min, start) in stack.iter().map(|f| (f.min, f.start)).chain([cur]) {
                if min == 0 {
                    self.arth_memo[start] = Some(None);
                }
            }
        }
        r
    }

    /// The loop of [`Parser::arth`]: `cur` is the invocation being parsed (its `min` and first
    /// token), `stack` the pending constructs of the ones around it.
    fn arth_run(&mut self, cur: &mut (u8, usize), stack: &mut Vec<ArthFrame>) -> PResult<Arth> {
        /// Opens construct `k`, whose inner `arth` has precedence `min`.
        fn push(
            p: &Parser,
            stack: &mut Vec<ArthFrame>,
            nesting: &mut usize,
            cur: &mut (u8, usize),
            k: ArthK,
            min: u8,
        ) -> PResult<()> {
            if !matches!(k, ArthK::Rhs { nests: false, .. }) {
                *nesting += 1;
                if p.depth + *nesting > MAX_DEPTH {
                    return Err(p.too_deep());
                }
            }
            stack.push(ArthFrame {
                k,
                min: cur.0,
                start: cur.1,
            });
            *cur = (min, p.i);
            Ok(())
        }
        let mut nesting = 0usize;
        'call: loop {
            // A new invocation: its first operand (libpcap's unary expressions).
            let pos = self.pos();
            let mut lhs = match self.peek().clone() {
                Tok::Punct('-') => {
                    self.bump();
                    push(self, stack, &mut nesting, cur, ArthK::Neg, 6)?;
                    continue 'call;
                }
                Tok::Num(v) => {
                    self.bump();
                    Arth::Num(v)
                }
                Tok::Kw(Kw::Len) => {
                    self.bump();
                    Arth::Len
                }
                Tok::Punct('(') => {
                    self.bump();
                    push(self, stack, &mut nesting, cur, ArthK::Paren, 0)?;
                    continue 'call;
                }
                Tok::Kw(k) => {
                    let Some(proto) = pname(k) else {
                        return Err(self.syntax());
                    };
                    self.bump();
                    self.expect_punct('[')?;
                    push(self, stack, &mut nesting, cur, ArthK::Load { proto, pos }, 0)?;
                    continue 'call;
                }
                _ => return Err(self.syntax()),
            };
            // The operators of the invocation `cur`; its value goes to the construct below.
            loop {
                let pos = self.pos();
                let (code, prec) = match self.peek() {
                    Tok::Punct('%') => (BPF_MOD, 0),
                    Tok::Punct('^') => (BPF_XOR, 0),
                    Tok::Punct('|') => (BPF_OR, 1),
                    Tok::Punct('&') => (BPF_AND, 2),
                    Tok::Lsh => (BPF_LSH, 3),
                    Tok::Rsh => (BPF_RSH, 3),
                    Tok::Punct('+') => (BPF_ADD, 4),
                    Tok::Punct('-') => (BPF_SUB, 4),
                    Tok::Punct('*') => (BPF_MUL, 5),
                    Tok::Punct('/') => (BPF_DIV, 5),
                    _ => (0, u8::MAX),
                };
                // No precedence for `%` and `^` in libpcap's grammar: bison shifts, so the
                // right operand is everything that follows.
                if prec == 0 || (prec != u8::MAX && prec >= cur.0) {
                    self.bump();
                    let k = ArthK::Rhs {
                        code,
                        lhs,
                        pos,
                        nests: prec == 0,
                    };
                    push(
                        self,
                        stack,
                        &mut nesting,
                        cur,
                        k,
                        if prec == 0 { 0 } else { prec + 1 },
                    )?;
                    continue 'call;
                }
                if cur.0 == 0 {
                    self.arth_memo[cur.1] = Some(Some(self.i));
                }
                let Some(frame) = stack.pop() else {
                    return Ok(lhs);
                };
                *cur = (frame.min, frame.start);
                if !matches!(frame.k, ArthK::Rhs { nests: false, .. }) {
                    nesting -= 1;
                }
                lhs = match frame.k {
                    ArthK::Neg => Arth::Neg(Box::new(lhs)),
                    ArthK::Paren => {
                        self.expect_punct(')')?;
                        lhs
                    }
                    ArthK::Load { proto, pos } => {
                        let mut size = 1;
                        if self.is_punct(':') {
                            self.bump();
                            let Tok::Num(s) = *self.peek() else {
                                return Err(self.syntax());
                            };
                            self.bump();
                            size = s;
                        }
                        self.expect_punct(']')?;
                        // libpcap's gen_load runs as the grammar reduces `pname [ arth : NUM ]`,
                        // so a bad size is reported before anything later in the expression
                        // (`tcp[1:3]` alone says so, not "syntax error").
                        if !matches!(size, 1 | 2 | 4) {
                            return Err(self.err(pos, "data size must be 1, 2, or 4"));
                        }
                        Arth::Load {
                            proto,
                            index: Box::new(lhs),
                            size,
                            pos,
                        }
                    }
                    ArthK::Rhs {
                        code, lhs: l, pos, ..
                    } => Arth::Bin(BPF_ALU | code, Box::new(l), Box::new(lhs), pos),
                };
            }
        }
    }

    // ---- the semantic actions on ids (libpcap's gen_scode, gen_ncode, gen_mcode, ...) ----

    fn scode(&mut self, pos: usize, name: &str, q: Q) -> PResult<Node> {
        let Some(q) = q else {
            return Err(self.err(
                pos,
                format!("syntax error: '{name}' needs a qualifier such as host, net or port"),
            ));
        };
        let e = |m: String| CompileError::new(pos, m);
        let g = &mut self.g;
        match q.addr {
            Addr::Net => {
                let mut addr = names::network(name);
                if addr == 0 {
                    return Err(e(format!("unknown network '{name}'")));
                }
                let mut mask = 0xffff_ffffu32;
                while addr != 0 && addr & 0xff00_0000 == 0 {
                    addr <<= 8;
                    mask <<= 8;
                }
                g.host(addr, mask, q.proto, q.dir, true).map_err(e)
            }
            Addr::Default | Addr::Host => {
                if q.proto == Proto::Link {
                    let Some(kind) = g.mac_hosts() else {
                        return Err(e("only ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel supports link-level host name".into()));
                    };
                    let Some(mac) = names::ether_host(name) else {
                        return Err(e(format!("unknown {kind} host '{name}'")));
                    };
                    return g.ether_host(&mac, q.dir).map_err(e);
                }
                if q.proto == Proto::Legacy(Family::Decnet) {
                    // libpcap is built without DECnet's node name database.
                    return Err(e(format!(
                        "decnet name support not included, '{name}' cannot be translated"
                    )));
                }
                let addrs = names::host(name);
                if addrs.is_empty() {
                    return Err(e(format!("unknown host '{name}'")));
                }
                let (mut tproto, mut tproto6) = (q.proto, q.proto);
                if g.no_linktype_field() && q.proto == Proto::Default {
                    tproto = Proto::Ip;
                    tproto6 = Proto::Ip6;
                }
                let mut parts = Vec::new();
                for a in addrs {
                    match a {
                        IpAddr::V4(v4) => {
                            if tproto == Proto::Ip6 {
                                continue;
                            }
                            parts.push(
                                g.host(u32::from(v4), 0xffff_ffff, tproto, q.dir, false)
                                    .map_err(e)?,
                            );
                        }
                        IpAddr::V6(v6) => {
                            if tproto6 == Proto::Ip {
                                continue;
                            }
                            let w = words6(&v6.octets());
                            parts.push(g.host6(&w, &[0xffff_ffff; 4], tproto6, q.dir, false).map_err(e)?);
                        }
                    }
                }
                if parts.is_empty() {
                    let tail = if q.proto == Proto::Default {
                        ""
                    } else {
                        " for specified address family"
                    };
                    return Err(e(format!("unknown host '{name}'{tail}")));
                }
                Ok(Node::any(parts))
            }
            Addr::Port | Addr::PortRange => {
                let what = if q.addr == Addr::Port { "port" } else { "portrange" };
                if !matches!(q.proto, Proto::Default | Proto::Udp | Proto::Tcp | Proto::Sctp) {
                    return Err(e(format!("illegal qualifier of '{what}'")));
                }
                let (p1, p2, real) = if q.addr == Addr::Port {
                    let Some((p, r)) = names::port(name) else {
                        return Err(e(format!("unknown port '{name}'")));
                    };
                    (i64::from(p), i64::from(p), r)
                } else {
                    let Some(r) = names::portrange(name) else {
                        return Err(e(format!("unknown port in range '{name}'")));
                    };
                    r
                };
                let inr = if q.addr == Addr::Port { "" } else { " in range" };
                let want = match q.proto {
                    Proto::Udp => Some(IPPROTO_UDP),
                    Proto::Tcp => Some(IPPROTO_TCP),
                    Proto::Sctp => Some(IPPROTO_SCTP),
                    _ => None,
                };
                let real = match (want, real) {
                    (Some(w), Some(r)) if w != r => {
                        let rn = match r {
                            IPPROTO_TCP => "tcp",
                            IPPROTO_UDP => "udp",
                            _ => "sctp",
                        };
                        return Err(e(format!("port{inr} '{name}' is {rn}")));
                    }
                    (Some(w), _) => Some(w),
                    (None, r) => r,
                };
                for p in [p1, p2] {
                    if p < 0 {
                        return Err(e(format!("illegal port number {p} < 0")));
                    }
                    if p > 65535 {
                        return Err(e(format!("illegal port number {p} > 65535")));
                    }
                }
                if q.addr == Addr::Port {
                    g.port(p1 as u32, real, q.dir).map_err(e)
                } else {
                    g.portrange(p1 as u32, p2 as u32, real, q.dir).map_err(e)
                }
            }
            // libpcap 1.10 compiles gen_gateway only without IPv6 support (`#ifndef INET6`);
            // built with it, as every usual build is, it refuses `gateway NAME` with this
            // message whatever NAME resolves to (tests/compile_diff/names.txt checks it with
            // names in /etc/ethers and /etc/hosts).
            Addr::Gateway => Err(e("'gateway' not supported in this configuration".into())),
            Addr::Proto | Addr::ProtoChain => {
                let v = match q.proto {
                    Proto::Default | Proto::Ip | Proto::Ip6 => {
                        names::protocol(name).ok_or_else(|| e(format!("unknown ip proto '{name}'")))?
                    }
                    Proto::Link => names::ether_protocol(name)
                        .ok_or_else(|| e(format!("unknown ether proto '{name}'")))?,
                    Proto::Legacy(Family::Iso) => {
                        legacy::osi_protocol(name).ok_or_else(|| e(format!("unknown osi proto '{name}'")))?
                    }
                    _ => return Err(e(format!("unknown protocol: {name}"))),
                };
                if q.addr == Addr::Proto {
                    g.proto(v, q.proto, q.dir).map_err(e)
                } else {
                    g.protochain(v, q.proto).map_err(e)
                }
            }
        }
    }

    fn ncode(&mut self, pos: usize, s: Option<&str>, v: u32, q: Q) -> PResult<Node> {
        let e = |m: String| CompileError::new(pos, m);
        let Some(q) = q else {
            return Err(self.err(
                pos,
                "syntax error: a number needs a qualifier such as host, net, port or proto",
            ));
        };
        let decnet = q.proto == Proto::Legacy(Family::Decnet);
        let (mut v, vlen) = match s {
            None => (v, 32),
            Some(s) if decnet => (
                legacy::atodn(s).ok_or_else(|| e(format!("malformed decnet address '{s}'")))?,
                32,
            ),
            Some(s) => atoin(s).ok_or_else(|| e(format!("invalid IPv4 address '{s}'")))?,
        };
        let g = &mut self.g;
        match q.addr {
            Addr::Default | Addr::Host | Addr::Net => {
                if decnet {
                    return g.host(v, 0, q.proto, q.dir, q.addr == Addr::Net).map_err(e);
                }
                if q.proto == Proto::Link {
                    return Err(e("illegal link layer address".into()));
                }
                let mut mask = 0xffff_ffffu32;
                if s.is_none() && q.addr == Addr::Net {
                    while v != 0 && v & 0xff00_0000 == 0 {
                        v <<= 8;
                        mask <<= 8;
                    }
                } else {
                    let sh = 32 - vlen;
                    v = v.checked_shl(sh).unwrap_or(0);
                    mask = mask.checked_shl(sh).unwrap_or(0);
                }
                g.host(v, mask, q.proto, q.dir, q.addr == Addr::Net).map_err(e)
            }
            Addr::Port | Addr::PortRange => {
                let what = if q.addr == Addr::Port { "port" } else { "portrange" };
                let p = match q.proto {
                    Proto::Udp => Some(IPPROTO_UDP),
                    Proto::Tcp => Some(IPPROTO_TCP),
                    Proto::Sctp => Some(IPPROTO_SCTP),
                    Proto::Default => None,
                    _ => return Err(e(format!("illegal qualifier of '{what}'"))),
                };
                if v > 65535 {
                    return Err(e(format!("illegal port number {v} > 65535")));
                }
                if q.addr == Addr::Port {
                    g.port(v, p, q.dir).map_err(e)
                } else {
                    g.portrange(v, v, p, q.dir).map_err(e)
                }
            }
            Addr::Gateway => Err(e("'gateway' requires a name".into())),
            Addr::Proto => g.proto(v, q.proto, q.dir).map_err(e),
            Addr::ProtoChain => g.protochain(v, q.proto).map_err(e),
        }
    }

    fn mcode(&mut self, pos: usize, s1: &str, s2: Option<&str>, masklen: u32, q: Q) -> PResult<Node> {
        let e = |m: String| CompileError::new(pos, m);
        let (n, nlen) = atoin(s1).ok_or_else(|| e(format!("invalid IPv4 address '{s1}'")))?;
        let n = n.checked_shl(32 - nlen).unwrap_or(0);
        let m = match s2 {
            Some(s2) => {
                let (m, mlen) = atoin(s2).ok_or_else(|| e(format!("invalid IPv4 address '{s2}'")))?;
                let m = m.checked_shl(32 - mlen).unwrap_or(0);
                if n & !m != 0 {
                    return Err(e(format!("non-network bits set in \"{s1} mask {s2}\"")));
                }
                m
            }
            None => {
                if masklen > 32 {
                    return Err(e("mask length must be <= 32".into()));
                }
                let m = if masklen == 0 {
                    0
                } else {
                    0xffff_ffffu32 << (32 - masklen)
                };
                if n & !m != 0 {
                    return Err(e(format!("non-network bits set in \"{s1}/{masklen}\"")));
                }
                m
            }
        };
        match q {
            Some(q) if q.addr == Addr::Net => self.g.host(n, m, q.proto, q.dir, true).map_err(e),
            _ => Err(e("Mask syntax for networks only".into())),
        }
    }

    fn mcode6(&mut self, pos: usize, s: &str, masklen: u32, q: Q) -> PResult<Node> {
        let e = |m: String| CompileError::new(pos, m);
        let a = super::lexer::inet_pton6(s).ok_or_else(|| e(format!("invalid ip6 address {s}")))?;
        if masklen > 128 {
            return Err(e("mask length must be <= 128".into()));
        }
        let mut mask = [0u8; 16];
        for (i, m) in mask.iter_mut().enumerate() {
            let bits = (masklen as i64 - 8 * i as i64).clamp(0, 8) as u32;
            *m = if bits == 0 {
                0
            } else {
                (0xffu32 << (8 - bits)) as u8
            };
        }
        if a.iter().zip(mask.iter()).any(|(a, m)| a & !m != 0) {
            return Err(e(format!("non-network bits set in \"{s}/{masklen}\"")));
        }
        let Some(q) = q else {
            return Err(e("invalid qualifier against IPv6 address".into()));
        };
        match q.addr {
            Addr::Default | Addr::Host | Addr::Net => {
                if q.addr != Addr::Net && masklen != 128 {
                    return Err(e("Mask syntax for networks only".into()));
                }
                self.g
                    .host6(&words6(&a), &words6(&mask), q.proto, q.dir, q.addr == Addr::Net)
                    .map_err(e)
            }
            _ => Err(e("invalid qualifier against IPv6 address".into())),
        }
    }

    /// `gen_acode`: an ARCnet address `$N` (`link host $N`, `link src $N`, ...).
    fn acode(&mut self, pos: usize, s: &str, q: Q) -> PResult<Node> {
        let e = |m: String| CompileError::new(pos, m);
        if !matches!(self.g.linktype, Link::Arcnet | Link::ArcnetLinux) {
            return Err(e("aid supported only on ARCnet".into()));
        }
        match q {
            Some(q) if matches!(q.addr, Addr::Host | Addr::Default) && q.proto == Proto::Link => {
                self.g.arcnet_host(names::arcnet_aton(s), q.dir).map_err(e)
            }
            _ => Err(e("ARCnet address used in non-arc expression".into())),
        }
    }

    fn ecode(&mut self, pos: usize, s: &str, q: Q) -> PResult<Node> {
        let e = |m: String| CompileError::new(pos, m);
        match q {
            Some(q) if matches!(q.addr, Addr::Host | Addr::Default) && q.proto == Proto::Link => {
                let mac = names::ether_aton(s);
                self.g.ether_host(&mac, q.dir).map_err(e)
            }
            _ => Err(e("ethernet address used in non-ether expression".into())),
        }
    }
}

fn words6(b: &[u8; 16]) -> [u32; 4] {
    let mut w = [0u32; 4];
    for (i, x) in w.iter_mut().enumerate() {
        *x = u32::from_be_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
    }
    w
}

/// A keyword followed by a value, a relation or a list: ATM's `vpi`/`vci` (true: `vci`), an
/// MTP3 field.
#[derive(Clone, Copy, Debug)]
enum Field {
    Atm(bool),
    Mtp3(super::gen::mtp::Mtp3Kw),
}

impl Gen {
    fn value_field(&mut self, f: Field, jop: u16, reverse: bool, v: u32) -> Result<Node, String> {
        match f {
            Field::Atm(vci) => self.atm_field(vci, jop, reverse, v),
            Field::Mtp3(k) => self.mtp3_field(k, jop, reverse, v),
        }
    }
}

/// libpcap's `__pcap_atoin`: a dotted address and its length in bits.
fn atoin(s: &str) -> Option<(u32, u32)> {
    let b = s.as_bytes();
    let mut addr: u32 = 0;
    let mut len = 0u32;
    let mut i = 0;
    loop {
        let mut n: u32 = 0;
        while i < b.len() && b[i] != b'.' {
            if n > 25 {
                return None;
            }
            n = n
                .wrapping_mul(10)
                .wrapping_add(u32::from(b[i]))
                .wrapping_sub(u32::from(b'0'));
            i += 1;
        }
        if n > 255 {
            return None;
        }
        addr = (addr << 8) | (n & 0xff);
        len += 8;
        if i >= b.len() {
            return Some((addr, len.min(32)));
        }
        i += 1;
    }
}

fn relop(t: &Tok) -> Option<(u16, bool)> {
    Some(match t {
        Tok::Punct('>') => (JGT, false),
        Tok::Geq => (JGE, false),
        Tok::Punct('=') => (JEQ, false),
        Tok::Leq => (JGT, true),
        Tok::Punct('<') => (JGE, true),
        Tok::Neq => (JEQ, true),
        _ => return None,
    })
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Kw(k) => format!("{k:?}")
            .to_lowercase()
            .trim_start_matches("pf")
            .to_owned(),
        Tok::Num(n) => n.to_string(),
        Tok::Id(s) | Tok::Hid(s) | Tok::Hid6(s) | Tok::Eid(s) | Tok::Aid(s) => s.clone(),
        Tok::Punct(c) => c.to_string(),
        Tok::Geq => ">=".into(),
        Tok::Leq => "<=".into(),
        Tok::Neq => "!=".into(),
        Tok::Lsh => "<<".into(),
        Tok::Rsh => ">>".into(),
        Tok::Eof => "end".into(),
    }
}

#[allow(dead_code)]
const _USED: [u16; 3] = [BPF_SUB, BPF_MUL, BPF_DIV];
