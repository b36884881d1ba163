//! A compiler from tcpdump filter expressions (pcap-filter(7), as libpcap 1.10 accepts them) to
//! classic BPF, in pure Rust.
//!
//! [`compile`] gives, for a link type and a snapshot length, a program that accepts and rejects
//! the same packets as libpcap's `pcap_compile()` on `pcap_open_dead(linktype, snaplen)`, and
//! returns the same length. Two forms:
//!
//! - offline (the default): the program tests packet bytes, as for a savefile; `inbound`,
//!   `outbound` and `ifindex` where the link-layer header has no such field are ancillary loads
//!   (`SKF_AD_PKTTYPE`, `SKF_AD_IFINDEX`), as libpcap emits them for a dead handle on Linux;
//! - live ([`Flags::live`]): for an `AF_PACKET` socket, where the kernel has removed the outer
//!   VLAN tag from the bytes and reports it, the packet type and the interface through
//!   ancillary loads (`SKF_AD_*`), as libpcap emits for a live Linux capture. For the cooked
//!   link types the program sees the packet from the network header on, and the fields of the
//!   cooked header become ancillary loads.
//!
//! A third form, [`Flags::savefile`], is libpcap's program for a savefile handle
//! (`pcap_open_offline`): it refuses `inbound`/`outbound`/`ifindex` where the header has no such
//! field, and on NULL/LOOP `ip6` tests every BSD's address family. With [`Flags::swapped`] it
//! is the program for a file in the other byte order than this host's, whose NULL and ENC
//! address family words libpcap compares byte-swapped.
//!
//! # Link types
//!
//! `linktype` is a pcap link type: a `DLT_*` value as libpcap has it on Linux, or the
//! `LINKTYPE_*` value of a savefile where the two differ (LINKTYPE_RAW 101). [`dlt_from_name`]
//! maps libpcap's names (`EN10MB`, `LINUX_SLL2`, ...) to values. Each link type is what libpcap
//! 1.10's code generator makes of it, header offsets and quirks included:
//!
//! | link type | value | header, and how `ip`, `ip6`, `arp`, `ether proto N` are tested |
//! |---|---|---|
//! | NULL | 0 | 4-byte address family in the capturing host's byte order, compared as this host's, or byte-swapped with [`Flags::swapped`] (`ip`: 2; `ip6`: Linux's 10, or with [`Flags::savefile`] 24, 28 or 30); other protocols never match |
//! | EN10MB | 1 | Ethernet: type field at 12, 802.3 length fields and LLC/SNAP as libpcap; `vlan`, `mpls`, `pppoed`/`pppoes`, `geneve` |
//! | IEEE802 | 6 | Token Ring without source routing: MACs at 2 (dst) and 8 (src), LLC at 14; Ethertypes where SNAP puts them (LLC + 6) |
//! | ARCNET | 7 | BSD ARCNET: 1-byte addresses, ARCNET type at 2 (`ip`: 212 or 240, `arp`: 213 or 241, `rarp` 214, `atalk` 221, `ip6` 196), payload at 6; `broadcast`/`multicast` test address 0 |
//! | PPP | 9 | `ff 03` and the PPP protocol at 2 (Ethertypes mapped: IPv4 0x21, IPv6 0x57, DECnet 0x27, AppleTalk 0x29, XNS 0x25, OSI 0x23, STP 0x31, IPX 0x2b); `mpls` is PPP 0x281 |
//! | FDDI | 10 | frame control, MACs at 1 (dst) and 7 (src), LLC at 13 |
//! | RAW | 12, 14, 101 | raw IP: `ip`/`ip6` test the version nibble, other protocols never match |
//! | PPP_SERIAL | 50 | as PPP (no `mpls`) |
//! | PPP_ETHER | 51 | a PPPoE session header (no Ethernet header): PPP protocol at 6, payload at 8 |
//! | C_HDLC | 104 | Cisco HDLC: Ethertype at 2 (OSI as 0xfefe), payload at 4; `mpls` |
//! | IEEE802_11 | 105 | 802.11: protocols on data frames only, in the LLC/SNAP header after the 802.11 header (24 bytes, 26 for QoS data frames: a variable payload offset computed at the start of the program); addresses by frame type and ToDS/FromDS (see below); `vlan` (no MPLS) |
//! | LOOP | 108 | as NULL, the family in network byte order |
//! | LINUX_SLL | 113 | Linux cooked v1: protocol at 14, packet type at 0 (`inbound`/`outbound`) |
//! | SUNATM | 123 | SunATM pseudo-header (protocol type, VPI at 1, VCI at 2), LLC at 4; protocols are LLC-encapsulated ones; `vpi`/`vci` (`N`, `OP N`, `(N or N)`), `metac`, `bcc`, `sc`, `ilmic`, `oamf4sc`, `oamf4ec`, `oam`, `oamf4`, `connectmsg`, `metaconnect`; `lane` makes the rest an Ethernet frame (after a 2-byte LANE header, LE control frames excluded). As in libpcap, `vpi != N` and `vci != N` test equality (its reversed relations negate only `>`/`>=`) |
//! | PFLOG | 117 | OpenBSD's pf log: its length (first byte, rounded up to 4) gives the payload offset; `ip`/`ip6` test the address family byte (2, Linux's 10), other protocols never match; `inbound`/`outbound` its direction byte (1, 2); `on`/`ifname`, `ruleset`, `rnr`, `srnr`, `reason`, `action` (see below) |
//! | PRISM_HEADER | 119 | 802.11 after a Prism header (144 bytes) or, as some drivers send on this type, an AVS header (its length at 4); `radio[...]` |
//! | IEEE802_11_RADIO | 127 | 802.11 after a radiotap header (its little-endian length at 2); when radiotap's flags field (with one presence word) has the data-pad bit, the payload's offset from the start of the packet is rounded up to 4, as libpcap does; `radio[...]` |
//! | ARCNET_LINUX | 129 | Linux ARCNET: type at 4, payload at 8 |
//! | IEEE802_11_RADIO_AVS | 163 | 802.11 after an AVS header (its length at 4); `radio[...]` |
//! | PPI | 192 | 802.11 after a PPI header (its little-endian length at 2): the program first checks that the PPI header's DLT is 802.11 (other packets never match); no `type`/`subtype`/`dir`, `vlan` nor `radio[...]`, as in libpcap |
//! | IPV4, IPV6 | 228, 229 | raw IPv4 or IPv6: the protocol is known (`ip` is true on IPV4), nothing in the bytes is tested for it |
//! | LINUX_SLL2 | 276 | Linux cooked v2: protocol at 0, interface index at 4, packet type at 10 |
//! | other values of 104 to 289 | | a header libpcap does not decode (NFLOG 239, MPLS 219, USB, ...): `link[...]`, `len`, `less`/`greater` and (dead handle) `inbound`/`outbound`/`ifindex` only; every protocol test is refused with libpcap's message ("NFLOG link-layer type filtering not implemented") |
//!
//! | SLIP, SLIP_BSDOS | 8, 15 | a 16- or 24-byte header, then IP: `ip`/`ip6` test the version nibble; on SLIP `inbound`/`outbound` test its first byte (`link[0] == 0`, `!= 0`) |
//! | PPP_BSDOS | 16 | PPP protocol at 5, payload at 24; `ip` is PPP_IP or Van Jacobson compressed/uncompressed TCP/IP |
//! | ATM_RFC1483, ATM_CLIP | 11, 19 | an LLC header first (protocols as on Token Ring); `llc` is true on ATM_RFC1483, refused on ATM_CLIP |
//! | SYMANTEC_FIREWALL, APPLE_IP_OVER_IEEE1394 | 99, 138 | an Ethertype at 6 (at 16), payload at 44 (at 18) |
//! | FRELAY | 107 | the frame control and NLPID at 2 (`ip`: 0x03cc, `ip6`: 0x038e, `iso`: CLNP, ES-IS, IS-IS; `iso proto N`: 0x0300 + N) |
//! | ENC | 109 | OpenBSD's enc: the address family at 0 in host byte order (as NULL), payload at 12 |
//! | LTALK | 114 | LocalTalk: `atalk` is always true, every other protocol false |
//! | IP_OVER_FC | 122 | Fibre Channel: MAC addresses at 2 (dst) and 10 (src) (`ether host`, `broadcast`, `multicast`), LLC at 16 |
//! | PPP_PPPD | 166 | as PPP; `inbound`/`outbound` the first byte (0, 1) |
//! | MFR | 182 | protocol tests refused ("Multi-link Frame Relay link-layer type filtering not implemented") |
//! | Juniper's | 130-137, 164, 167, 168, 178-181, 183, 194, 200, 232-234, 238 | every protocol test is the cookie's magic (`MGC`), `inbound`/`outbound` its direction bit; payload offsets as libpcap's (unset ones included) |
//! | BACNET_MS_TP | 165 | every protocol test is the MS/TP preamble 0x55ff |
//! | IPNET | 226 | Solaris' ipnet: the family byte at 1 (`ip` 2, `ip6` 26), `inbound`/`outbound` the direction at 2, payload at 24 |
//! | NETANALYZER, NETANALYZER_TRANSPARENT | 240, 241 | Ethernet after a 4-byte (12-byte) pseudo-header, with Ethernet's keywords (not `llc`, as libpcap) |
//! | MTP2, MTP2_WITH_PHDR, ERF | 140, 139, 197 | SS7: protocol tests refused; `fisu`, `lssu`/`lsu`, `msu`, `hfisu`, `hlssu`, `hmsu` (the length indicator), `sio`, `opc`, `dpc`, `sls`, `hsio`, `hopc`, `hdpc`, `hsls` with `N`, `OP N` or `(N or N)` (point codes encoded as in the message) |
//!
//! On ARCNET and ARCNET_LINUX `link host $N` (`link src $N`, `link dst $N`) tests an ARCnet
//! address byte as libpcap 1.10.3 reads `$N`: its `pcap_ether_aton` takes the `$` for a hex
//! digit, so the byte is 0xd0 plus N's first digit (`$21` is 0xd2); elsewhere it is refused
//! ("aid supported only on ARCnet").
//!
//! ```
//! use pkt_bpf::compile::{compile, dlt_from_name, Flags};
//! let o = Flags { optimize: true, ..Flags::default() };
//! let mtp2 = dlt_from_name("MTP2").unwrap();
//! assert!(compile("msu and sio 3 and dpc (1 or 2)", mtp2, 0, o).is_ok());
//! assert_eq!(compile("fisu", 1, 0, o).unwrap_err().msg, "'fisu' supported only on MTP2");
//! let slip = dlt_from_name("SLIP").unwrap();
//! assert!(compile("inbound and tcp port 22", slip, 0, o).is_ok());
//! let juniper = dlt_from_name("JUNIPER_ETHER").unwrap();
//! assert!(compile("outbound and ip", juniper, 0, o).is_ok());
//! ```
//!
//! Link types libpcap's generator has code of its own for that libpkt does not implement
//! (AIRONET_HEADER 120, HHDLC 121, ...) are refused at once ("link type 120 (...) is not
//! supported by libpkt's filter compiler").
//!
//! ## 802.11
//!
//! On the 802.11 link types (105, 119, 127, 163, 192) libpcap computes the offsets of the
//! 802.11 header (after a radio header) and of its payload in the first statements of the
//! program, with jumps inside them: such programs are not optimized (libpcap's `no_optimize`),
//! as libpcap does not; with only a radio header's length to compute (tests of addresses, of
//! the frame control field) the program is optimized. Keywords:
//!
//! - `ether`/`wlan host|src|dst ADDR`: the source is addr2 (no FromDS), addr3 (FromDS) or addr4
//!   (both DS bits) of data frames, addr2 of management frames; the destination addr1 or, with
//!   ToDS, addr3; control frames have neither. `broadcast` and `multicast` test the destination.
//! - `wlan addr1|addr2|addr3|addr4|ra|ta ADDR` (also `address1` ...): the address fields as
//!   libpcap tests them (addr2 not in CTS and ACK, addr3 not in control frames, addr4 with both
//!   DS bits, `ra` and `ta` on data frames). Elsewhere they are refused as libpcap refuses them
//!   ("'addr1' and 'address1' are only supported on 802.11 with 802.11 headers" on Ethernet,
//!   "... are not valid qualifiers for addresses other than 802.11 MAC addresses" with IP).
//! - `type mgt|ctl|data|N [subtype NAME|N]`, `subtype NAME`, `dir nods|tods|fromds|dstods|N`:
//!   the frame control field, with libpcap's names (`beacon`, `probe-req`, `assoc-req`, `rts`,
//!   `cts`, `ack`, `qos-data`, `null`, ...) and checks of numbers ("invalid 802.11 type value
//!   0x02"); refused elsewhere ("802.11 link-layer types supported only on 802.11", "frame
//!   direction supported only with 802.11 headers").
//! - `radio[N]`: bytes of the radio header (Prism, AVS, radiotap), from the start of the packet.
//!
//! ## PFLOG
//!
//! `on NAME` / `ifname NAME` (the interface name starts with NAME, at most 15 characters),
//! `ruleset NAME` / `rset NAME`, `rnr N` / `rulenum N`, `srnr N` / `subrulenum N`, `reason N`
//! or a name of libpcap's on Linux (`match`, `bad-offset`, `fragment`, `short`, `normalize`,
//! `memory`, `bad-timestamp`, `congestion`, `ip-option`, `proto-cksum`, `state-mismatch`,
//! `state-insert`, `state-limit`, `src-limit`, `synproxy`), `action NAME` (`pass`/`accept`,
//! `drop`/`block`, `scrub`, `noscrub`, `nat`, `nonat`, `binat`, `nobinat`, `rdr`, `nordr`,
//! `synproxy-drop`). On other link types they are refused with libpcap's messages ("ifname
//! supported only on PF linktype", ...).
//!
//! ```
//! use pkt_bpf::compile::{compile, dlt_from_name, Flags};
//! let pflog = dlt_from_name("PFLOG").unwrap();
//! assert!(compile("on em0 and action block and ip", pflog, 0, Flags::default()).is_ok());
//! assert_eq!(
//!     compile("reason memory", 1, 0, Flags::default()).unwrap_err().msg,
//!     "reason supported only on PF linktype"
//! );
//! ```
//!
//! ```
//! use pkt_bpf::compile::{compile, dlt_from_name, Flags};
//! let radiotap = dlt_from_name("IEEE802_11_RADIO").unwrap();
//! let o = Flags { optimize: true, ..Flags::default() };
//! assert!(compile("type mgt subtype beacon", radiotap, 0, o).is_ok());
//! assert!(compile("wlan addr2 00:11:22:33:44:55 and tcp port 80", radiotap, 0, o).is_ok());
//! let err = compile("type mgt", 1, 0, o).unwrap_err();
//! assert_eq!(err.msg, "802.11 link-layer types supported only on 802.11");
//! ```
//!
//! ```
//! use pkt_bpf::compile::{compile, dlt_from_name, Flags};
//! let ppp = dlt_from_name("PPP").unwrap();
//! let prog = compile("tcp port 22", ppp, 0, Flags { optimize: true, ..Flags::default() }).unwrap();
//! assert!(prog.len() > 4);
//! // NFLOG has no protocol field libpcap decodes: only lengths and `link[...]`.
//! let nflog = dlt_from_name("NFLOG").unwrap();
//! assert!(compile("ip", nflog, 0, Flags::default()).is_err());
//! assert!(compile("link[0] = 2", nflog, 0, Flags::default()).is_ok());
//! ```
//!
//! # The legacy families and 802.2 LLC
//!
//! libpcap's older protocols compile as there, each with the LLC/SNAP/802.3 rule of the link
//! type (the tests are libpcap's, instruction for instruction):
//!
//! | keywords | what they test |
//! |---|---|
//! | `atalk`, `aarp` | AppleTalk (Ethertype 0x809b) and AARP (0x80f3): Ethernet II, or on Ethernet an 802.3 frame with SNAP (Apple's OUI 08:00:07 for AppleTalk, 00:00:00 for AARP); cooked captures: protocol 802.2 and SNAP; Token Ring and FDDI: SNAP; PPP: protocol 0x29 |
//! | `ipx` | IPX in its four framings on Ethernet: Ethernet II 0x8137, 802.3 with DSAP 0xe0 (802.2), with 0xffff (Novell's raw 802.3), with SNAP 00:00:00/0x8137; cooked: protocol 0x8137, `LINUX_SLL_P_802_3`, or 802.2 with DSAP 0xe0 or SNAP; LLC links: DSAP 0xe0; PPP 0x2b |
//! | `decnet`, `lat`, `sca`, `moprc`, `mopdl` | their Ethertypes (0x6003, 0x6004, 0x6007, 0x6002, 0x6001); PPP: DECnet 0x27 |
//! | `iso`, `stp`, `netbeui` | LLC SAPs 0xfe (DSAP and SSAP), 0x42 (DSAP), 0xf0 (both), in 802.3 frames on Ethernet, 802.2 cooked frames, LLC links; PPP: OSI 0x23, bridge PDUs 0x31 |
//! | `clnp`, `esis` (`es-is`), `isis` (`is-is`) | ISO packets whose NLPID (after the 3-byte LLC header on Ethernet) is 0x81, 0x82, 0x83 |
//! | `l1`, `l2`, `iih`, `lsp`, `snp`, `csnp`, `psnp` | IS-IS PDU types (15 to 27: the level 1 or level 2 hellos with the point-to-point one, link state PDUs, sequence number PDUs) |
//! | `iso proto N`, `isis proto N` | the NLPID, the IS-IS PDU type (names: `iso proto \esis`, `\isis`, `\clnp`) |
//! | `decnet host A.N`, `decnet src`/`dst`/`net` | DECnet routing headers (long and short, with one pad byte or none) from or to area A, node N (also a 16-bit number: `decnet host 1026`); addresses are read as libpcap's `sscanf("%d.%d")` reads them (`64.1` is 0.1) |
//! | `ether proto \ipx`, `\atalk`, `\iso`, ..., `ether proto N` (N <= 1500) | the same tests as the keywords; other SAPs (`ether proto 0xaa`) test the DSAP of an 802.3 frame |
//! | `llc`, `llc i`, `s`, `u`, `rr`, `rnr`, `rej`, `ui`, `ua`, `disc`, `dm`, `sabme`, `test`, `xid`, `frmr` | an 802.2 frame (on Ethernet an 802.3 frame not Novell's raw one; on SunATM LLC-encapsulated; on Token Ring and FDDI every frame), and its control field's format or command (P/F bit left out) |
//! | `atalk[N]`, `decnet[N]`, `lat`, `sca`, `moprc`, `mopdl` | loads from the network header, as `ip[N]` |
//!
//! Refused where libpcap refuses, with its message: `llc` on raw IP and cooked captures ("'llc'
//! not supported for Linux cooked v1"), hosts of the other families ("AppleTalk host filtering
//! not implemented", "'isis' modifier applied to host"), `atalk proto N` ("AppleTalk
//! encapsulation is not specifiable"), the families after `mpls` ("unsupported protocol over
//! mpls"), DECnet host names (libpcap has no DECnet name database).
//!
//! ```
//! use pkt_bpf::compile::{compile, Flags, DLT_EN10MB, DLT_LINUX_SLL};
//! let opt = Flags { optimize: true, ..Flags::default() };
//! for e in ["ipx", "ether proto \\atalk", "decnet src 10.23", "isis and l2", "llc xid"] {
//!     assert!(compile(e, DLT_EN10MB, 0, opt).is_ok(), "{e}");
//! }
//! let err = compile("llc", DLT_LINUX_SLL, 0, opt).unwrap_err();
//! assert_eq!(err.msg, "'llc' not supported for Linux cooked v1");
//! ```
//!
//! # The netmask
//!
//! `ip broadcast` needs the capture network's IPv4 netmask: [`compile_netmask`] takes one (what
//! `pkt::iface::lookupnet` returns for an interface), [`compile`] is "unknown" and refuses
//! `ip broadcast` as `pcap_compile` does with `PCAP_NETMASK_UNKNOWN`. Nothing else depends on
//! it.
//!
//! The pipeline (private modules): `lexer` (libpcap's scanner rules), `parser` (its grammar and
//! quirks), `gen` (its code generator's offsets and tests, built as boolean trees of tests, with
//! the legacy families in `gen/legacy`, the file `legacy.rs`), `ir` (lowering to a control-flow
//! graph and emission), `opt` (the optimizer).

