//! Filters: [`Handle::set_filter`] and [`install`], which puts the kernel prefix (direction,
//! protocol, loopback duplicates: `prefix.rs`) and the user's program in the kernel, or the
//! prefix alone with the program run in user space ([`UserFilter`], over ring packets by the read
//! paths) where the kernel refuses it.

use std::os::fd::{AsFd, BorrowedFd};

use super::prefix;
use super::Handle;
use crate::error::{Context, Errno, Error};
use crate::filter::{self, Insn};
use crate::socket;

/// A program run in user space over ring packets: after a filter change, over the packets that
/// were already in the ring (until `until` slots have gone back), or for good when the kernel
/// refused the program.
pub(super) struct UserFilter {
    pub(super) prog: Vec<Insn>,
    pub(super) until: Option<u64>,
    /// The program reads nothing a V3 block walk cannot give (no `SKF_NET_OFF`/`SKF_LL_OFF`
    /// loads, no ancillary load but protocol, packet type, interface, hardware type, VLAN tag
    /// and the XOR): the batch readers run it inside their walk.
    pub(super) walkable: bool,
}

impl UserFilter {
    pub(super) fn new(prog: Vec<Insn>, until: Option<u64>) -> UserFilter {
        let walkable = walkable(&prog);
        UserFilter {
            prog,
            until,
            walkable,
        }
    }
}

/// Whether `prog` loads nothing at a negative offset but the ancillary data a walk supplies.
fn walkable(prog: &[Insn]) -> bool {
    use filter::{BPF_ABS, BPF_IND, BPF_LD, BPF_LDX, SKF_AD_OFF, SKF_LL_OFF};
    const OK_AD: [u32; 8] = [
        filter::SKF_AD_PROTOCOL,
        filter::SKF_AD_PKTTYPE,
        filter::SKF_AD_IFINDEX,
        filter::SKF_AD_HATYPE,
        filter::SKF_AD_ALU_XOR_X,
        filter::SKF_AD_VLAN_TAG,
        filter::SKF_AD_VLAN_TAG_PRESENT,
        filter::SKF_AD_VLAN_TPID,
    ];
    prog.iter().all(|i| {
        let class = i.code & 0x07;
        let mode = i.code & 0xe0;
        let load = (class == BPF_LD || class == BPF_LDX) && (mode == BPF_ABS || mode == BPF_IND);
        if !load || i.k < SKF_LL_OFF {
            return true;
        }
        mode == BPF_ABS && i.k >= SKF_AD_OFF && OK_AD.contains(&(i.k - SKF_AD_OFF))
    })
}

/// Where a filter ended up.
pub(super) enum Installed {
    None,
    Kernel,
    UserSpace,
}

impl Handle {
    /// Replaces the filter (None or an empty program: no filter). Packets already in the ring
    /// that fail the new filter are not returned afterwards: they are filtered again in user
    /// space. A valid program the kernel refuses (e.g. longer than 4096 instructions) runs in user
    /// space for good.
    pub fn set_filter(&mut self, prog: Option<&[Insn]>) -> Result<(), Error> {
        self.set_filter_backlog(prog, None)
    }

    /// [`Handle::set_filter`], with `backlog` (when the kernel takes `prog`) as the program run
    /// in user space over the packets already in the ring instead of `prog` itself: for a
    /// caller that mimics another library's treatment of that backlog (libpcap runs its own
    /// interpreter there, which has no ancillary data). `backlog` must be a valid program.
    pub fn set_filter_backlog(
        &mut self,
        prog: Option<&[Insn]>,
        backlog: Option<&[Insn]>,
    ) -> Result<(), Error> {
        let prog = prog.filter(|p| !p.is_empty());
        match install(
            self.ctl.sock.as_fd(),
            &self.prefix,
            prog,
            self.snaplen,
            "pkt_setfilter",
        )? {
            Installed::None => self.user = None,
            Installed::UserSpace => {
                self.user = prog.map(|p| UserFilter::new(p.to_vec(), None));
            }
            Installed::Kernel => {
                let prog = backlog.or(prog).unwrap_or_default();
                // Every slot we own now, plus the one the kernel is filling, may hold packets
                // that passed the old filter.
                let until = Some(self.ring.passed() + self.ring.user_slots() + 1);
                let prog = match filter::check_userspace(prog) {
                    Ok(()) => prog.to_vec(),
                    // The program needs metadata the ring lacks: drop the backlog instead of
                    // returning packets that may fail it.
                    Err(_) => vec![Insn::stmt(filter::BPF_RET | filter::BPF_K, 0)],
                };
                self.user = Some(UserFilter::new(prog, until));
            }
        }
        if self.user.is_some() {
            // pkt_read's fast path does not look at the filter: stop it.
            self.ring.stop_fast();
        }
        Ok(())
    }
}

/// Puts the prefix and the user's program in the kernel; where the kernel refuses a valid
/// program, the prefix alone goes in and the program is to run in user space.
pub(super) fn install(
    sock: BorrowedFd<'_>,
    prefix: &[Insn],
    user: Option<&[Insn]>,
    snaplen: u32,
    what: &'static str,
) -> Result<Installed, Error> {
    let Some(prog) = user else {
        if prefix.is_empty() && snaplen == 0 {
            socket::detach(sock)?;
        } else {
            socket::attach(sock, &prefix::combine(prefix, None, snaplen))
                .ctx("setsockopt(SO_ATTACH_FILTER)")?;
        }
        return Ok(Installed::None);
    };
    filter::validate(prog)
        .map_err(|r| Error::with_detail(Errno::EINVAL, what, format!("invalid filter: {r}")))?;
    let full = prefix::combine(prefix, Some(prog), snaplen);
    let refused = if full.len() <= filter::KERNEL_MAX_INSNS {
        match socket::attach(sock, &full) {
            Ok(()) => return Ok(Installed::Kernel),
            // Too large for the kernel's option memory, or rejected by its checker.
            Err(e @ (Errno::EINVAL | Errno::ENOMEM)) => e,
            Err(e) => return Err(Error::new(e, "setsockopt(SO_ATTACH_FILTER)")),
        }
    } else {
        Errno::EINVAL
    };
    filter::check_userspace(prog).map_err(|r| {
        Error::with_detail(
            refused,
            what,
            format!("the kernel refused the filter and user space cannot run it: {r}"),
        )
    })?;
    if prefix.is_empty() && snaplen == 0 {
        socket::detach(sock)?;
    } else {
        socket::attach(sock, &prefix::combine(prefix, None, snaplen)).ctx("setsockopt(SO_ATTACH_FILTER)")?;
    }
    Ok(Installed::UserSpace)
}
