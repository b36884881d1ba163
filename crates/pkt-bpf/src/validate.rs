//! The kernel's classic BPF checks (`bpf_check_basics_ok`, `bpf_check_classic`,
//! `chk_code_allowed` and `check_load_and_stores` in net/core/filter.c), so that a program the
//! kernel would refuse with a bare `EINVAL` is refused here first, with a reason.

use super::{op, Insn, BPF_MEMWORDS, MAX_INSNS, SKF_AD_OFF};
use super::{
    SKF_AD_ALU_XOR_X, SKF_AD_CPU, SKF_AD_HATYPE, SKF_AD_IFINDEX, SKF_AD_MARK, SKF_AD_NLATTR,
    SKF_AD_NLATTR_NEST, SKF_AD_PAY_OFFSET, SKF_AD_PKTTYPE, SKF_AD_PROTOCOL, SKF_AD_QUEUE, SKF_AD_RANDOM,
    SKF_AD_RXHASH, SKF_AD_VLAN_TAG, SKF_AD_VLAN_TAG_PRESENT, SKF_AD_VLAN_TPID,
};

/// Checks `prog` as the kernel's `bpf_check_classic` does, except that programs longer than
/// [`super::KERNEL_MAX_INSNS`] (up to [`super::MAX_INSNS`]) are valid: they run in user space.
///
/// Returns a human-readable reason on failure, naming the first offending instruction, e.g.
/// `"insn 3: jump out of range"`. The checks run in the kernel's order: every instruction on its
/// own, then the final `ret`, then reads of scratch memory before any write.
pub fn validate(prog: &[Insn]) -> Result<(), String> {
    let mut incoming = Vec::new();
    check(prog, |len| {
        incoming.resize(len, 0);
        Some(&mut incoming[..])
    })
    .map_err(|f| f.to_string())
}

/// The most instructions [`is_valid`] checks with state on the stack (2 bytes each).
const STACK_CHECK: usize = super::KERNEL_MAX_INSNS;

/// The same verdict as [`validate`]`(prog).is_ok()`, without the reason and without
/// allocating: for programs of up to [`super::KERNEL_MAX_INSNS`] instructions the state of the
/// scratch-memory check lives on the stack (8 KiB); a longer program that reads scratch memory
/// allocates it. Meant for checking a program each time it is run.
pub fn is_valid(prog: &[Insn]) -> bool {
    let mut stack = [0u16; STACK_CHECK];
    let mut heap = Vec::new();
    check(prog, |len| {
        if len <= STACK_CHECK {
            stack.get_mut(..len)
        } else {
            heap.resize(len, 0);
            Some(&mut heap[..])
        }
    })
    .is_ok()
}

/// Why [`validate`] refuses a program; formats as its reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Empty,
    TooLong(usize),
    /// A problem of instruction `pc` on its own.
    Insn(usize, InsnFault),
    NoFinalRet,
    /// Instruction `pc` reads scratch word `k` that may not have been written.
    ScratchRead(usize, u32),
}

/// What is wrong with one instruction on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InsnFault {
    UnknownOpcode(u16),
    DivisionByZero,
    ModuloByZero,
    Shift(u32),
    NoScratchWord(u32),
    JumpOutOfRange,
    UnknownAncillary(u32),
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Fault::Empty => f.write_str("empty program"),
            Fault::TooLong(n) => write!(f, "program too long ({n} > {MAX_INSNS} instructions)"),
            Fault::Insn(pc, why) => write!(f, "insn {pc}: {why}"),
            Fault::NoFinalRet => f.write_str("program must end with ret"),
            Fault::ScratchRead(pc, k) => {
                write!(f, "insn {pc}: M[{k}] may be read before it is written")
            }
        }
    }
}

impl std::fmt::Display for InsnFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            InsnFault::UnknownOpcode(code) => write!(f, "unknown opcode {code:#06x}"),
            InsnFault::DivisionByZero => f.write_str("division by zero"),
            InsnFault::ModuloByZero => f.write_str("modulo by zero"),
            InsnFault::Shift(k) => write!(f, "shift by {k} (must be below 32)"),
            InsnFault::NoScratchWord(k) => write!(
                f,
                "scratch memory word M[{k}] does not exist (M[0] to M[{}])",
                BPF_MEMWORDS - 1
            ),
            InsnFault::JumpOutOfRange => f.write_str("jump out of range"),
            InsnFault::UnknownAncillary(ad) => write!(f, "unknown ancillary load SKF_AD_OFF+{ad}"),
        }
    }
}

