//! Filter expressions (tcpdump syntax) compiled to classic BPF, without libpcap.

use std::ffi::{c_char, c_int, CStr};
use std::net::Ipv4Addr;

use super::boundary::{einval, guard, guard_int, put};
use super::pkt_bpf_insn_t;
use crate::error::{Errno, Error};
use crate::filter::compile::{compile_netmask, Flags, NETMASK_UNKNOWN};
use crate::filter::Insn;

/// `pkt_compile` flag: optimize the program (as `pcap_compile` with `optimize` 1).
pub const PKT_COMPILE_OPTIMIZE: u32 = 1;
/// `pkt_compile` flag: the live form, for `pkt_setfilter` on a handle: the kernel has removed
/// the outer VLAN tag from the bytes, and `vlan`, `inbound`/`outbound` and `ifindex` use the
/// socket's metadata (as libpcap does for a live Linux capture); for the cooked link types the
/// program sees packets from the network header on. Without it, the offline form: libpcap's
/// program for a `pcap_open_dead` handle, which tests the bytes as stored in a savefile, except
/// that `inbound`/`outbound` (Ethernet, raw IP) and `ifindex` (all but LINUX_SLL2, whose header
/// has the field) are ancillary loads of the packet's metadata, as libpcap on Linux emits them
/// (its savefile handle refuses them instead).
pub const PKT_COMPILE_LIVE: u32 = 2;
/// `pkt_compile` flag: the offline form as libpcap compiles it for a savefile handle
/// (`pcap_open_offline`) rather than a dead one: `inbound`/`outbound` and `ifindex` are refused
/// where the link-layer header has no such field ("... not supported on Ethernet when reading
/// savefiles"), and on `PKT_DLT_NULL` and LOOP (108) `ip6` tests the address families of the
/// BSDs and macOS (24, 28, 30) instead of Linux's (10). Ignored with `PKT_COMPILE_LIVE`.
pub const PKT_COMPILE_SAVEFILE: u32 = 4;
/// `pkt_compile` flag, with `PKT_COMPILE_SAVEFILE`: the savefile was written in the other byte
/// order than this host's (libpcap's `pcap_is_swapped()`; `pkt_setfilter_expr()` knows it for
/// its savefile handles). On `PKT_DLT_NULL` and ENC (109), whose address family word is in the
/// writer's byte order, the family is then compared byte-swapped, as libpcap does. Ignored
/// without `PKT_COMPILE_SAVEFILE` and with `PKT_COMPILE_LIVE`.
pub const PKT_COMPILE_SWAPPED: u32 = 8;

