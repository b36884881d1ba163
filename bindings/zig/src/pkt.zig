//! Zig bindings for libpkt: packet capture and injection on Linux through AF_PACKET sockets
//! with memory-mapped rings, and reading pcap and pcapng savefiles.
//!
//! A thin, zero-cost layer over the C API in `include/pkt.h` (imported with `@cImport`, as
//! `pkt.c`): negative errnos become error unions, packets are slices into the ring, handles
//! close with `defer`. The C header's comments are the manual for every call; each function
//! here names the C function it wraps.
//!
//! ```zig
//! const pkt = @import("pkt");
//!
//! var h = try pkt.Handle.open("eth0", .{ .read_timeout_ms = 5000 });
//! defer h.close();
//! while (try h.read(true)) |p| {
//!     std.debug.print("{d} bytes, ethertype 0x{x:0>4}\n", .{ p.info.len, p.info.protocol });
//! }
//! ```
//!
//! A savefile is read through the same `Handle` (`Handle.openOffline`); its end is
//! `error.EndOfFile`, a damaged record `error.BadMessage`.

const std = @import("std");

/// The C API, as translated from `include/pkt.h`.
pub const c = @cImport({
    @cInclude("pkt.h");
});

// ---------------------------------------------------------------------------------------------
// Errors

/// The negative errnos of libpkt, as Zig errors. `error.Unexpected` stands for any other code:
/// `lastCode()` gives the exact one and `errmsg()` the library's message about it.
pub const Error = error{
    /// -EAGAIN: nothing to read without waiting (`poll` false, or a `nonblock` handle), or a
    /// full device queue on a non-blocking send.
    WouldBlock,
    /// -EINTR: `breakLoop()` ended (or pre-empted) a blocking read, `loop` or `dispatch`.
    Interrupted,
    /// -ETIMEDOUT: `read_timeout_ms` passed with nothing to read.
    TimedOut,
    /// -ENODEV / -ENXIO: no such interface, or the interface was removed.
    NoDevice,
    /// -ENETDOWN: the interface is down (sending).
    NetworkDown,
    /// -EINVAL: a bad argument, config value or filter program.
    InvalidArgument,
    /// -EMSGSIZE: a frame longer than the interface allows.
    MessageTooLong,
    /// -EPERM: no CAP_NET_RAW (open as root, or `setcap cap_net_raw+ep`).
    PermissionDenied,
    /// -EACCES: a file or resource that may not be opened.
    AccessDenied,
    /// -ENOMEM: no memory (for the ring, even at its smallest size).
    OutOfMemory,
    /// -ENOBUFS: the device queue or socket buffer is full.
    NoBufferSpace,
    /// -ENOSPC: no space left (on the savefile's disk, or in a fanout group).
    NoSpaceLeft,
    /// -EPIPE: the savefile's reader (a pipe) went away.
    BrokenPipe,
    /// -EIO: a corrupted ring frame, or an I/O error writing a savefile.
    InputOutput,
    /// -ENOENT: no such file or directory (savefile), or no fanout group.
    NotFound,
    /// -EALREADY: the handle already joined a fanout group.
    AlreadyInGroup,
    /// -EBADF: a closed file descriptor (standard output for the savefile "-").
    BadFileDescriptor,
    /// -EISDIR: the savefile path is a directory.
    IsDir,
    /// -EROFS: the savefile's file system is read-only.
    ReadOnlyFileSystem,
    /// -EMFILE: the process has too many open files.
    ProcessFdQuotaExceeded,
    /// -ENFILE: the system has too many open files.
    SystemFdQuotaExceeded,
    /// -ENOSYS: not supported here (libpkt runs on Linux only).
    NotSupported,
    /// -E2BIG: a compiled filter expression would be longer than the kernel accepts (4096
    /// instructions).
    ProgramTooLong,
    /// -EADDRNOTAVAIL: the interface has no IPv4 address (`lookupNet`).
    AddressNotAvailable,
    /// -EOPNOTSUPP: a `tstamp_source` the interface does not offer (`Handle.open`; `errmsg()`
    /// names the interface), or a driver that refuses to turn its adapter clock on; a call
    /// that makes no sense on a savefile handle (`write`, `setFanout`, ...), or
    /// `offlineIface` on a live handle.
    OperationNotSupported,
    /// -ENODATA: the end of a savefile (`Handle.openOffline`): every read call after the last
    /// packet, and again on each later call. `loop` returns normally at the end instead, and
    /// `dispatch` returns 0.
    EndOfFile,
    /// -EBADMSG: not a pcap or pcapng file, or a damaged or truncated header (`openOffline`),
    /// or a damaged or truncated record after the good packets before it (the read calls,
    /// `loop`; every later read too). `errmsg()` says what was found and, for a record, its
    /// byte offset in the file: `pkt_read: "in.pcap": truncated record at byte 186: 56 of its
    /// 96 bytes (Bad message)`.
    BadMessage,
    /// Any other negative errno: see `lastCode()` and `errmsg()`.
    Unexpected,
};

threadlocal var last_code: c_int = 0;

/// The exact negative errno behind the calling thread's last error from this module (0 before
/// any). Useful when the error is `error.Unexpected`, or to tell -ENXIO from -ENODEV.
pub fn lastCode() c_int {
    return last_code;
}

/// The library's message about the calling thread's last failed call, naming the call, the
/// failing step and the reason (`pkt_errmsg`). Empty before any failure. Valid until the
/// thread's next failure: copy it to keep it.
pub fn errmsg() [:0]const u8 {
    return std.mem.span(c.pkt_errmsg());
}

/// A static description of an errno code, negative or positive (`pkt_strerror`).
pub fn strerror(code: c_int) [:0]const u8 {
    return std.mem.span(c.pkt_strerror(code));
}

/// Maps a negative errno from libpkt to an `Error` (codes >= 0 are not errors: do not pass
/// them; they give `error.Unexpected`).
pub fn errorFromCode(code: c_int) Error {
    const E = std.posix.E;
    if (code >= 0) return error.Unexpected;
    const e: E = @enumFromInt(@as(u16, @intCast(@min(-@as(i64, code), std.math.maxInt(u16)))));
    return switch (e) {
        .AGAIN => error.WouldBlock,
        .INTR => error.Interrupted,
        .TIMEDOUT => error.TimedOut,
        .NODEV, .NXIO => error.NoDevice,
        .NETDOWN => error.NetworkDown,
        .INVAL => error.InvalidArgument,
        .MSGSIZE => error.MessageTooLong,
        .PERM => error.PermissionDenied,
        .ACCES => error.AccessDenied,
        .NOMEM => error.OutOfMemory,
        .NOBUFS => error.NoBufferSpace,
        .NOSPC => error.NoSpaceLeft,
        .PIPE => error.BrokenPipe,
        .IO => error.InputOutput,
        .NOENT => error.NotFound,
        .ALREADY => error.AlreadyInGroup,
        .BADF => error.BadFileDescriptor,
        .ISDIR => error.IsDir,
        .ROFS => error.ReadOnlyFileSystem,
        .MFILE => error.ProcessFdQuotaExceeded,
        .NFILE => error.SystemFdQuotaExceeded,
        .NOSYS => error.NotSupported,
        .@"2BIG" => error.ProgramTooLong,
        .ADDRNOTAVAIL => error.AddressNotAvailable,
        .OPNOTSUPP => error.OperationNotSupported,
        .NODATA => error.EndOfFile,
        .BADMSG => error.BadMessage,
        else => error.Unexpected,
    };
}

/// True for the errors that are temporary by nature, where retrying later can succeed
/// (as `pkt_is_temporary`): would block, interrupted, timed out, no buffer space, too many
/// open files.
pub fn isTemporary(err: anyerror) bool {
    return switch (err) {
        error.WouldBlock,
        error.Interrupted,
        error.TimedOut,
        error.NoBufferSpace,
        error.ProcessFdQuotaExceeded,
        error.SystemFdQuotaExceeded,
        => true,
        else => false,
    };
}

/// Returns `rc` when it is a success (>= 0), otherwise records it and returns its error.
fn check(rc: c_int) Error!c_int {
    if (rc >= 0) return rc;
    return fail(rc);
}

const einval = -@as(c_int, @intFromEnum(std.posix.E.INVAL));

fn fail(rc: c_int) Error {
    last_code = rc;
    return errorFromCode(rc);
}

// ---------------------------------------------------------------------------------------------
// Constants and small types

/// `Config.proto`: every ethertype.
pub const proto_all: u16 = c.PKT_PROTO_ALL;
/// `Config.proto`: IPv4.
pub const proto_ip: u16 = c.PKT_PROTO_IP;
/// `Config.proto`: IPv6.
pub const proto_ip6: u16 = c.PKT_PROTO_IP6;
/// `Config.proto`: ARP.
pub const proto_arp: u16 = c.PKT_PROTO_ARP;

/// `linkType()` of Ethernet and loopback interfaces (ARPHRD_ETHER).
pub const linktype_ethernet: u16 = c.PKT_LINKTYPE_ETHERNET;
/// `linkType()` of a handle on all interfaces, or of an unknown interface.
pub const linktype_none: u16 = c.PKT_LINKTYPE_NONE;

/// pcap link types (`PKT_DLT_*`), for `Dumper.open`.
pub const dlt = struct {
    pub const null_: u16 = c.PKT_DLT_NULL;
    pub const en10mb: u16 = c.PKT_DLT_EN10MB;
    pub const raw: u16 = c.PKT_DLT_RAW;
    pub const ieee802_11: u16 = c.PKT_DLT_IEEE802_11;
    pub const ieee802_11_radio: u16 = c.PKT_DLT_IEEE802_11_RADIO;
    pub const linux_sll: u16 = c.PKT_DLT_LINUX_SLL;
    pub const linux_sll2: u16 = c.PKT_DLT_LINUX_SLL2;
    pub const ipv4: u16 = c.PKT_DLT_IPV4;
    pub const ipv6: u16 = c.PKT_DLT_IPV6;
};