mod atm;
mod dlt;
mod gen;
mod ir;
mod lexer;
mod names;
mod opt;
mod parser;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::Ipv4Addr;

use super::Insn;

/// pcap link type: Ethernet.
/// cbindgen:ignore
pub const DLT_EN10MB: u16 = 1;
/// pcap link type: raw IP (libpcap's DLT_RAW on Linux).
/// cbindgen:ignore
pub const DLT_RAW: u16 = 12;
/// pcap link type: raw IP as written in files (LINKTYPE_RAW); the same as [`DLT_RAW`] here.
/// cbindgen:ignore
pub const LINKTYPE_RAW: u16 = 101;
/// pcap link type: Linux cooked capture v1 (16-byte header).
/// cbindgen:ignore
pub const DLT_LINUX_SLL: u16 = 113;
/// pcap link type: Linux cooked capture v2 (20-byte header).
/// cbindgen:ignore
pub const DLT_LINUX_SLL2: u16 = 276;

/// The pcap link type libpcap calls `name` (`EN10MB`, `LINUX_SLL2`, `IEEE802_11_RADIO`, ...,
/// with or without `DLT_`, any case), as `pcap_datalink_name_to_val()`; `None` for a name
/// libpcap 1.10 does not know. The value is the DLT (as `pkt_dlt()` and [`compile`] take it).
pub fn dlt_from_name(name: &str) -> Option<u16> {
    dlt::by_name(name)
}