/// Compiles the filter expression `expr` (the language of tcpdump and pcap-filter(7), as
/// libpcap 1.10 accepts it) into a classic BPF program for packets of pcap link type
/// `linktype`: `PKT_DLT_EN10MB`, `PKT_DLT_RAW` (12, OpenBSD's 14, LINKTYPE_RAW 101),
/// `PKT_DLT_LINUX_SLL`, `PKT_DLT_LINUX_SLL2`, and NULL 0, IEEE802 (Token Ring) 6, ARCNET 7, PPP
/// 9, FDDI 10, PPP_SERIAL 50, PPP_ETHER 51, C_HDLC 104, IEEE802_11 105 (`PKT_DLT_IEEE802_11`),
/// LOOP 108, PFLOG 117, PRISM_HEADER 119, IEEE802_11_RADIO 127 (`PKT_DLT_IEEE802_11_RADIO`,
/// radiotap), SUNATM 123 (with `vpi`, `vci`, `lane`,
/// `oamf4`, ...), ARCNET_LINUX 129, IEEE802_11_RADIO_AVS 163, PPI 192, IPV4 228, IPV6 229, and any
/// other value of 104 to 289 whose header libpcap does not decode (NFLOG 239, MPLS 219, ...:
/// `link[...]` and lengths only), each as libpcap's generator takes it (see the pkt-bpf crate's
/// documentation for the header of each, and for the 802.11 keywords `wlan addr1`..`addr4`,
/// `ra`, `ta`, `type`, `subtype`, `dir`, `radio[...]` and the pf ones `on`, `ruleset`, `rnr`,
/// `srnr`, `reason`, `action`); also the fixed-header link types SLIP 8, SLIP_BSDOS 15,
/// PPP_BSDOS 16, ATM_RFC1483 11, ATM_CLIP 19, SYMANTEC_FIREWALL 99, FRELAY 107, ENC 109, LTALK
/// 114, IP_OVER_FC 122, APPLE_IP_OVER_IEEE1394 138, PPP_PPPD 166, MFR 182, Juniper's (130-137,
/// 164, 167, 168, 178-181, 183, 194, 200, 232-234, 238), BACNET_MS_TP 165, IPNET 226,
/// NETANALYZER 240, NETANALYZER_TRANSPARENT 241, and the SS7 ones MTP2 140, MTP2_WITH_PHDR 139,
/// ERF 197 (`fisu`, `lssu`, `msu`, `sio`, `opc`, `dpc`, `sls` and the `h...` forms), and ARCnet
/// addresses (`link host $N`) on ARCNET; `pkt_dlt_from_name()` maps libpcap's names to values.
/// Link types libpcap has code of its own for that libpkt lacks (IEEE802_11's AIRONET_HEADER
/// 120, HHDLC 121, ...) are `-EINVAL`. Accepted packets return `snaplen` (0: 262144), rejected ones 0. The
/// program accepts and rejects what libpcap's `pcap_compile()` on a `pcap_open_dead(linktype,
/// snaplen)` handle does. `flags`: `PKT_COMPILE_OPTIMIZE`, `PKT_COMPILE_SAVEFILE` (with
/// `PKT_COMPILE_SWAPPED` for a file in the other byte order), `PKT_COMPILE_LIVE` (for handles
/// whose data starts at the link-layer header give `PKT_DLT_EN10MB`, for cooked handles
/// `pkt_dlt(h)`); 0 is the offline form, unoptimized. An empty expression accepts every
/// packet.
///
/// Returns 0 and sets `*prog` and `*len`. Errors: `-EINVAL` NULL `expr`, `prog` or `len`,
/// unknown flags or link type, or an expression that does not compile (`pkt_errmsg()` gives
/// the byte position in `expr` and the problem, e.g. "position 9: syntax error: unexpected end
/// of expression"); `-E2BIG` the program would be longer than 4096 instructions, what the
/// kernel accepts; `-ENOMEM`. Names (hosts, ports, protocols, ethers) are resolved as libpcap
/// resolves them, which may block on DNS.
///
/// Any text is safe to pass: nothing in the compiler recurses in proportion to the expression,
/// and `pkt_compile` needs at most 64 KiB of stack whatever the input (measured: less than
/// 36 KiB in a debug build, 16 KiB in release). Nesting (parentheses, `not`, unary minus, loads, `%` and `^` operands) deeper
/// than 10000 levels is `-EINVAL` ("expression nested too deeply (more than 10000 levels)"), as
/// libpcap's parser refuses about that much; an expression whose program would be far beyond
/// the kernel's limit is refused as soon as that is clear, without building all of it:
/// `-E2BIG`, or with `PKT_COMPILE_OPTIMIZE` `-EINVAL` "filter is too complex to optimize" (as
/// for any program of more than 12000 blocks, which the optimizer does not take).
///
/// Ownership: free `*prog` with `pkt_free_prog()`. Thread safety: any thread.
///
/// # Safety
/// `expr` is NULL or a NUL-terminated string; `prog` and `len` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_compile(
    expr: *const c_char,
    linktype: u16,
    snaplen: u32,
    flags: u32,
    prog: *mut *mut pkt_bpf_insn_t,
    len: *mut usize,
) -> c_int {
    // SAFETY: the contract is pkt_compile_to's.
    guard_int("pkt_compile", || unsafe {
        compile_to(
            "pkt_compile",
            expr,
            linktype,
            snaplen,
            flags,
            NETMASK_UNKNOWN,
            prog,
            len,
        )
    })
}

/// `pkt_compile_netmask` netmask: unknown (libpcap's `PCAP_NETMASK_UNKNOWN`, 255.255.255.255,
/// the same in either byte order): `ip broadcast` does not compile, as with `pkt_compile()`.
pub const PKT_NETMASK_UNKNOWN: u32 = 0xffff_ffff;