/// The checks of [`validate`], in the kernel's order: every instruction on its own, then the
/// final `ret`, then reads of scratch memory before any write. `state(len)` lends the scratch
/// check `len` words of working memory (any contents); it is asked only for programs that read
/// scratch memory, and None from it counts as a refusal.
fn check<'s>(prog: &[Insn], state: impl FnOnce(usize) -> Option<&'s mut [u16]>) -> Result<(), Fault> {
    if prog.is_empty() {
        return Err(Fault::Empty);
    }
    if prog.len() > MAX_INSNS {
        return Err(Fault::TooLong(prog.len()));
    }
    for (pc, insn) in prog.iter().enumerate() {
        check_insn(prog.len(), pc, insn).map_err(|why| Fault::Insn(pc, why))?;
    }
    if !matches!(prog[prog.len() - 1].code, op::RET_K | op::RET_A) {
        return Err(Fault::NoFinalRet);
    }
    if !prog.iter().any(|i| matches!(i.code, op::LD_MEM | op::LDX_MEM)) {
        return Ok(());
    }
    // Both lenders always have the memory (`is_valid`'s array covers every length it lends
    // from); refusing is only the panic-free answer to one that had not.
    let incoming = state(prog.len()).ok_or(Fault::TooLong(prog.len()))?;
    check_scratch_reads(prog, incoming)
}

/// Checks that the user-space interpreter can run `prog` faithfully: refuses ancillary loads
/// that ring metadata cannot supply (mark, queue, cpu, random, nlattr, pay_offset, ...).
///
/// `prog` is expected to have passed [`validate`]; this only looks at ancillary loads. The reason
/// names the instruction and the load, e.g. `"insn 2: ancillary load SKF_AD_MARK is not
/// available in user space"`.
pub fn check_userspace(prog: &[Insn]) -> Result<(), String> {
    for (pc, insn) in prog.iter().enumerate() {
        let Some(ad) = ancillary(insn) else { continue };
        let supplied = matches!(
            ad,
            SKF_AD_PROTOCOL
                | SKF_AD_PKTTYPE
                | SKF_AD_IFINDEX
                | SKF_AD_HATYPE
                | SKF_AD_RXHASH
                | SKF_AD_VLAN_TAG
                | SKF_AD_VLAN_TAG_PRESENT
                | SKF_AD_VLAN_TPID
                | SKF_AD_ALU_XOR_X
        );
        if !supplied {
            let name = ancillary_name(ad).unwrap_or("SKF_AD_?");
            return Err(format!(
                "insn {pc}: ancillary load {name} is not available in user space"
            ));
        }
    }
    Ok(())
}

/// The `SKF_AD_*` value an instruction loads, if it is an ancillary load at all. Only absolute
/// loads are ancillary: an indirect load that lands in the `SKF_AD_OFF` range is an ordinary
/// (and failing) packet load in the kernel.
fn ancillary(insn: &Insn) -> Option<u32> {
    match insn.code {
        op::LD_W_ABS | op::LD_H_ABS | op::LD_B_ABS if insn.k >= SKF_AD_OFF => Some(insn.k - SKF_AD_OFF),
        _ => None,
    }
}

