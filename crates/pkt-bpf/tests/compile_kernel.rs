//! The filter compiler's live form in the real kernel (issue 6): every expression of the
//! differential corpus (`tests/compile_diff/exprs/*.txt`) is compiled for EN10MB in the live
//! form (optimized and not), attached with `SO_ATTACH_FILTER` to a packet socket on a veth in a
//! private network namespace, and the whole Ethernet frames of the packet corpus
//! (`tests/compile_diff/packets.rs`) are sent through the veth: received from the peer (the
//! kernel strips the outer VLAN tag into metadata first) and sent from the captured interface
//! itself (`PACKET_OUTGOING`). For every frame and program:
//!
//! 1. the kernel delivers the frame exactly when `pkt_bpf::run` says the live program
//!    accepts what the kernel saw (bytes, length, VLAN metadata, packet type, ifindex), with the
//!    length the program returned;
//! 2. for untagged frames, the kernel's verdict equals the verdict of the *offline* program of
//!    the same expression on the same bytes: the live form means what the offline form means.
//!    Tagged frames are not comparable that way: the live form sees them untagged, so libpcap's
//!    live `host X` matches inside a VLAN where its offline `host X` does not (check 1 and the
//!    live differential test against libpcap cover them).
//!
//! No sleeps: after each burst a marker frame is sent from the peer, and a second socket whose
//! filter accepts only the marker waits for it (bounded by a timeout); frames go through one
//! CPU's backlog in order, so every earlier frame has been filtered by then.
//!
//! Needs root (skipped without; with CI=true that is a failure). The namespace is the test
//! thread's own (`unshare(CLONE_NEWNET)`), so it disappears with the thread, also on failure.

#[allow(dead_code)]
#[path = "compile_diff/corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "compile_diff/packets.rs"]
mod packets;
#[path = "compile_diff/random.rs"]
mod random;

use corpus::{corpus_exprs, env_u64, Expr};
use pkt_bpf::compile::{compile, Flags};
use pkt_bpf::{run, Insn, Meta};
use std::process::Command;
use std::time::{Duration, Instant};

const DLT_EN10MB: u16 = 1;
const SNAPLEN: u32 = 262_144;
/// The random expressions' seed (the random differential test's default).
const RANDOM_SEED: u64 = 0x1ac0_ffee;
/// Address of the capturing interface: the corpus's usual destination, so that most frames are
/// PACKET_HOST, some broadcast, multicast or other-host.
const V0_MAC: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const PACKET_HOST: u8 = 0;
const PACKET_BROADCAST: u8 = 1;
const PACKET_MULTICAST: u8 = 2;
const PACKET_OTHERHOST: u8 = 3;
const PACKET_OUTGOING: u8 = 4;
/// Ethertype and payload of the marker frame (IEEE local experimental ethertype).
const MARKER_TYPE: u16 = 0x88b5;
const MARKER_MAGIC: u32 = 0x6b65_726e;
/// Mismatches shown in full.
const SHOWN: usize = 12;

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn errno() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// A packet socket, closed on drop.
struct Sock(libc::c_int);

impl Drop for Sock {
    fn drop(&mut self) {
        // SAFETY: closing the descriptor this value owns.
        unsafe { libc::close(self.0) };
    }
}