/// libpcap's name of pcap link type `dlt` (`pcap_datalink_val_to_name()`), if it has one.
pub fn dlt_name(dlt: u16) -> Option<&'static str> {
    dlt::name(dlt)
}

/// libpcap's description of pcap link type `dlt` (`pcap_datalink_val_to_description()`), or
/// `DLT n` for a value it does not name.
pub fn dlt_description(dlt: u16) -> String {
    dlt::description(dlt)
}

/// [`dlt_name`] as a NUL-terminated string (for C callers).
pub fn dlt_name_c(dlt: u16) -> Option<&'static std::ffi::CStr> {
    dlt::name_c(dlt)
}

/// libpcap's description of `dlt` as a NUL-terminated string, if libpcap names it.
pub fn dlt_description_c(dlt: u16) -> Option<&'static std::ffi::CStr> {
    dlt::description_c(dlt)
}

/// Whether [`compile`] takes link type `linktype`.
pub fn linktype_supported(linktype: u16) -> bool {
    gen::Link::from_dlt(linktype).is_some()
}

/// The snapshot length libpcap uses for 0: what accepted packets return.
/// cbindgen:ignore
pub const DEFAULT_SNAPLEN: u32 = 262_144;

/// Compilation options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// Optimize the program (libpcap's `optimize` argument).
    pub optimize: bool,
    /// Emit the live form for an `AF_PACKET` socket instead of the offline form.
    pub live: bool,
    /// The offline form as libpcap compiles it for a savefile handle (`pcap_open_offline`)
    /// instead of a dead one (`pcap_open_dead`): `inbound`, `outbound` and `ifindex` are
    /// refused where the link-layer header has no such field (a file keeps no metadata), and
    /// on NULL and LOOP `ip6` tests the address family values of the BSDs and Darwin (24, 28,
    /// 30) instead of Linux's (10). Ignored with `live`.
    pub savefile: bool,
    /// With `savefile`: the file was written in the other byte order than this host's
    /// (libpcap's `pcap_is_swapped()`). On NULL and ENC, whose address family word is in the
    /// writer's byte order, libpcap then compares it byte-swapped (`ip` on a little-endian
    /// host tests the word 0x00000002 rather than 0x02000000). Ignored without `savefile`.
    pub swapped: bool,
}

