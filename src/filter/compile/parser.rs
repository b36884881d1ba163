//! The parser: libpcap's grammar (grammar.y) by recursive descent, with its quirks: `and` and
//! `or` of equal precedence, left associative; `not` binding tighter; qualifiers carried over
//! to a bare id after `and`/`or`; `%` and `^` without precedence (bison always shifts them).
//! Each primitive is generated when it has been parsed, in source order, as libpcap's actions
//! run, because `vlan`, `mpls`, `pppoes` and `geneve` change the offsets of what follows.

use std::net::IpAddr;

use super::gen::{Addr, Arth, Dir, Gen, Proto, Qual, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP};
use super::ir::{Node, JEQ, JGE, JGT};
use super::lexer::{Kw, Tok, Token};
use super::{names, CompileError};
use crate::filter::{
    BPF_ADD, BPF_ALU, BPF_AND, BPF_DIV, BPF_LSH, BPF_MOD, BPF_MUL, BPF_OR, BPF_RSH, BPF_SUB, BPF_XOR,
};

type PResult<T> = Result<T, CompileError>;

/// Qualifiers that flow to the next id: `None` is libpcap's `qerr`.
type Q = Option<Qual>;

pub struct Parser {
    toks: Vec<Token>,
    i: usize,
    pub g: Gen,
    /// Parenthesis nesting, bounded so that hostile input cannot overflow the stack.
    depth: usize,
}

const MAX_DEPTH: usize = 200;

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
        _ => return None,
    })
}