impl Sock {
    /// A raw packet socket bound to `ifindex` for `protocol` (host order; 0: send only).
    fn bound(ifindex: i32, protocol: u16) -> Sock {
        // SAFETY: plain socket call; the descriptor is owned by the returned value.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                i32::from(protocol.to_be()),
            )
        };
        assert!(fd >= 0, "socket(AF_PACKET): {}", errno());
        let s = Sock(fd);
        // SAFETY: sockaddr_ll is plain data; all-zero is a valid value.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_protocol = protocol.to_be();
        sll.sll_ifindex = ifindex;
        // SAFETY: `sll` is a valid sockaddr_ll of the length passed.
        let rc = unsafe {
            libc::bind(
                s.0,
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0, "bind: {}", errno());
        s
    }

    fn setopt<T>(&self, level: i32, name: i32, v: &T) -> std::io::Result<()> {
        // SAFETY: `v` points at a live T of the size passed; the kernel copies it.
        let rc = unsafe {
            libc::setsockopt(
                self.0,
                level,
                name,
                (v as *const T).cast(),
                std::mem::size_of::<T>() as libc::socklen_t,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(errno())
        }
    }

    fn attach(&self, prog: &[Insn]) -> std::io::Result<()> {
        let fprog = libc::sock_fprog {
            len: prog.len() as u16,
            filter: prog.as_ptr() as *mut libc::sock_filter,
        };
        // Insn has the layout of struct sock_filter; the kernel copies the program.
        self.setopt(libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &fprog)
    }

    fn send(&self, frame: &[u8]) {
        // SAFETY: `frame` is valid for its length.
        let n = unsafe { libc::send(self.0, frame.as_ptr().cast(), frame.len(), 0) };
        assert_eq!(
            n,
            frame.len() as isize,
            "send of {} bytes: {}",
            frame.len(),
            errno()
        );
    }

    /// One frame without waiting, or None when the queue is empty: its length in `buf` and
    /// what the kernel says of it (packet type and, with PACKET_AUXDATA on, the VLAN tag it
    /// stripped: frames whose bytes are equal once untagged are told apart by it).
    fn recv(&self, buf: &mut [u8]) -> Option<(usize, Seen)> {
        // SAFETY: sockaddr_ll is plain data; all-zero is a valid value.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        // u64 words: aligned for cmsghdr.
        let mut control = [0u64; 16];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: msghdr is plain data; all-zero is a valid value.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = (&mut sll as *mut libc::sockaddr_ll).cast();
        msg.msg_namelen = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control);
        // SAFETY: `msg` points at live buffers of the lengths it states.
        let n = unsafe { libc::recvmsg(self.0, &mut msg, libc::MSG_DONTWAIT) };
        if n < 0 {
            let e = errno();
            assert_eq!(e.raw_os_error(), Some(libc::EAGAIN), "recvmsg: {e}");
            return None;
        }
        let mut seen = Seen {
            pkttype: sll.sll_pkttype,
            vlan: None,
        };
        // SAFETY: the CMSG_* walk stays inside `control`, which recvmsg filled up to
        // msg_controllen; the auxdata payload is read unaligned.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                if (*c).cmsg_level == libc::SOL_PACKET && (*c).cmsg_type == libc::PACKET_AUXDATA {
                    let aux: libc::tpacket_auxdata = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast());
                    if aux.tp_status & libc::TP_STATUS_VLAN_VALID != 0 {
                        seen.vlan = Some((aux.tp_vlan_tci, aux.tp_vlan_tpid));
                    }
                }
                c = libc::CMSG_NXTHDR(&msg, c);
            }
        }
        Some((n as usize, seen))
    }

    /// Waits until the socket is readable; false on timeout.
    fn wait(&self, timeout: Duration) -> bool {
        let mut p = libc::pollfd {
            fd: self.0,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut p, 1, timeout.as_millis() as i32) };
        assert!(rc >= 0, "poll: {}", errno());
        rc == 1
    }

    /// Packets dropped for lack of room since the last call (PACKET_STATISTICS).
    fn drops(&self) -> u32 {
        let mut st = libc::tpacket_stats {
            tp_packets: 0,
            tp_drops: 0,
        };
        let mut len = std::mem::size_of::<libc::tpacket_stats>() as libc::socklen_t;
        // SAFETY: `st`/`len` describe a valid tpacket_stats buffer.
        let rc = unsafe {
            libc::getsockopt(
                self.0,
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut st as *mut libc::tpacket_stats).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0, "PACKET_STATISTICS: {}", errno());
        st.tp_drops
    }
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("ip");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

fn ifindex(name: &str) -> i32 {
    let c = std::ffi::CString::new(name).unwrap();
    // SAFETY: `c` is a NUL-terminated string.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    assert!(i > 0, "if_nametoindex({name}): {}", errno());
    i as i32
}

fn pkttype_of(dst: &[u8]) -> u8 {
    if dst == [0xff; 6] {
        PACKET_BROADCAST
    } else if dst[0] & 1 == 1 {
        PACKET_MULTICAST
    } else if dst == V0_MAC {
        PACKET_HOST
    } else {
        PACKET_OTHERHOST
    }
}