/// Why an expression does not compile: the byte offset in the expression where the problem
/// was found, and what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    pub pos: usize,
    pub msg: String,
    too_long: bool,
}

impl CompileError {
    pub(crate) fn new(pos: usize, msg: String) -> CompileError {
        CompileError {
            pos,
            msg,
            too_long: false,
        }
    }

    /// The expression is valid, but its program would be longer than the kernel accepts
    /// ([`KERNEL_MAX_INSNS`](crate::KERNEL_MAX_INSNS)), or is refused as soon as it is clear
    /// that it would be (libpkt's `pkt_compile` returns `-E2BIG` for these).
    pub fn is_too_long(&self) -> bool {
        self.too_long
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "position {}: {}", self.pos, self.msg)
    }
}

impl std::error::Error for CompileError {}

/// What went wrong: a bad expression or a too-long program ([`CompileError::is_too_long`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    Invalid(CompileError),
    TooLong(CompileError),
}

/// Compiles `expr` for packets of link type `linktype` (one of the `DLT_*` constants), with
/// accepted packets returning `snaplen` (0: 262144). An empty expression accepts everything.
///
/// Errors: a syntax or semantic error (naming the byte position and the problem, never
/// panicking), an unsupported link type, or a program longer than the kernel's 4096
/// instructions ([`CompileError::is_too_long`]). Every program returned passes
/// [`crate::validate`].
pub fn compile(expr: &str, linktype: u16, snaplen: u32, flags: Flags) -> Result<Vec<Insn>, CompileError> {
    compile_netmask(expr, linktype, snaplen, flags, NETMASK_UNKNOWN)
}