/// Which packets a handle captures by direction (`PKT_DIR_*`).
pub const Direction = enum(u8) {
    /// Received and sent (loopback's duplicate copies are dropped).
    inout = c.PKT_DIR_INOUT,
    /// Received by the host only.
    in = c.PKT_DIR_IN,
    /// Sent by the host only.
    out = c.PKT_DIR_OUT,
};

/// Timestamp resolution (`PKT_TSTAMP_*`).
pub const TstampResolution = enum(u8) {
    nano = c.PKT_TSTAMP_NANO,
    /// `Info.nsec` is a multiple of 1000.
    micro = c.PKT_TSTAMP_MICRO,
};

/// Which clock stamps the packets (`PKT_TSTAMP_SOURCE_*`; libpcap's `PCAP_TSTAMP_HOST`,
/// `_ADAPTER`, `_ADAPTER_UNSYNCED`): `Config.tstamp_source`, and `tstampSources` for what an
/// interface offers.
pub const TstampSource = enum(u8) {
    /// The kernel's clock when the packet entered the stack: the default, offered everywhere
    /// (tcpdump's `-j host`).
    software = c.PKT_TSTAMP_SOURCE_SOFTWARE,
    /// The adapter's clock converted to system time by the kernel (`-j adapter`); no driver
    /// has offered it since Linux 3.17.
    adapter = c.PKT_TSTAMP_SOURCE_ADAPTER,
    /// The adapter's own clock, unconverted (`-j adapter_unsynced`): PTP hardware timestamps,
    /// with the adapter's epoch and rate.
    adapter_unsynced = c.PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED,
};

/// How `writeBatch` sends (`PKT_TX_*`).
pub const TxMode = enum(u8) {
    auto = c.PKT_TX_AUTO,
    sendmmsg = c.PKT_TX_SENDMMSG,
    ring = c.PKT_TX_RING,
};

/// `Info.pkttype` (`PKT_PACKET_*`).
pub const PacketType = enum(u8) {
    host = c.PKT_PACKET_HOST,
    broadcast = c.PKT_PACKET_BROADCAST,
    multicast = c.PKT_PACKET_MULTICAST,
    otherhost = c.PKT_PACKET_OTHERHOST,
    outgoing = c.PKT_PACKET_OUTGOING,
    _,
};

/// Fanout modes (`PKT_FANOUT_*`), for `Handle.setFanout`.
pub const FanoutMode = enum(u16) {
    hash = c.PKT_FANOUT_HASH,
    lb = c.PKT_FANOUT_LB,
    cpu = c.PKT_FANOUT_CPU,
    rollover = c.PKT_FANOUT_ROLLOVER,
    rnd = c.PKT_FANOUT_RND,
    qm = c.PKT_FANOUT_QM,
};

/// Fanout flags (`PKT_FANOUT_FLAG_*`).
pub const FanoutFlags = struct {
    rollover: bool = false,
    /// The kernel picks the group id (give 0); read it with `Handle.fanoutGroup()`.
    unique_id: bool = false,
    defrag: bool = false,

    fn bits(f: FanoutFlags) u16 {
        var b: u16 = 0;
        if (f.rollover) b |= c.PKT_FANOUT_FLAG_ROLLOVER;
        if (f.unique_id) b |= c.PKT_FANOUT_FLAG_UNIQUEID;
        if (f.defrag) b |= c.PKT_FANOUT_FLAG_DEFRAG;
        return b;
    }
};

/// One classic BPF instruction: the layout of `pkt_bpf_insn_t` and Linux `struct sock_filter`.
pub const Insn = extern struct {
    code: u16,
    jt: u8 = 0,
    jf: u8 = 0,
    k: u32 = 0,

    /// A non-jump instruction: `code` and `k`.
    pub fn stmt(code: u16, k: u32) Insn {
        return .{ .code = code, .k = k };
    }

    /// A conditional jump: to `jt` instructions ahead when true, `jf` when false.
    pub fn jump(code: u16, k: u32, jt: u8, jf: u8) Insn {
        return .{ .code = code, .jt = jt, .jf = jf, .k = k };
    }
};

/// Classic BPF opcode parts (Linux `<linux/filter.h>`), to build `Insn`s:
/// `Insn.stmt(bpf.ld | bpf.h | bpf.abs, 12)` loads the ethertype of an Ethernet frame.
pub const bpf = struct {
    // classes
    pub const ld: u16 = 0x00;
    pub const ldx: u16 = 0x01;
    pub const st: u16 = 0x02;
    pub const stx: u16 = 0x03;
    pub const alu: u16 = 0x04;
    pub const jmp: u16 = 0x05;
    pub const ret: u16 = 0x06;
    pub const misc: u16 = 0x07;
    // sizes
    pub const w: u16 = 0x00;
    pub const h: u16 = 0x08;
    pub const b: u16 = 0x10;
    // modes
    pub const imm: u16 = 0x00;
    pub const abs: u16 = 0x20;
    pub const ind: u16 = 0x40;
    pub const mem: u16 = 0x60;
    pub const len: u16 = 0x80;
    pub const msh: u16 = 0xa0;
    // alu and jump operations
    pub const add: u16 = 0x00;
    pub const sub: u16 = 0x10;
    pub const mul: u16 = 0x20;
    pub const div: u16 = 0x30;
    pub const @"or": u16 = 0x40;
    pub const @"and": u16 = 0x50;
    pub const lsh: u16 = 0x60;
    pub const rsh: u16 = 0x70;
    pub const neg: u16 = 0x80;
    pub const mod: u16 = 0x90;
    pub const xor: u16 = 0xa0;
    pub const ja: u16 = 0x00;
    pub const jeq: u16 = 0x10;
    pub const jgt: u16 = 0x20;
    pub const jge: u16 = 0x30;
    pub const jset: u16 = 0x40;
    // sources
    pub const k: u16 = 0x00;
    pub const x: u16 = 0x08;
    pub const a: u16 = 0x10;
    // misc operations
    pub const tax: u16 = 0x00;
    pub const txa: u16 = 0x80;
};

/// What is known about one captured packet: the layout of `pkt_info_t`.
pub const Info = extern struct {
    /// Capture time, seconds since the epoch.
    sec: i64,
    /// Nanoseconds; a multiple of 1000 with `TstampResolution.micro`.
    nsec: u32,
    /// Bytes captured (the length of `Packet.bytes()`).
    caplen: u32,
    /// Length on the wire; `>= caplen`.
    len: u32,
    /// Index of the interface the packet was seen on.
    ifindex: i32,
    /// The ring's status word (`TP_STATUS_*`).
    status: u32,
    /// TPID of the VLAN tag the kernel removed, when `vlanValid()`.
    vlan_tpid: u16,
    /// TCI (priority, DEI, VLAN id) of that tag.
    vlan_tci: u16,
    /// Ethertype, host byte order.
    protocol: u16,
    /// ARPHRD_* of the interface (772 for loopback).
    linktype: u16,
    /// `PacketType` as a number: see `packetType()`.
    pkttype: u8,

    /// The capture time in nanoseconds since the epoch.
    pub fn timestampNs(self: Info) i128 {
        return @as(i128, self.sec) * std.time.ns_per_s + self.nsec;
    }

    /// Host, broadcast, multicast, other host or outgoing.
    pub fn packetType(self: Info) PacketType {
        return @enumFromInt(self.pkttype);
    }

    /// True when the kernel removed a VLAN tag and `vlan_tci`/`vlan_tpid` hold it.
    pub fn vlanValid(self: Info) bool {
        return c.pkt_vlan_valid(self.status);
    }

    /// The VLAN id of that tag, or null.
    pub fn vlanId(self: Info) ?u12 {
        if (!self.vlanValid()) return null;
        return @truncate(self.vlan_tci);
    }

    /// Where the timestamp comes from: 0 the kernel, 1 the network adapter, -1 unknown.
    pub fn tstampSource(self: Info) i8 {
        return c.pkt_tstamp_valid(self.status);
    }
};

/// One packet: `info.caplen` bytes in the ring (or in a savefile's mapping or buffer), valid
/// until the next read call (`read`, `readBatch`, `dispatch`, `loop`) or `close` on the
/// handle. The layout of `pkt_packet_t`, so that `readBatch` fills a slice of them without any
/// conversion.
pub const Packet = extern struct {
    ptr: [*]const u8,
    info: Info,

    /// The packet's bytes (read-only; copy what you keep).
    pub fn bytes(self: Packet) []const u8 {
        return self.ptr[0..self.info.caplen];
    }
};

/// One packet of `readSlim`: its bytes and lengths, nothing else (`pkt_slim_t`, 16 bytes, a
/// third of a `Packet`). `caplen` bytes at `ptr`, valid as a `Packet`'s; `len` is the length on
/// the wire.
pub const Slim = extern struct {
    ptr: [*]const u8,
    caplen: u32,
    len: u32,

    /// The packet's bytes (read-only; copy what you keep).
    pub fn bytes(self: Slim) []const u8 {
        return self.ptr[0..self.caplen];
    }
};

/// Packet counters (`pkt_stats_t`).
pub const Stats = extern struct {
    /// Packets that passed the kernel filter and reached the socket, dropped ones included.
    recvs: u64,
    /// Packets dropped because the ring was full.
    drops: u64,
};

comptime {
    sameLayout(Info, c.pkt_info_t);
    sameLayout(Packet, c.pkt_packet_t);
    sameLayout(Slim, c.pkt_slim_t);
    sameLayout(Insn, c.pkt_bpf_insn_t);
    sameLayout(Stats, c.pkt_stats_t);
}

