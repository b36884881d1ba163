//! SS7 over MTP2 (DLT_MTP2 140, DLT_MTP2_WITH_PHDR 139, and ERF 197, whose records libpcap
//! takes for MTP2 ones): the signal unit types `fisu`, `lssu` (`lsu`), `msu` and their
//! high-speed-link forms `hfisu`, `hlssu`, `hmsu` (the length indicator), and the MTP3 fields
//! `sio`, `opc`, `dpc`, `sls` and `hsio`, `hopc`, `hdpc`, `hsls` (`N`, `OP N` or
//! `(N or N ...)`, as `vpi`), libpcap 1.10.3's `gen_mtp2type_abbrev` and `gen_mtp3field_code`,
//! point codes encoded as in an SS7 message. Refused elsewhere with libpcap's messages
//! ("'fisu' supported only on MTP2", "'sio' supported only on SS7").
//!
//! A child module of `gen` (declared there with `#[path]`), as `legacy.rs`.

use super::fixed::{DLT_ERF, DLT_MTP2, DLT_MTP2_WITH_PHDR};
use super::*;

/// An MTP2 signal unit type keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mtp2Kw {
    Fisu,
    Lssu,
    Msu,
    Hfisu,
    Hlssu,
    Hmsu,
}

/// An MTP3 field keyword (`high`: the `h...` forms, for high-speed links, 3 bytes further).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mtp3Kw {
    pub field: Mtp3Field,
    pub high: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mtp3Field {
    Sio,
    Opc,
    Dpc,
    Sls,
}

/// libpcap's `off_li`, `off_li_hsl`, `off_sio`, `off_opc`, `off_dpc`, `off_sls` (`off_opc`
/// and `off_dpc` are the same word).
fn offsets(link: Link) -> Option<(u32, u32, u32, u32, u32)> {
    match link {
        Link::Fixed(DLT_MTP2) => Some((2, 4, 3, 4, 7)),
        Link::Fixed(DLT_MTP2_WITH_PHDR) => Some((6, 8, 7, 8, 11)),
        Link::Fixed(DLT_ERF) => Some((22, 24, 23, 24, 27)),
        _ => None,
    }
}

impl Gen {
    /// `gen_mtp2type_abbrev`.
    pub fn mtp2_abbrev(&mut self, t: Mtp2Kw) -> GResult<Node> {
        let (name, hsl) = match t {
            Mtp2Kw::Fisu => ("'fisu' supported only on MTP2", false),
            Mtp2Kw::Lssu => ("'lssu' supported only on MTP2", false),
            Mtp2Kw::Msu => ("'msu' supported only on MTP2", false),
            Mtp2Kw::Hfisu => ("'hfisu' supported only on MTP2_HSL", true),
            Mtp2Kw::Hlssu => ("'hlssu' supported only on MTP2_HSL", true),
            Mtp2Kw::Hmsu => ("'hmsu' supported only on MTP2_HSL", true),
        };
        let Some((li, li_hsl, ..)) = offsets(self.linktype) else {
            return Err(name.into());
        };
        let (off, size, mask) = if hsl {
            (li_hsl, BPF_H, 0xff80)
        } else {
            (li, BPF_B, 0x3f)
        };
        let (lssu_max, msu_min) = if hsl { (0x0100, 0x0100) } else { (2, 2) };
        Ok(match t {
            Mtp2Kw::Fisu | Mtp2Kw::Hfisu => self.ncmp(Rel::LinkHdr, off, size, mask, JEQ, false, 0)?,
            Mtp2Kw::Lssu | Mtp2Kw::Hlssu => {
                let b0 = self.ncmp(Rel::LinkHdr, off, size, mask, JGT, true, lssu_max)?;
                let b1 = self.ncmp(Rel::LinkHdr, off, size, mask, JGT, false, 0)?;
                Node::and(b1, b0)
            }
            Mtp2Kw::Msu | Mtp2Kw::Hmsu => self.ncmp(Rel::LinkHdr, off, size, mask, JGT, false, msu_min)?,
        })
    }

    /// `gen_mtp3field_code`: `field OP v` (`reverse` as libpcap's: negates only `>`/`>=`).
    pub fn mtp3_field(&mut self, k: Mtp3Kw, jop: u16, reverse: bool, v: u32) -> GResult<Node> {
        let offs = offsets(self.linktype);
        let plus = if k.high { 3 } else { 0 };
        match k.field {
            Mtp3Field::Sio => {
                let Some((_, _, sio, _, _)) = offs else {
                    return Err("'sio' supported only on SS7".into());
                };
                if v > 255 {
                    return Err(format!("sio value {v} too big; max value = 255"));
                }
                self.ncmp(Rel::LinkHdr, sio + plus, BPF_B, 0xffff_ffff, jop, reverse, v)
            }
            Mtp3Field::Opc => {
                let Some((_, _, _, opc, _)) = offs else {
                    return Err("'opc' supported only on SS7".into());
                };
                if v > 16383 {
                    return Err(format!("opc value {v} too big; max value = 16383"));
                }
                let w = ((v & 0x3c00) >> 10) + ((v & 0x03fc) << 6) + ((v & 0x0003) << 22);
                self.ncmp(Rel::LinkHdr, opc + plus, BPF_W, 0x00c0_ff0f, jop, reverse, w)
            }
            Mtp3Field::Dpc => {
                let Some((_, _, _, dpc, _)) = offs else {
                    return Err("'dpc' supported only on SS7".into());
                };
                if v > 16383 {
                    return Err(format!("dpc value {v} too big; max value = 16383"));
                }
                let w = ((v & 0x00ff) << 24) + ((v & 0x3f00) << 8);
                self.ncmp(Rel::LinkHdr, dpc + plus, BPF_W, 0xff3f_0000, jop, reverse, w)
            }
            Mtp3Field::Sls => {
                let Some((_, _, _, _, sls)) = offs else {
                    return Err("'sls' supported only on SS7".into());
                };
                if v > 15 {
                    return Err(format!("sls value {v} too big; max value = 15"));
                }
                self.ncmp(Rel::LinkHdr, sls + plus, BPF_B, 0xf0, jop, reverse, v << 4)
            }
        }
    }
}