/// The netmask [`compile`] assumes: unknown (libpcap's `PCAP_NETMASK_UNKNOWN`,
/// 255.255.255.255), so that `ip broadcast` does not compile.
pub const NETMASK_UNKNOWN: Ipv4Addr = Ipv4Addr::BROADCAST;

/// [`compile`] for a capture on a network whose IPv4 netmask is `netmask`, as
/// `pcap_compile(p, &prog, expr, optimize, netmask)` with a known netmask: `ip broadcast` then
/// compiles, to an IPv4 destination whose host part (the bits the netmask leaves out) is all
/// zeros or all ones. [`NETMASK_UNKNOWN`] (255.255.255.255) is [`compile`]. Nothing else in
/// the language depends on the netmask (`net 10` and `net 10.1` are the networks 10.0.0.0/8
/// and 10.1.0.0/16 whatever it is, as in libpcap).
///
/// `netmask` is what `pkt::iface::lookupnet` returns for an interface (libpkt's
/// `pkt_lookupnet`; 0.0.0.0 for all interfaces, whose `ip broadcast` is then 0.0.0.0 or
/// 255.255.255.255). libpcap's `pcap_compile` reads its `netmask` argument in host byte order
/// (0xffffff00 for 255.255.255.0) while `pcap_lookupnet` returns the mask in network byte order,
/// so a program that passes one to the other (tcpdump does) gets the bytes reversed on a
/// little-endian machine; here the address says which is which. The C form is
/// `pkt_compile_netmask`, whose `uint32_t` netmask is in network byte order, as
/// `pkt_lookupnet` writes it.
///
/// ```
/// use pkt_bpf::compile::{compile, compile_netmask, Flags, DLT_EN10MB};
/// use std::net::Ipv4Addr;
///
/// let flags = Flags { optimize: true, ..Flags::default() };
/// // Without a netmask, `ip broadcast` is an error, as in libpcap.
/// assert!(compile("ip broadcast", DLT_EN10MB, 0, flags).is_err());
/// let prog = compile_netmask("ip broadcast", DLT_EN10MB, 0, flags, Ipv4Addr::new(255, 255, 255, 0))?;
///
/// // IPv4 to 10.1.2.255, then to 10.1.2.3.
/// let mut frame = vec![0u8; 34];
/// frame[12..14].copy_from_slice(&[0x08, 0x00]);
/// frame[14] = 0x45;
/// frame[30..34].copy_from_slice(&[10, 1, 2, 255]);
/// let meta = pkt_bpf::Meta { len: 34, ..Default::default() };
/// assert_eq!(pkt_bpf::run(&prog, &frame, &meta), 262_144);
/// frame[33] = 3;
/// assert_eq!(pkt_bpf::run(&prog, &frame, &meta), 0);
/// # Ok::<(), pkt_bpf::compile::CompileError>(())
/// ```
pub fn compile_netmask(
    expr: &str,
    linktype: u16,
    snaplen: u32,
    flags: Flags,
    netmask: Ipv4Addr,
) -> Result<Vec<Insn>, CompileError> {
    compile_inner(expr, linktype, snaplen, flags, u32::from(netmask)).map_err(|f| match f {
        Failure::Invalid(e) => e,
        Failure::TooLong(e) => CompileError { too_long: true, ..e },
    })
}

