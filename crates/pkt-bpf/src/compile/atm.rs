//! SunATM (DLT_SUNATM, 123): the pseudo-header's fields (`vpi`, `vci`, the protocol type),
//! the well-known circuits (`metac`, `bcc`, `sc`, `ilmic`, `oamf4sc`, `oamf4ec`, `oam`,
//! `oamf4`), the UNI 3.1 signalling messages (`connectmsg`, `metaconnect`) and `lane`, which
//! makes the rest of the packet an Ethernet frame, as libpcap's gen_atmfield_code,
//! gen_atmtype_abbrev and gen_atmmulti_abbrev build them.

use super::gen::{GResult, Gen, Link, Off, Rel};
use super::ir::{Node, JEQ};
use crate::{BPF_B, BPF_H};

/// Protocol types in the low 4 bits of the pseudo-header's first byte.
pub(super) const PT_LANE: u32 = 0x01;
pub(super) const PT_LLC: u32 = 0x02;
/// Pseudo-header offsets: protocol type, VPI, VCI, start of the AAL5 PDU.
const OFF_PROTO: u32 = 0;
const OFF_VPI: u32 = 1;
const OFF_VCI: u32 = 2;
const OFF_PAYLOAD: u32 = 4;
/// The message type of a UNI 3.1 signalling message, from the start of the PDU.
const MSG_TYPE_POS: u32 = 5;
const CALL_PROCEED: u32 = 0x02;
const CONNECT: u32 = 0x07;
const CONNECT_ACK: u32 = 0x0f;
const SETUP: u32 = 0x05;
const RELEASE: u32 = 0x4d;
const RELEASE_DONE: u32 = 0x5a;

/// The ATM keywords that are primitives on their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtmKw {
    Lane,
    Metac,
    Bcc,
    Oamf4ec,
    Oamf4sc,
    Sc,
    Ilmic,
    Oam,
    Oamf4,
    Connectmsg,
    Metaconnect,
}

impl AtmKw {
    /// The name libpcap's errors give it ("'oam4sc' supported only on raw ATM").
    fn error_name(self) -> &'static str {
        match self {
            AtmKw::Lane => "lane",
            AtmKw::Metac => "metac",
            AtmKw::Bcc => "bcc",
            AtmKw::Oamf4ec => "oam4ec",
            AtmKw::Oamf4sc => "oam4sc",
            AtmKw::Sc => "sc",
            AtmKw::Ilmic => "ilmic",
            AtmKw::Oam => "oam",
            AtmKw::Oamf4 => "oamf4",
            AtmKw::Connectmsg => "connectmsg",
            AtmKw::Metaconnect => "metaconnect",
        }
    }
}

impl Gen {
    fn require_atm(&self, what: &str) -> GResult<()> {
        if self.is_atm {
            Ok(())
        } else {
            Err(format!("'{what}' supported only on raw ATM"))
        }
    }

    /// `vpi OP N` / `vci OP N` (`gen_atmfield_code`): the relation as libpcap's `gen_ncmp`
    /// builds it, which negates only `>` and `>=` for the reversed operators, so `vci != 5`
    /// is `vci = 5` there (reproduced as is).
    pub fn atm_field(&mut self, vci: bool, jop: u16, reverse: bool, v: u32) -> GResult<Node> {
        if vci {
            self.require_atm("vci")?;
            self.ncmp(Rel::LinkHdr, OFF_VCI, BPF_H, 0xffff_ffff, jop, reverse, v)
        } else {
            self.require_atm("vpi")?;
            self.ncmp(Rel::LinkHdr, OFF_VPI, BPF_B, 0xffff_ffff, jop, reverse, v)
        }
    }

    /// The pseudo-header's protocol type is `pt`.
    pub(super) fn atm_prototype(&mut self, pt: u32) -> GResult<Node> {
        self.ncmp(Rel::LinkHdr, OFF_PROTO, BPF_B, 0x0f, JEQ, false, pt)
    }

