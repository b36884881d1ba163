//! Savefile tests of the Zig bindings: files written with the package's `Dumper` (pcap in µs
//! and ns, pcapng in µs and ns) holding known frames, read back with `Handle.openOffline` and
//! `Handle.openOfflineFd` (mapped, and streamed through a pipe) with `read`, `readBatch`,
//! `dispatch` and `loop`; `breakLoop` during a `loop` waiting on a pipe; filters; damaged and
//! foreign files.
//!
//! No network is needed: these run anywhere (one test opens a live handle on `lo`, inside the
//! test namespace only). Files go under $PKT_ZIG_TEST_TMPDIR (test.sh: build/zig-test-tmp)
//! or /tmp, in a directory of this process that each test removes.

const std = @import("std");
const pkt = @import("pkt");
const testing = std.testing;

const eth_test: u16 = 0x88b5; // IEEE local experimental ethertype 1
const src_mac = [6]u8{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const broadcast = [6]u8{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

fn neg(e: std.posix.E) c_int {
    return -@as(c_int, @intFromEnum(e));
}

/// A scratch directory for savefiles: $PKT_ZIG_TEST_TMPDIR or /tmp, plus a per-process name.
/// Remove it with `deleteTree` at the end of the test.
const Scratch = struct {
    buf: [512]u8 = undefined,
    dir: []const u8 = "",
    path_buf: [640]u8 = undefined,

    fn init(self: *Scratch) !void {
        const base = std.posix.getenv("PKT_ZIG_TEST_TMPDIR") orelse "/tmp";
        self.dir = try std.fmt.bufPrint(&self.buf, "{s}/pkt-zig-offline-{d}", .{ base, std.os.linux.getpid() });
        try std.fs.cwd().makePath(self.dir);
    }

    fn deinit(self: *Scratch) void {
        std.fs.cwd().deleteTree(self.dir) catch {};
    }

    /// `dir/name`, valid until the next call.
    fn path(self: *Scratch, name: []const u8) ![:0]const u8 {
        return std.fmt.bufPrintZ(&self.path_buf, "{s}/{s}", .{ self.dir, name });
    }
};

/// A broadcast Ethernet frame of `len` bytes with ethertype `eth_test`, whose payload counts
/// up from `seq`.
fn makeFrame(buf: []u8, len: usize, seq: u8) []u8 {
    const f = buf[0..len];
    @memcpy(f[0..6], &broadcast);
    @memcpy(f[6..12], &src_mac);
    std.mem.writeInt(u16, f[12..14], eth_test, .big);
    for (f[14..], 0..) |*b, i| b.* = seq +% @as(u8, @truncate(i));
    return f;
}

/// An Ethernet frame of `len` bytes (at least 14 + 4 + 20 + 20) carrying IPv4 10.0.0.1 ->
/// 10.0.0.2 and a UDP (17) or TCP (6) header from port 40000 to `dport`, behind an 802.1Q tag
/// of VLAN `vlan` when it is not null.
fn makeIp4(buf: []u8, len: usize, vlan: ?u12, proto: u8, dport: u16) []u8 {
    const f = buf[0..len];
    @memset(f, 0);
    @memcpy(f[0..6], &broadcast);
    @memcpy(f[6..12], &src_mac);
    var off: usize = 12;
    if (vlan) |v| {
        std.mem.writeInt(u16, f[off..][0..2], 0x8100, .big);
        std.mem.writeInt(u16, f[off + 2 ..][0..2], v, .big);
        off += 4;
    }
    std.mem.writeInt(u16, f[off..][0..2], 0x0800, .big);
    off += 2;
    const ip = f[off..];
    ip[0] = 0x45;
    std.mem.writeInt(u16, ip[2..4], @intCast(len - off), .big);
    ip[8] = 64;
    ip[9] = proto;
    @memcpy(ip[12..16], &[4]u8{ 10, 0, 0, 1 });
    @memcpy(ip[16..20], &[4]u8{ 10, 0, 0, 2 });
    const l4 = ip[20..];
    std.mem.writeInt(u16, l4[0..2], 40000, .big);
    std.mem.writeInt(u16, l4[2..4], dport, .big);
    if (proto == 17) std.mem.writeInt(u16, l4[4..6], @intCast(len - off - 20), .big) else l4[12] = 5 << 4;
    return f;
}

fn infoOf(sec: i64, nsec: u32, len: u32, ifindex: i32, pkttype: pkt.PacketType) pkt.Info {
    return .{
        .sec = sec,
        .nsec = nsec,
        .caplen = 0, // Dumper.write takes it from the data
        .len = len,
        .ifindex = ifindex,
        .status = 0,
        .vlan_tpid = 0,
        .vlan_tci = 0,
        .protocol = 0,
        .linktype = 0,
        .pkttype = @intFromEnum(pkttype),
    };
}

/// One record to write: the captured bytes and what the dumper takes from `info`.
const Rec = struct { data: []const u8, info: pkt.Info };

/// Records with every edge the formats have: a minimum-size frame, a full one, a record of
/// 0 bytes of a 60-byte packet, a snapped one (40 of 1000 bytes), nanoseconds that µs files
/// truncate, the epoch, two interfaces (7 and 9: pcapng ids 0 and 1) and every packet type.
const Known = struct {
    storage: [6][1514]u8 = undefined,
    recs: [6]Rec = undefined,

    const base_sec: i64 = 1_700_000_000;

    fn init(k: *Known) void {
        const Spec = struct { len: usize, wire: u32, sec: i64, nsec: u32, ifindex: i32, pt: pkt.PacketType };
        const specs = [_]Spec{
            .{ .len = 60, .wire = 60, .sec = base_sec, .nsec = 0, .ifindex = 7, .pt = .host },
            .{ .len = 61, .wire = 61, .sec = base_sec + 1, .nsec = 1, .ifindex = 7, .pt = .broadcast },
            .{ .len = 1514, .wire = 1514, .sec = base_sec + 2, .nsec = 999_999_999, .ifindex = 9, .pt = .multicast },
            .{ .len = 0, .wire = 60, .sec = base_sec + 3, .nsec = 123_456_789, .ifindex = 7, .pt = .otherhost },
            .{ .len = 40, .wire = 1000, .sec = base_sec + 4, .nsec = 500_000_000, .ifindex = 9, .pt = .outgoing },
            .{ .len = 100, .wire = 100, .sec = 0, .nsec = 1_000, .ifindex = 7, .pt = .host },
        };
        for (specs, &k.recs, &k.storage, 0..) |s, *r, *buf, i| {
            const data: []const u8 = if (s.len == 0) buf[0..0] else makeFrame(buf, s.len, @intCast(i * 16));
            r.* = .{ .data = data, .info = infoOf(s.sec, s.nsec, s.wire, s.ifindex, s.pt) };
        }
    }
};

fn writeSavefile(path: [:0]const u8, opts: pkt.Dumper.Options, recs: []const Rec) !void {
    const d = try pkt.Dumper.open(path, pkt.dlt.en10mb, opts);
    for (recs) |r| d.write(r.data, r.info) catch |err| {
        d.close() catch {};
        return err;
    };
    try d.close();
}

const Format = struct { name: []const u8, opts: pkt.Dumper.Options };
const formats = [_]Format{
    .{ .name = "us.pcap", .opts = .{} },
    .{ .name = "ns.pcap", .opts = .{ .nano = true } },
    .{ .name = "us.pcapng", .opts = .{ .format = .pcapng } },
    .{ .name = "ns.pcapng", .opts = .{ .format = .pcapng, .nano = true } },
};

/// What reading `r` back from a file written with `opts` gives: the bytes (cut to `snaplen`
/// when not 0), the wire length, the time to the nanosecond in ns files and cut to the
/// microsecond in µs files, and for pcapng the interface's number in the file and the packet
/// type.
fn expectRecord(data: []const u8, info: pkt.Info, r: Rec, opts: pkt.Dumper.Options, snaplen: u32) !void {
    const want = if (snaplen != 0 and r.data.len > snaplen) r.data[0..snaplen] else r.data;
    try testing.expectEqualSlices(u8, want, data);
    try testing.expectEqual(@as(u32, @intCast(want.len)), info.caplen);
    try testing.expectEqual(r.info.len, info.len);
    try testing.expectEqual(r.info.sec, info.sec);
    try testing.expectEqual(if (opts.nano) r.info.nsec else r.info.nsec / 1000 * 1000, info.nsec);
    try testing.expectEqual(r.info.timestampNs() - (if (opts.nano) 0 else r.info.nsec % 1000), info.timestampNs());
    try testing.expectEqual(pkt.dlt.en10mb, info.linktype);
    if (opts.format == .pcapng) {
        try testing.expectEqual(@as(i32, if (r.info.ifindex == 9) 1 else 0), info.ifindex); // 9 comes second
        try testing.expectEqual(r.info.packetType(), info.packetType());
    } else {
        try testing.expectEqual(@as(i32, 0), info.ifindex);
        try testing.expectEqual(pkt.PacketType.host, info.packetType());
    }
    try testing.expectEqual(@as(u16, 0), info.protocol);
    try testing.expectEqual(@as(u32, 0), info.status);
    try testing.expectEqual(@as(u16, 0), info.vlan_tci);
    try testing.expectEqual(@as(?u12, null), info.vlanId());
}

/// Reads `recs` back with `read` and expects the end of the file after them, twice.
fn expectAll(h: pkt.Handle, recs: []const Rec, opts: pkt.Dumper.Options, snaplen: u32) !void {
    for (recs) |r| {
        // Savefiles have no nil reads: every read is a packet, a 0-byte record included.
        const p = (try h.read(true)) orelse return error.UnexpectedNilRead;
        try expectRecord(p.bytes(), p.info, r, opts, snaplen);
    }
    try testing.expectError(error.EndOfFile, h.read(true));
    try testing.expectEqual(neg(.NODATA), pkt.lastCode());
    try testing.expectError(error.EndOfFile, h.read(false));
    var batch: [4]pkt.Packet = undefined;
    try testing.expectError(error.EndOfFile, h.readBatch(true, &batch));
}

test "openOffline: pcap µs, pcap ns, pcapng µs and ns read back byte for byte, to the nanosecond" {
    var s: Scratch = .{};
    try s.init();
    defer s.deinit();
    var k: Known = .{};
    k.init();

    for (formats) |f| {
        const path = try s.path(f.name);
        try writeSavefile(path, f.opts, &k.recs);

        var h = try pkt.Handle.openOffline(path, .{});
        defer h.close();
        try testing.expectEqual(pkt.dlt.en10mb, h.dlt());
        try testing.expectEqual(pkt.linktype_none, h.linkType());
        try testing.expectEqual(pkt.OfflineIface{ .dlt = pkt.dlt.en10mb, .snaplen = 262144 }, try h.offlineIface(0));
        try testing.expect(h.fd() >= 0);
        try expectAll(h, &k.recs, f.opts, 0);
        // Every record was read; a Dumper without setStats writes no statistics block.
        try testing.expectEqual(pkt.Stats{ .recvs = k.recs.len, .drops = 0 }, try h.stats(true));
    }
}

test "openOffline: readBatch and dispatch give the same packets" {
    var s: Scratch = .{};
    try s.init();
    defer s.deinit();
    var k: Known = .{};
    k.init();

    for (formats) |f| {
        const path = try s.path(f.name);
        try writeSavefile(path, f.opts, &k.recs);

        // readBatch: in place, zero copy, batches end before the end of the file.
        {
            var h = try pkt.Handle.openOffline(path, .{});
            defer h.close();
            var batch: [4]pkt.Packet = undefined;
            var got: usize = 0;
            while (got <= k.recs.len) {
                const n = h.readBatch(true, &batch) catch |err| switch (err) {
                    error.EndOfFile => break,
                    else => return err,
                };
                try testing.expect(n > 0 and got + n <= k.recs.len);
                for (batch[0..n], k.recs[got..][0..n]) |p, r| try expectRecord(p.bytes(), p.info, r, f.opts, 0);
                got += n;
            }
            try testing.expectEqual(k.recs.len, got);
        }
        // readSlim: the same bytes and lengths as readBatch, then error.EndOfFile.
        {
            var h = try pkt.Handle.openOffline(path, .{});
            defer h.close();
            var batch: [4]pkt.Slim = undefined;
            var got: usize = 0;
            while (got <= k.recs.len) {
                const n = h.readSlim(true, &batch) catch |err| switch (err) {
                    error.EndOfFile => break,
                    else => return err,
                };
                try testing.expect(n > 0 and got + n <= k.recs.len);
                for (batch[0..n], k.recs[got..][0..n]) |p, r| {
                    try testing.expectEqualSlices(u8, r.data, p.bytes());
                    try testing.expectEqual(r.info.len, p.len);
                }
                got += n;
            }
            try testing.expectEqual(k.recs.len, got);
            try testing.expectError(error.EndOfFile, h.readSlim(true, &batch));
            try testing.expectError(error.InvalidArgument, h.readSlim(true, batch[0..0]));
        }
        // dispatch: up to max packets a call, 0 at the end of the file.
        {
            var h = try pkt.Handle.openOffline(path, .{});
            defer h.close();
            var c = Collector{ .recs = &k.recs, .opts = f.opts };
            try testing.expectEqual(@as(usize, 4), try h.dispatch(4, &c, Collector.onPacket));
            try testing.expectEqual(@as(usize, 2), try h.dispatch(-1, &c, Collector.onPacket));
            try testing.expectEqual(@as(usize, 0), try h.dispatch(-1, &c, Collector.onPacket));
            try testing.expectEqual(@as(usize, 0), try h.dispatch(10, &c, Collector.onPacket));
            try c.check(k.recs.len);
        }
    }
}

/// A loop/dispatch context: checks each packet against the next of `recs`.
const Collector = struct {
    recs: []const Rec,
    opts: pkt.Dumper.Options = .{},
    n: usize = 0,
    bad: ?anyerror = null,
    break_at: usize = 0,
    h: ?pkt.Handle = null,

    fn onPacket(self: *Collector, data: []const u8, info: *const pkt.Info) void {
        if (self.n >= self.recs.len) {
            self.bad = error.TooManyPackets;
        } else expectRecord(data, info.*, self.recs[self.n], self.opts, 0) catch |err| {
            if (self.bad == null) self.bad = err;
        };
        self.n += 1;
        if (self.n == self.break_at) self.h.?.breakLoop();
    }

    fn check(self: *const Collector, want: usize) !void {
        if (self.bad) |err| return err;
        try testing.expectEqual(want, self.n);
    }
};

test "openOffline: cfg snaplen and microsecond resolution; the file's snap length; bad cfg" {
    var s: Scratch = .{};
    try s.init();
    defer s.deinit();
    var k: Known = .{};
    k.init();

    for (formats) |f| {
        const path = try s.path(f.name);
        try writeSavefile(path, f.opts, &k.recs);
        // Each caplen cut to 50 (len stays), nanoseconds cut to microseconds.
        var h = try pkt.Handle.openOffline(path, .{ .snaplen = 50, .tstamp_resolution = .micro });
        defer h.close();
        const cfg = try h.config();
        try testing.expectEqual(@as(u32, 50), cfg.snaplen);
        try testing.expectEqual(pkt.TstampResolution.micro, cfg.tstamp_resolution);
        var as_us = f.opts;
        as_us.nano = false;
        try expectAll(h, &k.recs, as_us, 50);
    }

    // The file's own snap length: records cut when written, the interface says so.
    for (formats) |f| {
        var opts = f.opts;
        opts.snaplen = 64;
        const path = try s.path(f.name);
        try writeSavefile(path, opts, &k.recs);
        var h = try pkt.Handle.openOffline(path, .{});
        defer h.close();
        try testing.expectEqual(pkt.OfflineIface{ .dlt = pkt.dlt.en10mb, .snaplen = 64 }, try h.offlineIface(0));
        try expectAll(h, &k.recs, opts, 64);
    }

    // A savefile has no direction or ethertype to select by.
    const path = try s.path("ns.pcap");
    try writeSavefile(path, .{ .nano = true }, &k.recs);
    try testing.expectError(error.InvalidArgument, pkt.Handle.openOffline(path, .{ .direction = .in }));
    try testing.expectError(error.InvalidArgument, pkt.Handle.openOffline(path, .{ .proto = pkt.proto_ip }));
    try testing.expect(pkt.errmsg().len > 0);
    // What a savefile ignores is accepted.
    var h = try pkt.Handle.openOffline(path, .{ .read_timeout_ms = 1, .nonblock = true, .promiscuous = true, .immediate = true });
    defer h.close();
    try expectAll(h, &k.recs, .{ .nano = true }, 0);
}

test "offlineIface: pcapng interfaces are known once the reads reach them" {
    var s: Scratch = .{};
    try s.init();
    defer s.deinit();
    var k: Known = .{};
    k.init();
    const path = try s.path("ifaces.pcapng");
    // Interface 7 (id 0) first; the description of 9 (id 1) comes before the third packet.
    try writeSavefile(path, .{ .format = .pcapng, .nano = true, .snaplen = 2000 }, &k.recs);

    var h = try pkt.Handle.openOffline(path, .{});
    defer h.close();
    const iface: pkt.OfflineIface = .{ .dlt = pkt.dlt.en10mb, .snaplen = 2000 };
    try testing.expectEqual(iface, try h.offlineIface(0));
    try testing.expectError(error.NotFound, h.offlineIface(1));
    try testing.expectEqual(neg(.NOENT), pkt.lastCode());
    for (0..3) |_| _ = (try h.read(true)).?;
    try testing.expectEqual(iface, try h.offlineIface(1));
    try testing.expectError(error.NotFound, h.offlineIface(2));
    try testing.expectError(error.NotFound, h.offlineIface(-1));

    // A pcap file has interface 0 only.
    const path2 = try s.path("one.pcap");
    try writeSavefile(path2, .{}, k.recs[0..1]);
    var h2 = try pkt.Handle.openOffline(path2, .{});
    defer h2.close();
    try testing.expectEqual(pkt.OfflineIface{ .dlt = pkt.dlt.en10mb, .snaplen = 262144 }, try h2.offlineIface(0));
    try testing.expectError(error.NotFound, h2.offlineIface(1));
}

test "openOfflineFd: from the descriptor's offset, through a duplicate" {
    var s: Scratch = .{};
    try s.init();
    defer s.deinit();
    var k: Known = .{};
    k.init();

    for (formats) |f| {
        // The savefile after 100 bytes of something else.
        const path = try s.path(f.name);
        try writeSavefile(path, f.opts, &k.recs);
        const body = try std.fs.cwd().readFileAlloc(testing.allocator, path, 1 << 20);
        defer testing.allocator.free(body);
        {
            var file = try std.fs.cwd().createFile(path, .{});
            defer file.close();
            try file.writeAll(&([_]u8{0xee} ** 100));
            try file.writeAll(body);
        }

        var file = try std.fs.cwd().openFile(path, .{});
        try file.seekTo(100);
        var h = pkt.Handle.openOfflineFd(file.handle, .{}) catch |err| {
            file.close();
            return err;
        };
        defer h.close();
        // The file's offset is left where it was; the handle has its own descriptor, so ours
        // may be closed at once.
        try testing.expectEqual(@as(u64, 100), try file.getPos());
        try testing.expect(h.fd() != file.handle);
        file.close();
        try expectAll(h, &k.recs, f.opts, 0);
    }

    // Not a descriptor.
    try testing.expectError(error.BadFileDescriptor, pkt.Handle.openOfflineFd(-1, .{}));
    try testing.expectEqual(neg(.BADF), pkt.lastCode());
}

/// Writes all of `bytes` to `fd`.
fn writeAllFd(fd: std.posix.fd_t, bytes: []const u8) !void {
    var off: usize = 0;
    while (off < bytes.len) off += try std.posix.write(fd, bytes[off..]);
}

test "openOfflineFd: a pipe is read as a stream, with the same packets" {
    var s: Scratch = .{};
    try s.init();
    defer s.deinit();
    var k: Known = .{};
    k.init();

    for (formats) |f| {
        const path = try s.path(f.name);
        try writeSavefile(path, f.opts, &k.recs);
        const body = try std.fs.cwd().readFileAlloc(testing.allocator, path, 1 << 20);
        defer testing.allocator.free(body);
        try testing.expect(body.len < 16384); // fits in the pipe: written before the open

        const fds = try std.posix.pipe2(.{ .CLOEXEC = true });
        var w_open = true;
        defer if (w_open) std.posix.close(fds[1]);
        try writeAllFd(fds[1], body);
        std.posix.close(fds[1]);
        w_open = false;

        var h = pkt.Handle.openOfflineFd(fds[0], .{}) catch |err| {
            std.posix.close(fds[0]);
            return err;
        };
        defer h.close();
        std.posix.close(fds[0]);
        try expectAll(h, &k.recs, f.opts, 0);
    }
}

test "loop: a count, then to the end of the file; breakLoop before and inside it" {
    var s: Scratch = .{};
    try s.init();
    defer s.deinit();
    var k: Known = .{};
    k.init();

    for (formats) |f| {
        const path = try s.path(f.name);
        try writeSavefile(path, f.opts, &k.recs);
        var h = try pkt.Handle.openOffline(path, .{});
        defer h.close();

        var c = Collector{ .recs = &k.recs, .opts = f.opts, .h = h };
        try h.loop(2, &c, Collector.onPacket); // returns after 2 packets
        try c.check(2);
        // A break before the loop: taken by it, nothing handed out.
        h.breakLoop();
        try testing.expectError(error.Interrupted, h.loop(0, &c, Collector.onPacket));
        try testing.expectEqual(neg(.INTR), pkt.lastCode());
        try c.check(2);
        // A break inside the handler stops after that packet.
        c.break_at = 3;
        try testing.expectError(error.Interrupted, h.loop(0, &c, Collector.onPacket));
        try c.check(3);
        // No limit: to the end of the file, then returns normally.
        try h.loop(-1, &c, Collector.onPacket);
        try c.check(k.recs.len);
        // At the end: returns at once, every time.
        try h.loop(0, &c, Collector.onPacket);
        try h.loop(5, &c, Collector.onPacket);
        try c.check(k.recs.len);
        try testing.expectError(error.EndOfFile, h.read(true));
    }
}

var void_ctx_count: usize = 0;

fn countVoid(_: void, data: []const u8, info: *const pkt.Info) void {
    std.debug.assert(data.len == info.caplen);
    void_ctx_count += 1;
}

test "loop: a context without size, and a context by value" {
    var s: Scratch = .{};
    try s.init();
    defer s.deinit();
    var k: Known = .{};
    k.init();
    const path = try s.path("x.pcap");
    try writeSavefile(path, .{}, &k.recs);

    var h = try pkt.Handle.openOffline(path, .{});
    defer h.close();
    void_ctx_count = 0;
    try h.loop(4, {}, countVoid);
    try testing.expectEqual(@as(usize, 4), void_ctx_count);
    // A context passed by value: the handler gets a copy (here a pointer inside it).
    var total: u64 = 0;
    const ByValue = struct {
        total: *u64,
        add: u64,
        fn f(self: @This(), data: []const u8, _: *const pkt.Info) void {
            self.total.* += data.len + self.add;
        }
    };
    try h.loop(0, ByValue{ .total = &total, .add = 1 }, ByValue.f);
    try testing.expectEqual(@as(u64, k.recs[4].data.len + k.recs[5].data.len + 2), total);
}

/// The reading side of the pipe test: `loop` in its own thread.
const PipeReader = struct {
    h: pkt.Handle,
    recs: []const Rec,
    /// Set by the handler once `wait_for` packets were handed out.
    fed: std.Thread.ResetEvent = .{},
    wait_for: usize,
    /// Set when `loop` returned.
    done: std.Thread.ResetEvent = .{},
    n: usize = 0,
    bad: ?anyerror = null,
    tid: std.Thread.Id = 0,
    result: ?pkt.Error = null,

    fn onPacket(self: *PipeReader, data: []const u8, info: *const pkt.Info) void {
        if (self.n >= self.recs.len) {
            self.bad = error.TooManyPackets;
        } else expectRecord(data, info.*, self.recs[self.n], .{ .nano = true }, 0) catch |err| {
            if (self.bad == null) self.bad = err;
        };
        self.n += 1;
        if (self.n == self.wait_for) self.fed.set();
    }

    fn run(self: *PipeReader) void {
        self.tid = std.Thread.getCurrentId();
        self.h.loop(0, self, onPacket) catch |err| {
            self.result = err;
        };
        self.done.set();
    }
};

/// Waits until thread `tid` of this process sleeps (state S in /proc: blocked in a system
/// call, here the loop's wait for the pipe), up to 10 s.
fn waitUntilSleeping(tid: std.Thread.Id) !void {
    var path_buf: [64]u8 = undefined;
    const path = try std.fmt.bufPrint(&path_buf, "/proc/self/task/{d}/stat", .{tid});
    var timer = try std.time.Timer.start();
    while (timer.read() < 10 * std.time.ns_per_s) {
        var buf: [512]u8 = undefined;
        const stat = try std.fs.cwd().readFile(path, &buf);
        // "tid (comm) S ...": the state follows the last ')'.
        const close_paren = std.mem.lastIndexOfScalar(u8, stat, ')') orelse return error.BadProcStat;
        if (stat.len > close_paren + 2 and stat[close_paren + 2] == 'S') return;
        std.Thread.sleep(std.time.ns_per_ms);
    }
    return error.ReaderNeverWaited;
}

test "breakLoop from another thread ends a loop waiting on a pipe; the rest reads on" {
    var s: Scratch = .{};
    try s.init();
    defer s.deinit();
    var k: Known = .{};
    k.init();
    const path = try s.path("ns.pcap");
    try writeSavefile(path, .{ .nano = true }, &k.recs);
    const body = try std.fs.cwd().readFileAlloc(testing.allocator, path, 1 << 20);
    defer testing.allocator.free(body);
    // Where the fourth record starts: the file header, then 16 bytes and the data of each.
    var split: usize = 24;
    for (k.recs[0..3]) |r| split += 16 + r.data.len;

    const fds = try std.posix.pipe2(.{ .CLOEXEC = true });
    var w_open = true;
    defer if (w_open) std.posix.close(fds[1]);
    // The header and three records; the open reads the header.
    try writeAllFd(fds[1], body[0..split]);
    var h = pkt.Handle.openOfflineFd(fds[0], .{}) catch |err| {
        std.posix.close(fds[0]);
        return err;
    };
    defer h.close();
    std.posix.close(fds[0]);

    var r = PipeReader{ .h = h, .recs = &k.recs, .wait_for = 3 };
    const t = try std.Thread.spawn(.{}, PipeReader.run, .{&r});
    var joined = false;
    // However this test ends, the reader thread ends first: the end of the pipe ends its loop.
    defer if (!joined) {
        h.breakLoop();
        std.posix.close(fds[1]);
        w_open = false;
        t.join();
    };

    // The three records fed were handed out; then the loop waits for more of the pipe.
    try r.fed.timedWait(10 * std.time.ns_per_s);
    try waitUntilSleeping(r.tid);
    try testing.expect(!r.done.isSet());
    h.breakLoop();
    try r.done.timedWait(10 * std.time.ns_per_s);
    t.join();
    joined = true;
    try testing.expectEqual(@as(?pkt.Error, error.Interrupted), r.result);
    if (r.bad) |err| return err;
    try testing.expectEqual(@as(usize, 3), r.n);

    // The break was taken; the rest of the file, then the end of the pipe, reads on.
    try writeAllFd(fds[1], body[split..]);
    std.posix.close(fds[1]);
    w_open = false;
    try h.loop(0, &r, PipeReader.onPacket);
    if (r.bad) |err| return err;
    try testing.expectEqual(k.recs.len, r.n);
    try testing.expectError(error.EndOfFile, h.read(true));
}

/// Filter records: which is which is its time (`sec` = index).
const Mixed = struct {
    storage: [7][300]u8 = undefined,
    recs: [7]Rec = undefined,

    fn init(m: *Mixed) void {
        const frames = [_][]u8{
            makeIp4(&m.storage[0], 60, null, 17, 9), // 0: udp dst port 9
            makeIp4(&m.storage[1], 60, null, 17, 10), // 1: udp dst port 10
            makeIp4(&m.storage[2], 80, null, 6, 9), // 2: tcp dst port 9
            makeFrame(&m.storage[3], 60, 3), // 3: not IP
            makeIp4(&m.storage[4], 64, 5, 17, 9), // 4: vlan 5, udp dst port 9
            makeIp4(&m.storage[5], 64, 6, 17, 9), // 5: vlan 6, udp dst port 9
            makeIp4(&m.storage[6], 300, null, 17, 9), // 6: udp dst port 9, 300 bytes
        };
        for (frames, &m.recs, 0..) |f, *r, i| r.* = .{ .data = f, .info = infoOf(@intCast(i), 0, @intCast(f.len), 0, .host) };
    }
};

/// Reads `h` to the end of the file and expects the records whose indexes are `want`, their
/// bytes cut to `snaplen` (0: whole).
fn expectOnly(h: pkt.Handle, m: *const Mixed, want: []const usize, snaplen: usize) !void {
    var got: usize = 0;
    while (h.read(true)) |maybe| {
        const p = maybe orelse return error.UnexpectedNilRead;
        try testing.expect(got < want.len);
        const r = m.recs[want[got]];
        try testing.expectEqual(r.info.sec, p.info.sec);
        const body = if (snaplen != 0 and r.data.len > snaplen) r.data[0..snaplen] else r.data;
        try testing.expectEqualSlices(u8, body, p.bytes());
        try testing.expectEqual(r.info.len, p.info.len);
        got += 1;
    } else |err| if (err != error.EndOfFile) return err;
    try testing.expectEqual(want.len, got);
}

test "filters on a savefile: setFilterExpr (the offline form), setFilter, Config.filter" {
    var s: Scratch = .{};
    try s.init();
    defer s.deinit();
    var m: Mixed = .{};
    m.init();
    const path = try s.path("mixed.pcap");
    try writeSavefile(path, .{ .nano = true }, &m.recs);

    const Case = struct { expr: [:0]const u8, want: []const usize };
    for ([_]Case{
        .{ .expr = "udp dst port 9", .want = &.{ 0, 6 } },
        .{ .expr = "udp", .want = &.{ 0, 1, 6 } },
        .{ .expr = "tcp or not ip", .want = &.{ 2, 3, 4, 5 } },
        // The VLAN tag is in the file's bytes: the offline form finds it there (the live form
        // would ask the kernel's metadata, which a savefile does not have).
        .{ .expr = "vlan 5", .want = &.{4} },
        .{ .expr = "vlan and udp dst port 9", .want = &.{ 4, 5 } },
        .{ .expr = "", .want = &.{ 0, 1, 2, 3, 4, 5, 6 } },
    }) |cs| {
        var h = try pkt.Handle.openOffline(path, .{});
        defer h.close();
        try h.setFilterExpr(cs.expr);
        try expectOnly(h, &m, cs.want, 0);
        // Records the filter rejected count as read.
        try testing.expectEqual(@as(u64, m.recs.len), (try h.stats(true)).recvs);
    }

    // A bad expression names the position and leaves the filter in place; loop and
    // dispatch skip what it rejects.
    {
        var h = try pkt.Handle.openOffline(path, .{});
        defer h.close();
        try h.setFilterExpr("udp dst port 9");
        try testing.expectError(error.InvalidArgument, h.setFilterExpr("udp dst port 9 and"));
        try testing.expect(std.mem.indexOf(u8, pkt.errmsg(), "position 18") != null);
        var c = Collector{ .recs = &.{ m.recs[0], m.recs[6] } };
        try testing.expectEqual(@as(usize, 1), try h.dispatch(1, &c, Collector.onPacket));
        try h.loop(0, &c, Collector.onPacket);
        try c.check(2);
    }

    // A compiled program: its return value cuts caplen; len stays.
    {
        var prog = try pkt.compile("udp dst port 9", pkt.dlt.en10mb, 64, .{ .optimize = true });
        defer prog.deinit();
        var h = try pkt.Handle.openOffline(path, .{});
        defer h.close();
        try h.setFilter(prog.insns());
        try expectOnly(h, &m, &.{ 0, 6 }, 64);
    }

    // At the open, in Config.filter.
    {
        var prog = try pkt.compile("udp dst port 10 or vlan 6", pkt.dlt.en10mb, 0, .{});
        defer prog.deinit();
        var h = try pkt.Handle.openOffline(path, .{ .filter = prog.insns() });
        defer h.close();
        try expectOnly(h, &m, &.{ 1, 5 }, 0);
    }
}

test "damaged files: the good packets, then error.BadMessage with the byte offset" {
    var s: Scratch = .{};
    try s.init();
    defer s.deinit();
    var storage: [3][80]u8 = undefined;
    var recs: [3]Rec = undefined;
    for (&recs, &storage, 0..) |*r, *b, i| {
        const f = makeFrame(b, 60 + 10 * i, @intCast(i));
        r.* = .{ .data = f, .info = infoOf(@intCast(1000 + i), @intCast(i), @intCast(f.len), 0, .host) };
    }
    const good = try s.path("good.pcap");
    try writeSavefile(good, .{ .nano = true }, &recs);
    const body = try std.fs.cwd().readFileAlloc(testing.allocator, good, 1 << 20);
    defer testing.allocator.free(body);
    // Records at 24, 100 (24 + 16 + 60) and 186 (100 + 16 + 70), ending at 282.
    try testing.expectEqual(@as(usize, 282), body.len);

    // Cut inside the third record: two packets, then the truncated record, again and again.
    const cut = try s.path("cut.pcap");
    try std.fs.cwd().writeFile(.{ .sub_path = cut, .data = body[0 .. 186 + 16 + 40] });
    {
        var h = try pkt.Handle.openOffline(cut, .{});
        defer h.close();
        for (recs[0..2]) |r| {
            const p = (try h.read(true)).?;
            try expectRecord(p.bytes(), p.info, r, .{ .nano = true }, 0);
        }
        try testing.expectError(error.BadMessage, h.read(true));
        try testing.expectEqual(neg(.BADMSG), pkt.lastCode());
        try testing.expect(std.mem.indexOf(u8, pkt.errmsg(), "truncated record at byte 186") != null);
        try testing.expectError(error.BadMessage, h.read(true));
        try testing.expectError(error.BadMessage, h.loop(0, {}, countVoid));
    }
    // loop hands out the good packets, then fails; readBatch stops before the damage.
    {
        var h = try pkt.Handle.openOffline(cut, .{});
        defer h.close();
        var c = Collector{ .recs = &recs, .opts = .{ .nano = true } };
        try testing.expectError(error.BadMessage, h.loop(0, &c, Collector.onPacket));
        try c.check(2);
        try testing.expect(std.mem.indexOf(u8, pkt.errmsg(), "byte 186") != null);
    }
    {
        var h = try pkt.Handle.openOffline(cut, .{});
        defer h.close();
        var batch: [8]pkt.Packet = undefined;
        try testing.expectEqual(@as(usize, 2), try h.readBatch(true, &batch));
        try testing.expectError(error.BadMessage, h.readBatch(true, &batch));
    }
    // A record claiming more than the largest packet: damaged, at its offset.
    {
        const bad = try testing.allocator.dupe(u8, body);
        defer testing.allocator.free(bad);
        std.mem.writeInt(u32, bad[100 + 8 ..][0..4], 0x7fff_ffff, .little);
        const p = try s.path("damaged.pcap");
        try std.fs.cwd().writeFile(.{ .sub_path = p, .data = bad });
        var h = try pkt.Handle.openOffline(p, .{});
        defer h.close();
        const first = (try h.read(true)).?;
        try expectRecord(first.bytes(), first.info, recs[0], .{ .nano = true }, 0);
        try testing.expectError(error.BadMessage, h.read(true));
        try testing.expect(std.mem.indexOf(u8, pkt.errmsg(), "damaged record at byte 100") != null);
    }
    // pcapng cut short: the packets before the cut, then BadMessage.
    {
        const ng = try s.path("good.pcapng");
        try writeSavefile(ng, .{ .format = .pcapng, .nano = true }, &recs);
        const ng_body = try std.fs.cwd().readFileAlloc(testing.allocator, ng, 1 << 20);
        defer testing.allocator.free(ng_body);
        try std.fs.cwd().writeFile(.{ .sub_path = ng, .data = ng_body[0 .. ng_body.len - 10] });
        var h = try pkt.Handle.openOffline(ng, .{});
        defer h.close();
        var c = Collector{ .recs = &recs, .opts = .{ .format = .pcapng, .nano = true } };
        try testing.expectError(error.BadMessage, h.loop(0, &c, Collector.onPacket));
        try c.check(2);
    }
}

test "open errors: not a savefile, cut header, missing file, directory, NUL in the path" {
    var s: Scratch = .{};
    try s.init();
    defer s.deinit();

    // An ELF header is no savefile: the message shows its first bytes.
    const elf = try s.path("elf");
    try std.fs.cwd().writeFile(.{ .sub_path = elf, .data = "\x7fELF\x02\x01\x01\x00" ++ [_]u8{0} ** 56 });
    try testing.expectError(error.BadMessage, pkt.Handle.openOffline(elf, .{}));
    try testing.expectEqual(neg(.BADMSG), pkt.lastCode());
    try testing.expect(std.mem.indexOf(u8, pkt.errmsg(), "not a pcap or pcapng file: first bytes 7f 45 4c 46") != null);
    {
        const f = try std.fs.cwd().openFile(elf, .{});
        defer f.close();
        try testing.expectError(error.BadMessage, pkt.Handle.openOfflineFd(f.handle, .{}));
    }

    // An empty file, and a pcap header cut short.
    const empty = try s.path("empty.pcap");
    try std.fs.cwd().writeFile(.{ .sub_path = empty, .data = "" });
    try testing.expectError(error.BadMessage, pkt.Handle.openOffline(empty, .{}));
    const short = try s.path("short.pcap");
    try std.fs.cwd().writeFile(.{ .sub_path = short, .data = "\xd4\xc3\xb2\xa1\x02\x00\x04\x00" });
    try testing.expectError(error.BadMessage, pkt.Handle.openOffline(short, .{}));

    // No such file; a directory.
    try testing.expectError(error.NotFound, pkt.Handle.openOffline("/nonexistent-pkt-dir/x.pcap", .{}));
    try testing.expectEqual(neg(.NOENT), pkt.lastCode());
    try testing.expect(std.mem.indexOf(u8, pkt.errmsg(), "/nonexistent-pkt-dir/x.pcap") != null);
    var dir_z: [520]u8 = undefined;
    try testing.expectError(error.IsDir, pkt.Handle.openOffline(try std.fmt.bufPrintZ(&dir_z, "{s}", .{s.dir}), .{}));

    // C would open "<dir>/elf": refused instead.
    var nul_buf: [700]u8 = undefined;
    const with_nul = try std.fmt.bufPrintZ(&nul_buf, "{s}\x00.pcap", .{elf});
    try testing.expectError(error.InvalidArgument, pkt.Handle.openOffline(with_nul, .{}));
}

test "a savefile handle refuses what only a live one does" {
    var s: Scratch = .{};
    try s.init();
    defer s.deinit();
    var k: Known = .{};
    k.init();
    const path = try s.path("x.pcapng");
    try writeSavefile(path, .{ .format = .pcapng }, &k.recs);
    var h = try pkt.Handle.openOffline(path, .{});
    defer h.close();

    try testing.expectError(error.OperationNotSupported, h.write(k.recs[0].data, 0, 0));
    try testing.expectError(error.OperationNotSupported, h.writeBatch(&.{k.recs[0].data}));
    try testing.expectError(error.OperationNotSupported, h.flush());
    try testing.expectError(error.OperationNotSupported, h.setFanout(.hash, 1, .{}));
    try testing.expectError(error.OperationNotSupported, h.fanoutGroup());
    // What does apply works.
    const cfg = try h.config();
    try testing.expectEqual(pkt.Direction.inout, cfg.direction);
    try testing.expectEqual(pkt.Stats{ .recvs = 0, .drops = 0 }, try h.stats(false));
    try expectAll(h, &k.recs, .{ .format = .pcapng }, 0);
}

test "offlineIface: a live handle is refused; setFilterExpr stays live there" {
    if (std.posix.getenv("PKT_TEST_NETNS") == null) return error.SkipZigTest; // needs CAP_NET_RAW
    var h = try pkt.Handle.open("lo", .{ .read_timeout_ms = 100 });
    defer h.close();
    try testing.expectError(error.OperationNotSupported, h.offlineIface(0));
    try testing.expectEqual(neg(.OPNOTSUPP), pkt.lastCode());
    // The live form: "vlan" asks the kernel's metadata, which only a live handle can.
    try h.setFilterExpr("vlan 5 or udp");
}

// ---------------------------------------------------------------------------------------------
// The README's example, kept compiling and right here.

/// Counts the UDP packets of a savefile and their bytes on the wire.
fn countUdp(path: [:0]const u8) !struct { packets: u64, bytes: u64 } {
    var h = try pkt.Handle.openOffline(path, .{}); // "-": standard input
    defer h.close();
    try h.setFilterExpr("udp"); // compiled for the file's link type, h.dlt()

    const Totals = struct { packets: u64 = 0, bytes: u64 = 0 };
    var t: Totals = .{};
    // To the end of the file (cnt 0: no limit); breakLoop() from elsewhere ends it early.
    h.loop(0, &t, struct {
        fn f(tot: *Totals, data: []const u8, info: *const pkt.Info) void {
            _ = data; // info.caplen bytes, valid during the call only
            tot.packets += 1;
            tot.bytes += info.len;
        }
    }.f) catch |err| switch (err) {
        // A damaged record: the packets before it were counted.
        error.BadMessage => std.log.warn("{s}", .{pkt.errmsg()}),
        else => return err,
    };
    return .{ .packets = t.packets, .bytes = t.bytes };
}

/// The same with read: each packet until error.EndOfFile.
fn firstTimes(path: [:0]const u8, out: []i128) !usize {
    var h = try pkt.Handle.openOffline(path, .{});
    defer h.close();
    var n: usize = 0;
    while (h.read(true)) |maybe| {
        const p = maybe orelse continue; // only with a filter and max_nil_read
        if (n == out.len) break;
        out[n] = p.info.timestampNs(); // nanoseconds since the epoch
        n += 1;
    } else |err| switch (err) {
        error.EndOfFile => {},
        else => return err,
    }
    return n;
}

test "README example" {
    var s: Scratch = .{};
    try s.init();
    defer s.deinit();
    var m: Mixed = .{};
    m.init();
    const path = try s.path("mixed.pcapng");
    try writeSavefile(path, .{ .format = .pcapng, .nano = true }, &m.recs);
    const got = try countUdp(path);
    try testing.expectEqual(@as(u64, 3), got.packets);
    try testing.expectEqual(@as(u64, 60 + 60 + 300), got.bytes);
    var times: [3]i128 = undefined;
    try testing.expectEqual(@as(usize, 3), try firstTimes(path, &times));
    try testing.expectEqualSlices(i128, &.{ 0, std.time.ns_per_s, 2 * std.time.ns_per_s }, &times);
}
