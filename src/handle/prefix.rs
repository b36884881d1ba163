//! The checks libpkt runs in the kernel in front of every user program: the configured ethertype
//! (a socket bound to one protocol never sees outgoing frames, so we bind to all and select
//! here), the direction, and loopback's duplicate outgoing copies.

use crate::config::Direction;
use crate::filter::*;
use crate::sys::{ARPHRD_LOOPBACK, ETH_P_ALL, PACKET_OUTGOING};

/// Accept the whole packet.
pub const ACCEPT_ALL: Insn = Insn::stmt(BPF_RET | BPF_K, u32::MAX);

/// What the prefix must select.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selection {
    /// Ethertype in host order; `ETH_P_ALL` selects everything.
    pub proto: u16,
    pub direction: Direction,
    /// The kernel already drops outgoing packets (`PACKET_IGNORE_OUTGOING`).
    pub kernel_ignores_outgoing: bool,
    /// Loopback traffic can reach the socket: bound to `lo` (`Some(true)`), to all interfaces
    /// (`None`: test the interface type per packet), or to another interface (`Some(false)`).
    pub loopback: Option<bool>,
}

/// The prefix program: checks that jump to a `ret #0` at its end on failure and fall through
/// past it on success; empty when there is nothing to check.
pub fn prefix(sel: &Selection) -> Vec<Insn> {
    // Each check: (instructions, index inside them of each jump whose `jt`/`jf` means "drop").
    let ld = |k: u32| Insn::stmt(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF.wrapping_add(k));
    let mut body: Vec<Insn> = Vec::new();
    // Jumps to patch: (index, drop on true?).
    let mut to_drop: Vec<(usize, bool)> = Vec::new();
    let jeq = |v: u32| Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, v, 0, 0);

    if sel.proto != ETH_P_ALL {
        body.push(ld(SKF_AD_PROTOCOL));
        to_drop.push((body.len(), false));
        body.push(jeq(sel.proto as u32));
    }
    let out = PACKET_OUTGOING as u32;
    match sel.direction {
        Direction::In if !sel.kernel_ignores_outgoing => {
            body.push(ld(SKF_AD_PKTTYPE));
            to_drop.push((body.len(), true));
            body.push(jeq(out));
        }
        Direction::In => {}
        Direction::Out => {
            body.push(ld(SKF_AD_PKTTYPE));
            to_drop.push((body.len(), false));
            body.push(jeq(out));
        }
        // Loopback shows every packet twice, as OUTGOING and again as incoming: keep one.
        Direction::InOut => match sel.loopback {
            Some(false) => {}
            Some(true) => {
                body.push(ld(SKF_AD_PKTTYPE));
                to_drop.push((body.len(), true));
                body.push(jeq(out));
            }
            None => {
                body.push(ld(SKF_AD_HATYPE));
                // Not loopback: skip the packet-type test.
                body.push(Insn::jump(
                    BPF_JMP | BPF_JEQ | BPF_K,
                    ARPHRD_LOOPBACK as u32,
                    0,
                    2,
                ));
                body.push(ld(SKF_AD_PKTTYPE));
                to_drop.push((body.len(), true));
                body.push(jeq(out));
            }
        },
    }
    if body.is_empty() {
        return body;
    }
    body.push(Insn::stmt(BPF_JMP | BPF_JA, 1));
    let drop_at = body.len();
    body.push(Insn::stmt(BPF_RET | BPF_K, 0));
    for (i, drop_on_true) in to_drop {
        let dist = (drop_at - i - 1) as u8;
        if drop_on_true {
            body[i].jt = dist;
        } else {
            body[i].jf = dist;
        }
    }
    body
}