    /// VPI 0 and VCI `vci`: a well-known circuit.
    fn atm_circuit(&mut self, vci: u32) -> GResult<Node> {
        let b0 = self.atm_field(false, JEQ, false, 0)?;
        let b1 = self.atm_field(true, JEQ, false, vci)?;
        Ok(Node::and(b0, b1))
    }

    fn atm_msg(&mut self, t: u32) -> GResult<Node> {
        self.ncmp(
            Rel::LinkHdr,
            OFF_PAYLOAD + MSG_TYPE_POS,
            BPF_B,
            0xffff_ffff,
            JEQ,
            false,
            t,
        )
    }

    /// Any of `types`, or-ed in libpcap's order: the first two in order, each further one
    /// in front.
    fn atm_msgs(&mut self, types: &[u32]) -> GResult<Node> {
        let a = self.atm_msg(types[0])?;
        let b1 = self.atm_msg(types[1])?;
        let mut b = Node::or(a, b1);
        for &t in &types[2..] {
            let n = self.atm_msg(t)?;
            b = Node::or(n, b);
        }
        Ok(b)
    }

    /// An ATM keyword on its own (`gen_atmtype_abbrev`, `gen_atmmulti_abbrev`).
    pub fn atm_abbrev(&mut self, k: AtmKw) -> GResult<Node> {
        self.require_atm(k.error_name())?;
        match k {
            AtmKw::Metac => self.atm_circuit(1),
            AtmKw::Bcc => self.atm_circuit(2),
            AtmKw::Oamf4sc => self.atm_circuit(3),
            AtmKw::Oamf4ec => self.atm_circuit(4),
            AtmKw::Sc => self.atm_circuit(5),
            AtmKw::Ilmic => self.atm_circuit(16),
            AtmKw::Oam | AtmKw::Oamf4 => {
                let b0 = self.atm_field(true, JEQ, false, 3)?;
                let b1 = self.atm_field(true, JEQ, false, 4)?;
                let b = Node::or(b0, b1);
                let vpi = self.atm_field(false, JEQ, false, 0)?;
                Ok(Node::and(vpi, b))
            }
            AtmKw::Connectmsg => {
                let b = self.atm_msgs(&[SETUP, CALL_PROCEED, CONNECT, CONNECT_ACK, RELEASE, RELEASE_DONE])?;
                let sc = self.atm_circuit(5)?;
                Ok(Node::and(sc, b))
            }
            AtmKw::Metaconnect => {
                let b = self.atm_msgs(&[SETUP, CALL_PROCEED, CONNECT, RELEASE, RELEASE_DONE])?;
                let metac = self.atm_circuit(1)?;
                Ok(Node::and(metac, b))
            }
            AtmKw::Lane => {
                let b = self.atm_prototype(PT_LANE)?;
                // The LANE header (2 bytes) and then an Ethernet frame.
                self.prevlinktype = self.linktype;
                self.off_prevlinkhdr = self.off_linkhdr;
                self.linktype = Link::En10mb;
                self.off_linkhdr = Off::at(OFF_PAYLOAD + 2);
                let hdr = self.off_linkhdr.constant;
                match self.off_linktype.as_mut() {
                    Some(lt) => lt.constant = hdr + 12,
                    None => self.off_linktype = Some(Off::at(hdr + 12)),
                }
                self.off_linkpl.constant = hdr + 14;
                self.off_nl = 0;
                self.off_nl_nosnap = 3;
                Ok(b)
            }
        }
    }

    /// `llc` on SunATM (libpcap's gen_atmtype_llc): LLC-encapsulated, and the link type goes
    /// back to the one before (a quirk kept as is).
    pub(super) fn atm_llc(&mut self) -> GResult<Node> {
        let b = self.atm_prototype(PT_LLC)?;
        self.linktype = self.prevlinktype;
        Ok(b)
    }
}
