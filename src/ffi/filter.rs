//! Filters.

use std::ffi::{c_char, c_int};
use std::net::Ipv4Addr;

use super::boundary::{any, einval, fail, guard, guard_int, offline, reader, slice, Any};
use super::compile::{compile_expr, expr_text, PKT_COMPILE_OPTIMIZE};
use super::{pkt_bpf_insn_t, pkt_t};
use crate::dump::linktype;
use crate::error::{Errno, Error};
use crate::filter;
use crate::filter::compile::{Flags, NETMASK_UNKNOWN};
use crate::iface;

/// Replaces the handle's classic BPF filter with the `len` instructions at `prog`; `len` 0
/// detaches it.
///
/// The program runs in the kernel behind libpkt's own checks (`proto`, direction). Packets that
/// arrived before the call and fail the new filter are not returned after it: those already in
/// the ring are filtered again in user space. A valid program the kernel refuses (more than
/// 4096 instructions with libpkt's checks, or over the socket's option memory) runs in user
/// space instead, which costs CPU per packet and may make `pkt_read()` return 0 (see
/// `max_nil_read`); its return value still sets the captured length.
///
/// On a savefile handle the program runs in user space on every packet read after the call,
/// as libpcap's interpreter runs it there: ancillary loads (`SKF_AD_*`, which only the kernel
/// can answer) reject the packet, `len` is the original length, and the return value also
/// cuts the captured length. It runs whatever the packet's link type: compile it for
/// `pkt_dlt()` (a pcapng file may mix link types: see `pkt_info_t.linktype`).
///
/// Returns 0. Errors: `-EINVAL` NULL handle, NULL `prog` with `len` > 0, or a program that is not
/// valid classic BPF (`pkt_errmsg()` names the instruction and the problem: a jump out of range,
/// no `ret` at the end, a division by zero, ...), or one the kernel refuses and user space
/// cannot run; the previous filter then stays in place.
///
/// Ownership: the program is copied. Thread safety: the reading thread (or while no read runs).
///
/// # Safety
/// `h` is NULL or a live handle not being read by another thread; `prog` is NULL or points to
/// `len` instructions.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_setfilter(h: *mut pkt_t, prog: *const pkt_bpf_insn_t, len: usize) -> c_int {
    guard_int("pkt_setfilter", || {
        // SAFETY: `prog` points to `len` instructions per the contract.
        let prog = unsafe { slice(prog, len, "pkt_setfilter") }?;
        // SAFETY: `h` is NULL or live and not read by another thread, per the contract.
        if let Some(o) = unsafe { offline(h) } {
            // SAFETY: as above.
            return unsafe { o.reader() }.set_filter(Some(prog)).map(|()| 0);
        }
        // SAFETY: as above.
        let r = unsafe { reader(h, "pkt_setfilter") }?;
        r.set_filter(Some(prog))?;
        Ok(0)
    })
}

