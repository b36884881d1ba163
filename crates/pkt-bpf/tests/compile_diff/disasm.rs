//! Programs in the style of `tcpdump -d` (libpcap's `bpf_image`), for mismatch reports.

use pkt_bpf::{Insn, SKF_AD_OFF};

fn ancillary_name(ad: u32) -> Option<&'static str> {
    Some(match ad {
        0 => "proto",
        4 => "type",
        8 => "ifidx",
        12 => "nla",
        16 => "nlan",
        20 => "mark",
        24 => "queue",
        28 => "hatype",
        32 => "rxhash",
        36 => "cpu",
        40 => "xor_x",
        44 => "vlan_tci",
        48 => "vlan_avail",
        52 => "poff",
        56 => "rand",
        60 => "vlan_tpid",
        _ => return None,
    })
}

/// One instruction: `(pc) op operand [jt N jf M]`.
pub fn insn(pc: usize, i: &Insn) -> String {
    let k = i.k;
    let size = |code: u16| match code & 0x18 {
        0x00 => "",
        0x08 => "h",
        _ => "b",
    };
    let abs = |k: u32| {
        if k >= SKF_AD_OFF {
            match ancillary_name(k - SKF_AD_OFF) {
                Some(n) => n.to_string(),
                None => format!("[{k:#x}]"),
            }
        } else {
            format!("[{k}]")
        }
    };
    let jump = |name: &str, operand: String| {
        let t = pc + 1 + usize::from(i.jt);
        let f = pc + 1 + usize::from(i.jf);
        format!("{name:<8} {operand:<16} jt {t}\tjf {f}")
    };
    let x_or_k = if i.code & 0x08 != 0 {
        "x".to_string()
    } else {
        format!("#{k:#x}")
    };
    let text = match i.code {
        0x20 | 0x28 | 0x30 => format!("ld{:<6} {}", size(i.code), abs(k)),
        0x40 | 0x48 | 0x50 => format!("ld{:<6} [x + {k}]", size(i.code)),
        0x80 => "ld       #pktlen".to_string(),
        0x81 => "ldx      #pktlen".to_string(),
        0x00 => format!("ld       #{k:#x}"),
        0x01 => format!("ldx      #{k:#x}"),
        0x60 => format!("ld       M[{k}]"),
        0x61 => format!("ldx      M[{k}]"),
        0xb1 => format!("ldxb     4*([{k}]&0xf)"),
        0x02 => format!("st       M[{k}]"),
        0x03 => format!("stx      M[{k}]"),
        0x84 => "neg".to_string(),
        c if c & 0x07 == 0x04 => {
            let name = match c & 0xf0 {
                0x00 => "add",
                0x10 => "sub",
                0x20 => "mul",
                0x30 => "div",
                0x40 => "or",
                0x50 => "and",
                0x60 => "lsh",
                0x70 => "rsh",
                0x90 => "mod",
                0xa0 => "xor",
                _ => "alu?",
            };
            format!("{name:<8} {x_or_k}")
        }
        0x05 => format!("ja       {}", pc + 1 + k as usize),
        c if c & 0x07 == 0x05 => {
            let name = match c & 0xf0 {
                0x10 => "jeq",
                0x20 => "jgt",
                0x30 => "jge",
                0x40 => "jset",
                _ => "j?",
            };
            return format!("({pc:03}) {}", jump(name, x_or_k));
        }
        0x06 => format!("ret      #{k}"),
        0x16 => "ret      a".to_string(),
        0x07 => "tax".to_string(),
        0x87 => "txa".to_string(),
        c => format!("??? code {c:#x} jt {} jf {} k {k:#x}", i.jt, i.jf),
    };
    format!("({pc:03}) {text}")
}

/// A whole program, one instruction a line, each line indented by `indent`.
pub fn program(prog: &[Insn], indent: &str) -> String {
    prog.iter()
        .enumerate()
        .map(|(pc, i)| format!("{indent}{}\n", insn(pc, i)))
        .collect()
}