impl Parser {
    pub fn new(toks: Vec<Token>, g: Gen) -> Parser {
        Parser {
            toks,
            i: 0,
            g,
            depth: 0,
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
            Tok::Kw(Kw::Unsupported(k)) => {
                return CompileError::new(t.pos, format!("'{k}' is not supported by libpkt"));
            }
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
    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(self.pos(), "expression nested too deeply"));
        }
        Ok(())
    }

    /// `prog`: the whole expression; `None` for an empty one.
    pub fn prog(&mut self) -> PResult<Option<Node>> {
        if matches!(self.peek(), Tok::Eof) {
            return Ok(None);
        }
        let (n, _) = self.expr(None)?;
        if !matches!(self.peek(), Tok::Eof) {
            return Err(self.syntax());
        }
        Ok(Some(n))
    }

    /// `expr`: terms (or ids, after `and`/`or`) joined left to right.
    fn expr(&mut self, inq: Q) -> PResult<(Node, Q)> {
        self.enter()?;
        let (mut n, mut q) = self.term(inq)?;
        loop {
            let is_and = match self.peek() {
                Tok::Kw(Kw::And) => true,
                Tok::Kw(Kw::Or) => false,
                _ => break,
            };
            self.bump();
            // An id (carrying the qualifiers over) unless it is a number or parenthesis that
            // starts an arithmetic relation, also behind `not`s (`tcp and not 1 = 1`: libpcap's
            // `not id` gives way to `not term` when the number goes on as an arithmetic
            // expression).
            let mut first = self.i;
            while matches!(self.peek_at(first), Tok::Kw(Kw::Not)) {
                first += 1;
            }
            let numeric = matches!(self.peek_at(first), Tok::Num(_) | Tok::Punct('('));
            let (rhs, rq) = match self.syn_id(self.i) {
                Some(end) if !numeric || self.ends_expr(end) => (self.id(q)?, q),
                _ => self.term(q)?,
            };
            n = if is_and {
                Node::and(n, rhs)
            } else {
                Node::or(n, rhs)
            };
            q = rq;
        }
        self.depth -= 1;
        Ok((n, q))
    }

    /// Whether the token at `j` can follow an id that ends an expression operand.
    fn ends_expr(&self, j: usize) -> bool {
        matches!(
            self.peek_at(j),
            Tok::Kw(Kw::And) | Tok::Kw(Kw::Or) | Tok::Punct(')') | Tok::Eof
        )
    }

    // ---- syntactic look-ahead for ids (no code generated) ----

    fn syn_pnum(&self, j: usize) -> Option<usize> {
        match self.peek_at(j) {
            Tok::Num(_) => Some(j + 1),
            Tok::Punct('(') => {
                let e = self.syn_pnum(j + 1)?;
                matches!(self.peek_at(e), Tok::Punct(')')).then_some(e + 1)
            }
            _ => None,
        }
    }

    fn syn_nid(&self, j: usize, depth: usize) -> Option<usize> {
        if depth > MAX_DEPTH {
            return None;
        }
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
            Tok::Kw(Kw::Not) => self.syn_id(j + 1),
            _ => None,
        }
    }

    fn syn_id_depth(&self, j: usize, depth: usize) -> Option<usize> {
        if depth > MAX_DEPTH {
            return None;
        }
        if let Some(e) = self.syn_nid(j, depth + 1) {
            return Some(e);
        }
        if let Some(e) = self.syn_pnum(j) {
            return Some(e);
        }
        if matches!(self.peek_at(j), Tok::Punct('(')) {
            let e = self.syn_pid(j + 1, depth + 1)?;
            return matches!(self.peek_at(e), Tok::Punct(')')).then_some(e + 1);
        }
        None
    }

    fn syn_id(&self, j: usize) -> Option<usize> {
        self.syn_id_depth(j, 0)
    }

    /// `pid`: a nid, or a list of ids joined by and/or (the first may be a number).
    fn syn_pid(&self, j: usize, depth: usize) -> Option<usize> {
        let (mut e, mut n) = if let Some(e) = self.syn_nid(j, depth + 1) {
            (e, 1)
        } else if let Some(e) = self.syn_pnum(j) {
            (e, 0)
        } else if matches!(self.peek_at(j), Tok::Punct('(')) {
            let e = self.syn_pid(j + 1, depth + 1)?;
            if !matches!(self.peek_at(e), Tok::Punct(')')) {
                return None;
            }
            (e + 1, 1)
        } else {
            return None;
        };
        while matches!(self.peek_at(e), Tok::Kw(Kw::And) | Tok::Kw(Kw::Or)) {
            e = self.syn_id_depth(e + 1, depth + 1)?;
            n += 1;
        }
        (n > 0).then_some(e)
    }

    // ---- ids ----

    /// `id` with the qualifiers `q` carried over.
    fn id(&mut self, q: Q) -> PResult<Node> {
        self.enter()?;
        let r = self.id_inner(q);
        self.depth -= 1;
        r
    }

    fn id_inner(&mut self, q: Q) -> PResult<Node> {
        if self.is_punct('(') {
            // `( pid )` or `( pnum )`.
            if let Some(e) = self.syn_pnum(self.i) {
                let pos = self.pos();
                let v = self.pnum()?;
                debug_assert_eq!(self.i, e);
                return self.ncode(pos, None, v, q);
            }
            self.bump();
            let n = self.pid(q)?;
            self.expect_punct(')')?;
            return Ok(n);
        }
        if let Tok::Num(_) = self.peek() {
            let pos = self.pos();
            let v = self.pnum()?;
            return self.ncode(pos, None, v, q);
        }
        self.nid(q)
    }

    fn pid(&mut self, q: Q) -> PResult<Node> {
        let mut n = if let Tok::Num(_) | Tok::Punct('(') = self.peek() {
            self.id(q)?
        } else {
            self.nid(q)?
        };
        loop {
            let is_and = match self.peek() {
                Tok::Kw(Kw::And) => true,
                Tok::Kw(Kw::Or) => false,
                _ => break,
            };
            self.bump();
            let r = self.id(q)?;
            n = if is_and { Node::and(n, r) } else { Node::or(n, r) };
        }
        Ok(n)
    }

    fn pnum(&mut self) -> PResult<u32> {
        match self.peek().clone() {
            Tok::Num(v) => {
                self.bump();
                Ok(v)
            }
            Tok::Punct('(') => {
                self.bump();
                self.enter()?;
                let v = self.pnum()?;
                self.depth -= 1;
                self.expect_punct(')')?;
                Ok(v)
            }
            _ => Err(self.syntax()),
        }
    }

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
            Tok::Aid(_) => Err(self.err(pos, "ARCnet addresses are not supported by libpkt")),
            Tok::Kw(Kw::Not) => {
                let n = self.id(q)?;
                Ok(Node::not(n))
            }
            _ => {
                self.i -= 1;
                Err(self.syntax())
            }
        }
    }

    // ---- terms ----

    fn term(&mut self, inq: Q) -> PResult<(Node, Q)> {
        self.enter()?;
        let r = self.term_inner(inq);
        self.depth -= 1;
        r
    }

    fn term_inner(&mut self, inq: Q) -> PResult<(Node, Q)> {
        let start = self.i;
        let depth = self.depth;
        let pos = self.pos();
        match self.peek().clone() {
            Tok::Kw(Kw::Not) => {
                self.bump();
                let (n, q) = self.term(inq)?;
                Ok((Node::not(n), q))
            }
            Tok::Punct('(') => {
                // An arithmetic relation in parentheses, or a parenthesised expression.
                if let Ok(Some(rel)) = self.try_relation() {
                    return Ok((rel, None));
                }
                self.i = start;
                self.depth = depth;
                self.bump();
                let (n, _) = self.expr(inq)?;
                self.expect_punct(')')?;
                Ok((n, inq))
            }
            Tok::Num(_) | Tok::Punct('-') | Tok::Kw(Kw::Len) => {
                let n = self.relation()?;
                Ok((n, None))
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
                        ) => {
                            self.bump();
                            self.head_id(p)
                        }
                        Tok::Punct('[') => Ok((self.relation()?, None)),
                        Tok::Kw(Kw::Broadcast) => {
                            self.bump();
                            self.bump();
                            Ok((self.g.broadcast(p).map_err(|m| self.err(pos, m))?, None))
                        }
                        Tok::Kw(Kw::Multicast) => {
                            self.bump();
                            self.bump();
                            Ok((self.g.multicast(p).map_err(|m| self.err(pos, m))?, None))
                        }
                        _ => {
                            self.bump();
                            Ok((self.g.proto_abbrev(p).map_err(|m| self.err(pos, m))?, None))
                        }
                    }
                } else {
                    self.other_or_head(k, pos)
                }
            }
            _ => Err(self.syntax()),
        }
    }

    fn other_or_head(&mut self, k: Kw, pos: usize) -> PResult<(Node, Q)> {
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
            | Kw::Gateway => self.head_id(Proto::Default),
            Kw::Broadcast => {
                self.bump();
                Ok((self.g.broadcast(Proto::Default).map_err(|m| e(self, m))?, None))
            }
            Kw::Multicast => {
                self.bump();
                Ok((self.g.multicast(Proto::Default).map_err(|m| e(self, m))?, None))
            }
            Kw::Less | Kw::Greater => {
                self.bump();
                let Tok::Num(n) = self.peek().clone() else {
                    return Err(self.syntax());
                };
                self.bump();
                Ok((self.g.len_cmp(k == Kw::Greater, n), None))
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
                Ok((self.g.byteop(opc, idx, val).map_err(|m| e(self, m))?, None))
            }
            Kw::Inbound | Kw::Outbound => {
                self.bump();
                Ok((self.g.inbound(k == Kw::Outbound).map_err(|m| e(self, m))?, None))
            }
            Kw::Ifindex => {
                self.bump();
                let Tok::Num(n) = self.peek().clone() else {
                    return Err(self.syntax());
                };
                self.bump();
                Ok((self.g.ifindex(n).map_err(|m| e(self, m))?, None))
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
                Ok((r.map_err(|m| e(self, m))?, None))
            }
            Kw::Pppoed => {
                self.bump();
                Ok((self.g.pppoed().map_err(|m| e(self, m))?, None))
            }
            _ => Err(self.syntax()),
        }
    }

    /// `head id`: the protocol qualifier (if any) has been consumed.
    fn head_id(&mut self, proto: Proto) -> PResult<(Node, Q)> {
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
                match self.peek() {
                    Tok::Kw(Kw::Host) => addr = Addr::Host,
                    Tok::Kw(Kw::Net) => addr = Addr::Net,
                    Tok::Kw(Kw::Port) => addr = Addr::Port,
                    Tok::Kw(Kw::PortRange) => addr = Addr::PortRange,
                    _ => {}
                }
                if addr != Addr::Default {
                    self.bump();
                }
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
            Some(_) => Ok((self.id(q)?, q)),
            None => Err(self.syntax()),
        }
    }

    // ---- arithmetic ----

    /// `arth relop arth` at a `(`: `Ok(None)` if it is not one.
    fn try_relation(&mut self) -> PResult<Option<Node>> {
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

    fn arth(&mut self, min: u8) -> PResult<Arth> {
        self.enter()?;
        let r = self.arth_inner(min);
        self.depth -= 1;
        r
    }

    fn arth_inner(&mut self, min: u8) -> PResult<Arth> {
        let mut lhs = self.unary()?;
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
                _ => break,
            };
            if prec == 0 {
                // No precedence in libpcap's grammar: bison shifts, so the right operand is
                // everything that follows.
                self.bump();
                let rhs = self.arth(0)?;
                lhs = Arth::Bin(BPF_ALU | code, Box::new(lhs), Box::new(rhs), pos);
                continue;
            }
            if prec < min {
                break;
            }
            self.bump();
            let rhs = self.arth(prec + 1)?;
            lhs = Arth::Bin(BPF_ALU | code, Box::new(lhs), Box::new(rhs), pos);
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> PResult<Arth> {
        if self.is_punct('-') {
            self.bump();
            let a = self.arth(6)?;
            return Ok(Arth::Neg(Box::new(a)));
        }
        let pos = self.pos();
        match self.peek().clone() {
            Tok::Num(v) => {
                self.bump();
                Ok(Arth::Num(v))
            }
            Tok::Kw(Kw::Len) => {
                self.bump();
                Ok(Arth::Len)
            }
            Tok::Punct('(') => {
                self.bump();
                let a = self.arth(0)?;
                self.expect_punct(')')?;
                Ok(a)
            }
            Tok::Kw(k) => {
                let p = match (pname(k), k) {
                    (Some(p), _) => p,
                    (None, Kw::Unsupported(name)) => {
                        return Err(self.err(pos, format!("'{name}' is not supported by libpkt")));
                    }
                    _ => return Err(self.syntax()),
                };
                self.bump();
                self.expect_punct('[')?;
                let index = self.arth(0)?;
                let mut size = 1;
                if self.is_punct(':') {
                    self.bump();
                    let Tok::Num(s) = self.peek().clone() else {
                        return Err(self.syntax());
                    };
                    self.bump();
                    size = s;
                }
                self.expect_punct(']')?;
                Ok(Arth::Load {
                    proto: p,
                    index: Box::new(index),
                    size,
                    pos,
                })
            }
            _ => Err(self.syntax()),
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
                    if g.outermost() != super::gen::Link::En10mb {
                        return Err(e("only ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel supports link-level host name".into()));
                    }
                    let Some(mac) = names::ether_host(name) else {
                        return Err(e(format!("unknown ether host '{name}'")));
                    };
                    return g.ether_host(&mac, q.dir).map_err(e);
                }
                let addrs = names::host(name);
                if addrs.is_empty() {
                    return Err(e(format!("unknown host '{name}'")));
                }
                let (mut tproto, mut tproto6) = (q.proto, q.proto);
                if g.outermost() == super::gen::Link::Raw && q.proto == Proto::Default {
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
        let (mut v, vlen) = match s {
            None => (v, 32),
            Some(s) => atoin(s).ok_or_else(|| e(format!("invalid IPv4 address '{s}'")))?,
        };
        let g = &mut self.g;
        match q.addr {
            Addr::Default | Addr::Host | Addr::Net => {
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
        let addr: std::net::Ipv6Addr = s.parse().map_err(|_| e(format!("invalid ip6 address {s}")))?;
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
        let a = addr.octets();
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
        Tok::Kw(k) => format!("{k:?}").to_lowercase(),
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
