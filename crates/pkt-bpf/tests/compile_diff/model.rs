//! A small, independent model of classic BPF execution, written for this test, in two flavours,
//! so that the self-check can tell interpreter bugs from known semantic differences:
//!
//! - [`Sem::Libpcap`]: libpcap 1.10's user-space `bpf_filter` as `pcap_offline_filter` runs it
//!   (no auxiliary data): an indirect load checks `k` and `X` against the buffer separately (no
//!   32-bit wrap of `X + k`), a shift by `X >= 32` gives 0, and every ancillary load fails.
//! - [`Sem::Kernel`]: the Linux socket filter, as `pkt_bpf::run` implements it: `X + k` wraps
//!   at 32 bits, shift counts are taken mod 32, ancillary loads come from `Meta`.
//!
//! Both sign-extend `ja` offsets (libpcap's protochain code jumps backward) and zero the scratch
//! memory (libpcap's stack words are uninitialised; some of its programs read them).

use pkt_bpf::{Insn, Meta, SKF_AD_OFF};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sem {
    Libpcap,
    Kernel,
}

fn load(data: &[u8], off: u64, n: u64) -> Option<u32> {
    let end = off.checked_add(n)?;
    if end > data.len() as u64 {
        return None;
    }
    Some(
        data[off as usize..end as usize]
            .iter()
            .fold(0u32, |a, &b| a << 8 | u32::from(b)),
    )
}

fn ancillary(ad: u32, a: u32, x: u32, m: &Meta) -> Option<u32> {
    Some(match ad {
        0 => m.protocol.into(),
        4 => m.pkttype.into(),
        8 => m.ifindex as u32,
        28 => m.hatype.into(),
        32 => m.rxhash,
        40 => a ^ x,
        44 => m.vlan_tci.into(),
        48 => m.vlan_present.into(),
        60 => m.vlan_tpid.into(),
        _ => return None,
    })
}

/// Runs `prog`; `None` for a malformed program (bad opcode, pc out of range, step limit).
pub fn run(sem: Sem, prog: &[Insn], data: &[u8], meta: &Meta) -> Option<u32> {
    let (mut a, mut x) = (0u32, 0u32);
    let mut mem = [0u32; 16];
    let mut pc: i64 = 0;
    // Backward jumps can loop; libpcap's protochain loops are bounded by the packet.
    for _ in 0..1_000_000 {
        let i = *prog.get(usize::try_from(pc).ok()?)?;
        pc += 1;
        let k = i.k;
        let size = match i.code & 0x18 {
            0x00 => 4,
            0x08 => 2,
            _ => 1,
        };
        match i.code {
            0x20 | 0x28 | 0x30 => {
                if k >= SKF_AD_OFF {
                    match sem {
                        Sem::Libpcap => return Some(0),
                        Sem::Kernel => match ancillary(k - SKF_AD_OFF, a, x, meta) {
                            Some(v) => a = v,
                            None => return Some(0),
                        },
                    }
                } else {
                    match load(data, u64::from(k), size) {
                        Some(v) => a = v,
                        None => return Some(0),
                    }
                }
            }
            0x40 | 0x48 | 0x50 => {
                let off = match sem {
                    Sem::Libpcap => u64::from(x) + u64::from(k),
                    Sem::Kernel => {
                        let o = x.wrapping_add(k);
                        if o >= 1 << 31 {
                            // Negative offsets (SKF_NET_OFF / SKF_LL_OFF): libpcap never emits
                            // them on purpose; treat as out of the packet.
                            return Some(0);
                        }
                        u64::from(o)
                    }
                };
                match load(data, off, size) {
                    Some(v) => a = v,
                    None => return Some(0),
                }
            }
            0x80 => a = meta.len,
            0x81 => x = meta.len,
            0x00 => a = k,
            0x01 => x = k,
            0x60 => a = *mem.get(k as usize)?,
            0x61 => x = *mem.get(k as usize)?,
            0x02 => *mem.get_mut(k as usize)? = a,
            0x03 => *mem.get_mut(k as usize)? = x,
            0xb1 => match load(data, u64::from(k), 1) {
                Some(v) => x = (v & 0xf) << 2,
                None => return Some(0),
            },
            0x84 => a = a.wrapping_neg(),
            c if c & 0x07 == 0x04 => {
                let v = if c & 0x08 != 0 { x } else { k };
                a = match c & 0xf0 {
                    0x00 => a.wrapping_add(v),
                    0x10 => a.wrapping_sub(v),
                    0x20 => a.wrapping_mul(v),
                    0x30 | 0x90 if v == 0 => return Some(0),
                    0x30 => a / v,
                    0x90 => a % v,
                    0x40 => a | v,
                    0x50 => a & v,
                    0xa0 => a ^ v,
                    0x60 | 0x70 if sem == Sem::Libpcap && v >= 32 => 0,
                    0x60 => a.wrapping_shl(v),
                    0x70 => a.wrapping_shr(v),
                    _ => return None,
                };
            }
            0x05 => pc += i64::from(k as i32),
            c if c & 0x07 == 0x05 => {
                let v = if c & 0x08 != 0 { x } else { k };
                let taken = match c & 0xf0 {
                    0x10 => a == v,
                    0x20 => a > v,
                    0x30 => a >= v,
                    0x40 => a & v != 0,
                    _ => return None,
                };
                pc += i64::from(if taken { i.jt } else { i.jf });
            }
            0x06 => return Some(k),
            0x16 => return Some(a),
            0x07 => x = a,
            0x87 => a = x,
            _ => return None,
        }
    }
    None
}