/// `pkt_compile()` for a capture on a network whose IPv4 netmask is `netmask`, in network byte
/// order: exactly what `pkt_lookupnet()` writes to its `mask` (0 for all interfaces).
/// `PKT_NETMASK_UNKNOWN` is `pkt_compile()`. The netmask only matters to `ip broadcast`, which
/// then compiles (otherwise it is `-EINVAL` "netmask not known, so 'ip broadcast' not
/// supported", as in libpcap): an IPv4 destination whose host part, the bits the netmask
/// leaves out, is all zeros or all ones. `net 10` and `net 10.1` are 10.0.0.0/8 and
/// 10.1.0.0/16 whatever the netmask, as in libpcap.
///
/// libpcap's `pcap_compile()` takes its netmask in host byte order (0xffffff00 for
/// 255.255.255.0) while `pcap_lookupnet()` returns it in network byte order, so a program that
/// hands one to the other (tcpdump does) gets the bytes reversed on a little-endian machine,
/// and its `ip broadcast` tests the first byte of the address. `pkt_compile_netmask(expr, lt,
/// snaplen, flags, mask, ...)` with `mask` from `pkt_lookupnet()` is `pcap_compile(p, &prog,
/// expr, optimize, ntohl(mask))`. `pkt_setfilter_expr()` does this for a handle.
///
/// Returns and errors as `pkt_compile()`.
///
/// Ownership: free `*prog` with `pkt_free_prog()`. Thread safety: any thread.
///
/// # Safety
/// `expr` is NULL or a NUL-terminated string; `prog` and `len` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_compile_netmask(
    expr: *const c_char,
    linktype: u16,
    snaplen: u32,
    flags: u32,
    netmask: u32,
    prog: *mut *mut pkt_bpf_insn_t,
    len: *mut usize,
) -> c_int {
    let mask = Ipv4Addr::from(netmask.to_ne_bytes());
    // SAFETY: the contract is pkt_compile_to's.
    guard_int("pkt_compile_netmask", || unsafe {
        compile_to(
            "pkt_compile_netmask",
            expr,
            linktype,
            snaplen,
            flags,
            mask,
            prog,
            len,
        )
    })
}

/// The text of a C expression: `-EINVAL` for NULL or text that is not UTF-8.
///
/// # Safety
/// `expr` is NULL or a NUL-terminated string.
pub(crate) unsafe fn expr_text<'a>(expr: *const c_char, what: &'static str) -> Result<&'a str, Error> {
    if expr.is_null() {
        return Err(einval(what, "NULL expression"));
    }
    // SAFETY: non-NULL and NUL-terminated per the contract.
    let text = unsafe { CStr::from_ptr(expr) };
    text.to_str()
        .map_err(|_| einval(what, "expression is not valid UTF-8"))
}

/// Compiles as `pkt_compile_netmask` does: the program, or the error with its errno
/// (`-E2BIG` for a program too long for the kernel, otherwise `-EINVAL` naming the position).
pub(crate) fn compile_expr(
    what: &'static str,
    text: &str,
    linktype: u16,
    snaplen: u32,
    flags: Flags,
    netmask: Ipv4Addr,
) -> Result<Vec<Insn>, Error> {
    compile_netmask(text, linktype, snaplen, flags, netmask).map_err(|e| {
        let errno = if e.is_too_long() {
            Errno(libc::E2BIG)
        } else {
            Errno::EINVAL
        };
        Error::with_detail(errno, what, e.to_string())
    })
}