/// The program the kernel runs: the prefix, then the user's program (or accept-all), with every
/// constant it returns clamped to `snaplen` (0: no limit), so that the kernel copies no more than
/// that into the ring. A program returning `A` is not clamped here: the reader trims its packets.
pub fn combine(prefix: &[Insn], user: Option<&[Insn]>, snaplen: u32) -> Vec<Insn> {
    let user = user.unwrap_or(std::slice::from_ref(&ACCEPT_ALL));
    let mut p = Vec::with_capacity(prefix.len() + user.len());
    p.extend_from_slice(prefix);
    p.extend(user.iter().map(|&i| clamp_ret(i, snaplen)));
    p
}

/// `ret #k` with k clamped to `snaplen` (0: no limit); other instructions unchanged.
fn clamp_ret(mut i: Insn, snaplen: u32) -> Insn {
    if snaplen != 0 && i.code == BPF_RET | BPF_K && i.k > snaplen {
        i.k = snaplen;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(protocol: u16, pkttype: u8, hatype: u16) -> Meta {
        Meta {
            protocol,
            pkttype,
            hatype,
            len: 60,
            ..Meta::default()
        }
    }

    fn sel(proto: u16, direction: Direction, loopback: Option<bool>) -> Selection {
        Selection {
            proto,
            direction,
            kernel_ignores_outgoing: false,
            loopback,
        }
    }

    fn accepts(sel: &Selection, m: &Meta) -> bool {
        let p = combine(&prefix(sel), None, 0);
        validate(&p).unwrap();
        run(&p, &[0u8; 60], m) != 0
    }

    #[test]
    fn nothing_to_check_is_empty() {
        assert!(prefix(&sel(ETH_P_ALL, Direction::InOut, Some(false))).is_empty());
        let s = Selection {
            kernel_ignores_outgoing: true,
            ..sel(ETH_P_ALL, Direction::In, Some(false))
        };
        assert!(prefix(&s).is_empty());
    }

    #[test]
    fn proto_selects_both_directions() {
        let s = sel(0x88b5, Direction::InOut, Some(false));
        assert!(accepts(&s, &meta(0x88b5, 0, 1)));
        assert!(accepts(&s, &meta(0x88b5, 4, 1)));
        assert!(!accepts(&s, &meta(0x0800, 0, 1)));
    }

    #[test]
    fn direction() {
        let i = sel(ETH_P_ALL, Direction::In, Some(false));
        assert!(accepts(&i, &meta(0x800, 0, 1)) && accepts(&i, &meta(0x800, 1, 1)));
        assert!(!accepts(&i, &meta(0x800, 4, 1)));
        let o = sel(0x800, Direction::Out, Some(false));
        assert!(accepts(&o, &meta(0x800, 4, 1)));
        assert!(!accepts(&o, &meta(0x800, 0, 1)) && !accepts(&o, &meta(0x86dd, 4, 1)));
    }

    #[test]
    fn loopback_duplicates() {
        let lo = sel(ETH_P_ALL, Direction::InOut, Some(true));
        assert!(accepts(&lo, &meta(0x800, 0, 772)) && !accepts(&lo, &meta(0x800, 4, 772)));
        let any = sel(ETH_P_ALL, Direction::InOut, None);
        assert!(accepts(&any, &meta(0x800, 0, 772)));
        assert!(!accepts(&any, &meta(0x800, 4, 772)));
        assert!(accepts(&any, &meta(0x800, 4, 1)));
        // Out on loopback keeps the outgoing copy.
        let lo_out = sel(ETH_P_ALL, Direction::Out, Some(true));
        assert!(accepts(&lo_out, &meta(0x800, 4, 772)) && !accepts(&lo_out, &meta(0x800, 0, 772)));
    }

    #[test]
    fn user_program_runs_after_prefix() {
        let s = sel(0x800, Direction::InOut, Some(false));
        let user = [Insn::stmt(BPF_RET | BPF_K, 20)];
        let p = combine(&prefix(&s), Some(&user), 0);
        validate(&p).unwrap();
        assert_eq!(run(&p, &[0u8; 60], &meta(0x800, 0, 1)), 20);
        assert_eq!(run(&p, &[0u8; 60], &meta(0x806, 0, 1)), 0);
    }
}