/// Checks at compile time that a Zig mirror has the C struct's size and field offsets.
fn sameLayout(comptime Z: type, comptime C: type) void {
    if (@sizeOf(Z) != @sizeOf(C) or @alignOf(Z) != @alignOf(C))
        @compileError("size of " ++ @typeName(Z) ++ " differs from the C header");
    const zf = @typeInfo(Z).@"struct".fields;
    const cf = @typeInfo(C).@"struct".fields;
    if (zf.len != cf.len) @compileError("fields of " ++ @typeName(Z) ++ " differ from the C header");
    for (zf, cf) |a, b| {
        if (@offsetOf(Z, a.name) != @offsetOf(C, b.name) or @sizeOf(a.type) != @sizeOf(b.type))
            @compileError("field " ++ a.name ++ " of " ++ @typeName(Z) ++ " differs from the C header");
    }
}

// ---------------------------------------------------------------------------------------------
// Config

/// How a capture is set up: `pkt_config_t` with Zig defaults equal to `pkt_config_default()`.
/// Fields the C struct gains later keep their C defaults. See the header for every field.
pub const Config = struct {
    /// A blocking read gives up with `error.TimedOut` after this many ms; `<= 0`: never.
    read_timeout_ms: i64 = 0,
    /// Ring size in bytes (rounded up; `Handle.config()` reports the size in effect).
    buffer_size: i64 = 2 * 1024 * 1024,
    /// TPACKET_V3 block retire timeout: `> 0` ms, `0` never, `< 0` the kernel decides.
    block_timeout_ms: i64 = 100,
    /// Classic BPF program attached before any packet is read; copied by `open`.
    filter: ?[]const Insn = null,
    /// Ethertype (host order) to capture, in both directions; `proto_all`: every one.
    proto: u16 = proto_all,
    direction: Direction = .inout,
    tstamp_resolution: TstampResolution = .nano,
    /// Packets a user-space filter may skip in a row before a read returns null.
    max_nil_read: u64 = 1024,
    /// One wake-up per packet (a TPACKET_V2 ring) instead of ring blocks.
    immediate: bool = false,
    promiscuous: bool = false,
    /// Reads and writes never wait (`error.WouldBlock` instead).
    nonblock: bool = false,
    /// No link-layer header: data starts at the network header.
    cooked: bool = false,
    tx_mode: TxMode = .auto,
    qdisc_bypass: bool = false,
    /// Put the outer VLAN tag back into the packet bytes.
    vlan_insert: bool = true,
    /// Bytes kept of each packet; 0: whole packets.
    snaplen: u32 = 0,
    /// The clock that stamps packets. An adapter clock must be one the interface offers
    /// (`tstampSources`): `Handle.open` fails with `error.OperationNotSupported` otherwise (and
    /// on all interfaces), naming the interface in `errmsg()`, rather than use another clock.
    tstamp_source: TstampSource = .software,

    /// The C struct, starting from `pkt_config_default()`. `filter` is borrowed from `self`.
    /// `error.InvalidArgument` for a filter of more than 2^32 - 1 instructions.
    pub fn toC(self: Config) Error!c.pkt_config_t {
        var out: c.pkt_config_t = undefined;
        c.pkt_config_default(&out);
        out.read_timeout_ms = self.read_timeout_ms;
        out.buffer_size = self.buffer_size;
        out.block_timeout_ms = self.block_timeout_ms;
        if (self.filter) |f| {
            out.filter = @ptrCast(f.ptr);
            out.filter_len = std.math.cast(u32, f.len) orelse return fail(einval);
        } else {
            out.filter = null;
            out.filter_len = 0;
        }
        out.proto = self.proto;
        out.direction = @intFromEnum(self.direction);
        out.tstamp_resolution = @intFromEnum(self.tstamp_resolution);
        out.max_nil_read = self.max_nil_read;
        out.immediate = self.immediate;
        out.promiscuous = self.promiscuous;
        out.nonblock = self.nonblock;
        out.cooked = self.cooked;
        out.tx_mode = @intFromEnum(self.tx_mode);
        out.qdisc_bypass = self.qdisc_bypass;
        out.vlan_insert = self.vlan_insert;
        out.snaplen = self.snaplen;
        out.tstamp_source = @intFromEnum(self.tstamp_source);
        return out;
    }

    /// From the C struct (the filter is not carried over). Unknown enum values give
    /// `error.InvalidArgument`.
    pub fn fromC(cc: c.pkt_config_t) Error!Config {
        return .{
            .read_timeout_ms = cc.read_timeout_ms,
            .buffer_size = cc.buffer_size,
            .block_timeout_ms = cc.block_timeout_ms,
            .filter = null,
            .proto = cc.proto,
            .direction = std.meta.intToEnum(Direction, cc.direction) catch return error.InvalidArgument,
            .tstamp_resolution = std.meta.intToEnum(TstampResolution, cc.tstamp_resolution) catch
                return error.InvalidArgument,
            .max_nil_read = cc.max_nil_read,
            .immediate = cc.immediate,
            .promiscuous = cc.promiscuous,
            .nonblock = cc.nonblock,
            .cooked = cc.cooked,
            .tx_mode = std.meta.intToEnum(TxMode, cc.tx_mode) catch return error.InvalidArgument,
            .qdisc_bypass = cc.qdisc_bypass,
            .vlan_insert = cc.vlan_insert,
            .snaplen = cc.snaplen,
            .tstamp_source = std.meta.intToEnum(TstampSource, cc.tstamp_source) catch
                return error.InvalidArgument,
        };
    }

    /// The defaults as the library gives them (`pkt_config_default`).
    pub fn default() Config {
        var cc: c.pkt_config_t = undefined;
        c.pkt_config_default(&cc);
        return fromC(cc) catch unreachable;
    }

    /// True when `Handle.open` would accept this config (`pkt_config_check`); `errmsg()`
    /// says why not.
    pub fn check(self: Config) bool {
        const cc = self.toC() catch return false;
        return c.pkt_config_check(&cc);
    }
};

// ---------------------------------------------------------------------------------------------
// Filter expressions

/// How `compile` builds a program (`PKT_COMPILE_*`).
pub const CompileFlags = struct {
    /// Optimize the program, as `pcap_compile` with `optimize` 1 (`PKT_COMPILE_OPTIMIZE`).
    optimize: bool = false,
    /// The live form, for `Handle.setFilter` (`PKT_COMPILE_LIVE`): the kernel has removed the
    /// outer VLAN tag, `vlan`, `inbound`/`outbound` and `ifindex` use the socket's metadata,
    /// and for the cooked link types the program sees packets from the network header on.
    /// Without it, the offline form: the bytes as stored in a savefile.
    live: bool = false,

    fn bits(f: CompileFlags) u32 {
        var b: u32 = 0;
        if (f.optimize) b |= c.PKT_COMPILE_OPTIMIZE;
        if (f.live) b |= c.PKT_COMPILE_LIVE;
        return b;
    }
};

/// A classic BPF program compiled from a filter expression: owned by libpkt's allocator until
/// `deinit` (`pkt_free_prog`). `insns()` is valid until then; copy what you keep.
pub const Program = struct {
    ptr: ?[*]Insn,
    len: usize,

    /// The instructions, for `Handle.setFilter` or `Config.filter`.
    pub fn insns(self: Program) []const Insn {
        const p = self.ptr orelse return &.{};
        return p[0..self.len];
    }

    /// Frees the program (`pkt_free_prog`).
    pub fn deinit(self: *Program) void {
        c.pkt_free_prog(@ptrCast(self.ptr));
        self.* = undefined;
    }
};

/// Compiles a filter expression (tcpdump's language, pcap-filter(7), as libpcap 1.10 accepts
/// it) into a classic BPF program for packets of pcap link type `linktype` (`dlt.en10mb`,
/// `dlt.raw`, `dlt.linux_sll`, `dlt.linux_sll2`) (`pkt_compile`). Accepted packets return
/// `snaplen` (0: 262144), rejected ones 0; an empty expression accepts every packet. For a
/// handle, `Handle.setFilterExpr` does the compiling and installing. Free the result with
/// `deinit`. Errors: `InvalidArgument` for an expression that does not compile (`errmsg()`
/// gives the byte position and the problem, for "udp dst port": "pkt_compile: position 12:
/// syntax error: unexpected end of expression (Invalid argument)"), an unknown link type, or
/// an expression with a NUL byte inside it (`errmsg()` then says nothing about it);
/// `ProgramTooLong` over 4096 instructions; `OutOfMemory`. Names (hosts, ports, ...) are
/// resolved as libpcap resolves them, which may block on DNS. Any thread.
pub fn compile(expr: [:0]const u8, linktype: u16, snaplen: u32, flags: CompileFlags) Error!Program {
    // C would stop at the first NUL: refuse what would compile into a looser filter.
    if (std.mem.indexOfScalar(u8, expr, 0) != null) return fail(einval);
    var prog: [*c]c.pkt_bpf_insn_t = null;
    var len: usize = 0;
    _ = try check(c.pkt_compile(expr.ptr, linktype, snaplen, flags.bits(), &prog, &len));
    return .{ .ptr = @ptrCast(prog), .len = len };
}

// ---------------------------------------------------------------------------------------------
// Handle