/// The kernel's name for an ancillary value it knows (`bpf_anc_helper`), `None` otherwise.
fn ancillary_name(ad: u32) -> Option<&'static str> {
    Some(match ad {
        SKF_AD_PROTOCOL => "SKF_AD_PROTOCOL",
        SKF_AD_PKTTYPE => "SKF_AD_PKTTYPE",
        SKF_AD_IFINDEX => "SKF_AD_IFINDEX",
        SKF_AD_NLATTR => "SKF_AD_NLATTR",
        SKF_AD_NLATTR_NEST => "SKF_AD_NLATTR_NEST",
        SKF_AD_MARK => "SKF_AD_MARK",
        SKF_AD_QUEUE => "SKF_AD_QUEUE",
        SKF_AD_HATYPE => "SKF_AD_HATYPE",
        SKF_AD_RXHASH => "SKF_AD_RXHASH",
        SKF_AD_CPU => "SKF_AD_CPU",
        SKF_AD_ALU_XOR_X => "SKF_AD_ALU_XOR_X",
        SKF_AD_VLAN_TAG => "SKF_AD_VLAN_TAG",
        SKF_AD_VLAN_TAG_PRESENT => "SKF_AD_VLAN_TAG_PRESENT",
        SKF_AD_PAY_OFFSET => "SKF_AD_PAY_OFFSET",
        SKF_AD_RANDOM => "SKF_AD_RANDOM",
        SKF_AD_VLAN_TPID => "SKF_AD_VLAN_TPID",
        _ => return None,
    })
}

/// The kernel's `chk_code_allowed`: exact opcodes only, so stray bits (a size on `ld #k`, a
/// source on `neg`, seccomp's `ldx [k]`) are refused.
fn is_allowed(code: u16) -> bool {
    use op::*;
    matches!(
        code,
        LD_W_ABS
            | LD_H_ABS
            | LD_B_ABS
            | LD_W_IND
            | LD_H_IND
            | LD_B_IND
            | LD_W_LEN
            | LD_IMM
            | LD_MEM
            | LDX_W_LEN
            | LDX_B_MSH
            | LDX_IMM
            | LDX_MEM
            | ST
            | STX
            | ADD_K
            | ADD_X
            | SUB_K
            | SUB_X
            | MUL_K
            | MUL_X
            | DIV_K
            | DIV_X
            | MOD_K
            | MOD_X
            | AND_K
            | AND_X
            | OR_K
            | OR_X
            | XOR_K
            | XOR_X
            | LSH_K
            | LSH_X
            | RSH_K
            | RSH_X
            | NEG
            | JA
            | JEQ_K
            | JEQ_X
            | JGT_K
            | JGT_X
            | JGE_K
            | JGE_X
            | JSET_K
            | JSET_X
            | RET_K
            | RET_A
            | TAX
            | TXA
    )
}

/// One instruction on its own, as the loop in `bpf_check_classic` checks it.
fn check_insn(len: usize, pc: usize, insn: &Insn) -> Result<(), InsnFault> {
    use op::*;
    if !is_allowed(insn.code) {
        return Err(InsnFault::UnknownOpcode(insn.code));
    }
    let k = insn.k;
    match insn.code {
        DIV_K if k == 0 => Err(InsnFault::DivisionByZero),
        MOD_K if k == 0 => Err(InsnFault::ModuloByZero),
        LSH_K | RSH_K if k >= 32 => Err(InsnFault::Shift(k)),
        LD_MEM | LDX_MEM | ST | STX if k >= BPF_MEMWORDS => Err(InsnFault::NoScratchWord(k)),
        // Jumps only go forward, so a target inside the program also rules out loops. The
        // comparison is arranged so that a huge k cannot overflow.
        JA if k as usize >= len - pc - 1 => Err(InsnFault::JumpOutOfRange),
        JEQ_K | JEQ_X | JGT_K | JGT_X | JGE_K | JGE_X | JSET_K | JSET_X
            if pc + 1 + usize::from(insn.jt.max(insn.jf)) >= len =>
        {
            Err(InsnFault::JumpOutOfRange)
        }
        LD_W_ABS | LD_H_ABS | LD_B_ABS if k >= SKF_AD_OFF => match ancillary_name(k - SKF_AD_OFF) {
            Some(_) => Ok(()),
            None => Err(InsnFault::UnknownAncillary(k - SKF_AD_OFF)),
        },
        _ => Ok(()),
    }
}