/// The body of `pkt_compile` and `pkt_compile_netmask`.
///
/// # Safety
/// `expr` is NULL or a NUL-terminated string; `prog` and `len` are NULL or writable.
#[allow(clippy::too_many_arguments)]
unsafe fn compile_to(
    what: &'static str,
    expr: *const c_char,
    linktype: u16,
    snaplen: u32,
    flags: u32,
    netmask: Ipv4Addr,
    prog: *mut *mut pkt_bpf_insn_t,
    len: *mut usize,
) -> Result<c_int, Error> {
    if expr.is_null() || prog.is_null() || len.is_null() {
        return Err(einval(what, "NULL argument"));
    }
    if flags & !(PKT_COMPILE_OPTIMIZE | PKT_COMPILE_LIVE | PKT_COMPILE_SAVEFILE | PKT_COMPILE_SWAPPED) != 0 {
        return Err(einval(what, "unknown flags"));
    }
    // SAFETY: per the contract.
    let text = unsafe { expr_text(expr, what) }?;
    let f = Flags {
        optimize: flags & PKT_COMPILE_OPTIMIZE != 0,
        live: flags & PKT_COMPILE_LIVE != 0,
        savefile: flags & PKT_COMPILE_SAVEFILE != 0,
        // Meaningful only for a savefile's program (Flags::swapped's contract).
        swapped: flags & PKT_COMPILE_SWAPPED != 0
            && flags & PKT_COMPILE_SAVEFILE != 0
            && flags & PKT_COMPILE_LIVE == 0,
    };
    let insns = compile_expr(what, text, linktype, snaplen, f, netmask)?;
    let bytes = std::mem::size_of_val(insns.as_slice());
    // SAFETY: plain allocation; freed by pkt_free_prog with free().
    let p = unsafe { libc::malloc(bytes.max(1)) } as *mut Insn;
    if p.is_null() {
        return Err(Error::new(Errno(libc::ENOMEM), what));
    }
    // SAFETY: `p` has room for `insns.len()` instructions (malloc aligns for any type) and
    // does not overlap `insns`.
    unsafe { std::ptr::copy_nonoverlapping(insns.as_ptr(), p, insns.len()) };
    // SAFETY: both are non-NULL and writable per the contract.
    unsafe {
        put(prog, p);
        put(len, insns.len());
    }
    Ok(0)
}