pub(crate) fn compile_inner(
    expr: &str,
    linktype: u16,
    snaplen: u32,
    flags: Flags,
    netmask: u32,
) -> Result<Vec<Insn>, Failure> {
    let Some(link) = gen::Link::from_dlt(linktype) else {
        let msg =
            if (gen::MATCHING_MIN..=gen::MATCHING_MAX).contains(&linktype) || dlt::name(linktype).is_some() {
                format!(
                    "link type {linktype} ({}) is not supported by libpkt's filter compiler",
                    dlt::description(linktype)
                )
            } else {
                format!(
                    "unknown data link type {linktype} (min {}, max {})",
                    gen::MATCHING_MIN,
                    gen::MATCHING_MAX
                )
            };
        return Err(Failure::Invalid(CompileError::new(0, msg)));
    };
    let snaplen = if snaplen == 0 { DEFAULT_SNAPLEN } else { snaplen };
    let toks = lexer::tokenize(expr).map_err(Failure::Invalid)?;
    let mut g = gen::Gen::new(link, flags.live);
    g.savefile = flags.savefile && !flags.live;
    g.swapped = g.savefile && flags.swapped;
    let mut p = parser::Parser::new(toks, g);
    p.g.netmask = netmask;
    let root = match p.prog() {
        Ok(root) => root,
        // What the optimizer or the length check would say, without building all of it.
        Err(_) if p.too_big && flags.optimize && !p.g.no_optimize => {
            return Err(Failure::Invalid(CompileError::new(
                0,
                opt::TOO_COMPLEX.to_owned(),
            )))
        }
        Err(_) if p.too_big => return Err(too_long(format!("more than {}", parser::MAX_BLOCKS))),
        Err(e) => return Err(Failure::Invalid(e)),
    };
    let Some(root) = root else {
        return Ok(vec![Insn::stmt(super::op::RET_K, snaplen)]);
    };
    // Variable offsets (802.11, radio headers, PFLOG) computed first; PPI's DLT check.
    let root =
        p.g.finish_parse(root)
            .map_err(|m| Failure::Invalid(CompileError::new(0, m)))?;
    let prologue = if p.g.prologue_first() {
        p.g.prologue()
    } else {
        Vec::new()
    };
    let root = if prologue.is_empty() {
        root
    } else {
        ir::Node::and(ir::Node::Effect(prologue), root)
    };
    let mut cfg = ir::Cfg::lower(&root, snaplen);
    drop(root);
    let optimize = flags.optimize && !p.g.no_optimize;
    // A program far beyond the kernel's limit is refused before it is laid out (which takes
    // time and memory in proportion): every block is at least its statements and a jump.
    let least = cfg.least_len();
    if !optimize && least > TOO_LONG_TO_EMIT {
        return Err(too_long(format!("at least {least}")));
    }
    if optimize {
        opt::optimize(&mut cfg).map_err(|m| Failure::Invalid(CompileError::new(0, m)))?;
    }
    let mut prog = cfg.emit();
    if optimize && prog.len() == 1 && prog[0].k == 0 {
        return Err(Failure::Invalid(CompileError::new(
            0,
            "expression rejects all packets".to_owned(),
        )));
    }
    if !p.g.prologue_first() && !p.g.init_regs.is_empty() {
        // Jumps are relative: statements in front keep the program's targets.
        prog.splice(0..0, gen::init_before_read(&prog));
    }
    if flags.live && matches!(link, gen::Link::Sll | gen::Link::Sll2) {
        prog = cooked_live(&prog, link).map_err(|m| Failure::Invalid(CompileError::new(0, m)))?;
    }
    if prog.len() > super::KERNEL_MAX_INSNS {
        return Err(too_long(prog.len().to_string()));
    }
    if let Err(why) = super::validate(&prog) {
        // A bug in the compiler; never hand out such a program.
        return Err(Failure::Invalid(CompileError::new(
            0,
            format!("internal error: generated program is invalid ({why})"),
        )));
    }
    Ok(prog)
}