/// The kernel's `check_load_and_stores`: a scratch word must be written on every path before it
/// is read, because the kernel does not clear M[] between packets.
///
/// This is deliberately the kernel's single forward pass, not an exact data-flow analysis: a
/// jump target gets the intersection of what its jumps carry and of what falls through from the
/// previous instruction, even when that one is a `ret` (whose state is then stale). That refuses
/// a few programs that are actually safe, but the kernel refuses them too.
///
/// `incoming` is working memory of (at least) one word per instruction; its contents do not
/// matter.
fn check_scratch_reads(prog: &[Insn], incoming: &mut [u16]) -> Result<(), Fault> {
    use op::*;
    // Bit i set: M[i] has been written on every path seen so far into that instruction. (A
    // lender short of memory is refused rather than trusted; see `check`.)
    let incoming = incoming.get_mut(..prog.len()).ok_or(Fault::TooLong(prog.len()))?;
    incoming.fill(u16::MAX);
    let mut written: u16 = 0;
    // Targets are in range once check_insn has passed; `get_mut` keeps this panic-free anyway.
    let narrow = |incoming: &mut [u16], target: usize, written: u16| {
        if let Some(slot) = incoming.get_mut(target) {
            *slot &= written;
        }
    };
    for (pc, insn) in prog.iter().enumerate() {
        // In range: `incoming` has exactly one word per instruction.
        written &= incoming.get(pc).copied().unwrap_or(0);
        let bit = 1u16.checked_shl(insn.k).unwrap_or(0);
        match insn.code {
            ST | STX => written |= bit,
            LD_MEM | LDX_MEM if written & bit == 0 => return Err(Fault::ScratchRead(pc, insn.k)),
            JA => {
                narrow(incoming, (pc + 1).saturating_add(insn.k as usize), written);
                written = u16::MAX;
            }
            JEQ_K | JEQ_X | JGT_K | JGT_X | JGE_K | JGE_X | JSET_K | JSET_X => {
                narrow(incoming, pc + 1 + usize::from(insn.jt), written);
                narrow(incoming, pc + 1 + usize::from(insn.jf), written);
                written = u16::MAX;
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;

    const RET0: Insn = Insn::stmt(op::RET_K, 0);

    fn err(prog: &[Insn]) -> String {
        validate(prog).expect_err("program should be refused")
    }

    /// `insn` followed by `ret #0`, so only `insn` can be at fault.
    fn single(insn: Insn) -> Result<(), String> {
        validate(&[insn, RET0])
    }

    #[test]
    fn minimal_programs_pass() {
        assert_eq!(validate(&[RET0]), Ok(()));
        assert_eq!(validate(&[Insn::stmt(op::RET_A, 0)]), Ok(()));
        assert_eq!(validate(&[Insn::stmt(op::RET_K, u32::MAX)]), Ok(()));
    }

    #[test]
    fn length_limits() {
        assert_eq!(err(&[]), "empty program");
        assert_eq!(
            err(&vec![RET0; 70000]),
            "program too long (70000 > 65536 instructions)"
        );
        assert_eq!(
            err(&vec![RET0; MAX_INSNS + 1]),
            "program too long (65537 > 65536 instructions)"
        );
        // Beyond the kernel's limit is still valid: it runs in user space.
        assert_eq!(validate(&vec![RET0; KERNEL_MAX_INSNS + 1]), Ok(()));
        assert_eq!(validate(&vec![RET0; MAX_INSNS]), Ok(()));
    }

    #[test]
    fn every_allowed_opcode_passes() {
        // Loads from scratch memory need a store first; they are checked elsewhere.
        let codes = op::ALL
            .into_iter()
            .filter(|&c| c != op::LD_MEM && c != op::LDX_MEM);
        for code in codes {
            assert!(is_allowed(code), "{code:#x}");
            let prog = [Insn::stmt(code, 1), RET0, RET0]; // ja 1 needs room
            assert_eq!(validate(&prog), Ok(()), "{code:#x}");
        }
        // Loads from scratch memory need a store first.
        let st = Insn::stmt(op::ST, 1);
        assert_eq!(validate(&[st, Insn::stmt(op::LD_MEM, 1), RET0]), Ok(()));
        assert_eq!(validate(&[st, Insn::stmt(op::LDX_MEM, 1), RET0]), Ok(()));
        // The kernel's table has exactly these 49 entries.
        let allowed = (0..=u16::MAX).filter(|&code| is_allowed(code)).count();
        assert_eq!(allowed, op::ALL.len());
    }

    #[test]
    fn unknown_opcodes_are_refused() {
        for (code, name) in [
            (BPF_RET | BPF_X, "ret x"),
            (BPF_LDX | BPF_W | BPF_ABS, "seccomp's ldx [k]"),
            (BPF_LD | BPF_H | BPF_IMM, "ld with a size"),
            (BPF_ALU | BPF_NEG | BPF_X, "neg x"),
            (BPF_JMP | BPF_JA | BPF_X, "ja x"),
            (BPF_ALU | 0xb0, "alu op 0xb0"),
            (BPF_LDX | BPF_W | BPF_MSH, "msh with a word size"),
            (BPF_MISC | 0x08, "misc 0x08"),
            (0xffff, "all bits"),
        ] {
            let why = single(Insn::stmt(code, 0)).expect_err(name);
            assert_eq!(why, format!("insn 0: unknown opcode {code:#06x}"), "{name}");
        }
        assert_eq!(err(&[RET0, Insn::stmt(0x0e, 0)]), "insn 1: unknown opcode 0x000e");
    }

    #[test]
    fn division_and_modulo_by_constant_zero() {
        assert_eq!(
            err(&[Insn::stmt(op::LD_IMM, 5), Insn::stmt(op::DIV_K, 0), RET0]),
            "insn 1: division by zero"
        );
        assert_eq!(
            single(Insn::stmt(op::MOD_K, 0)).unwrap_err(),
            "insn 0: modulo by zero"
        );
        // X may be zero at run time; the interpreter drops the packet then.
        assert_eq!(single(Insn::stmt(op::DIV_X, 0)), Ok(()));
        assert_eq!(single(Insn::stmt(op::MOD_X, 0)), Ok(()));
    }

    #[test]
    fn constant_shifts_below_32() {
        for code in [op::LSH_K, op::RSH_K] {
            assert_eq!(single(Insn::stmt(code, 31)), Ok(()));
            assert_eq!(
                single(Insn::stmt(code, 32)).unwrap_err(),
                "insn 0: shift by 32 (must be below 32)"
            );
            assert!(single(Insn::stmt(code, u32::MAX)).is_err());
        }
        // Shift counts in X are not checked.
        assert_eq!(single(Insn::stmt(op::LSH_X, 99)), Ok(()));
    }

    #[test]
    fn scratch_memory_index() {
        for code in [op::ST, op::STX, op::LD_MEM, op::LDX_MEM] {
            assert_eq!(
                single(Insn::stmt(code, 16)).unwrap_err(),
                "insn 0: scratch memory word M[16] does not exist (M[0] to M[15])"
            );
            assert!(single(Insn::stmt(code, u32::MAX)).is_err());
        }
        assert_eq!(single(Insn::stmt(op::ST, 15)), Ok(()));
        assert_eq!(single(Insn::stmt(op::STX, 0)), Ok(()));
    }

    #[test]
    fn unconditional_jumps() {
        // ja 0 lands on the next instruction; ja 1 from insn 0 lands on insn 2, the last.
        assert_eq!(validate(&[Insn::stmt(op::JA, 0), RET0]), Ok(()));
        assert_eq!(validate(&[Insn::stmt(op::JA, 1), RET0, RET0]), Ok(()));
        assert_eq!(
            err(&[Insn::stmt(op::JA, 2), RET0, RET0]),
            "insn 0: jump out of range"
        );
        // pc + 1 + k would overflow a u32 here; the check must not.
        for k in [u32::MAX, u32::MAX - 1, 1 << 31] {
            assert_eq!(
                err(&[RET0, Insn::stmt(op::JA, k), RET0]),
                "insn 1: jump out of range"
            );
        }
        // A jump to itself or behind is impossible to express; the last insn cannot jump at all.
        assert_eq!(err(&[RET0, Insn::stmt(op::JA, 0)]), "insn 1: jump out of range");
    }

    #[test]
    fn conditional_jumps() {
        for code in [
            op::JEQ_K,
            op::JEQ_X,
            op::JGT_K,
            op::JGT_X,
            op::JGE_K,
            op::JGE_X,
            op::JSET_K,
            op::JSET_X,
        ] {
            let prog = |jt, jf| [Insn::jump(code, 0, jt, jf), RET0, RET0];
            assert_eq!(validate(&prog(0, 1)), Ok(()));
            assert_eq!(validate(&prog(1, 0)), Ok(()));
            assert_eq!(validate(&prog(1, 1)), Ok(()));
            assert_eq!(err(&prog(2, 0)), "insn 0: jump out of range");
            assert_eq!(err(&prog(0, 2)), "insn 0: jump out of range");
            assert_eq!(err(&prog(255, 255)), "insn 0: jump out of range");
        }
        // The largest offsets are fine in a long enough program.
        let mut prog = vec![RET0; 257];
        prog[0] = Insn::jump(op::JEQ_K, 0, 255, 254);
        assert_eq!(validate(&prog), Ok(()));
        prog[0].jt = 255;
        prog[0].jf = 255;
        assert_eq!(validate(&prog), Ok(()));
        prog.pop();
        assert_eq!(err(&prog), "insn 0: jump out of range");
    }

    #[test]
    fn must_end_with_ret() {
        assert_eq!(err(&[Insn::stmt(op::LD_IMM, 1)]), "program must end with ret");
        assert_eq!(err(&[RET0, Insn::stmt(op::TAX, 0)]), "program must end with ret");
        // Per-instruction problems are reported first, as the kernel finds them first.
        assert_eq!(
            err(&[Insn::stmt(op::DIV_K, 0), Insn::stmt(op::TAX, 0)]),
            "insn 0: division by zero"
        );
    }

    #[test]
    fn scratch_read_before_write() {
        let ld = |k| Insn::stmt(op::LD_MEM, k);
        let ldx = |k| Insn::stmt(op::LDX_MEM, k);
        assert_eq!(
            err(&[ld(0), RET0]),
            "insn 0: M[0] may be read before it is written"
        );
        assert_eq!(
            err(&[Insn::stmt(op::ST, 1), ldx(2), RET0]),
            "insn 1: M[2] may be read before it is written"
        );
        assert_eq!(validate(&[Insn::stmt(op::STX, 2), ldx(2), ld(2), RET0]), Ok(()));

        // Written on only one of two paths into the read.
        let one_path = [Insn::jump(op::JEQ_K, 0, 0, 1), Insn::stmt(op::ST, 3), ld(3), RET0];
        assert_eq!(err(&one_path), "insn 2: M[3] may be read before it is written");

        // Written on both paths.
        let both_paths = [
            Insn::jump(op::JEQ_K, 0, 0, 2),
            Insn::stmt(op::ST, 3),
            Insn::stmt(op::JA, 1),
            Insn::stmt(op::STX, 3),
            ld(3),
            RET0,
        ];
        assert_eq!(validate(&both_paths), Ok(()));

        // Skipped by an unconditional jump.
        let jumped_over = [Insn::stmt(op::JA, 1), Insn::stmt(op::ST, 0), ld(0), RET0];
        assert_eq!(err(&jumped_over), "insn 2: M[0] may be read before it is written");

        // Code after a `ja` is only reachable by jumps, so it starts with "all written" and
        // is limited by what the jumps into it carry.
        let after_ja = [
            Insn::stmt(op::ST, 0),
            Insn::stmt(op::JA, 1),
            ld(5), // unreachable: not an error
            ld(0),
            RET0,
        ];
        assert_eq!(validate(&after_ja), Ok(()));
    }

    #[test]
    fn scratch_check_is_as_conservative_as_the_kernel() {
        // Insn 4 is reached only from insn 2, after M[0] was written. The kernel still refuses
        // it: its pass lets the state before the `ret` at insn 3 fall through into insn 4.
        let prog = [
            Insn::jump(op::JEQ_K, 0, 2, 0),
            Insn::stmt(op::ST, 0),
            Insn::jump(op::JEQ_K, 0, 1, 1),
            RET0,
            Insn::stmt(op::LD_MEM, 0),
            RET0,
        ];
        assert_eq!(err(&prog), "insn 4: M[0] may be read before it is written");
    }

    #[test]
    fn ancillary_loads() {
        let known = [
            SKF_AD_PROTOCOL,
            SKF_AD_PKTTYPE,
            SKF_AD_IFINDEX,
            SKF_AD_NLATTR,
            SKF_AD_NLATTR_NEST,
            SKF_AD_MARK,
            SKF_AD_QUEUE,
            SKF_AD_HATYPE,
            SKF_AD_RXHASH,
            SKF_AD_CPU,
            SKF_AD_ALU_XOR_X,
            SKF_AD_VLAN_TAG,
            SKF_AD_VLAN_TAG_PRESENT,
            SKF_AD_PAY_OFFSET,
            SKF_AD_RANDOM,
            SKF_AD_VLAN_TPID,
        ];
        for code in [op::LD_W_ABS, op::LD_H_ABS, op::LD_B_ABS] {
            for ad in 0..0x1000 {
                let result = single(Insn::stmt(code, SKF_AD_OFF + ad));
                if known.contains(&ad) {
                    assert_eq!(result, Ok(()), "{ad}");
                } else {
                    assert_eq!(
                        result.unwrap_err(),
                        format!("insn 0: unknown ancillary load SKF_AD_OFF+{ad}")
                    );
                }
            }
        }
        assert!(single(Insn::stmt(op::LD_W_ABS, SKF_AD_OFF + SKF_AD_MAX)).is_err());
        assert!(single(Insn::stmt(op::LD_W_ABS, u32::MAX)).is_err());
    }

    #[test]
    fn negative_offsets() {
        // Everything below SKF_AD_OFF is a packet load for the kernel's checker, even offsets
        // that fail at run time (below SKF_LL_OFF).
        for k in [
            SKF_NET_OFF,
            SKF_NET_OFF + 20,
            SKF_LL_OFF,
            SKF_LL_OFF + 12,
            SKF_LL_OFF - 1,
            1 << 31,
            SKF_AD_OFF - 1,
        ] {
            for code in [op::LD_W_ABS, op::LD_H_ABS, op::LD_B_ABS, op::LDX_B_MSH] {
                assert_eq!(single(Insn::stmt(code, k)), Ok(()), "{code:#x} {k:#x}");
            }
        }
        // Only absolute loads are checked against the ancillary table.
        for code in [op::LD_W_IND, op::LD_H_IND, op::LD_B_IND, op::LDX_B_MSH] {
            assert_eq!(single(Insn::stmt(code, SKF_AD_OFF + 1)), Ok(()));
        }
    }

    #[test]
    fn userspace_ancillary_support() {
        let ld = |ad| [Insn::stmt(op::LD_W_ABS, SKF_AD_OFF + ad), RET0];
        for ad in [
            SKF_AD_PROTOCOL,
            SKF_AD_PKTTYPE,
            SKF_AD_IFINDEX,
            SKF_AD_HATYPE,
            SKF_AD_RXHASH,
            SKF_AD_VLAN_TAG,
            SKF_AD_VLAN_TAG_PRESENT,
            SKF_AD_VLAN_TPID,
            SKF_AD_ALU_XOR_X,
        ] {
            assert_eq!(validate(&ld(ad)), Ok(()));
            assert_eq!(check_userspace(&ld(ad)), Ok(()), "{ad}");
        }
        for (ad, name) in [
            (SKF_AD_NLATTR, "SKF_AD_NLATTR"),
            (SKF_AD_NLATTR_NEST, "SKF_AD_NLATTR_NEST"),
            (SKF_AD_MARK, "SKF_AD_MARK"),
            (SKF_AD_QUEUE, "SKF_AD_QUEUE"),
            (SKF_AD_CPU, "SKF_AD_CPU"),
            (SKF_AD_PAY_OFFSET, "SKF_AD_PAY_OFFSET"),
            (SKF_AD_RANDOM, "SKF_AD_RANDOM"),
        ] {
            assert_eq!(validate(&ld(ad)), Ok(()));
            assert_eq!(
                check_userspace(&ld(ad)).unwrap_err(),
                format!("insn 0: ancillary load {name} is not available in user space")
            );
        }
        let later = [
            Insn::stmt(op::LD_B_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL),
            Insn::stmt(op::LD_H_ABS, SKF_AD_OFF + SKF_AD_CPU),
            RET0,
        ];
        assert_eq!(
            check_userspace(&later).unwrap_err(),
            "insn 1: ancillary load SKF_AD_CPU is not available in user space"
        );
        // Negative packet offsets are not ancillary loads.
        let net = [Insn::stmt(op::LD_B_ABS, SKF_NET_OFF + 9), RET0];
        assert_eq!(check_userspace(&net), Ok(()));
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
    }

    /// A program near the edge of validity: known opcodes (sometimes not), small constants and
    /// jump offsets (sometimes out of range), scratch words around M[15], usually a final ret.
    fn edgy_program(rng: &mut Rng, len: usize) -> Vec<Insn> {
        let mut prog: Vec<Insn> = (0..len)
            .map(|pc| {
                let code = match rng.below(100) {
                    0..=1 => rng.next() as u16,
                    2..=25 => [op::ST, op::STX, op::LD_MEM, op::LDX_MEM][rng.below(4) as usize],
                    _ => op::ALL[rng.below(op::ALL.len() as u64) as usize],
                };
                let room = (len - pc) as u64;
                let k = match code {
                    op::ST | op::STX | op::LD_MEM | op::LDX_MEM => rng.below(17) as u32,
                    op::JA => rng.below(room + 1) as u32,
                    op::LSH_K | op::RSH_K => rng.below(34) as u32,
                    op::LD_W_ABS | op::LD_H_ABS | op::LD_B_ABS if rng.below(8) == 0 => {
                        SKF_AD_OFF + rng.below(70) as u32
                    }
                    _ => rng.below(4) as u32,
                };
                let jt = rng.below(room.min(255) + 1) as u8;
                let jf = rng.below(room.min(255) + 1) as u8;
                Insn::jump(code, k, jt, jf)
            })
            .collect();
        if rng.below(10) != 0 {
            prog[len - 1] = Insn::stmt(op::RET_A, 0);
        }
        prog
    }

    #[test]
    fn is_valid_agrees_with_validate() {
        let mut rng = Rng(0x5eed_0f0f_f11e);
        let (mut valid, mut scratch_refused) = (0, 0);
        for _ in 0..200_000 {
            let len = 1 + rng.below(24) as usize;
            let prog = edgy_program(&mut rng, len);
            let full = validate(&prog);
            assert_eq!(is_valid(&prog), full.is_ok(), "{prog:?}: {full:?}");
            valid += usize::from(full.is_ok());
            scratch_refused += usize::from(full.is_err_and(|r| r.contains("may be read")));
        }
        // The generator must exercise both verdicts, and the scratch check in particular.
        assert!(valid > 10_000, "{valid} valid programs");
        assert!(
            scratch_refused > 1_000,
            "{scratch_refused} refused for scratch reads"
        );
        assert!(!is_valid(&[]));
        assert!(!is_valid(&vec![RET0; MAX_INSNS + 1]));
    }

    #[test]
    fn is_valid_on_long_programs() {
        // Up to the kernel's limit the scratch check runs on the stack, beyond it on the heap:
        // the same verdicts either side of the boundary.
        for len in [
            KERNEL_MAX_INSNS - 1,
            KERNEL_MAX_INSNS,
            KERNEL_MAX_INSNS + 1,
            MAX_INSNS,
        ] {
            let mut prog = vec![Insn::stmt(op::ST, 3); len];
            prog[len - 2] = Insn::stmt(op::LD_MEM, 3);
            prog[len - 1] = RET0;
            assert!(is_valid(&prog), "{len}");
            assert_eq!(validate(&prog), Ok(()));
            // Now M[3] is never written before the read.
            for i in prog.iter_mut().take(len - 2) {
                *i = Insn::stmt(op::ST, 4);
            }
            assert!(!is_valid(&prog), "{len}");
            assert_eq!(
                validate(&prog).unwrap_err(),
                format!("insn {}: M[3] may be read before it is written", len - 2)
            );
        }
    }
}
