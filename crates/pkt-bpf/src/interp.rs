//! A classic BPF interpreter with the semantics the kernel gives a socket filter once it has
//! converted it to eBPF: 32-bit unsigned registers, big-endian packet loads that end the program
//! with 0 when they fall outside the packet, and `SKF_*` offsets resolved from [`Meta`]; and,
//! for packets without kernel metadata, the same interpreter with libpcap's `bpf_filter()`
//! semantics ([`run_offline`]).

use super::{op, Insn, Meta, BPF_MEMWORDS, SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF};
use super::{
    SKF_AD_ALU_XOR_X, SKF_AD_CPU, SKF_AD_HATYPE, SKF_AD_IFINDEX, SKF_AD_MARK, SKF_AD_NLATTR,
    SKF_AD_NLATTR_NEST, SKF_AD_PAY_OFFSET, SKF_AD_PKTTYPE, SKF_AD_PROTOCOL, SKF_AD_QUEUE, SKF_AD_RANDOM,
    SKF_AD_RXHASH, SKF_AD_VLAN_TAG, SKF_AD_VLAN_TAG_PRESENT, SKF_AD_VLAN_TPID,
};

/// Runs a validated program over `data` (the captured bytes, starting at the link-layer header
/// in SOCK_RAW mode or the network header in cooked mode) and `meta`. Returns what the program
/// returns: 0 drops the packet, otherwise the number of bytes to keep.
///
/// Also returns 0 where the kernel's program would: a load not wholly inside `data`, division
/// or modulo by an `X` of 0, or an ancillary load that [`super::check_userspace`] refuses. A
/// program that did not pass [`super::validate`] never panics here: it returns 0 as soon as it
/// does something the validator forbids (unknown opcode, jump or fall-through past the end,
/// scratch word out of range, division by constant 0, unknown ancillary load).
///
/// Allocates nothing and always terminates: jumps only go forward.
pub fn run(prog: &[Insn], data: &[u8], meta: &Meta) -> u32 {
    exec(prog, data, meta).unwrap_or(0)
}

/// Runs a validated program over `data`, the captured bytes of a packet `wirelen` bytes long on
/// the wire, as libpcap's `bpf_filter()` (and so `pcap_offline_filter()`) does: for savefiles
/// and other packets that come without the kernel's metadata. Returns what the program returns.
///
/// It differs from [`run`] only where libpcap's interpreter differs from the kernel's, and
/// returns 0 there as libpcap does: at an ancillary load (`SKF_AD_OFF + ...`, nothing is known
/// about the packet) and at any other negative offset (`SKF_NET_OFF`, `SKF_LL_OFF`), at an
/// indirect load whose `X + k` overflows 32 bits (the kernel wraps it around); and a shift by
/// an `X` of 32 or more gives 0 (the kernel shifts by `X` modulo 32). Everything else, `ld len`
/// included (it loads `wirelen`), is as in [`run`].
///
/// Allocates nothing, always terminates, and never panics, also on unvalidated programs.
pub fn run_offline(prog: &[Insn], data: &[u8], wirelen: u32) -> u32 {
    let meta = Meta {
        len: wirelen,
        ..Meta::default()
    };
    exec_as::<true>(prog, data, &meta).unwrap_or(0)
}

/// Why a run ended without reaching a `ret`. Both mean "drop" to callers; tests use the
/// difference to check that validated programs are never malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Halt {
    /// The kernel's program would also have returned 0 here.
    Drop,
    /// Something `validate` refuses; the kernel would never have run this program.
    Malformed,
}

fn exec(prog: &[Insn], data: &[u8], meta: &Meta) -> Result<u32, Halt> {
    exec_as::<false>(prog, data, meta)
}

/// The interpreter: the kernel's semantics, or with `PCAP` libpcap's (see [`run_offline`]).
fn exec_as<const PCAP: bool>(prog: &[Insn], data: &[u8], meta: &Meta) -> Result<u32, Halt> {
    use op::*;
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    // The kernel does not clear M[] and relies on the validator instead; zeroing it costs
    // nothing and keeps unvalidated programs deterministic.
    let mut mem = [0u32; BPF_MEMWORDS as usize];
    let mut pc = 0usize;
    loop {
        let insn = prog.get(pc).ok_or(Halt::Malformed)?;
        pc += 1;
        let k = insn.k;
        match insn.code {
            // The size bits do not matter for ancillary loads: the kernel dispatches on k alone.
            LD_W_ABS | LD_H_ABS | LD_B_ABS if k >= SKF_AD_OFF && !PCAP => {
                a = ancillary(k - SKF_AD_OFF, a, x, meta)?;
            }
            LD_W_ABS => a = u32::from_be_bytes(load::<4, PCAP>(data, meta, k)?),
            LD_H_ABS => a = u16::from_be_bytes(load::<2, PCAP>(data, meta, k)?).into(),
            LD_B_ABS => a = u8::from_be_bytes(load::<1, PCAP>(data, meta, k)?).into(),
            LD_W_IND => a = u32::from_be_bytes(load::<4, PCAP>(data, meta, ind::<PCAP>(x, k)?)?),
            LD_H_IND => a = u16::from_be_bytes(load::<2, PCAP>(data, meta, ind::<PCAP>(x, k)?)?).into(),
            LD_B_IND => a = u8::from_be_bytes(load::<1, PCAP>(data, meta, ind::<PCAP>(x, k)?)?).into(),
            LD_W_LEN => a = meta.len,
            LDX_W_LEN => x = meta.len,
            LD_IMM => a = k,
            LDX_IMM => x = k,
            LD_MEM => a = *mem.get(k as usize).ok_or(Halt::Malformed)?,
            LDX_MEM => x = *mem.get(k as usize).ok_or(Halt::Malformed)?,
            ST => *mem.get_mut(k as usize).ok_or(Halt::Malformed)? = a,
            STX => *mem.get_mut(k as usize).ok_or(Halt::Malformed)? = x,
            LDX_B_MSH => x = 4 * u32::from(u8::from_be_bytes(load::<1, PCAP>(data, meta, k)?) & 0xf),

            ADD_K => a = a.wrapping_add(k),
            ADD_X => a = a.wrapping_add(x),
            SUB_K => a = a.wrapping_sub(k),
            SUB_X => a = a.wrapping_sub(x),
            MUL_K => a = a.wrapping_mul(k),
            MUL_X => a = a.wrapping_mul(x),
            DIV_K => a = a.checked_div(k).ok_or(Halt::Malformed)?,
            DIV_X => a = a.checked_div(x).ok_or(Halt::Drop)?,
            MOD_K => a = a.checked_rem(k).ok_or(Halt::Malformed)?,
            MOD_X => a = a.checked_rem(x).ok_or(Halt::Drop)?,
            AND_K => a &= k,
            AND_X => a &= x,
            OR_K => a |= k,
            OR_X => a |= x,
            XOR_K => a ^= k,
            XOR_X => a ^= x,
            // Shift counts use their low 5 bits, as x86 does; the validator only bounds
            // constant counts, so a count in X may be anything. libpcap gives 0 for a count
            // of 32 or more in X.
            LSH_K => a = a.wrapping_shl(k),
            LSH_X if PCAP && x >= 32 => a = 0,
            LSH_X => a = a.wrapping_shl(x),
            RSH_K => a = a.wrapping_shr(k),
            RSH_X if PCAP && x >= 32 => a = 0,
            RSH_X => a = a.wrapping_shr(x),
            NEG => a = a.wrapping_neg(),

            // A target past the end is caught by the fetch at the top of the loop; saturating
            // keeps a huge k from wrapping around to a valid pc.
            JA => pc = pc.saturating_add(k as usize),
            JEQ_K => pc += branch(insn, a == k),
            JEQ_X => pc += branch(insn, a == x),
            JGT_K => pc += branch(insn, a > k),
            JGT_X => pc += branch(insn, a > x),
            JGE_K => pc += branch(insn, a >= k),
            JGE_X => pc += branch(insn, a >= x),
            JSET_K => pc += branch(insn, a & k != 0),
            JSET_X => pc += branch(insn, a & x != 0),

            RET_K => return Ok(k),
            RET_A => return Ok(a),
            TAX => x = a,
            TXA => a = x,
            _ => return Err(Halt::Malformed),
        }
    }
}