/// Frees a program from `pkt_compile()` or `pkt_compile_netmask()`; NULL is ignored.
///
/// Thread safety: any thread.
///
/// # Safety
/// `prog` is NULL or a program from `pkt_compile()` or `pkt_compile_netmask()` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pkt_free_prog(prog: *mut pkt_bpf_insn_t) {
    guard("pkt_free_prog", || {
        // SAFETY: NULL or allocated with malloc by pkt_compile, per the contract.
        unsafe { libc::free(prog.cast()) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::{pkt_errmsg, PKT_DLT_EN10MB};

    #[test]
    fn netmask_in_network_byte_order() {
        let mut p: *mut pkt_bpf_insn_t = std::ptr::null_mut();
        let mut n = 0usize;
        // 255.255.255.0 as pkt_lookupnet writes it (the bytes in order).
        let mask = u32::from_ne_bytes([255, 255, 255, 0]);
        // SAFETY: valid C string and out-pointers.
        let rc = unsafe {
            pkt_compile_netmask(
                c"ip broadcast".as_ptr(),
                PKT_DLT_EN10MB,
                0,
                0,
                mask,
                &mut p,
                &mut n,
            )
        };
        assert_eq!(rc, 0);
        // SAFETY: `p` holds `n` instructions from pkt_compile_netmask.
        let got = unsafe { std::slice::from_raw_parts(p.cast::<Insn>(), n) }.to_vec();
        // SAFETY: `p` came from pkt_compile_netmask.
        unsafe { pkt_free_prog(p) };
        let want = compile_netmask(
            "ip broadcast",
            PKT_DLT_EN10MB,
            0,
            Flags::default(),
            Ipv4Addr::new(255, 255, 255, 0),
        )
        .unwrap();
        assert_eq!(got, want);
        // The host part is the last byte: the mask 0x000000ff in the program.
        assert!(got.iter().any(|i| i.k == 0xff), "{got:?}");
        // Unknown: as pkt_compile.
        // SAFETY: as above.
        let rc = unsafe {
            pkt_compile_netmask(
                c"ip broadcast".as_ptr(),
                PKT_DLT_EN10MB,
                0,
                0,
                PKT_NETMASK_UNKNOWN,
                &mut p,
                &mut n,
            )
        };
        assert_eq!(rc, -libc::EINVAL);
        // SAFETY: pkt_errmsg returns a NUL-terminated string.
        let msg = unsafe { CStr::from_ptr(pkt_errmsg()) }
            .to_string_lossy()
            .into_owned();
        assert!(msg.contains("netmask not known"), "{msg}");
    }

    /// `PKT_COMPILE_SWAPPED` is `Flags::swapped`, for savefile programs only: on NULL the
    /// family word (2 for `ip`) is compared byte-swapped.
    #[test]
    fn swapped_flag() {
        let compiled = |flags: u32| {
            let mut p: *mut pkt_bpf_insn_t = std::ptr::null_mut();
            let mut n = 0usize;
            // SAFETY: valid C string and out-pointers.
            let rc = unsafe { pkt_compile(c"ip".as_ptr(), 0, 0, flags, &mut p, &mut n) };
            assert_eq!(rc, 0);
            // SAFETY: `p` holds `n` instructions from pkt_compile.
            let got = unsafe { std::slice::from_raw_parts(p.cast::<Insn>(), n) }.to_vec();
            // SAFETY: `p` came from pkt_compile.
            unsafe { pkt_free_prog(p) };
            got
        };
        let flags = |swapped| Flags {
            savefile: true,
            swapped,
            ..Flags::default()
        };
        let plain = compiled(PKT_COMPILE_SAVEFILE);
        let swapped = compiled(PKT_COMPILE_SAVEFILE | PKT_COMPILE_SWAPPED);
        assert_eq!(
            plain,
            crate::filter::compile::compile("ip", 0, 0, flags(false)).unwrap()
        );
        assert_eq!(
            swapped,
            crate::filter::compile::compile("ip", 0, 0, flags(true)).unwrap()
        );
        assert_ne!(plain, swapped);
        let ks = |p: &[Insn]| p.iter().map(|i| i.k).collect::<Vec<_>>();
        // libpcap: htonl(af), or htonl(SWAPLONG(af)) for a swapped file.
        assert!(ks(&plain).contains(&2u32.to_be()), "{plain:?}");
        assert!(ks(&swapped).contains(&2u32.swap_bytes().to_be()), "{swapped:?}");
        // Without PKT_COMPILE_SAVEFILE it changes nothing.
        assert_eq!(compiled(PKT_COMPILE_SWAPPED), compiled(0));
    }

    #[test]
    fn compiles_and_frees() {
        let mut p: *mut pkt_bpf_insn_t = std::ptr::null_mut();
        let mut n = 0usize;
        // SAFETY: valid C string and out-pointers.
        let rc = unsafe {
            pkt_compile(
                c"tcp port 80".as_ptr(),
                PKT_DLT_EN10MB,
                0,
                PKT_COMPILE_OPTIMIZE,
                &mut p,
                &mut n,
            )
        };
        assert_eq!(rc, 0);
        assert!(n > 2 && !p.is_null());
        // SAFETY: `p` came from pkt_compile.
        unsafe { pkt_free_prog(p) };
        // SAFETY: NULL is allowed.
        unsafe { pkt_free_prog(std::ptr::null_mut()) };
        // SAFETY: as above.
        let rc = unsafe { pkt_compile(c"tcp port".as_ptr(), PKT_DLT_EN10MB, 0, 0, &mut p, &mut n) };
        assert_eq!(rc, -libc::EINVAL);
        // SAFETY: pkt_errmsg returns a NUL-terminated string.
        let msg = unsafe { CStr::from_ptr(pkt_errmsg()) }
            .to_string_lossy()
            .into_owned();
        assert!(msg.contains("position 8"), "{msg}");
        let big: Vec<String> = (0..600)
            .map(|i| format!("host 10.0.{}.{}", i / 256, i % 256))
            .collect();
        let big = std::ffi::CString::new(big.join(" or ")).unwrap();
        // SAFETY: as above.
        let rc = unsafe { pkt_compile(big.as_ptr(), PKT_DLT_EN10MB, 0, 0, &mut p, &mut n) };
        assert_eq!(rc, -libc::E2BIG);
        // SAFETY: as above; NULL out-pointer.
        let rc = unsafe {
            pkt_compile(
                c"tcp".as_ptr(),
                PKT_DLT_EN10MB,
                0,
                0,
                std::ptr::null_mut(),
                &mut n,
            )
        };
        assert_eq!(rc, -libc::EINVAL);
        // SAFETY: as above.
        let rc = unsafe { pkt_compile(c"tcp".as_ptr(), PKT_DLT_EN10MB, 0, 16, &mut p, &mut n) };
        assert_eq!(rc, -libc::EINVAL);
    }
}