/// Compiles the filter expression `expr` for handle `h` and installs it as `pkt_setfilter()`
/// does (same semantics: the kernel runs it behind libpkt's own checks, packets already in the
/// ring that fail it are not returned, and on a savefile handle it runs in user space on every
/// packet read after the call). The program is `pkt_compile_netmask()`'s for the handle:
///
/// - link type `pkt_dlt(h)`: on a live handle `PKT_DLT_EN10MB` (Ethernet and loopback) or
///   `PKT_DLT_LINUX_SLL2` (cooked: all interfaces and every other interface type), in the live
///   form (`PKT_COMPILE_LIVE`: the outer VLAN tag, the packet type and the interface come from
///   the socket's metadata); on a savefile handle the file's link type, in the savefile form
///   (`PKT_COMPILE_SAVEFILE`, as libpcap's `pcap_compile()` on `pcap_open_offline()`), so
///   `inbound`, `outbound` and `ifindex` are refused where the link-layer header has no such
///   field, and for a file written in the other byte order than this host's the address
///   family of `PKT_DLT_NULL` (and DLT_ENC) is compared byte-swapped, as libpcap does;
/// - netmask: the bound interface's, looked up now by the code of `pkt_lookupnet()`; unknown
///   (`PKT_NETMASK_UNKNOWN`: `ip broadcast` is then `-EINVAL`) on all interfaces, on an
///   interface without an IPv4 address (or that cannot be looked up) and on savefile handles;
/// - snaplen: the handle's (`pkt_config_t.snaplen`; 0, whole packets, gives 262144).
///
/// `flags`: `PKT_COMPILE_OPTIMIZE` or 0; the form comes from the handle, so any other bit is
/// `-EINVAL`.
///
/// Returns 0. Errors: `-EINVAL` NULL handle or `expr`, unknown flags, an expression that does
/// not compile for the handle (`pkt_errmsg()` names the position and the problem, as
/// `pkt_compile()`), or those of `pkt_setfilter()`; `-E2BIG` a program longer than 4096
/// instructions; `-ENOMEM`. The previous filter then stays in place. Names in `expr` are
/// resolved as `pkt_compile()` resolves them, which may block on DNS.
///
/// Ownership: nothing is kept of `expr`. Thread safety: the reading thread (or while no read
/// runs), as `pkt_setfilter()`.
///
/// # Safety
/// `h` is NULL or a live handle not being read by another thread; `expr` is NULL or a
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_setfilter_expr(h: *mut pkt_t, expr: *const c_char, flags: u32) -> c_int {
    const WHAT: &str = "pkt_setfilter_expr";
    guard_int(WHAT, || {
        // SAFETY: `h` is NULL or live per the contract.
        let handle = unsafe { any(h, WHAT) }?;
        // SAFETY: `expr` is NULL or NUL-terminated per the contract.
        let text = unsafe { expr_text(expr, WHAT) }?;
        if flags & !PKT_COMPILE_OPTIMIZE != 0 {
            return Err(einval(
                WHAT,
                "unknown flags (only PKT_COMPILE_OPTIMIZE: the form is the handle's)",
            ));
        }
        let optimize = flags & PKT_COMPILE_OPTIMIZE != 0;
        match handle {
            Any::Offline(o) => {
                let f = Flags {
                    optimize,
                    live: false,
                    savefile: true,
                    swapped: o.ctl.swapped(),
                };
                let cfg = o.ctl.config();
                let prog = compile_expr(WHAT, text, o.ctl.dlt(), cfg.snaplen, f, NETMASK_UNKNOWN)?;
                // SAFETY: `h` is not read by another thread, per the contract.
                unsafe { o.reader() }.set_filter(Some(&prog))?;
            }
            Any::Live(l) => {
                let f = Flags {
                    optimize,
                    live: true,
                    savefile: false,
                    swapped: false,
                };
                let cfg = l.ctl.config();
                let dlt = linktype::dlt_of(l.ctl.linktype(), cfg.cooked);
                let prog = compile_expr(WHAT, text, dlt, cfg.snaplen, f, bound_netmask(l.ctl.ifindex()))?;
                // SAFETY: as above.
                unsafe { l.reader() }.set_filter(Some(&prog))?;
            }
        }
        Ok(0)
    })
}

/// The netmask of the interface with index `ifindex`, as `pkt_lookupnet()` finds it; unknown
/// for all interfaces (0) and where that fails (no IPv4 address, the interface gone).
fn bound_netmask(ifindex: i32) -> Ipv4Addr {
    if ifindex == 0 {
        return NETMASK_UNKNOWN;
    }
    crate::sys::iface_name(ifindex)
        .ok()
        .and_then(|name| iface::lookupnet(Some(&name)).ok())
        .map_or(NETMASK_UNKNOWN, |(_, mask)| mask)
}