fn is_vlan_tpid(t: u16) -> bool {
    t == 0x8100 || t == 0x88a8
}

/// What the kernel reports of a delivered frame besides its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    pkttype: u8,
    /// The outer tag the kernel stripped: (TCI, TPID).
    vlan: Option<(u16, u16)>,
}

/// One frame of a burst: what was sent, and what a filter on v0 sees of it.
struct Frame {
    desc: String,
    wire: Vec<u8>,
    /// The kernel's view: the outer tag stripped on the receive path.
    seen: Vec<u8>,
    meta: Meta,
    tagged: bool,
}

fn frames(v0: i32) -> (Vec<Frame>, Vec<Frame>) {
    let mut incoming = Vec::new();
    let mut outgoing = Vec::new();
    for p in packets::corpus().en10mb {
        let d = &p.data;
        // Whole frames only (a truncated capture cannot be sent), within the MTU; the kernel
        // drops a tagged frame too short to untag before any tap sees it.
        if d.len() as u32 != p.wirelen || d.len() < 14 || d.len() > 1514 {
            continue;
        }
        let et = u16::from_be_bytes([d[12], d[13]]);
        let tagged = is_vlan_tpid(et);
        if tagged && d.len() < 20 {
            continue;
        }
        let base = Meta {
            len: d.len() as u32,
            net_off: 14,
            protocol: et,
            pkttype: pkttype_of(&d[..6]),
            ifindex: v0,
            hatype: 1,
            ..Meta::default()
        };
        let (seen, meta) = if tagged {
            let seen = [&d[..12], &d[16..]].concat();
            let meta = Meta {
                len: seen.len() as u32,
                protocol: u16::from_be_bytes([d[16], d[17]]),
                vlan_present: true,
                vlan_tci: u16::from_be_bytes([d[14], d[15]]),
                vlan_tpid: et,
                ..base
            };
            (seen, meta)
        } else {
            (d.clone(), base)
        };
        if !tagged {
            let out = Meta {
                pkttype: PACKET_OUTGOING,
                ..base
            };
            outgoing.push(Frame {
                desc: format!("[out] {}", p.desc),
                wire: d.clone(),
                seen: d.clone(),
                meta: out,
                tagged: false,
            });
        }
        incoming.push(Frame {
            desc: format!("[in] {}", p.desc),
            wire: d.clone(),
            seen,
            meta,
            tagged,
        });
    }
    (incoming, outgoing)
}

/// Sets up v0/v1 in the calling thread's fresh network namespace; returns v0's ifindex.
fn lab() -> Result<i32, String> {
    // SAFETY: unshare affects only the calling thread, which this test owns.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return Err(format!("unshare(CLONE_NEWNET): {}", errno()));
    }
    ip(&["link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
    ip(&["link", "set", "v0", "address", "00:11:22:33:44:55"]);
    for dev in ["v0", "v1"] {
        ip(&["link", "set", dev, "mtu", "1500", "up"]);
    }
    // No IPv6 autoconfiguration or other traffic of the kernel's own: disable IPv6 on both.
    for dev in ["all", "default", "v0", "v1"] {
        let _ = std::fs::write(format!("/proc/sys/net/ipv6/conf/{dev}/disable_ipv6"), "1");
    }
    // One CPU: every frame goes through the same backlog, in order.
    // SAFETY: cpu_set_t is plain data; CPU_SET on a zeroed set, sched_setaffinity(0) = this
    // thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
    Ok(ifindex("v0"))
}

#[derive(Default)]
struct Tally {
    programs: usize,
    frames: usize,
    delivered: usize,
    /// Check 1 failures: the kernel and the interpreter disagree on the live program.
    live: usize,
    /// Check 2 failures: the live program's verdict differs from the offline program's.
    twin: usize,
    /// Tagged frames, left out of check 2.
    tagged: usize,
    /// Programs of expressions with `vlan`, left out of check 2.
    no_twin: usize,
    /// Expressions with `vlan` the live form refuses and the offline form takes.
    vlan_live_rejects: usize,
    compile_errors: usize,
    /// Programs reading ancillary fields `Meta` does not carry (attached, not compared).
    unmodelled: usize,
    shown: Vec<String>,
}

/// Keeps the first [`SHOWN`] reports of each kind (the word before the first space).
fn show(t: &mut Tally, s: String) {
    let kind = s.split(' ').next().unwrap_or("");
    if t.shown
        .iter()
        .filter(|x| x.split(' ').next() == Some(kind))
        .count()
        < SHOWN
    {
        t.shown.push(s);
    }
}

/// The first ancillary load of `prog` whose field `pkt_bpf::run` does not model (it drops
/// the packet there, the kernel reads the socket buffer).
fn unmodelled(prog: &[Insn]) -> Option<u32> {
    use pkt_bpf::*;
    const MODELLED: [u32; 9] = [
        SKF_AD_PROTOCOL,
        SKF_AD_PKTTYPE,
        SKF_AD_IFINDEX,
        SKF_AD_HATYPE,
        SKF_AD_VLAN_TAG,
        SKF_AD_VLAN_TAG_PRESENT,
        SKF_AD_VLAN_TPID,
        SKF_AD_ALU_XOR_X,
        SKF_AD_RXHASH,
    ];
    prog.iter()
        .filter(|i| i.code & 0x07 == BPF_LD && i.code & 0xe0 == BPF_ABS && i.k >= SKF_AD_OFF)
        .map(|i| i.k - SKF_AD_OFF)
        .find(|ad| !MODELLED.contains(ad))
}

/// Runs `f` as root in a thread of its own (its network namespace goes away with it), or skips
/// (a failure with CI=true).
fn as_root(f: impl FnOnce() + Send + 'static) {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        assert!(!ci(), "compile_kernel: not root (CI=true: a skip is a failure)");
        eprintln!("compile_kernel: SKIPPED (needs root for a network namespace)");
        return;
    }
    std::thread::spawn(f).join().unwrap();
}