/// A capture handle (`pkt_t`): live (`open`) or a savefile being read (`openOffline`,
/// `openOfflineFd`). One thread reads it at a time; `breakLoop`, `stats`, `fd`, `linkType`,
/// `dlt`, `config` and `write` may be called from any thread meanwhile. `close` must not race
/// with any other call: break the loop, join the reader, then close.
pub const Handle = struct {
    raw: *c.pkt_t,

    /// Opens a capture on interface `ifname`, or on all interfaces for null, "" or "any"
    /// (`pkt_open`). Errors: `NoDevice`, `PermissionDenied`, `InvalidArgument`,
    /// `OperationNotSupported` (a `tstamp_source` the interface lacks), `OutOfMemory`, ...;
    /// `errmsg()` names the failing step.
    pub fn open(ifname: ?[:0]const u8, cfg: Config) Error!Handle {
        const cc = try cfg.toC();
        var out: ?*c.pkt_t = null;
        _ = try check(c.pkt_open(if (ifname) |n| n.ptr else null, &cc, &out));
        return .{ .raw = out orelse return fail(einval) };
    }

    /// Opens a savefile for reading (`pkt_open_offline`, libpcap's `pcap_open_offline`): pcap
    /// (either byte order, µs or ns) or pcapng (any sections, interfaces and link types),
    /// whichever `path` holds; "-" reads standard input. A regular file is mapped (packets are
    /// slices of it: it must not be truncated or rewritten meanwhile); a pipe is read as a
    /// stream, and the open waits until its header arrived.
    ///
    /// The handle works with `read`, `readBatch`, `dispatch`, `loop`, `setFilter`,
    /// `setFilterExpr`, `breakLoop`, `stats` (`recvs`: records read; `drops`: from pcapng
    /// statistics blocks), `config`, `fd`, `dlt` (the file's link type; `linkType()` is
    /// `linktype_none`), `offlineIface` and `close`; `write`, `writeBatch`, `flush`,
    /// `setFanout` and `fanoutGroup` fail with `error.OperationNotSupported`.
    ///
    /// Of `cfg` (`.{}`: the defaults) a savefile uses `snaplen` (each `caplen` cut to it),
    /// `tstamp_resolution`, `filter` (compile it with `compile`, without `.live`, for the
    /// file's link type) and `max_nil_read`; `direction` other than `.inout` and `proto` other
    /// than `proto_all` (or 0) are `error.InvalidArgument`; the rest is ignored: reads never
    /// give `WouldBlock` or `TimedOut` (a read of a pipe waits for data until `breakLoop`).
    ///
    /// A packet's `Info`: `sec`/`nsec` from the record, in nanoseconds; `caplen`, and `len` as
    /// the record says; `ifindex` the pcapng interface's number in the file, counted over all
    /// sections (0 in a pcap file: see `offlineIface`); `linktype` its pcap link type (a
    /// `dlt` value, not an ARPHRD one as on live handles); `pkttype` from a pcapng packet's
    /// flags (otherwise `.host`); `protocol`, `status`, VLAN fields 0. A record of 0 bytes is a
    /// packet with empty `bytes()`, not a nil read.
    ///
    /// The end of the file is `error.EndOfFile` from the read calls; a damaged or truncated
    /// record is `error.BadMessage` (`errmsg()` gives its byte offset) after the packets
    /// before it; both are returned again by every later read. Errors at the open: the
    /// open's (`NotFound`, `AccessDenied`, `IsDir`, ...), `BadMessage` for a file that is not
    /// a savefile or whose header is damaged or cut short (`errmsg()`: "not a pcap or pcapng
    /// file: first bytes 7f 45 4c 46"), `InvalidArgument` for a bad `cfg` or a `path` with a
    /// NUL byte inside it. Any thread.
    pub fn openOffline(path: [:0]const u8, cfg: Config) Error!Handle {
        // C would stop at the first NUL: refuse what would open another file.
        if (std.mem.indexOfScalar(u8, path, 0) != null) return fail(einval);
        const cc = try cfg.toC();
        var out: ?*c.pkt_t = null;
        _ = try check(c.pkt_open_offline(path.ptr, &cc, &out));
        return .{ .raw = out orelse return fail(einval) };
    }

    /// Opens a savefile read from descriptor `file_fd`, from its current offset
    /// (`pkt_open_offline_fd`, libpcap's `pcap_fopen_offline`); as `openOffline` otherwise.
    /// The handle does not take `file_fd`: it reads through its own duplicate (close-on-exec),
    /// which `close` closes, so the caller may close `file_fd` right after the call. The two
    /// share the open file: do not read a pipe through `file_fd` while the handle reads it. A
    /// regular file is mapped, and `file_fd`'s offset is left where it was. (libpcap's
    /// `pcap_fopen_offline` takes the `FILE *` and closes it; this does not.) Errors: as
    /// `openOffline`, and `BadFileDescriptor` when `file_fd` is not open.
    pub fn openOfflineFd(file_fd: std.posix.fd_t, cfg: Config) Error!Handle {
        const cc = try cfg.toC();
        var out: ?*c.pkt_t = null;
        _ = try check(c.pkt_open_offline_fd(file_fd, &cc, &out));
        return .{ .raw = out orelse return fail(einval) };
    }

    /// Closes the handle: unmaps the ring, closes the socket (`pkt_close`, which cannot fail).
    /// Packet slices from it are gone afterwards.
    pub fn close(self: Handle) void {
        _ = c.pkt_close(self.raw);
    }

    /// Reads the next packet without copying it (`pkt_read`). With `poll`, waits until one is
    /// ready (up to `read_timeout_ms`); without it, `error.WouldBlock` when none is.
    /// Returns null for a nil read: a user-space filter skipped `max_nil_read` packets in a
    /// row; simply read again. The packet's bytes stay valid until the next read call or close.
    /// Errors: `WouldBlock`, `Interrupted` (`breakLoop`), `TimedOut`, `NoDevice` (interface
    /// removed), `InputOutput` (a corrupted ring frame); on a savefile `EndOfFile` and
    /// `BadMessage` (see `openOffline`), where a record of 0 bytes is a packet, not null.
    pub fn read(self: Handle, poll: bool) Error!?Packet {
        var data: [*c]const u8 = null;
        var p: Packet = undefined;
        _ = try check(c.pkt_read(self.raw, @intFromBool(poll), &data, @ptrCast(&p.info)));
        // A nil read leaves data NULL; a savefile's empty record returns 0 with data set.
        if (data == null) return null;
        p.ptr = data;
        return p;
    }

    /// Reads up to `out.len` packets in one call (`pkt_read_batch`), without copying: fills
    /// `out[0..n]` and returns `n`; 0 is a nil read (see `read`). The slices stay valid until
    /// the next read call or close. Waits (with `poll`) only while nothing is ready. An empty
    /// `out` is `error.InvalidArgument`. Errors as `read`; on a savefile a batch ends before
    /// the end of the file or a damaged record, which the next call reports.
    pub fn readBatch(self: Handle, poll: bool, out: []Packet) Error!usize {
        const n = try check(c.pkt_read_batch(self.raw, @intFromBool(poll), @ptrCast(out.ptr), out.len));
        return @intCast(n);
    }

    /// `readBatch` in its leanest form (`pkt_read_slim`): each packet as only its bytes and
    /// lengths (`Slim`), for consumers that need nothing else of `Info` (counters, parsers,
    /// forwarders): fewer loads from the ring and a third of the stores. Fills `out[0..n]` and
    /// returns `n`; everything else is `readBatch`'s (waiting, validity, the nil read 0,
    /// `error.InvalidArgument` for an empty `out`, errors). Batches of about 32 are the
    /// fastest: with many more, the ring lines of the first packets leave the first-level cache
    /// before the loop reaches them.
    pub fn readSlim(self: Handle, poll: bool, out: []Slim) Error!usize {
        const n = try check(c.pkt_read_slim(self.raw, @intFromBool(poll), @ptrCast(out.ptr), out.len));
        return @intCast(n);
    }

    /// libpcap's `pcap_dispatch` (`pkt_dispatch`): calls `handler(context, bytes, info)` for up
    /// to `max` packets (`max <= 0`: the rest of the current ring block) and returns how many.
    /// The bytes are valid only during the call. The handler must not read, set a filter on or
    /// close this handle; `breakLoop` is fine and ends the loop after the current packet.
    /// `error.Interrupted` only when a break came before any packet. On a savefile, as
    /// libpcap's `pcap_dispatch` there: `max <= 0` is every packet up to the end of the file,
    /// 0 is returned at the end (not `error.EndOfFile`), packets the filter rejects are not
    /// counted, and a damaged record ends the call with the count before it (the next call
    /// gives `error.BadMessage`).
    pub fn dispatch(
        self: Handle,
        max: i32,
        context: anytype,
        comptime handler: fn (@TypeOf(context), []const u8, *const Info) void,
    ) Error!usize {
        const T = Trampoline(@TypeOf(context), handler);
        var ctx_copy = context;
        const n = try check(c.pkt_dispatch(self.raw, max, T.cb, T.user(&ctx_copy)));
        return @intCast(n);
    }

    /// libpcap's `pcap_loop` (`pkt_loop`): calls `handler(context, bytes, info)` for every
    /// packet until `cnt` were handed out (`cnt <= 0`: no limit) or the end of a savefile, and
    /// then returns. The handler's rules are `dispatch`'s: the bytes are valid only during the
    /// call; it must not read, set a filter on or close this handle; it may call `breakLoop`
    /// (to stop on a condition of its own, say so in `context` and break).
    ///
    /// Errors, after the packets before them were handed out: `Interrupted` when `breakLoop`
    /// (from the handler, another thread or a signal handler) ended the loop, also one called
    /// before the loop started (it takes the pending break, as a read does); on a savefile
    /// `BadMessage` for a damaged or truncated record (`errmsg()` gives its byte offset); on a
    /// live handle `TimedOut` after `read_timeout_ms` (> 0) without a packet (with the
    /// default 0 it waits as long as it takes), `WouldBlock` on a `nonblock` handle as soon as
    /// nothing is ready, and the errors of `read`. Nil reads just continue.
    ///
    /// ```zig
    /// var h = try pkt.Handle.openOffline("in.pcap", .{});
    /// defer h.close();
    /// var bytes: u64 = 0;
    /// try h.loop(0, &bytes, struct {
    ///     fn f(total: *u64, data: []const u8, _: *const pkt.Info) void {
    ///         total.* += data.len;
    ///     }
    /// }.f);
    /// ```
    pub fn loop(
        self: Handle,
        cnt: i32,
        context: anytype,
        comptime handler: fn (@TypeOf(context), []const u8, *const Info) void,
    ) Error!void {
        const T = Trampoline(@TypeOf(context), handler);
        var ctx_copy = context;
        _ = try check(c.pkt_loop(self.raw, cnt, T.cb, T.user(&ctx_copy)));
    }

    /// Sends one frame (`pkt_write`), link-layer header included unless the handle is cooked.
    /// `ifindex` 0: the bound interface; `proto` (host order) 0: from the Ethernet header.
    /// Returns the bytes sent. Errors: `MessageTooLong` (over MTU plus header), `NetworkDown`,
    /// `NoDevice`, `InvalidArgument` (ifindex 0 on all interfaces), `WouldBlock` or
    /// `NoBufferSpace` (full queue, non-blocking handle). Any thread.
    pub fn write(self: Handle, frame: []const u8, ifindex: i32, proto: u16) Error!usize {
        const n = try check(c.pkt_write(self.raw, frame.ptr, frame.len, ifindex, proto));
        return @intCast(n);
    }

    /// Sends frames in order on the bound interface (`pkt_write_batch`, crossing into C once
    /// per 64 frames) and returns how many were sent. A count below `frames.len` means
    /// `frames[count]` failed and nothing after it was sent: `lastCode()` is its error and
    /// `errmsg()` says why. An error only when none was sent. With
    /// `TxMode.ring` frames may still be leaving: `flush()` waits for them.
    pub fn writeBatch(self: Handle, frames: []const []const u8) Error!usize {
        var descs: [64]c.pkt_frame_t = undefined;
        var sent: usize = 0;
        while (sent < frames.len) {
            const chunk = frames[sent..][0..@min(descs.len, frames.len - sent)];
            for (chunk, descs[0..chunk.len]) |f, *d| d.* = .{ .data = f.ptr, .len = f.len };
            const rc = c.pkt_write_batch(self.raw, &descs, chunk.len);
            if (rc < 0) {
                if (sent == 0) return fail(rc);
                last_code = rc;
                return sent;
            }
            const n: usize = @intCast(rc);
            sent += n;
            if (n < chunk.len) {
                // pkt_errno(): the error of frames[sent]; pkt_errmsg() says why.
                last_code = c.pkt_errno();
                return sent;
            }
        }
        return sent;
    }

    /// Waits until frames queued by `writeBatch` have left (`pkt_flush`; TX ring only).
    pub fn flush(self: Handle) Error!void {
        _ = try check(c.pkt_flush(self.raw));
    }

    /// Replaces the classic BPF filter (`pkt_setfilter`); an empty program detaches it.
    /// Packets already in the ring that fail the new filter are not returned after the call.
    /// An invalid program is `error.InvalidArgument` (`errmsg()` names the instruction) and
    /// leaves the previous filter in place. On a savefile handle the program runs in user
    /// space on every packet read after the call, with libpcap's semantics (as
    /// `offlineFilter`): compile it without `.live`; its return value also cuts `caplen`. Call
    /// from the reading thread.
    pub fn setFilter(self: Handle, prog: []const Insn) Error!void {
        _ = try check(c.pkt_setfilter(self.raw, if (prog.len == 0) null else @ptrCast(prog.ptr), prog.len));
    }

    /// Compiles `expr` (see `compile`) in the live, optimized form for this handle's link type
    /// (`dlt()`: Ethernet, or cooked) and snap length, and installs it as `setFilter` does
    /// (`pkt_compile`, `pkt_setfilter`, `pkt_free_prog`). On a savefile handle: the offline
    /// form, for the file's link type (`dlt()`: its first interface's), as libpcap compiles it
    /// for a savefile. An empty expression accepts every packet. An expression that does not
    /// compile is `error.InvalidArgument`, with the position in `errmsg()`, and leaves the
    /// previous filter in place; so does a link type the compiler does not know. Call from the
    /// reading thread.
    pub fn setFilterExpr(self: Handle, expr: [:0]const u8) Error!void {
        var cc: c.pkt_config_t = undefined;
        _ = try check(c.pkt_get_config(self.raw, &cc));
        var prog = try compile(expr, self.dlt(), cc.snaplen, .{ .optimize = true, .live = !self.isOffline() });
        defer prog.deinit();
        try self.setFilter(prog.insns());
    }

    /// Packet counters (`pkt_stats`): with `total`, since open; otherwise since the previous
    /// `stats` call of either kind. Any thread.
    pub fn stats(self: Handle, total: bool) Error!Stats {
        var st: Stats = undefined;
        _ = try check(c.pkt_stats(self.raw, total, @ptrCast(&st)));
        return st;
    }

    /// Makes a blocked read (or the next one) return `error.Interrupted`, once
    /// (`pkt_breakloop`). Any thread, and async-signal-safe.
    pub fn breakLoop(self: Handle) void {
        _ = c.pkt_breakloop(self.raw);
    }

    /// The socket, for poll/epoll (readable when a packet is ready). Owned by the handle: do
    /// not close it or read from it.
    pub fn fd(self: Handle) std.posix.fd_t {
        return c.pkt_fd(self.raw);
    }

    /// ARPHRD_* of the bound interface (`linktype_ethernet` for Ethernet and loopback), or
    /// `linktype_none` on all interfaces.
    pub fn linkType(self: Handle) u16 {
        return c.pkt_linktype(self.raw);
    }

    /// The pcap link type to write this handle's packets with (`pkt_dlt`), for `Dumper.open`.
    pub fn dlt(self: Handle) u16 {
        return c.pkt_dlt(self.raw);
    }

    /// The configuration in effect (`pkt_get_config`): the rounded ring size, forced cooked
    /// mode; no filter.
    pub fn config(self: Handle) Error!Config {
        var cc: c.pkt_config_t = undefined;
        _ = try check(c.pkt_get_config(self.raw, &cc));
        return Config.fromC(cc);
    }

    /// Joins fanout group `group_id` (`pkt_set_fanout`).
    pub fn setFanout(self: Handle, mode: FanoutMode, group_id: u16, flags: FanoutFlags) Error!void {
        _ = try check(c.pkt_set_fanout(self.raw, @intFromEnum(mode), group_id, flags.bits()));
    }

    /// The fanout group joined, or null when none (`pkt_fanout_group`).
    pub fn fanoutGroup(self: Handle) Error!?u16 {
        const rc = c.pkt_fanout_group(self.raw);
        if (rc == -@as(c_int, @intFromEnum(std.posix.E.NOENT))) return null;
        return @intCast(try check(rc));
    }

    /// Interface `ifindex` of a savefile (a packet's `Info.ifindex`): its pcap link type and
    /// snap length (`pkt_offline_iface`; 0 or over 262144 in the file reads as 262144). A pcap
    /// file has interface 0 only; a pcapng file's interfaces are numbered in file order over
    /// all its sections, and are known once the reads reached their description blocks
    /// (interface 0 at the open). Errors: `NotFound` no such interface (yet);
    /// `OperationNotSupported` a live handle. Call from the reading thread.
    pub fn offlineIface(self: Handle, ifindex: i32) Error!OfflineIface {
        var out: OfflineIface = undefined;
        _ = try check(c.pkt_offline_iface(self.raw, ifindex, &out.dlt, &out.snaplen));
        return out;
    }

    /// True for a savefile handle: `pkt_offline_iface` knows interface 0 of every savefile
    /// and refuses live handles.
    fn isOffline(self: Handle) bool {
        return c.pkt_offline_iface(self.raw, 0, null, null) == 0;
    }
};