/// Runs the `len` instructions at `prog` on one packet, as libpcap's `pcap_offline_filter()`
/// does: `data` holds the `caplen` bytes captured of a packet `wirelen` bytes long on the wire
/// (a savefile record, a packet from `pkt_read()`, or any buffer), starting at its link-layer
/// header (or where the program expects it to start). The program may come from
/// `pkt_compile()` (the offline form, flags without `PKT_COMPILE_LIVE`, matches what libpcap's
/// `pcap_compile()` would give) or anywhere else.
///
/// Returns what the program returns: 0 rejects the packet, anything else accepts it. As with
/// libpcap, that value is not capped at `caplen`: a program from `pkt_compile()` with snaplen 0
/// returns 262144 for every packet it accepts. The bytes to keep are the smaller of the value
/// and `caplen`.
///
/// The program is checked at every call (as `pkt_setfilter()` checks it, in time proportional to
/// its length, without allocating for programs of up to 4096 instructions) and never runs out
/// of bounds: an invalid program rejects every packet (0), and `pkt_errmsg()` then says why
/// (`pkt_errno()` is `-EINVAL`). So do a NULL `prog` with `len` > 0, and `len` 0: no program at
/// all rejects every packet, as `pcap_offline_filter()` does for a program without
/// instructions (`pkt_compile("")` gives one that accepts every packet). A NULL `data` with
/// `caplen` > 0 also returns 0 with `-EINVAL`; with `caplen` 0 the program runs on no bytes.
/// A valid program leaves `pkt_errmsg()` alone, whatever it returns. Valid means what the
/// kernel accepts (see `pkt_setfilter()`), up to 65536 instructions: stricter than libpcap's
/// `bpf_validate()`, which also passes opcodes its interpreter aborts on, shifts by 32 or more,
/// reads of scratch memory never written, and backward jumps (libpcap's own `protochain`
/// programs loop that way; `pkt_compile()` unrolls the loop instead).
///
/// Semantics: libpcap's `bpf_filter()`, which `pcap_offline_filter()` runs, so the result is
/// the one libpcap gives for every valid program. A packet load outside the `caplen` bytes and a
/// division by an X of 0 end the program with 0; `ld len` loads `wirelen` (whatever it is,
/// also below `caplen`). Nothing else is known about the packet offline, so, as in libpcap, an
/// ancillary load (`SKF_AD_OFF + ...`: protocol, pkttype, ifindex, VLAN tag, ...) and any other
/// negative offset (`SKF_NET_OFF`, `SKF_LL_OFF`) end the program with 0: a program that uses
/// them (`vlan` in the live form, `PKT_COMPILE_LIVE`; `inbound`/`outbound` for
/// `PKT_DLT_EN10MB`, whose header has no direction, in either form) rejects every packet on
/// which it reaches one. An indirect load whose X + k overflows 32 bits ends
/// the program with 0, and a shift by an X of 32 or more gives 0. (A program attached to a
/// handle runs with the kernel's semantics instead, where those loads have values, X + k
/// wraps, and shift counts are taken modulo 32.)
///
/// Ownership: nothing is kept or allocated. Thread safety: any thread; no handle is involved.
///
/// # Safety
/// `prog` is NULL or points to `len` instructions; `data` is NULL or points to `caplen`
/// readable bytes; neither changes during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_offline_filter(
    prog: *const pkt_bpf_insn_t,
    len: usize,
    data: *const u8,
    caplen: u32,
    wirelen: u32,
) -> u32 {
    // A panic (none is known) rejects the packet: Option's fallback is None.
    guard("pkt_offline_filter", || {
        // SAFETY: `prog` points to `len` instructions per the contract.
        let prog = unsafe { slice(prog, len, "pkt_offline_filter: prog") };
        // SAFETY: `data` points to `caplen` bytes per the contract.
        let data = unsafe { slice(data, caplen as usize, "pkt_offline_filter: data") };
        let (prog, data) = match (prog, data) {
            (Ok(p), Ok(d)) => (p, d),
            (Err(e), _) | (_, Err(e)) => {
                fail(&e);
                return Some(0);
            }
        };
        if !filter::is_valid(prog) {
            // Only here, for a program that cannot run, is the reason worth an allocation.
            let why = filter::validate(prog).err().unwrap_or_default();
            fail(&Error::with_detail(Errno::EINVAL, "pkt_offline_filter", why));
            return Some(0);
        }
        Some(filter::run_offline(prog, data, wirelen))
    })
    .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::*;

    /// The opcodes used here, from their fields (pkt-bpf keeps its table of them private).
    mod op {
        use crate::filter::*;
        pub const LD_H_ABS: u16 = BPF_LD | BPF_H | BPF_ABS;
        pub const LD_B_ABS: u16 = BPF_LD | BPF_B | BPF_ABS;
        pub const LD_W_LEN: u16 = BPF_LD | BPF_W | BPF_LEN;
        pub const LD_IMM: u16 = BPF_LD | BPF_IMM;
        pub const LDX_IMM: u16 = BPF_LDX | BPF_IMM;
        pub const LSH_X: u16 = BPF_ALU | BPF_LSH | BPF_X;
        pub const JEQ_K: u16 = BPF_JMP | BPF_JEQ | BPF_K;
        pub const RET_K: u16 = BPF_RET | BPF_K;
        pub const RET_A: u16 = BPF_RET | BPF_A;
    }

    fn offline(prog: &[Insn], data: &[u8], wirelen: u32) -> u32 {
        // SAFETY: both slices are valid for their lengths.
        unsafe {
            pkt_offline_filter(
                prog.as_ptr(),
                prog.len(),
                data.as_ptr(),
                data.len() as u32,
                wirelen,
            )
        }
    }

    const RET_A: Insn = Insn::stmt(op::RET_A, 0);

    #[test]
    fn arguments() {
        let accept = [Insn::stmt(op::RET_K, 262_144)];
        let frame = [0u8; 60];
        // The program's value, not capped at caplen (as libpcap).
        assert_eq!(offline(&accept, &frame, 60), 262_144);
        // SAFETY: NULL with a length is refused before anything is read.
        let r = unsafe { pkt_offline_filter(std::ptr::null(), 1, frame.as_ptr(), 60, 60) };
        assert_eq!(r, 0);
        assert_eq!(offline(&[], &frame, 60), 0);
        assert_eq!(crate::ffi::boundary::last_code(), -libc::EINVAL);
        // SAFETY: as above, for the data.
        let r = unsafe { pkt_offline_filter(accept.as_ptr(), 1, std::ptr::null(), 60, 60) };
        assert_eq!(r, 0);
        // No bytes at all: the program still runs; `ld len` is the wire length.
        let len = [Insn::stmt(op::LD_W_LEN, 0), RET_A];
        // SAFETY: NULL data with caplen 0 is an empty packet.
        let r = unsafe { pkt_offline_filter(len.as_ptr(), 2, std::ptr::null(), 0, 1514) };
        assert_eq!(r, 1514);
        // Invalid programs reject, with the reason.
        assert_eq!(offline(&[Insn::stmt(op::LD_IMM, 1)], &frame, 60), 0);
        assert_eq!(crate::ffi::boundary::last_code(), -libc::EINVAL);
    }

    #[test]
    fn loads_without_metadata() {
        let mut frame = [0u8; 60];
        frame[12] = 0x08;
        let ld = |code, k| [Insn::stmt(code, k), RET_A];
        // Outside the captured bytes: 0, even when the wire length says more.
        assert_eq!(offline(&ld(op::LD_H_ABS, 59), &frame, 1000), 0);
        assert_eq!(offline(&ld(op::LD_H_ABS, 12), &frame, 1000), 0x0800);
        // As libpcap: negative offsets and ancillary loads end the program with 0, whatever
        // path the program would take next.
        assert_eq!(offline(&ld(op::LD_H_ABS, SKF_LL_OFF + 12), &frame, 60), 0);
        assert_eq!(offline(&ld(op::LD_B_ABS, SKF_NET_OFF), &frame, 60), 0);
        for ad in [SKF_AD_VLAN_TAG_PRESENT, SKF_AD_PKTTYPE, SKF_AD_MARK] {
            let prog = [
                Insn::stmt(op::LD_B_ABS, SKF_AD_OFF + ad),
                Insn::jump(op::JEQ_K, 0, 0, 1),
                Insn::stmt(op::RET_K, 7),
                Insn::stmt(op::RET_K, 9),
            ];
            assert_eq!(offline(&prog, &frame, 60), 0, "SKF_AD_OFF + {ad}");
        }
        // A shift by 32 or more in X gives 0.
        let shift = [
            Insn::stmt(op::LD_IMM, 1),
            Insn::stmt(op::LDX_IMM, 33),
            Insn::stmt(op::LSH_X, 0),
            RET_A,
        ];
        assert_eq!(offline(&shift, &frame, 60), 0);
    }

    /// `pkt_setfilter_expr` on a savefile handle compiles for the file's byte order: DLT_NULL's
    /// address family is the writer's (libpcap's `pcap_is_swapped`).
    #[test]
    fn savefile_expressions_follow_the_files_byte_order() {
        use crate::ffi::{pkt_close, pkt_info_t, pkt_open_offline, pkt_read, pkt_t};
        let w32 = |v: &mut Vec<u8>, be: bool, x: u32| {
            v.extend_from_slice(&if be { x.to_be_bytes() } else { x.to_le_bytes() })
        };
        // A UDP datagram behind a family word of 2, written big- or little-endian.
        let null = |be: bool| {
            let mut v = Vec::new();
            w32(&mut v, be, 2);
            v.extend_from_slice(&[0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
            v.extend_from_slice(&[0; 8]);
            v
        };
        for be in [false, true] {
            // A pcap file (DLT_NULL) written in byte order `be`: one packet with the family
            // in that order, one with it in the other.
            let mut f = Vec::new();
            w32(&mut f, be, 0xa1b2_c3d4);
            w32(&mut f, be, if be { 0x0002_0004 } else { 0x0004_0002 });
            w32(&mut f, be, 0);
            w32(&mut f, be, 0);
            w32(&mut f, be, 65535);
            w32(&mut f, be, 0);
            for (sec, p) in [(1, null(be)), (2, null(!be))] {
                for x in [sec, 0, p.len() as u32, p.len() as u32] {
                    w32(&mut f, be, x);
                }
                f.extend_from_slice(&p);
            }
            let path = std::env::temp_dir().join(format!("pkt-swapped-{}-{be}.pcap", std::process::id()));
            std::fs::write(&path, &f).unwrap();
            let cpath = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
            // Whether each packet `expr` keeps has the family in the writer's byte order.
            let kept = |expr: &str| {
                let expr = std::ffi::CString::new(expr).unwrap();
                let mut h: *mut pkt_t = std::ptr::null_mut();
                let mut out = Vec::new();
                // SAFETY: valid strings and pointers; `h` is read by this thread only and
                // closed at the end.
                unsafe {
                    assert_eq!(pkt_open_offline(cpath.as_ptr(), std::ptr::null(), &mut h), 0);
                    assert_eq!(pkt_setfilter_expr(h, expr.as_ptr(), PKT_COMPILE_OPTIMIZE), 0);
                    let mut data: *const u8 = std::ptr::null();
                    let mut info: pkt_info_t = std::mem::zeroed();
                    // The captured length, 0 for a nil read, -ENODATA at the end.
                    loop {
                        let n = pkt_read(h, 0, &mut data, &mut info);
                        if n < 0 {
                            assert_eq!(n, -libc::ENODATA);
                            break;
                        }
                        if n > 0 {
                            let d = std::slice::from_raw_parts(data, n as usize);
                            out.push(d[..4] == null(be)[..4]);
                        }
                    }
                    assert_eq!(pkt_close(h), 0);
                }
                out
            };
            assert_eq!(kept("ip"), [true], "be {be}");
            assert_eq!(kept("link proto \\ip and udp"), [true], "be {be}");
            assert_eq!(kept("not ip"), [false], "be {be}");
            std::fs::remove_file(&path).unwrap();
        }
    }
}