/// Unoptimized programs of more instructions than this are refused without laying them out
/// (16 times what the kernel accepts).
const TOO_LONG_TO_EMIT: usize = 16 * super::KERNEL_MAX_INSNS;

fn too_long(count: String) -> Failure {
    Failure::TooLong(CompileError::new(
        0,
        format!(
            "program too long: {count} instructions, the kernel accepts at most {} (BPF_MAXINSNS)",
            super::KERNEL_MAX_INSNS
        ),
    ))
}

/// The live form of a program for a cooked capture (`linktype` LINUX_SLL 113 or LINUX_SLL2
/// 276), as libpcap's `fix_program` makes it at `pcap_setfilter`: loads move back by the cooked
/// header's length and the header's packet type, protocol and interface index become ancillary
/// loads. Err (with why) when the program tests another field of the cooked header, which the
/// kernel cannot see (libpcap then filters in user space); other link types are returned as
/// they are.
pub fn cooked_to_live(prog: &[Insn], linktype: u16) -> Result<Vec<Insn>, String> {
    match linktype {
        DLT_LINUX_SLL => cooked_live(prog, gen::Link::Sll),
        DLT_LINUX_SLL2 => cooked_live(prog, gen::Link::Sll2),
        _ => Ok(prog.to_vec()),
    }
}