/// How many instructions a conditional jump skips.
fn branch(insn: &Insn, taken: bool) -> usize {
    usize::from(if taken { insn.jt } else { insn.jf })
}

/// The offset of an indirect load. The kernel adds X and k as 32-bit values, so x + k can wrap
/// into the negative (SKF_NET_OFF / SKF_LL_OFF) range or back to small offsets; libpcap refuses
/// a sum that overflows.
fn ind<const PCAP: bool>(x: u32, k: u32) -> Result<u32, Halt> {
    if PCAP {
        x.checked_add(k).ok_or(Halt::Drop)
    } else {
        Ok(x.wrapping_add(k))
    }
}

/// Reads `N` bytes at a packet offset, resolving negative offsets as the kernel's
/// `bpf_internal_load_pointer_neg_helper` does: offsets are signed 32-bit, `SKF_NET_OFF + n` is
/// byte n of the network header and `SKF_LL_OFF + n` byte n of the link-layer header (which is
/// where `data` starts). Anything else negative, or any byte outside `data`, drops the packet.
/// With `PCAP` (libpcap's semantics) offsets are unsigned: every negative one is outside.
fn load<const N: usize, const PCAP: bool>(data: &[u8], meta: &Meta, offset: u32) -> Result<[u8; N], Halt> {
    let start = if offset < 1 << 31 || PCAP {
        Some(offset as usize)
    } else if offset >= SKF_NET_OFF {
        (meta.net_off as usize).checked_add((offset - SKF_NET_OFF) as usize)
    } else if offset >= SKF_LL_OFF {
        Some((offset - SKF_LL_OFF) as usize)
    } else {
        None
    };
    start
        .and_then(|start| data.get(start..))
        .and_then(|rest| rest.first_chunk::<N>())
        .copied()
        .ok_or(Halt::Drop)
}