#[test]
fn live_programs_filter_real_frames() {
    as_root(|| frames_through_kernel("corpus", &corpus_exprs()));
}

/// The same with random expressions of the language (`tests/compile_diff/random.rs`, its
/// default seed; COMPILE_KERNEL_RANDOM_N expressions, default 600 in debug builds, 3000 with
/// optimizations).
#[test]
fn random_live_programs_filter_real_frames() {
    let n = env_u64("COMPILE_KERNEL_RANDOM_N")
        .map_or(if cfg!(debug_assertions) { 600 } else { 3000 }, |n| n as usize);
    let exprs = random::exprs(RANDOM_SEED, n);
    as_root(move || frames_through_kernel("random", &exprs));
}

fn frames_through_kernel(name: &str, exprs: &[Expr]) {
    let started = Instant::now();
    let v0 = match lab() {
        Ok(i) => i,
        Err(why) => {
            assert!(!ci(), "compile_kernel: {why}");
            eprintln!("compile_kernel: SKIPPED ({why})");
            return;
        }
    };
    let v1 = ifindex("v1");
    let cap = Sock::bound(v0, libc::ETH_P_ALL as u16);
    let barrier = Sock::bound(v0, libc::ETH_P_ALL as u16);
    let tx_in = Sock::bound(v1, 0);
    let tx_out = Sock::bound(v0, 0);
    // Room for a whole burst of delivered frames: nothing may be dropped for lack of room.
    cap.setopt(libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &(64i32 << 20))
        .expect("SO_RCVBUFFORCE");
    cap.setopt(libc::SOL_PACKET, libc::PACKET_AUXDATA, &1i32)
        .expect("PACKET_AUXDATA");
    let marker_prog = [
        Insn::stmt((libc::BPF_LD | libc::BPF_H | libc::BPF_ABS) as u16, 12),
        Insn::jump(
            (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            u32::from(MARKER_TYPE),
            0,
            3,
        ),
        Insn::stmt((libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16, 14),
        Insn::jump(
            (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            MARKER_MAGIC,
            0,
            1,
        ),
        Insn::stmt((libc::BPF_RET | libc::BPF_K) as u16, 0xffff),
        Insn::stmt((libc::BPF_RET | libc::BPF_K) as u16, 0),
    ];
    barrier.attach(&marker_prog).expect("marker filter");
    let mut marker = vec![0xffu8; 6];
    marker.extend([0x02, 0, 0, 0, 0, 0x99]);
    marker.extend(MARKER_TYPE.to_be_bytes());
    marker.extend(MARKER_MAGIC.to_be_bytes());
    marker.resize(60, 0);

    let (incoming, outgoing) = frames(v0);
    assert!(incoming.len() > 200 && outgoing.len() > 100, "corpus too small");
    let mut t = Tally::default();
    let mut buf = vec![0u8; 65536];
    for Expr { origin, text: expr } in exprs {
        for optimize in [false, true] {
            let cfg = |live| Flags {
                optimize,
                live,
                savefile: false,
                swapped: false,
            };
            // With `vlan`, offline and live mean different things even for untagged frames:
            // offline the tag is in the bytes and `vlan` shifts every later offset, also across
            // `or` (`vlan 2 or ip proto \esp` reads the protocol 4 bytes further on); live it is
            // metadata. libpcap's forms differ the same way (the live one is checked against
            // libpcap's by compile_diff's live test). Only check 1 applies to those.
            let twin = !expr
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == "vlan");
            let (live_prog, offline_prog) = match (
                compile(expr, DLT_EN10MB, SNAPLEN, cfg(true)),
                compile(expr, DLT_EN10MB, SNAPLEN, cfg(false)),
            ) {
                (Ok(a), Ok(b)) => (a, twin.then_some(b)),
                (Err(_), Err(_)) => continue,
                // `ip and vlan`, optimized: offline the tag is in the bytes and the two tests
                // contradict each other; live, `vlan` is metadata.
                (Ok(a), Err(_)) if !twin => (a, None),
                // Live, a `vlan` makes later offsets variable: `vlan and ip protochain 6` is
                // refused there, as libpcap refuses it.
                (Err(_), Ok(_)) if !twin => {
                    t.vlan_live_rejects += 1;
                    continue;
                }
                (a, b) => {
                    // Otherwise the live and offline forms accept the same language on Ethernet.
                    t.compile_errors += 1;
                    show(
                        &mut t,
                        format!(
                            "COMPILE {origin} `{expr}` O{}: live {:?} offline {:?}",
                            u8::from(optimize),
                            a.err(),
                            b.err()
                        ),
                    );
                    continue;
                }
            };
            if offline_prog.is_none() {
                t.no_twin += 1;
            }
            if live_prog.len() > pkt_bpf::KERNEL_MAX_INSNS {
                continue;
            }
            if let Some(ad) = unmodelled(&live_prog) {
                // libpcap's `pppoes and inbound` reads SKF_AD_QUEUE (its offset is relative to
                // the PPP header), as ours does on purpose; the metadata behind it is not in
                // `Meta`, so `pkt_bpf::run` drops. Attach it (the kernel must accept it),
                // but its verdicts cannot be predicted here.
                cap.attach(&live_prog).unwrap_or_else(|e| {
                    panic!("{origin} `{expr}`: the kernel refuses our live program: {e}")
                });
                t.unmodelled += 1;
                show(
                    &mut t,
                    format!(
                        "UNMODELLED {origin} `{expr}` O{}: reads ancillary field {ad}",
                        u8::from(optimize)
                    ),
                );
                continue;
            }
            cap.attach(&live_prog)
                .unwrap_or_else(|e| panic!("{origin} `{expr}`: the kernel refuses our live program: {e}"));
            // Anything queued before the new filter took effect is from no burst of ours.
            while cap.recv(&mut buf).is_some() {}
            t.programs += 1;
            for f in &incoming {
                tx_in.send(&f.wire);
            }
            for f in &outgoing {
                tx_out.send(&f.wire);
            }
            tx_in.send(&marker);
            assert!(
                barrier.wait(Duration::from_secs(10)),
                "marker frame not seen within 10 s"
            );
            while barrier.recv(&mut buf).is_some() {}
            let mut got_in = Vec::new();
            let mut got_out = Vec::new();
            while let Some((n, seen)) = cap.recv(&mut buf) {
                if buf[..n.min(14)].ends_with(&MARKER_TYPE.to_be_bytes())
                    && n >= 18
                    && buf[14..18] == MARKER_MAGIC.to_be_bytes()
                {
                    continue;
                }
                let v = (buf[..n].to_vec(), seen);
                if seen.pkttype == PACKET_OUTGOING {
                    got_out.push(v);
                } else {
                    got_in.push(v);
                }
            }
            assert_eq!(cap.drops(), 0, "the capture socket dropped frames");
            for (burst, got) in [(&incoming, got_in), (&outgoing, got_out)] {
                check(
                    &mut t,
                    origin,
                    expr,
                    optimize,
                    &live_prog,
                    offline_prog.as_deref(),
                    burst,
                    &got,
                );
            }
        }
    }
    eprintln!(
        "compile_kernel {name}: {} programs ({} expressions × optimize off/on), {} frames sent through the kernel, {} delivered; \
         live program: {} frames where kernel and interpreter disagree; offline twin: {} differing verdicts \
         ({} tagged frames and {} programs with `vlan` not compared); {} live/offline accept differences \
         ({} `vlan` expressions only the offline form takes); {} programs with unmodelled ancillary loads attached only; {:.1} s",
        t.programs,
        exprs.len(),
        t.frames,
        t.delivered,
        t.live,
        t.twin,
        t.tagged,
        t.no_twin,
        t.compile_errors,
        t.vlan_live_rejects,
        t.unmodelled,
        started.elapsed().as_secs_f64()
    );
    for s in &t.shown {
        eprintln!("{s}");
    }
    assert_eq!(
        t.live + t.twin + t.compile_errors,
        0,
        "compile_kernel: mismatches (above)"
    );
}

/// Matches the frames the kernel delivered (in order) against the burst and checks both
/// verdicts for every frame.
#[allow(clippy::too_many_arguments)]
fn check(
    t: &mut Tally,
    origin: &str,
    expr: &str,
    optimize: bool,
    live_prog: &[Insn],
    offline_prog: Option<&[Insn]>,
    burst: &[Frame],
    got: &[(Vec<u8>, Seen)],
) {
    let o = u8::from(optimize);
    let mut next = got.iter().peekable();
    for f in burst {
        t.frames += 1;
        let want = run(live_prog, &f.seen, &f.meta);
        let want_len = (want as usize).min(f.seen.len());
        // The delivered frame, if it is this one. Programs return 0 or the snap length, so a
        // delivered frame is whole; one cut short would stay unmatched and be reported below.
        let expect = Seen {
            pkttype: f.meta.pkttype,
            vlan: f.meta.vlan_present.then_some((f.meta.vlan_tci, f.meta.vlan_tpid)),
        };
        let delivered = match next.peek() {
            Some((g, seen)) if *g == f.seen && *seen == expect => next.next().map(|(g, _)| g),
            _ => None,
        };
        if delivered.is_some() {
            t.delivered += 1;
        }
        let ok = match delivered {
            Some(g) => want != 0 && g.len() == want_len,
            None => want == 0,
        };
        if !ok {
            t.live += 1;
            show(
                t,
                format!(
                    "LIVE {origin} `{expr}` O{o}: {}: kernel delivered {:?} bytes, interpreter says {want} of {}",
                    f.desc,
                    delivered.map(|g| g.len()),
                    f.seen.len()
                ),
            );
        }
        // The offline twin reads the frame as sent. A tagged frame is not comparable: the live
        // form sees it untagged (libpcap's live `host X` matches inside a VLAN, its offline
        // `host X` does not); check 1 and the live differential test cover those.
        let Some(offline_prog) = offline_prog else {
            continue;
        };
        if f.tagged {
            t.tagged += 1;
            continue;
        }
        let kernel = delivered.is_some();
        let twin = run(offline_prog, &f.wire, &f.meta) != 0;
        if kernel != twin {
            {
                t.twin += 1;
                show(
                    t,
                    format!(
                        "TWIN {origin} `{expr}` O{o}: {}: the live program (in the kernel) says {kernel}, the offline program {twin}",
                        f.desc
                    ),
                );
            }
        }
    }
    if let Some((g, seen)) = next.next() {
        t.live += 1;
        show(
            t,
            format!(
                "LIVE {origin} `{expr}` O{o}: the kernel delivered a frame of {} bytes ({seen:?}) not matched in order",
                g.len()
            ),
        );
    }
}

/// Random expressions and mutations of them (characters deleted, tokens inserted, halves
/// swapped): compiling never panics, and every program that compiles, for every link type,
/// offline or live, optimized or not, passes `pkt_bpf::validate` and the kernel's checker
/// (`SO_ATTACH_FILTER` on an unbound packet socket, which receives nothing). COMPILE_KERNEL_FUZZ_N
/// base expressions (default 500 in debug builds, 3000 with optimizations), three mutants each.
#[test]
fn random_programs_pass_the_kernel_checker() {
    let n = env_u64("COMPILE_KERNEL_FUZZ_N")
        .map_or(if cfg!(debug_assertions) { 500 } else { 3000 }, |n| n as usize);
    as_root(move || fuzz(n));
}

fn fuzz(n: usize) {
    // Mutated expressions name unknown hosts: in a network namespace of its own (loopback
    // only, down), the resolver fails at once instead of asking the machine's DNS server.
    // SAFETY: unshare(CLONE_NEWNET) changes only this thread's network namespace.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    assert_eq!(rc, 0, "unshare: {}", errno());
    const PIECES: [&str; 24] = [
        " and ",
        " or ",
        "not ",
        "!",
        "(",
        ")",
        "[",
        "]",
        ":",
        "=",
        " 0",
        "-",
        "/",
        "ip6 ",
        "vlan ",
        "0x",
        "\\",
        "&&",
        " 4294967295",
        "tcp[",
        "len",
        " mask ",
        "/33",
        "::",
    ];
    let started = Instant::now();
    // SAFETY: plain socket call; the descriptor is owned by `sock`.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
    assert!(fd >= 0, "socket(AF_PACKET): {}", errno());
    let sock = Sock(fd);
    let mut rng = packets::Rng(0x5eed_f00d);
    let mut exprs = Vec::new();
    for e in random::exprs(RANDOM_SEED ^ 0xf022, n) {
        let chars: Vec<char> = e.text.chars().collect();
        for m in 0..3 {
            let a = rng.below(chars.len().max(1)).min(chars.len());
            let b = (a + 1 + rng.below(8)).min(chars.len());
            let mut v: Vec<char> = match m {
                0 => [&chars[..a], &chars[b..]].concat(),
                1 => {
                    let piece: Vec<char> = rng.pick(&PIECES).chars().collect();
                    [&chars[..a], &piece[..], &chars[a..]].concat()
                }
                _ => [&chars[a..], &[' '][..], &chars[..a]].concat(),
            };
            v.retain(|c| *c != '\n');
            exprs.push(v.into_iter().collect::<String>());
        }
        exprs.push(e.text);
    }
    let (mut compiled, mut rejected, mut too_long) = (0usize, 0usize, 0usize);
    // Ethernet, raw IP, cooked; radiotap, Prism (prologues with jumps) and PFLOG.
    let lts = [DLT_EN10MB, 12, 101, 113, 276, 127, 119, 117];
    for e in &exprs {
        for lt in lts {
            for optimize in [false, true] {
                for live in [false, true] {
                    match compile(
                        e,
                        lt,
                        SNAPLEN,
                        Flags {
                            optimize,
                            live,
                            savefile: false,
                            swapped: false,
                        },
                    ) {
                        Ok(prog) if prog.len() > pkt_bpf::KERNEL_MAX_INSNS => too_long += 1,
                        Ok(prog) => {
                            compiled += 1;
                            let cfg = format!("link type {lt}, optimize {optimize}, live {live}");
                            if let Err(why) = pkt_bpf::validate(&prog) {
                                panic!("`{e}` ({cfg}): pkt_bpf::validate refuses our program: {why:?}");
                            }
                            if let Err(why) = sock.attach(&prog) {
                                panic!("`{e}` ({cfg}): the kernel refuses our program: {why}");
                            }
                        }
                        Err(_) => rejected += 1,
                    }
                }
            }
        }
    }
    eprintln!(
        "compile_kernel fuzz: {} expressions ({n} random, 3 mutants each) × {} link types × optimize × live: \
         {compiled} programs passed the kernel's checker, {rejected} rejected by the compiler, {too_long} over 4096 \
         instructions; {:.1} s",
        exprs.len(),
        lts.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        compiled > exprs.len(),
        "too few programs compiled: the generator is off"
    );
}