/// The live form for cooked captures: the socket's packets start at the network header, so
/// loads move back by the cooked header's length, and its fields become ancillary loads (packet
/// type, protocol, interface index), as libpcap's `fix_offset` does.
fn cooked_live(prog: &[Insn], link: gen::Link) -> Result<Vec<Insn>, String> {
    use super::{op, SKF_AD_IFINDEX, SKF_AD_OFF, SKF_AD_PKTTYPE, SKF_AD_PROTOCOL};
    let hdr: u32 = if link == gen::Link::Sll { 16 } else { 20 };
    let field = |code: u16, k: u32| -> Option<u32> {
        match (link, code, k) {
            (gen::Link::Sll, op::LD_H_ABS, 0) => Some(SKF_AD_PKTTYPE),
            (gen::Link::Sll, op::LD_H_ABS, 14) => Some(SKF_AD_PROTOCOL),
            (gen::Link::Sll2, op::LD_H_ABS, 0) => Some(SKF_AD_PROTOCOL),
            (gen::Link::Sll2, op::LD_B_ABS, 10) => Some(SKF_AD_PKTTYPE),
            (gen::Link::Sll2, op::LD_W_ABS, 4) => Some(SKF_AD_IFINDEX),
            _ => None,
        }
    };
    let unsupported = || {
        "this expression tests a field of the cooked header that a live capture cannot filter on in the kernel (only packet type, protocol and interface index)".to_owned()
    };
    prog.iter()
        .map(|insn| {
            let mut i = *insn;
            match i.code {
                op::LD_W_ABS | op::LD_H_ABS | op::LD_B_ABS if i.k < SKF_AD_OFF => {
                    if i.k >= hdr {
                        i.k -= hdr;
                    } else if let Some(ad) = field(i.code, i.k) {
                        i.k = SKF_AD_OFF + ad;
                    } else {
                        return Err(unsupported());
                    }
                }
                op::LD_W_IND | op::LD_H_IND | op::LD_B_IND | op::LDX_B_MSH => {
                    if i.k >= hdr {
                        i.k -= hdr;
                    } else {
                        return Err(unsupported());
                    }
                }
                _ => {}
            }
            Ok(i)
        })
        .collect()
}