/// The value of ancillary load `SKF_AD_OFF + ad`, computed from the ring's metadata.
fn ancillary(ad: u32, a: u32, x: u32, meta: &Meta) -> Result<u32, Halt> {
    Ok(match ad {
        SKF_AD_PROTOCOL => meta.protocol.into(),
        SKF_AD_PKTTYPE => meta.pkttype.into(),
        // The kernel loads the int ifindex as a 32-bit word; reinterpreting is the point.
        SKF_AD_IFINDEX => meta.ifindex as u32,
        SKF_AD_HATYPE => meta.hatype.into(),
        SKF_AD_RXHASH => meta.rxhash,
        SKF_AD_VLAN_TAG => meta.vlan_tci.into(),
        SKF_AD_VLAN_TAG_PRESENT => meta.vlan_present.into(),
        SKF_AD_VLAN_TPID => meta.vlan_tpid.into(),
        SKF_AD_ALU_XOR_X => a ^ x,
        // Real kernel values that the ring does not carry; check_userspace keeps programs that
        // use them out of here, and dropping is the least surprising answer if one slips in.
        SKF_AD_NLATTR | SKF_AD_NLATTR_NEST | SKF_AD_MARK | SKF_AD_QUEUE | SKF_AD_CPU | SKF_AD_PAY_OFFSET
        | SKF_AD_RANDOM => return Err(Halt::Drop),
        _ => return Err(Halt::Malformed),
    })
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;

    /// An instruction in `tcpdump -dd` order: `{ code, jt, jf, k }`.
    const fn dd(code: u16, jt: u8, jf: u8, k: u32) -> Insn {
        Insn { code, jt, jf, k }
    }

    const fn stmt(code: u16, k: u32) -> Insn {
        Insn::stmt(code, k)
    }

    const RET_A: Insn = stmt(op::RET_A, 0);

    /// Runs a program that must be valid, so every test also exercises the validator.
    fn run_valid(prog: &[Insn], data: &[u8], meta: &Meta) -> u32 {
        assert_eq!(validate(prog), Ok(()), "{prog:?}");
        run(prog, data, meta)
    }

    /// `A = a; X = x; <insn>; ret A`.
    fn alu(a: u32, x: u32, insn: Insn) -> u32 {
        let prog = [stmt(op::LD_IMM, a), stmt(op::LDX_IMM, x), insn, RET_A];
        run_valid(&prog, &[], &Meta::default())
    }

    /// `ld <load>; ret A` over `data`.
    fn load_a(load: Insn, data: &[u8], meta: &Meta) -> u32 {
        run_valid(&[load, RET_A], data, meta)
    }

    /// `X = x; ld <load>; ret A` over `data`.
    fn load_ind(x: u32, load: Insn, data: &[u8]) -> u32 {
        let prog = [stmt(op::LDX_IMM, x), load, RET_A];
        run_valid(&prog, data, &Meta::default())
    }

    #[test]
    fn returns() {
        let meta = Meta::default();
        assert_eq!(run_valid(&[stmt(op::RET_K, 0)], &[], &meta), 0);
        assert_eq!(run_valid(&[stmt(op::RET_K, 96)], &[], &meta), 96);
        assert_eq!(run_valid(&[stmt(op::RET_K, u32::MAX)], &[], &meta), u32::MAX);
        assert_eq!(run_valid(&[RET_A], &[], &meta), 0, "A starts at 0");
        let prog = [stmt(op::LD_IMM, 7), RET_A, stmt(op::RET_K, 9)];
        assert_eq!(run_valid(&prog, &[], &meta), 7, "the first ret ends the program");
    }

    #[test]
    fn immediates_and_register_moves() {
        let meta = Meta::default();
        assert_eq!(load_a(stmt(op::LD_IMM, 0xdead_beef), &[], &meta), 0xdead_beef);
        let tax = [
            stmt(op::LD_IMM, 5),
            stmt(op::TAX, 0),
            stmt(op::LD_IMM, 1),
            stmt(op::TXA, 0),
            RET_A,
        ];
        assert_eq!(run_valid(&tax, &[], &meta), 5);
        let txa = [stmt(op::LDX_IMM, 42), stmt(op::TXA, 0), RET_A];
        assert_eq!(run_valid(&txa, &[], &meta), 42);
        let x_starts_at_zero = [stmt(op::LD_IMM, 3), stmt(op::TXA, 0), RET_A];
        assert_eq!(run_valid(&x_starts_at_zero, &[], &meta), 0);
    }

    #[test]
    fn alu_with_constant_and_x() {
        let cases: [(u16, u16, u32, u32, u32); 10] = [
            // (op with K, op with X, A, operand, result)
            (op::ADD_K, op::ADD_X, 7, 5, 12),
            (op::ADD_K, op::ADD_X, u32::MAX, 2, 1),
            (op::SUB_K, op::SUB_X, 7, 5, 2),
            (op::SUB_K, op::SUB_X, 5, 7, u32::MAX - 1),
            (op::MUL_K, op::MUL_X, 0x1_0001, 0x1_0001, 0x2_0001),
            (op::DIV_K, op::DIV_X, u32::MAX, 16, 0x0fff_ffff),
            (op::MOD_K, op::MOD_X, 100, 7, 2),
            (op::AND_K, op::AND_X, 0xff00_ff00, 0x0ff0_0ff0, 0x0f00_0f00),
            (op::OR_K, op::OR_X, 0xff00_0000, 0x0000_00ff, 0xff00_00ff),
            (op::XOR_K, op::XOR_X, 0xffff_0000, 0xff00_ff00, 0x00ff_ff00),
        ];
        for (with_k, with_x, a, operand, result) in cases {
            assert_eq!(alu(a, 0, stmt(with_k, operand)), result, "{with_k:#x}");
            assert_eq!(alu(a, operand, stmt(with_x, 0)), result, "{with_x:#x}");
        }
        // Division is unsigned.
        assert_eq!(alu(0x8000_0000, 0, stmt(op::DIV_K, 2)), 0x4000_0000);
    }

    #[test]
    fn shifts() {
        assert_eq!(alu(1, 0, stmt(op::LSH_K, 31)), 0x8000_0000);
        assert_eq!(
            alu(0x8000_0000, 0, stmt(op::RSH_K, 31)),
            1,
            "logical, not arithmetic"
        );
        assert_eq!(alu(0xf0, 0, stmt(op::RSH_K, 4)), 0xf);
        assert_eq!(alu(3, 4, stmt(op::LSH_X, 0)), 48);
        assert_eq!(alu(48, 4, stmt(op::RSH_X, 0)), 3);
        // Counts in X use their low 5 bits: 33 shifts by 1, 32 by 0.
        assert_eq!(alu(3, 33, stmt(op::LSH_X, 0)), 6);
        assert_eq!(alu(3, 32, stmt(op::LSH_X, 0)), 3);
        assert_eq!(alu(6, 33, stmt(op::RSH_X, 0)), 3);
        assert_eq!(alu(6, u32::MAX, stmt(op::RSH_X, 0)), 0);
    }

    #[test]
    fn negation() {
        assert_eq!(alu(1, 0, stmt(op::NEG, 0)), u32::MAX);
        assert_eq!(alu(0, 0, stmt(op::NEG, 0)), 0);
        assert_eq!(alu(0x8000_0000, 0, stmt(op::NEG, 0)), 0x8000_0000);
    }

    #[test]
    fn division_by_zero_x_drops() {
        for code in [op::DIV_X, op::MOD_X] {
            // Not 0 by accident: ret #99 would run if the program went on.
            let prog = [stmt(op::LD_IMM, 10), stmt(code, 0), stmt(op::RET_K, 99)];
            assert_eq!(run_valid(&prog, &[], &Meta::default()), 0);
            assert_eq!(exec(&prog, &[], &Meta::default()), Err(Halt::Drop));
        }
        assert_eq!(alu(10, 3, stmt(op::DIV_X, 0)), 3);
    }

    #[test]
    fn unconditional_jump() {
        let prog = [
            stmt(op::JA, 2),
            stmt(op::RET_K, 1),
            stmt(op::RET_K, 2),
            stmt(op::RET_K, 3),
        ];
        assert_eq!(run_valid(&prog, &[], &Meta::default()), 3);
        let ja0 = [stmt(op::JA, 0), stmt(op::RET_K, 1)];
        assert_eq!(run_valid(&ja0, &[], &Meta::default()), 1);
    }

    #[test]
    fn conditional_jumps() {
        // `A = a; X = x; j<op> ...; ret #1 (false); ret #2 (true)`: jt 1 / jf 0.
        let test = |code: u16, a: u32, x: u32, k: u32| -> bool {
            let prog = [
                stmt(op::LD_IMM, a),
                stmt(op::LDX_IMM, x),
                dd(code, 1, 0, k),
                stmt(op::RET_K, 1),
                stmt(op::RET_K, 2),
            ];
            match run_valid(&prog, &[], &Meta::default()) {
                1 => false,
                2 => true,
                other => panic!("unexpected {other}"),
            }
        };
        let both = |with_k: u16, with_x: u16, a: u32, operand: u32| -> bool {
            let by_k = test(with_k, a, 0, operand);
            assert_eq!(by_k, test(with_x, a, operand, 0), "{with_k:#x} vs {with_x:#x}");
            by_k
        };
        assert!(both(op::JEQ_K, op::JEQ_X, 5, 5));
        assert!(!both(op::JEQ_K, op::JEQ_X, 5, 6));
        assert!(both(op::JGT_K, op::JGT_X, 6, 5));
        assert!(!both(op::JGT_K, op::JGT_X, 5, 5));
        assert!(both(op::JGE_K, op::JGE_X, 5, 5));
        assert!(!both(op::JGE_K, op::JGE_X, 4, 5));
        assert!(both(op::JSET_K, op::JSET_X, 0b0110, 0b0100));
        assert!(!both(op::JSET_K, op::JSET_X, 0b0110, 0b1001));
        // Comparisons are unsigned, also for constants with the top bit set.
        assert!(both(op::JGT_K, op::JGT_X, 0x8000_0000, 1));
        assert!(!both(op::JGT_K, op::JGT_X, 1, 0x8000_0000));
        assert!(both(op::JGE_K, op::JGE_X, u32::MAX, 0xffff_fffe));
        assert!(both(op::JEQ_K, op::JEQ_X, u32::MAX, u32::MAX));

        // The false branch can jump too.
        let prog = [
            dd(op::JEQ_K, 0, 2, 1),
            stmt(op::RET_K, 1),
            stmt(op::RET_K, 2),
            stmt(op::RET_K, 3),
        ];
        assert_eq!(run_valid(&prog, &[], &Meta::default()), 3);
    }

    #[test]
    fn scratch_memory() {
        let prog = [
            stmt(op::LD_IMM, 11),
            stmt(op::ST, 0),
            stmt(op::LDX_IMM, 22),
            stmt(op::STX, 15),
            stmt(op::LD_IMM, 0),
            stmt(op::LDX_IMM, 0),
            stmt(op::LD_MEM, 15), // A = 22
            stmt(op::LDX_MEM, 0), // X = 11
            stmt(op::SUB_X, 0),
            RET_A,
        ];
        assert_eq!(run_valid(&prog, &[], &Meta::default()), 11);
    }

    const DATA: [u8; 8] = [0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87];

    #[test]
    fn absolute_loads_are_big_endian() {
        let meta = Meta::default();
        assert_eq!(load_a(stmt(op::LD_W_ABS, 0), &DATA, &meta), 0x1021_3243);
        assert_eq!(load_a(stmt(op::LD_H_ABS, 1), &DATA, &meta), 0x2132);
        assert_eq!(load_a(stmt(op::LD_B_ABS, 7), &DATA, &meta), 0x87);
        // A load of all ones is a value, not the kernel's internal error code.
        assert_eq!(load_a(stmt(op::LD_W_ABS, 0), &[0xff; 4], &meta), u32::MAX);
    }

    #[test]
    fn absolute_load_boundaries() {
        let meta = Meta::default();
        let len = DATA.len() as u32;
        for (code, size) in [(op::LD_W_ABS, 4), (op::LD_H_ABS, 2), (op::LD_B_ABS, 1)] {
            // Last bytes in range, then one past: 0 even though ret A would not be 0.
            assert_ne!(load_a(stmt(code, len - size), &DATA, &meta), 0);
            let past = [stmt(code, len - size + 1), stmt(op::RET_K, 99)];
            assert_eq!(run_valid(&past, &DATA, &meta), 0, "{code:#x}");
            assert_eq!(exec(&past, &DATA, &meta), Err(Halt::Drop));
            for k in [len, len + 100, 0x7fff_ffff] {
                assert_eq!(run_valid(&[stmt(code, k), stmt(op::RET_K, 99)], &DATA, &meta), 0);
            }
            assert_eq!(run_valid(&[stmt(code, 0), stmt(op::RET_K, 99)], &[], &meta), 0);
        }
    }

    #[test]
    fn indirect_loads() {
        assert_eq!(load_ind(2, stmt(op::LD_W_IND, 1), &DATA), 0x4354_6576);
        assert_eq!(load_ind(4, stmt(op::LD_H_IND, 2), &DATA), 0x7687);
        assert_eq!(load_ind(7, stmt(op::LD_B_IND, 0), &DATA), 0x87);
        assert_eq!(load_ind(0, stmt(op::LD_B_IND, 7), &DATA), 0x87);
        // One past the end.
        assert_eq!(load_ind(5, stmt(op::LD_W_IND, 0), &DATA), 0);
        assert_eq!(load_ind(7, stmt(op::LD_H_IND, 0), &DATA), 0);
        assert_eq!(load_ind(8, stmt(op::LD_B_IND, 0), &DATA), 0);
        // x + k wraps as a 32-bit sum: 0xffff_ffff + 2 is offset 1.
        assert_eq!(load_ind(u32::MAX, stmt(op::LD_B_IND, 2), &DATA), 0x21);
        // ... and a sum in the negative range is not a huge positive offset.
        assert_eq!(load_ind(u32::MAX, stmt(op::LD_B_IND, 0), &DATA), 0);
        assert_eq!(load_ind(1, stmt(op::LD_B_IND, SKF_LL_OFF + 2), &DATA), 0x43);
    }

    #[test]
    fn msh_loads_ip_header_length() {
        // ldxb 4*([0]&0xf): X = 4 * IHL, A untouched.
        let prog = [
            stmt(op::LD_IMM, 1000),
            stmt(op::LDX_B_MSH, 0),
            stmt(op::ADD_X, 0),
            RET_A,
        ];
        assert_eq!(run_valid(&prog, &[0x46], &Meta::default()), 1024);
        assert_eq!(run_valid(&prog, &[0xff], &Meta::default()), 1060);
        assert_eq!(run_valid(&prog, &[], &Meta::default()), 0, "out of range drops");
        let net = [stmt(op::LDX_B_MSH, SKF_NET_OFF), stmt(op::TXA, 0), RET_A];
        let meta = Meta {
            net_off: 2,
            ..Meta::default()
        };
        assert_eq!(run_valid(&net, &[0, 0, 0x45], &meta), 20);
    }

    #[test]
    fn length_loads() {
        let meta = Meta {
            len: 1514,
            ..Meta::default()
        };
        assert_eq!(load_a(stmt(op::LD_W_LEN, 0), &DATA, &meta), 1514);
        let ldx = [stmt(op::LDX_W_LEN, 0), stmt(op::TXA, 0), RET_A];
        assert_eq!(run_valid(&ldx, &DATA, &meta), 1514);
    }

    #[test]
    fn negative_offsets() {
        let meta = Meta {
            net_off: 4,
            ..Meta::default()
        };
        // SKF_NET_OFF + n is byte n of the network header.
        assert_eq!(load_a(stmt(op::LD_B_ABS, SKF_NET_OFF), &DATA, &meta), 0x54);
        assert_eq!(load_a(stmt(op::LD_W_ABS, SKF_NET_OFF), &DATA, &meta), 0x5465_7687);
        assert_eq!(load_a(stmt(op::LD_H_ABS, SKF_NET_OFF + 2), &DATA, &meta), 0x7687);
        assert_eq!(load_a(stmt(op::LD_W_ABS, SKF_NET_OFF + 1), &DATA, &meta), 0);
        // Absolute loads reach up to SKF_AD_OFF, where ancillary data starts; indirect loads
        // reach the rest of the network range.
        assert_eq!(load_a(stmt(op::LD_B_ABS, SKF_AD_OFF - 1), &DATA, &meta), 0);
        let top = [
            stmt(op::LDX_IMM, SKF_NET_OFF + 0xf_fffe),
            stmt(op::LD_B_IND, 1),
            RET_A,
        ];
        assert_eq!(run_valid(&top, &DATA, &meta), 0);
        // A network offset beyond the data (truncated capture) drops.
        let far = Meta {
            net_off: u32::MAX,
            ..Meta::default()
        };
        assert_eq!(load_a(stmt(op::LD_B_ABS, SKF_NET_OFF), &DATA, &far), 0);
        // SKF_LL_OFF + n is byte n of the link-layer header, where the data starts.
        assert_eq!(load_a(stmt(op::LD_B_ABS, SKF_LL_OFF), &DATA, &meta), 0x10);
        assert_eq!(load_a(stmt(op::LD_H_ABS, SKF_LL_OFF + 6), &DATA, &meta), 0x7687);
        assert_eq!(load_a(stmt(op::LD_H_ABS, SKF_LL_OFF + 7), &DATA, &meta), 0);
        assert_eq!(load_a(stmt(op::LD_B_ABS, SKF_NET_OFF - 1), &DATA, &meta), 0);
        // Below SKF_LL_OFF nothing is addressable.
        for k in [SKF_LL_OFF - 1, 1 << 31, 0x8000_0001] {
            let prog = [stmt(op::LD_B_ABS, k), stmt(op::RET_K, 99)];
            assert_eq!(run_valid(&prog, &DATA, &meta), 0, "{k:#x}");
        }
        // Indirect loads reach the same ranges.
        let ind = [stmt(op::LDX_IMM, SKF_NET_OFF), stmt(op::LD_B_IND, 3), RET_A];
        assert_eq!(run_valid(&ind, &DATA, &meta), 0x87);
    }

    #[test]
    fn ancillary_loads() {
        let meta = Meta {
            len: 60,
            net_off: 14,
            protocol: 0x86dd,
            pkttype: 4,
            ifindex: -2,
            hatype: 772,
            rxhash: 0xabcd_1234,
            vlan_tci: 0xa064,
            vlan_present: true,
            vlan_tpid: 0x88a8,
        };
        let cases = [
            (SKF_AD_PROTOCOL, 0x86dd),
            (SKF_AD_PKTTYPE, 4),
            (SKF_AD_IFINDEX, 0xffff_fffe),
            (SKF_AD_HATYPE, 772),
            (SKF_AD_RXHASH, 0xabcd_1234),
            (SKF_AD_VLAN_TAG, 0xa064),
            (SKF_AD_VLAN_TAG_PRESENT, 1),
            (SKF_AD_VLAN_TPID, 0x88a8),
        ];
        for (ad, want) in cases {
            // The load size does not matter: the kernel looks at k only.
            for code in [op::LD_W_ABS, op::LD_H_ABS, op::LD_B_ABS] {
                let prog = [stmt(code, SKF_AD_OFF + ad), RET_A];
                assert_eq!(check_userspace(&prog), Ok(()));
                assert_eq!(run_valid(&prog, &[], &meta), want, "ad {ad} code {code:#x}");
            }
        }
        let absent = Meta {
            vlan_present: false,
            ..meta
        };
        let present = [stmt(op::LD_B_ABS, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT), RET_A];
        assert_eq!(run_valid(&present, &[], &absent), 0);

        let xor = [
            stmt(op::LD_IMM, 0xff00),
            stmt(op::LDX_IMM, 0x0ff0),
            stmt(op::LD_W_ABS, SKF_AD_OFF + SKF_AD_ALU_XOR_X),
            RET_A,
        ];
        assert_eq!(run_valid(&xor, &[], &meta), 0xf0f0);
    }

    #[test]
    fn unsupported_ancillary_loads_drop() {
        for ad in [
            SKF_AD_NLATTR,
            SKF_AD_NLATTR_NEST,
            SKF_AD_MARK,
            SKF_AD_QUEUE,
            SKF_AD_CPU,
            SKF_AD_PAY_OFFSET,
            SKF_AD_RANDOM,
        ] {
            let prog = [stmt(op::LD_W_ABS, SKF_AD_OFF + ad), stmt(op::RET_K, 99)];
            assert!(check_userspace(&prog).is_err());
            assert_eq!(run_valid(&prog, &DATA, &Meta::default()), 0);
            assert_eq!(exec(&prog, &DATA, &Meta::default()), Err(Halt::Drop));
        }
    }

    #[test]
    fn malformed_programs_return_zero() {
        let meta = Meta::default();
        let ret99 = stmt(op::RET_K, 99);
        let broken: [&[Insn]; 11] = [
            &[],
            &[stmt(op::LD_IMM, 1)],                       // falls off the end
            &[stmt(op::JA, 1), ret99],                    // jumps past the end
            &[stmt(op::JA, u32::MAX), ret99],             // ... by a lot
            &[dd(op::JEQ_K, 5, 0, 0), ret99],             // true branch past the end
            &[dd(op::JEQ_K, 0, 5, 1), ret99],             // false branch past the end
            &[stmt(0xffff, 0), ret99],                    // unknown opcode
            &[stmt(op::ST, 16), ret99],                   // no such scratch word
            &[stmt(op::LDX_MEM, u32::MAX), ret99],        // ... nor this one
            &[stmt(op::DIV_K, 0), ret99],                 // division by constant 0
            &[stmt(op::LD_H_ABS, SKF_AD_OFF + 3), ret99], // unknown ancillary value
        ];
        for prog in broken {
            assert!(validate(prog).is_err(), "{prog:?}");
            assert_eq!(run(prog, &DATA, &meta), 0, "{prog:?}");
            assert_eq!(exec(prog, &DATA, &meta), Err(Halt::Malformed), "{prog:?}");
        }
        // Refused by the validator but harmless to run: the result is still well defined.
        assert_eq!(
            run(&[stmt(op::LD_IMM, 1), stmt(op::LSH_K, 33), RET_A], &[], &meta),
            2
        );
        assert_eq!(run(&[stmt(op::LD_MEM, 3), RET_A], &[], &meta), 0);
    }

    #[test]
    fn long_program_runs() {
        // 5000 instructions: beyond the kernel's 4096, so this one only ever runs here.
        let mut prog = vec![stmt(op::ADD_K, 1); 4998];
        prog.insert(0, stmt(op::JA, 10)); // skips ten of the additions
        prog.push(RET_A);
        assert_eq!(prog.len(), 5000);
        assert_eq!(run_valid(&prog, &[], &Meta::default()), 4988);

        // The longest program there can be, with a jump from the first to the last insn.
        let mut prog = vec![stmt(op::ADD_K, 1); MAX_INSNS];
        prog[0] = dd(op::JGT_K, 0, 0, 0);
        prog[1] = stmt(op::JA, (MAX_INSNS - 3) as u32);
        prog[MAX_INSNS - 1] = stmt(op::RET_K, 7);
        assert_eq!(run_valid(&prog, &[], &Meta::default()), 7);
    }

    /// An untagged Ethernet/IPv4 frame with the given protocol and ports, `ihl` 32-bit words of
    /// IP header, and the fragment field `frag`.
    fn ipv4_frame(proto: u8, sport: u16, dport: u16, ihl: u8, frag: u16) -> Vec<u8> {
        let mut f = vec![0xff; 6]; // destination
        f.extend([0x02, 0, 0, 0, 0, 1]); // source
        f.extend([0x08, 0x00]);
        let ip_start = f.len();
        f.extend([0x40 | ihl, 0, 0, 0, 0, 1]);
        f.extend(frag.to_be_bytes());
        f.extend([64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        f.resize(ip_start + 4 * usize::from(ihl), 1); // options, if any
        f.extend(sport.to_be_bytes());
        f.extend(dport.to_be_bytes());
        f.extend([0, 8, 0, 0]);
        f
    }

    fn meta_for(frame: &[u8]) -> Meta {
        Meta {
            len: frame.len() as u32,
            net_off: 14,
            protocol: 0x0800,
            ..Meta::default()
        }
    }

    /// `tcpdump -dd 'ip and udp port 53'` on Ethernet (libpcap, Linux).
    const UDP_53: [Insn; 13] = [
        dd(0x28, 0, 0, 0x0000000c),
        dd(0x15, 0, 10, 0x00000800),
        dd(0x30, 0, 0, 0x00000017),
        dd(0x15, 0, 8, 0x00000011),
        dd(0x28, 0, 0, 0x00000014),
        dd(0x45, 6, 0, 0x00001fff),
        dd(0xb1, 0, 0, 0x0000000e),
        dd(0x48, 0, 0, 0x0000000e),
        dd(0x15, 2, 0, 0x00000035),
        dd(0x48, 0, 0, 0x00000010),
        dd(0x15, 0, 1, 0x00000035),
        dd(0x6, 0, 0, 0x00040000),
        dd(0x6, 0, 0, 0x00000000),
    ];

    #[test]
    fn tcpdump_udp_port_53() {
        assert_eq!(validate(&UDP_53), Ok(()));
        assert_eq!(check_userspace(&UDP_53), Ok(()));
        let accept = |frame: Vec<u8>| run(&UDP_53, &frame, &meta_for(&frame));
        assert_eq!(accept(ipv4_frame(17, 40000, 53, 5, 0)), 0x40000, "query");
        assert_eq!(accept(ipv4_frame(17, 53, 40000, 5, 0)), 0x40000, "answer");
        assert_eq!(accept(ipv4_frame(17, 40000, 53, 7, 0)), 0x40000, "IP options");
        assert_eq!(accept(ipv4_frame(17, 53, 53, 5, 0x4000)), 0x40000, "DF set");
        assert_eq!(accept(ipv4_frame(6, 40000, 53, 5, 0)), 0, "TCP");
        assert_eq!(accept(ipv4_frame(17, 40000, 54, 5, 0)), 0, "other port");
        assert_eq!(accept(ipv4_frame(17, 40000, 53, 5, 0x0010)), 0, "later fragment");
        let mut v6 = ipv4_frame(17, 40000, 53, 5, 0);
        v6[12..14].copy_from_slice(&[0x86, 0xdd]);
        assert_eq!(accept(v6), 0, "not IPv4");
        let mut short = ipv4_frame(17, 40000, 53, 5, 0);
        short.truncate(36);
        assert_eq!(accept(short), 0, "truncated before the ports");
    }

    #[test]
    fn tcpdump_vlan_uses_ancillary_data() {
        // tcpdump -dd 'vlan' on Linux: the tag is in metadata, or still in the bytes (QinQ).
        let prog = [
            dd(0x30, 0, 0, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT),
            dd(0x15, 4, 0, 0x00000001),
            dd(0x28, 0, 0, 0x0000000c),
            dd(0x15, 2, 0, 0x00008100),
            dd(0x15, 1, 0, 0x000088a8),
            dd(0x15, 0, 1, 0x00009100),
            dd(0x6, 0, 0, 0x00040000),
            dd(0x6, 0, 0, 0x00000000),
        ];
        assert_eq!(validate(&prog), Ok(()));
        assert_eq!(check_userspace(&prog), Ok(()));
        let frame = ipv4_frame(17, 1, 2, 5, 0);
        let untagged = meta_for(&frame);
        let tagged = Meta {
            vlan_present: true,
            vlan_tci: 100,
            vlan_tpid: 0x8100,
            ..untagged
        };
        assert_eq!(run(&prog, &frame, &untagged), 0);
        assert_eq!(run(&prog, &frame, &tagged), 0x40000);
        let mut qinq = frame.clone();
        qinq[12..14].copy_from_slice(&[0x88, 0xa8]);
        assert_eq!(run(&prog, &qinq, &untagged), 0x40000);
    }

    /// xorshift64*: deterministic, so a failure is reproducible from the seed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
    }

    /// A constant that is interesting for `code`: mostly small and in range, sometimes special.
    fn random_k(rng: &mut Rng, code: u16, len: usize, pc: usize) -> u32 {
        let special = [
            0,
            1,
            31,
            32,
            u32::MAX,
            1 << 31,
            SKF_NET_OFF + rng.below(40) as u32,
            SKF_LL_OFF + rng.below(40) as u32,
            SKF_AD_OFF + 4 * rng.below(17) as u32,
            SKF_AD_OFF + rng.below(0x1000) as u32,
        ];
        if rng.chance(10) {
            return special[rng.below(special.len() as u64) as usize];
        }
        match code {
            op::LD_MEM | op::LDX_MEM | op::ST | op::STX => rng.below(16) as u32,
            op::JA => random_offset(rng, len, pc),
            op::LSH_K | op::RSH_K => rng.below(33) as u32,
            op::LD_W_ABS | op::LD_H_ABS | op::LD_B_ABS if rng.chance(20) => {
                SKF_AD_OFF + 4 * rng.below(16) as u32
            }
            _ => rng.below(80) as u32,
        }
    }

    /// A jump offset from `pc`, nearly always inside a program of `len` instructions.
    fn random_offset(rng: &mut Rng, len: usize, pc: usize) -> u32 {
        let in_range = (len - pc - 1).min(256) as u64;
        if in_range > 0 && rng.chance(97) {
            rng.below(in_range) as u32
        } else {
            rng.below(256) as u32
        }
    }

    fn random_program(rng: &mut Rng) -> Vec<Insn> {
        let len = 1 + rng.below(40) as usize;
        let mut prog: Vec<Insn> = (0..len)
            .map(|pc| {
                let code = if rng.chance(97) {
                    op::ALL[rng.below(op::ALL.len() as u64) as usize]
                } else {
                    rng.next() as u16
                };
                let jt = random_offset(rng, len, pc) as u8;
                let jf = random_offset(rng, len, pc) as u8;
                let k = random_k(rng, code, len, pc);
                dd(code, jt, jf, k)
            })
            .collect();
        if rng.chance(90) {
            prog[len - 1] = stmt(if rng.chance(50) { op::RET_A } else { op::RET_K }, 0x40000);
        }
        prog
    }

    /// A second interpreter, decoding the opcode field by field instead of matching whole
    /// opcodes, to cross-check `run` on validated programs.
    fn reference(prog: &[Insn], data: &[u8], meta: &Meta) -> u32 {
        reference_as(prog, data, meta, false)
    }

    /// The same, with `pcap` as libpcap's bpf_filter() would run it (to cross-check
    /// `run_offline`): unsigned offsets, no ancillary loads, X + k must not overflow, shifts by
    /// 32 or more give 0.
    fn reference_as(prog: &[Insn], data: &[u8], meta: &Meta, pcap: bool) -> u32 {
        let (mut a, mut x, mut m) = (0u32, 0u32, [0u32; 16]);
        let mut pc = 0;
        let fetch = |offset: u32, size: usize| -> Option<u32> {
            let signed = i64::from(offset as i32);
            let start = if pcap {
                i64::from(offset)
            } else if signed >= 0 {
                signed
            } else if signed >= -0x10_0000 {
                i64::from(meta.net_off) + signed + 0x10_0000
            } else if signed >= -0x20_0000 {
                signed + 0x20_0000
            } else {
                return None;
            };
            let end = start + size as i64;
            if end > data.len() as i64 {
                return None;
            }
            let bytes = &data[start as usize..end as usize];
            Some(bytes.iter().fold(0, |acc, &b| acc << 8 | u32::from(b)))
        };
        loop {
            let i = prog[pc];
            pc += 1;
            let operand = if i.code & BPF_X != 0 { x } else { i.k };
            match i.code & 0x07 {
                class @ (BPF_LD | BPF_LDX) => {
                    let size = match i.code & 0x18 {
                        BPF_W => 4,
                        BPF_H => 2,
                        _ => 1,
                    };
                    let value = match i.code & 0xe0 {
                        BPF_IMM => i.k,
                        BPF_LEN => meta.len,
                        BPF_MEM => m[i.k as usize],
                        BPF_ABS if i.k >= SKF_AD_OFF && pcap => return 0,
                        BPF_ABS if i.k >= SKF_AD_OFF => match i.k - SKF_AD_OFF {
                            0 => u32::from(meta.protocol),
                            4 => u32::from(meta.pkttype),
                            8 => meta.ifindex as u32,
                            28 => u32::from(meta.hatype),
                            32 => meta.rxhash,
                            40 => a ^ x,
                            44 => u32::from(meta.vlan_tci),
                            48 => u32::from(meta.vlan_present),
                            60 => u32::from(meta.vlan_tpid),
                            _ => return 0,
                        },
                        BPF_ABS => match fetch(i.k, size) {
                            Some(v) => v,
                            None => return 0,
                        },
                        BPF_IND if pcap && x.checked_add(i.k).is_none() => return 0,
                        BPF_IND => match fetch(x.wrapping_add(i.k), size) {
                            Some(v) => v,
                            None => return 0,
                        },
                        _ => match fetch(i.k, 1) {
                            Some(v) => (v & 0xf) * 4,
                            None => return 0,
                        },
                    };
                    if class == BPF_LD {
                        a = value;
                    } else {
                        x = value;
                    }
                }
                BPF_ST => m[i.k as usize] = a,
                BPF_STX => m[i.k as usize] = x,
                BPF_ALU => {
                    a = match i.code & 0xf0 {
                        BPF_ADD => a.wrapping_add(operand),
                        BPF_SUB => a.wrapping_sub(operand),
                        BPF_MUL => a.wrapping_mul(operand),
                        BPF_DIV if operand == 0 => return 0,
                        BPF_DIV => a / operand,
                        BPF_MOD if operand == 0 => return 0,
                        BPF_MOD => a % operand,
                        BPF_AND => a & operand,
                        BPF_OR => a | operand,
                        BPF_XOR => a ^ operand,
                        BPF_LSH | BPF_RSH if pcap && operand >= 32 => 0,
                        BPF_LSH => a << (operand & 31),
                        BPF_RSH => a >> (operand & 31),
                        _ => 0u32.wrapping_sub(a),
                    }
                }
                BPF_JMP => {
                    let taken = match i.code & 0xf0 {
                        BPF_JA => {
                            pc += i.k as usize;
                            continue;
                        }
                        BPF_JEQ => a == operand,
                        BPF_JGT => a > operand,
                        BPF_JGE => a >= operand,
                        _ => a & operand != 0,
                    };
                    pc += usize::from(if taken { i.jt } else { i.jf });
                }
                BPF_RET => return if i.code & 0x18 == BPF_A { a } else { i.k },
                _ => {
                    if i.code & 0xf8 == BPF_TXA {
                        a = x;
                    } else {
                        x = a;
                    }
                }
            }
        }
    }

    #[test]
    fn random_programs_never_panic_and_agree_with_reference() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut valid = 0;
        let mut accepted = 0;
        let mut differ = 0;
        const ROUNDS: usize = 50_000;
        for round in 0..ROUNDS {
            let prog = random_program(&mut rng);
            let data: Vec<u8> = (0..rng.below(80)).map(|_| rng.next() as u8).collect();
            let meta = Meta {
                len: rng.below(2000) as u32,
                net_off: rng.below(50) as u32,
                protocol: rng.next() as u16,
                pkttype: rng.below(8) as u8,
                ifindex: rng.next() as i32,
                hatype: rng.next() as u16,
                rxhash: rng.next() as u32,
                vlan_tci: rng.next() as u16,
                vlan_present: rng.chance(50),
                vlan_tpid: rng.next() as u16,
            };
            let result = run(&prog, &data, &meta);
            let offline = run_offline(&prog, &data, meta.len);
            let _ = check_userspace(&prog);
            if validate(&prog).is_ok() {
                valid += 1;
                let outcome = exec(&prog, &data, &meta);
                assert_ne!(outcome, Err(Halt::Malformed), "round {round}: {prog:?}");
                assert_eq!(
                    result,
                    reference(&prog, &data, &meta),
                    "round {round}: {prog:?} over {data:02x?}"
                );
                let outcome = exec_as::<true>(
                    &prog,
                    &data,
                    &Meta {
                        len: meta.len,
                        ..Meta::default()
                    },
                );
                assert_ne!(outcome, Err(Halt::Malformed), "round {round}: {prog:?}");
                assert_eq!(
                    offline,
                    reference_as(&prog, &data, &meta, true),
                    "round {round} offline: {prog:?} over {data:02x?}"
                );
                accepted += usize::from(result != 0);
                differ += usize::from(result != offline);
            }
        }
        // The generator must reach the interesting part: programs that pass and run far.
        assert!(valid > ROUNDS / 10, "only {valid} valid programs");
        assert!(accepted > ROUNDS / 50, "only {accepted} accepting runs");
        // ... and the places where libpcap's semantics differ from the kernel's.
        assert!(
            differ > ROUNDS / 500,
            "only {differ} runs where run_offline differs"
        );
    }

    #[test]
    fn offline_semantics_are_libpcaps() {
        let data: Vec<u8> = (0..64).collect();
        let tagged = Meta {
            len: 64,
            vlan_present: true,
            vlan_tci: 5,
            pkttype: 4,
            ..Meta::default()
        };
        let ret_a = stmt(op::RET_A, 0);
        let both = |prog: &[Insn]| {
            assert_eq!(validate(prog), Ok(()), "{prog:?}");
            (run(prog, &data, &tagged), run_offline(prog, &data, 64))
        };
        // The same where the two agree: packet loads, ld len (the wire length), division by 0.
        assert_eq!(both(&[stmt(op::LD_H_ABS, 12), ret_a]), (0x0c0d, 0x0c0d));
        assert_eq!(both(&[stmt(op::LD_W_ABS, 61), ret_a]), (0, 0));
        assert_eq!(run_offline(&[stmt(op::LD_W_LEN, 0), ret_a], &data, 1514), 1514);
        assert_eq!(both(&[stmt(op::LD_IMM, 8), stmt(op::DIV_X, 0), ret_a]), (0, 0));
        // Ancillary loads: the ring's metadata in the kernel, nothing offline.
        for ad in [
            SKF_AD_PKTTYPE,
            SKF_AD_VLAN_TAG,
            SKF_AD_VLAN_TAG_PRESENT,
            SKF_AD_ALU_XOR_X,
        ] {
            let (live, offline) = both(&[stmt(op::LD_B_ABS, SKF_AD_OFF + ad), stmt(op::RET_K, 9)]);
            assert_eq!((live, offline), (9, 0), "SKF_AD_OFF + {ad}");
        }
        // Negative offsets.
        assert_eq!(both(&[stmt(op::LD_B_ABS, SKF_LL_OFF + 3), ret_a]), (3, 0));
        assert_eq!(
            both(&[stmt(op::LDX_B_MSH, SKF_LL_OFF + 3), stmt(op::TXA, 0), ret_a]),
            (12, 0)
        );
        // X + k wrapping around to byte 4.
        let wrap = [stmt(op::LDX_IMM, u32::MAX), stmt(op::LD_B_IND, 5), ret_a];
        assert_eq!(both(&wrap), (4, 0));
        // Shifts by 32 or more in X.
        // (shift, A, A after a shift by 31, A after a shift by 33 in the kernel)
        for (code, a, by31, by33) in [(op::LSH_X, 1, 1 << 31, 2), (op::RSH_X, 1 << 31, 1, 1 << 30)] {
            let shift = |n| [stmt(op::LD_IMM, a), stmt(op::LDX_IMM, n), stmt(code, 0), ret_a];
            assert_eq!(both(&shift(31)), (by31, by31));
            assert_eq!(both(&shift(32)), (a, 0));
            assert_eq!(both(&shift(33)), (by33, 0));
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng(42);
        for _ in 0..20_000 {
            let len = rng.below(24) as usize;
            let prog: Vec<Insn> = (0..len)
                .map(|_| {
                    dd(
                        rng.next() as u16,
                        rng.next() as u8,
                        rng.next() as u8,
                        rng.next() as u32,
                    )
                })
                .collect();
            let data: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
            let meta = Meta {
                net_off: rng.next() as u32,
                ..Meta::default()
            };
            let _ = validate(&prog);
            let _ = check_userspace(&prog);
            let _ = run(&prog, &data, &meta);
        }
    }
}