/// What `Handle.offlineIface` says about an interface of a savefile.
pub const OfflineIface = struct {
    /// The pcap link type of its packets (`dlt.en10mb`, ...; for `compile`).
    dlt: u16,
    /// The interface's snap length in the file (262144 for 0 or more).
    snaplen: u32,
};

/// The C callback `dispatch` and `loop` hand libpkt: it calls `handler` with the context
/// (passed by pointer to a copy on the caller's stack, or not at all when it has no size) and
/// the packet as a slice.
fn Trampoline(comptime Ctx: type, comptime handler: fn (Ctx, []const u8, *const Info) void) type {
    return struct {
        fn cb(user_ptr: ?*anyopaque, data: [*c]const u8, info: [*c]const c.pkt_info_t) callconv(.c) void {
            const i: *const Info = @ptrCast(info);
            const ctx: Ctx = if (@sizeOf(Ctx) == 0)
                undefined
            else
                @as(*const Ctx, @ptrCast(@alignCast(user_ptr))).*;
            const bytes: []const u8 = if (i.caplen == 0) &.{} else data[0..i.caplen];
            handler(ctx, bytes, i);
        }

        fn user(ctx: *Ctx) ?*anyopaque {
            return if (@sizeOf(Ctx) == 0) null else @ptrCast(ctx);
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Savefiles

/// A pcap or pcapng savefile being written (`pkt_dumper_t`). One thread at a time.
pub const Dumper = struct {
    raw: *c.pkt_dumper_t,

    pub const Format = enum { pcap, pcapng };

    pub const Options = struct {
        format: Format = .pcap,
        /// Nanosecond timestamps (default microseconds).
        nano: bool = false,
        /// Bytes kept of each record; 0: 262144.
        snaplen: u32 = 0,
    };

    /// Creates or truncates `path` ("-": standard output) and writes the file header
    /// (`pkt_dump_open`). `linktype` is a pcap link type: `Handle.dlt()` gives the right one.
    pub fn open(path: [:0]const u8, linktype: u16, opts: Options) Error!Dumper {
        var flags: u32 = 0;
        if (opts.format == .pcapng) flags |= c.PKT_DUMP_PCAPNG;
        if (opts.nano) flags |= c.PKT_DUMP_NANO;
        var out: ?*c.pkt_dumper_t = null;
        _ = try check(c.pkt_dump_open(path.ptr, linktype, opts.snaplen, flags, &out));
        return .{ .raw = out orelse return fail(einval) };
    }

    /// Appends one record: `data` (its length is the captured length) with `info`'s wire
    /// length and time (`pkt_dump_write`). Buffered; write errors stick (see the header).
    pub fn write(self: Dumper, data: []const u8, info: Info) Error!void {
        var i = info;
        i.caplen = std.math.cast(u32, data.len) orelse return fail(einval);
        _ = try check(c.pkt_dump_write(self.raw, data.ptr, @ptrCast(&i)));
    }

    /// Appends a captured packet.
    pub fn writePacket(self: Dumper, p: Packet) Error!void {
        _ = try check(c.pkt_dump_write(self.raw, p.ptr, @ptrCast(&p.info)));
    }

    /// Writes the buffered records out (`pkt_dump_flush`).
    pub fn flush(self: Dumper) Error!void {
        _ = try check(c.pkt_dump_flush(self.raw));
    }

    /// Capture counters for pcapng's interface statistics blocks, written at close
    /// (`pkt_dump_stats`; ignored for pcap).
    pub fn setStats(self: Dumper, st: Stats) Error!void {
        _ = try check(c.pkt_dump_stats(self.raw, @ptrCast(&st)));
    }

    /// The file's size once the buffer is written (`pkt_dump_bytes`).
    pub fn bytes(self: Dumper) Error!u64 {
        const n = c.pkt_dump_bytes(self.raw);
        if (n < 0) return fail(@intCast(n));
        return @intCast(n);
    }

    /// Finishes the file and frees the dumper whatever happens (`pkt_dump_close`); returns
    /// the first error the dumper met. `defer d.close() catch {};` when the error does not
    /// matter, otherwise call it and check.
    pub fn close(self: Dumper) Error!void {
        _ = try check(c.pkt_dump_close(self.raw));
    }
};

// ---------------------------------------------------------------------------------------------
// Interfaces

/// Bytes that always hold an interface name and its NUL (`PKT_IFNAMSIZ`, Linux `IFNAMSIZ`).
pub const ifnamsiz = c.PKT_IFNAMSIZ;

/// An interface's link state as its driver reports it (`PKT_IF_CONNECTION_STATUS_*`).
pub const ConnectionStatus = enum(u2) {
    /// The link state could not be read.
    unknown = 0,
    /// The driver reports a link (for wireless: associated).
    connected = 1,
    /// No link: no carrier, or the interface is down.
    disconnected = 2,
    /// Loopback, "any", drivers without a link state.
    not_applicable = 3,
};

/// `pkt_iface_t.flags` (`PKT_IF_*`, libpcap's `PCAP_IF_*`), bit for bit.
pub const IfaceFlags = packed struct(u32) {
    loopback: bool = false,
    up: bool = false,
    /// Up and its link operational (IFF_RUNNING).
    running: bool = false,
    /// Wi-Fi, IEEE 802.15.4, IrDA, ...
    wireless: bool = false,
    connection_status: ConnectionStatus = .unknown,
    /// Bits libpkt may define later.
    reserved: u26 = 0,
};

comptime {
    const bits = struct {
        fn of(f: IfaceFlags) u32 {
            return @bitCast(f);
        }
    }.of;
    std.debug.assert(bits(.{ .loopback = true }) == c.PKT_IF_LOOPBACK);
    std.debug.assert(bits(.{ .up = true }) == c.PKT_IF_UP);
    std.debug.assert(bits(.{ .running = true }) == c.PKT_IF_RUNNING);
    std.debug.assert(bits(.{ .wireless = true }) == c.PKT_IF_WIRELESS);
    std.debug.assert(bits(.{ .connection_status = .not_applicable }) == c.PKT_IF_CONNECTION_STATUS);
    std.debug.assert(bits(.{ .connection_status = .unknown }) == c.PKT_IF_CONNECTION_STATUS_UNKNOWN);
    std.debug.assert(bits(.{ .connection_status = .connected }) == c.PKT_IF_CONNECTION_STATUS_CONNECTED);
    std.debug.assert(bits(.{ .connection_status = .disconnected }) == c.PKT_IF_CONNECTION_STATUS_DISCONNECTED);
    std.debug.assert(bits(.{ .connection_status = .not_applicable }) == c.PKT_IF_CONNECTION_STATUS_NOT_APPLICABLE);
}

/// A link-layer address (`struct sockaddr_ll` of `AF_PACKET`).
pub const LinkAddr = struct {
    /// ARPHRD_* of the interface.
    hatype: u16,
    /// The interface index.
    ifindex: i32,
    len: u8,
    addr: [8]u8,

    /// The address bytes: 6 on Ethernet, none on interfaces without an address.
    pub fn bytes(self: *const LinkAddr) []const u8 {
        return self.addr[0..@min(self.len, self.addr.len)];
    }
};

/// One socket address of an interface, decoded (a copy: it outlives the list).
pub const SockAddr = union(enum) {
    /// IPv4 (`AF_INET`), the bytes in network order: 192.0.2.1 is `.{ 192, 0, 2, 1 }`.
    ip4: [4]u8,
    /// IPv6 (`AF_INET6`), with the scope id of a link-local address (its interface's index; 0
    /// for others).
    ip6: struct { addr: [16]u8, scope_id: u32 },
    /// Link layer (`AF_PACKET`).
    link: LinkAddr,
    /// Another family (libpkt lists none): its `AF_*` number.
    other: u16,

    /// Decodes `sa` (`struct sockaddr *`, NULL for none).
    fn fromC(sa: ?*const anyopaque) ?SockAddr {
        const p = sa orelse return null;
        const family = @as(*const std.posix.sockaddr, @ptrCast(@alignCast(p))).family;
        switch (family) {
            std.posix.AF.INET => {
                const in: *const std.posix.sockaddr.in = @ptrCast(@alignCast(p));
                return .{ .ip4 = @bitCast(in.addr) };
            },
            std.posix.AF.INET6 => {
                const in6: *const std.posix.sockaddr.in6 = @ptrCast(@alignCast(p));
                return .{ .ip6 = .{ .addr = in6.addr, .scope_id = in6.scope_id } };
            },
            std.posix.AF.PACKET => {
                const ll: *const std.posix.sockaddr.ll = @ptrCast(@alignCast(p));
                return .{ .link = .{ .hatype = ll.hatype, .ifindex = ll.ifindex, .len = ll.halen, .addr = ll.addr } };
            },
            else => return .{ .other = family },
        }
    }

    /// The IP address as a `std.net.Address` (port 0), for sockets; null for the other kinds.
    pub fn toNetAddress(self: SockAddr) ?std.net.Address {
        return switch (self) {
            .ip4 => |a| std.net.Address.initIp4(a, 0),
            .ip6 => |a| std.net.Address.initIp6(a.addr, 0, 0, a.scope_id),
            else => null,
        };
    }
};

/// One address of an interface (`pkt_iface_addr_t`, libpcap's `pcap_addr_t`).
pub const IfaceAddress = struct {
    addr: SockAddr,
    /// IPv4 and IPv6; null for link-layer addresses.
    netmask: ?SockAddr,
    /// On interfaces that can broadcast (IFF_BROADCAST); as in libpcap, for an address with a
    /// peer on such an interface, the peer.
    broadaddr: ?SockAddr,
    /// The peer, on point-to-point interfaces (IFF_POINTOPOINT).
    dstaddr: ?SockAddr,
};

/// One interface of an `IfaceList`. Its strings point into the list: valid until the list's
/// `deinit`.
pub const Iface = struct {
    /// The name, the kernel's bytes (not necessarily UTF-8): pass it to `Handle.open` as is.
    /// "any" is all interfaces.
    name: [:0]const u8,
    /// "Pseudo-device that captures on all interfaces" for "any", null for the others.
    description: ?[:0]const u8,
    /// The interface index; 0 for "any".
    index: i32,
    flags: IfaceFlags,
    /// ARPHRD_* (772 for loopback); `linktype_none` for "any".
    arphrd: u16,
    /// The pcap link type a default capture on it records (`Handle.dlt()` of a handle opened
    /// on it): `dlt.en10mb` for Ethernet and loopback, `dlt.linux_sll2` for the rest and "any".
    dlt: u16,
    first_address: ?*const c.pkt_iface_addr_t,

    /// Its addresses: link layer first, then IPv4, then IPv6, each family in the kernel's
    /// order (IPv4 labels such as `v0:1` under their interface).
    pub fn addresses(self: Iface) AddressIterator {
        return .{ .next_addr = self.first_address };
    }

    pub const AddressIterator = struct {
        next_addr: ?*const c.pkt_iface_addr_t,
        count: usize = 0,

        pub fn next(it: *AddressIterator) ?IfaceAddress {
            // Bounded, as every walk of C memory here.
            if (it.count >= 1 << 20) return null;
            const a = it.next_addr orelse return null;
            it.next_addr = a.next;
            it.count += 1;
            return .{
                .addr = SockAddr.fromC(a.addr) orelse .{ .other = 0 },
                .netmask = SockAddr.fromC(a.netmask),
                .broadaddr = SockAddr.fromC(a.broadaddr),
                .dstaddr = SockAddr.fromC(a.dstaddr),
            };
        }
    };
};

/// The list `ifaceList()` returns: owned by libpkt until `deinit` (`pkt_iface_list_free`).
pub const IfaceList = struct {
    head: ?*c.pkt_iface_t,
    /// How many interfaces it holds ("any" included).
    len: usize,

    /// The interfaces in the list's order.
    pub fn iterator(self: *const IfaceList) Iterator {
        return .{ .next_iface = self.head, .left = self.len };
    }

    /// The interface named `name`, or null.
    pub fn find(self: *const IfaceList, name: []const u8) ?Iface {
        var it = self.iterator();
        while (it.next()) |i| if (std.mem.eql(u8, i.name, name)) return i;
        return null;
    }

    /// Frees the list and everything in it; `Iface` values from it are gone afterwards.
    pub fn deinit(self: *IfaceList) void {
        c.pkt_iface_list_free(self.head);
        self.* = undefined;
    }

    pub const Iterator = struct {
        next_iface: ?*c.pkt_iface_t,
        left: usize,

        pub fn next(it: *Iterator) ?Iface {
            if (it.left == 0) return null;
            const p = it.next_iface orelse return null;
            it.next_iface = p.next;
            it.left -= 1;
            return .{
                .name = std.mem.span(p.name),
                .description = if (p.description) |d| std.mem.span(d) else null,
                .index = p.index,
                .flags = @bitCast(p.flags),
                .arphrd = p.arphrd,
                .dlt = p.dlt,
                .first_address = p.addresses,
            };
        }
    };
};

/// Lists the interfaces one can capture on (`pkt_iface_list`, libpcap's `pcap_findalldevs`):
/// every interface of the calling thread's network namespace, up or down, and "any", with
/// flags, link types and addresses, in libpcap's order (up, running and connected first, then
/// "any", then loopback, then disconnected, not running, down). A snapshot; free it with
/// `deinit`. Errors: `OutOfMemory`, `ProcessFdQuotaExceeded`, `SystemFdQuotaExceeded`, others
/// from the kernel. Any thread.
///
/// ```zig
/// var list = try pkt.ifaceList();
/// defer list.deinit();
/// var it = list.iterator();
/// while (it.next()) |iface| std.debug.print("{s} up={}\n", .{ iface.name, iface.flags.up });
/// ```
pub fn ifaceList() Error!IfaceList {
    var head: ?*c.pkt_iface_t = null;
    const n = try check(c.pkt_iface_list(&head));
    return .{ .head = head, .len = @intCast(n) };
}

/// An IPv4 network: `net` and `mask`, bytes in network order.
pub const Ip4Net = struct {
    net: [4]u8,
    mask: [4]u8,

    /// The mask's prefix length (24 for 255.255.255.0), or null for a non-contiguous mask.
    pub fn prefixLen(self: Ip4Net) ?u6 {
        const m = std.mem.readInt(u32, &self.mask, .big);
        const ones: u6 = @popCount(m);
        if (ones != 32 and m != ~(@as(u32, 0xffff_ffff) >> @as(u5, @intCast(ones)))) return null;
        return ones;
    }

    /// True when `ip` is on this network.
    pub fn contains(self: Ip4Net, ip: [4]u8) bool {
        for (ip, self.net, self.mask) |a, n, m| if (a & m != n) return false;
        return true;
    }
};

/// The IPv4 network and netmask of interface `ifname` (`pkt_lookupnet`, libpcap's
/// `pcap_lookupnet`): from its first IPv4 address (the first whose label is its name), the
/// address ANDed with the netmask (a netmask of 0 becomes the address's class mask). null, ""
/// and "any" give 0.0.0.0/0. Errors: `AddressNotAvailable` (no IPv4 address: `errmsg()` says
/// "no IPv4 address assigned"), `NoDevice`. Any thread.
pub fn lookupNet(ifname: ?[:0]const u8) Error!Ip4Net {
    var net: u32 = 0;
    var mask: u32 = 0;
    _ = try check(c.pkt_lookupnet(if (ifname) |n| n.ptr else null, &net, &mask));
    // Network byte order: the bytes in memory are the address's.
    return .{ .net = @bitCast(net), .mask = @bitCast(mask) };
}

/// Writes the default interface's name into `buf` and returns it (`pkt_default_iface`): the
/// first of `ifaceList()`'s order that is up, running and neither loopback nor "any" (libpcap's
/// `pcap_lookupdev` whenever such an interface exists and is not disconnected). Where libpcap
/// would fall back to "any" or an interface that is down: `error.NoDevice`, and the caller
/// chooses (`Handle.open("any", ...)`). Any thread.
pub fn defaultIface(buf: *[ifnamsiz]u8) Error![:0]const u8 {
    const n = try check(c.pkt_default_iface(buf, buf.len));
    const len: usize = @min(@as(usize, @intCast(n)), buf.len - 1);
    return buf[0..len :0];
}

/// Runs the classic BPF program `prog` on one packet (`pkt_offline_filter`, libpcap's
/// `pcap_offline_filter`): `data` holds the captured bytes from the link-layer header on,
/// `wirelen` is the length on the wire (`Info.len`). Returns the program's result: 0 rejects,
/// anything else accepts (a `compile`d program with snaplen 0 returns 262144). libpcap's
/// semantics: loads past `data` and divisions by zero end with 0, `ld len` is `wirelen`, the
/// ancillary loads of live programs end with 0 offline. An empty or invalid program rejects
/// every packet (`errmsg()` says why it is invalid). Compile with `.live = false` for bytes as
/// savefiles hold them. Allocates nothing; any thread.
pub fn offlineFilter(prog: []const Insn, data: []const u8, wirelen: u32) u32 {
    const caplen = std.math.cast(u32, data.len) orelse std.math.maxInt(u32);
    return c.pkt_offline_filter(
        if (prog.len == 0) null else @ptrCast(prog.ptr),
        prog.len,
        if (data.len == 0) null else data.ptr,
        caplen,
        wirelen,
    );
}

/// A set of timestamp sources, iterated in the order of their values (software first).
pub const TstampSourceSet = std.EnumSet(TstampSource);

/// The timestamp sources interface `ifname` offers (`pkt_tstamp_sources`, libpcap's
/// `pcap_list_tstamp_types`): software always, and the adapter clocks the driver reports for
/// every received packet (`ethtool -T`). `Config.tstamp_source` accepts exactly these (opening
/// with an adapter clock may still fail: `PermissionDenied` without CAP_NET_ADMIN). null, ""
/// and "any" give software only. Codes this module does not know are left out. Errors:
/// `NoDevice`, others from the ioctl. Needs no privilege; any thread.
pub fn tstampSources(ifname: ?[:0]const u8) Error!TstampSourceSet {
    var buf: [8]u8 = undefined;
    const n = try check(c.pkt_tstamp_sources(if (ifname) |i| i.ptr else null, &buf, buf.len));
    var set = TstampSourceSet.initEmpty();
    for (buf[0..@min(@as(usize, @intCast(n)), buf.len)]) |v| {
        if (std.meta.intToEnum(TstampSource, v)) |s| set.insert(s) else |_| {}
    }
    return set;
}

// ---------------------------------------------------------------------------------------------
// Library-wide functions

/// The library's version, "MAJOR.MINOR.PATCH" (`pkt_version`).
pub fn version() [:0]const u8 {
    return std.mem.span(c.pkt_version());
}

/// The header version this module was compiled with.
pub const header_version: std.SemanticVersion = .{
    .major = c.PKT_VERSION_MAJOR,
    .minor = c.PKT_VERSION_MINOR,
    .patch = c.PKT_VERSION_PATCH,
};

/// True on Linux (`pkt_os_supported`).
pub fn osSupported() bool {
    return c.pkt_os_supported();
}

/// The running kernel's major and minor version, or null when unknown (`pkt_kernel_version`).
pub fn kernelVersion() ?struct { major: i32, minor: i32 } {
    var major: i32 = -1;
    var minor: i32 = -1;
    c.pkt_kernel_version(&major, &minor);
    if (major < 0) return null;
    return .{ .major = major, .minor = minor };
}

/// ARPHRD_* of the interface named `ifname` (`pkt_iface_linktype`), `linktype_none` when
/// there is none.
pub fn ifaceLinkType(ifname: [:0]const u8) u16 {
    return c.pkt_iface_linktype(ifname.ptr);
}

/// The pcap link type for packets of an interface of type `arphrd` (`pkt_dlt_of`).
pub fn dltOf(arphrd: u16, cooked: bool) u16 {
    return c.pkt_dlt_of(arphrd, cooked);
}

// ---------------------------------------------------------------------------------------------
// Tests that need no network (the rest are in tests/)

test "Config defaults mirror pkt_config_default" {
    var want: c.pkt_config_t = undefined;
    c.pkt_config_default(&want);
    const got = try (Config{}).toC();
    inline for (@typeInfo(c.pkt_config_t).@"struct".fields) |f| {
        try std.testing.expectEqual(@field(want, f.name), @field(got, f.name));
    }
    try std.testing.expectEqualDeep(Config{}, Config.default());
    try std.testing.expect((Config{}).check());
    // The filter is passed by pointer and length; a length C cannot hold is refused.
    const prog = [_]Insn{Insn.stmt(bpf.ret | bpf.k, 0xffff)};
    const with_filter = try (Config{ .filter = &prog }).toC();
    try std.testing.expectEqual(@as(u32, 1), with_filter.filter_len);
    try std.testing.expect(@intFromPtr(with_filter.filter) == @intFromPtr(&prog));
    const huge: []const Insn = @as([*]const Insn, @ptrFromInt(0x1000))[0 .. 1 << 33];
    try std.testing.expectError(error.InvalidArgument, (Config{ .filter = huge }).toC());
    try std.testing.expect(!(Config{ .filter = huge }).check());
}

test "errors from negative errnos" {
    const E = std.posix.E;
    const neg = struct {
        fn f(e: E) c_int {
            return -@as(c_int, @intFromEnum(e));
        }
    }.f;
    try std.testing.expectEqual(error.WouldBlock, errorFromCode(neg(.AGAIN)));
    try std.testing.expectEqual(error.Interrupted, errorFromCode(neg(.INTR)));
    try std.testing.expectEqual(error.TimedOut, errorFromCode(neg(.TIMEDOUT)));
    try std.testing.expectEqual(error.NoDevice, errorFromCode(neg(.NODEV)));
    try std.testing.expectEqual(error.InvalidArgument, errorFromCode(neg(.INVAL)));
    try std.testing.expectEqual(error.MessageTooLong, errorFromCode(neg(.MSGSIZE)));
    try std.testing.expectEqual(error.ProgramTooLong, errorFromCode(neg(.@"2BIG")));
    try std.testing.expectEqual(error.AddressNotAvailable, errorFromCode(neg(.ADDRNOTAVAIL)));
    try std.testing.expectEqual(error.OperationNotSupported, errorFromCode(neg(.OPNOTSUPP)));
    try std.testing.expectEqual(error.EndOfFile, errorFromCode(neg(.NODATA)));
    try std.testing.expectEqual(error.BadMessage, errorFromCode(neg(.BADMSG)));
    try std.testing.expectEqual(error.Unexpected, errorFromCode(neg(.CHILD)));
    try std.testing.expectEqual(error.Unexpected, errorFromCode(-100000));
    try std.testing.expectEqual(error.Unexpected, errorFromCode(std.math.minInt(c_int)));
    try std.testing.expect(isTemporary(error.WouldBlock));
    try std.testing.expect(isTemporary(error.TimedOut));
    try std.testing.expect(!isTemporary(error.InvalidArgument));
    // isTemporary agrees with the library on every code it maps.
    for ([_]E{ .AGAIN, .INTR, .TIMEDOUT, .NOBUFS, .MFILE, .NFILE, .INVAL, .NODEV, .MSGSIZE, .PERM, .@"2BIG", .ADDRNOTAVAIL, .OPNOTSUPP, .NODATA, .BADMSG }) |e|
        try std.testing.expectEqual(c.pkt_is_temporary(neg(e)), isTemporary(errorFromCode(neg(e))));
    try std.testing.expectEqualStrings("Resource temporarily unavailable", strerror(neg(.AGAIN)));
}

test "version and library facts" {
    try std.testing.expect(osSupported());
    var it = std.mem.splitScalar(u8, version(), '.');
    try std.testing.expectEqual(header_version.major, try std.fmt.parseInt(usize, it.next().?, 10));
    try std.testing.expectEqual(header_version.minor, try std.fmt.parseInt(usize, it.next().?, 10));
    try std.testing.expect(kernelVersion() != null);
    try std.testing.expectEqual(dlt.en10mb, dltOf(linktype_ethernet, false));
    try std.testing.expectEqual(dlt.linux_sll2, dltOf(linktype_ethernet, true));
    try std.testing.expectEqual(linktype_none, ifaceLinkType("no-such-if-zz"));
}

/// Instructions as `bpfc -ddd` prints them, one `{ code, jt, jf, k }` per line.
fn expectInsns(want: []const [4]u32, got: []const Insn) !void {
    var w: [64]Insn = undefined;
    for (want, w[0..want.len]) |d, *i| i.* = .{ .code = @intCast(d[0]), .jt = @intCast(d[1]), .jf = @intCast(d[2]), .k = d[3] };
    try std.testing.expectEqualSlices(Insn, w[0..want.len], got);
}

test "compile: offline Ethernet programs are bpfc's" {
    // build/examples/bpfc -O -y EN10MB -ddd 'udp dst port 9'
    var p = try compile("udp dst port 9", dlt.en10mb, 0, .{ .optimize = true });
    defer p.deinit();
    try expectInsns(&.{
        .{ 40, 0, 0, 12 }, .{ 21, 0, 4, 34525 }, .{ 48, 0, 0, 20 },    .{ 21, 0, 11, 17 },
        .{ 40, 0, 0, 56 }, .{ 21, 8, 9, 9 },     .{ 21, 0, 8, 2048 },  .{ 48, 0, 0, 23 },
        .{ 21, 0, 6, 17 }, .{ 40, 0, 0, 20 },    .{ 69, 4, 0, 8191 },  .{ 177, 0, 0, 14 },
        .{ 72, 0, 0, 16 }, .{ 21, 0, 1, 9 },     .{ 6, 0, 0, 262144 }, .{ 6, 0, 0, 0 },
    }, p.insns());

    // build/examples/bpfc -O -y EN10MB -s 96 -ddd 'ip': the snap length is what it accepts.
    var ip = try compile("ip", dlt.en10mb, 96, .{ .optimize = true });
    defer ip.deinit();
    try expectInsns(&.{ .{ 40, 0, 0, 12 }, .{ 21, 0, 1, 2048 }, .{ 6, 0, 0, 96 }, .{ 6, 0, 0, 0 } }, ip.insns());

    // An empty expression accepts every packet, in every form.
    for ([_]CompileFlags{ .{}, .{ .optimize = true }, .{ .live = true }, .{ .optimize = true, .live = true } }) |f| {
        var all = try compile("", dlt.en10mb, 0, f);
        defer all.deinit();
        try expectInsns(&.{.{ 6, 0, 0, 262144 }}, all.insns());
    }

    // Every link type the compiler knows gives a program; others are refused.
    for ([_]u16{ dlt.en10mb, dlt.raw, dlt.linux_sll, dlt.linux_sll2 }) |lt| {
        var q = try compile("udp dst port 9", lt, 0, .{ .optimize = true, .live = true });
        defer q.deinit();
        try std.testing.expect(q.insns().len > 2);
    }
    try std.testing.expectError(error.InvalidArgument, compile("udp", 9999, 0, .{}));
    try std.testing.expect(std.mem.indexOf(u8, errmsg(), "link type") != null);
}

test "compile: errors name the position" {
    try std.testing.expectError(error.InvalidArgument, compile("udp dst port", dlt.en10mb, 0, .{}));
    try std.testing.expectEqual(einval, lastCode());
    try std.testing.expectEqualStrings("pkt_compile: position 12: syntax error: unexpected end of expression (Invalid argument)", errmsg());
    try std.testing.expectError(error.InvalidArgument, compile("udp dst port 9 and", dlt.en10mb, 0, .{ .optimize = true }));
    try std.testing.expect(std.mem.indexOf(u8, errmsg(), "position 18") != null);
    try std.testing.expectError(error.InvalidArgument, compile("(udp", dlt.en10mb, 0, .{ .live = true }));
    try std.testing.expect(std.mem.indexOf(u8, errmsg(), "position 4") != null);
    // C would see "udp" only: refused rather than compiled into a looser filter.
    try std.testing.expectError(error.InvalidArgument, compile("udp\x00 and port 9", dlt.en10mb, 0, .{}));

    // Longer than the kernel's 4096 instructions (600 hosts).
    var big: std.ArrayList(u8) = .empty;
    defer big.deinit(std.testing.allocator);
    for (0..600) |i| try big.print(std.testing.allocator, "{s}host 10.0.{d}.{d}", .{ if (i == 0) "" else " or ", i / 256, i % 256 });
    const expr = try big.toOwnedSliceSentinel(std.testing.allocator, 0);
    defer std.testing.allocator.free(expr);
    try std.testing.expectError(error.ProgramTooLong, compile(expr, dlt.en10mb, 0, .{}));
    try std.testing.expect(errmsg().len > 0);
}

test "interfaces without a network: flags, networks, all interfaces" {
    // The flags are the C bits.
    const lo_flags: IfaceFlags = @bitCast(@as(u32, c.PKT_IF_LOOPBACK | c.PKT_IF_UP | c.PKT_IF_RUNNING |
        c.PKT_IF_CONNECTION_STATUS_NOT_APPLICABLE));
    try std.testing.expectEqual(IfaceFlags{ .loopback = true, .up = true, .running = true, .connection_status = .not_applicable }, lo_flags);
    const n: Ip4Net = .{ .net = .{ 192, 0, 2, 0 }, .mask = .{ 255, 255, 255, 0 } };
    try std.testing.expectEqual(@as(?u6, 24), n.prefixLen());
    try std.testing.expect(n.contains(.{ 192, 0, 2, 77 }));
    try std.testing.expect(!n.contains(.{ 192, 0, 3, 1 }));
    try std.testing.expectEqual(@as(?u6, 0), (Ip4Net{ .net = .{ 0, 0, 0, 0 }, .mask = .{ 0, 0, 0, 0 } }).prefixLen());
    try std.testing.expectEqual(@as(?u6, 32), (Ip4Net{ .net = .{ 1, 2, 3, 4 }, .mask = .{ 255, 255, 255, 255 } }).prefixLen());
    try std.testing.expectEqual(@as(?u6, null), (Ip4Net{ .net = .{ 1, 0, 3, 0 }, .mask = .{ 255, 0, 255, 0 } }).prefixLen());
    // All interfaces: no network, software timestamps only.
    for ([_]?[:0]const u8{ null, "", "any" }) |name| {
        try std.testing.expectEqual(Ip4Net{ .net = .{ 0, 0, 0, 0 }, .mask = .{ 0, 0, 0, 0 } }, try lookupNet(name));
        const set = try tstampSources(name);
        try std.testing.expectEqual(@as(usize, 1), set.count());
        try std.testing.expect(set.contains(.software));
    }
    try std.testing.expectError(error.NoDevice, lookupNet("no-such-if-zz"));
    try std.testing.expectError(error.NoDevice, tstampSources("no-such-if-zz"));
    // The config field: default, range, round trip.
    try std.testing.expectEqual(TstampSource.software, (Config{}).tstamp_source);
    const cc = try (Config{ .tstamp_source = .adapter_unsynced }).toC();
    try std.testing.expectEqual(@as(u8, c.PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED), cc.tstamp_source);
    try std.testing.expectEqual(TstampSource.adapter_unsynced, (try Config.fromC(cc)).tstamp_source);
    try std.testing.expect((Config{ .tstamp_source = .adapter }).check()); // the interface is known at open only
    var bad = cc;
    bad.tstamp_source = 3;
    try std.testing.expectError(error.InvalidArgument, Config.fromC(bad));
    try std.testing.expect(!c.pkt_config_check(&bad));
}
