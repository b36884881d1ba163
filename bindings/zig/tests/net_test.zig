//! Network tests of the Zig bindings: real frames over a veth pair v0 <-> v1.
//!
//! They run as root inside a fresh network namespace that holds v0 and v1 (up, IPv6 off, so
//! the kernel sends nothing of its own): `bindings/zig/test.sh` runs `zig build test` under
//! `c-tests/netns.sh`, which sets `PKT_TEST_NETNS`. Without that variable the network tests
//! are skipped (and test.sh fails on a skip). Every read has a timeout, so nothing hangs.

const std = @import("std");
const pkt = @import("pkt");
const testing = std.testing;

const eth_test: u16 = 0x88b5; // IEEE local experimental ethertype 1
const eth_test2: u16 = 0x88b6; // local experimental ethertype 2
const src_mac = [6]u8{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const broadcast = [6]u8{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

var skip_noted = false;

/// Skips the test outside the test namespace; fails if the namespace lacks v0/v1.
fn requireNetns() !void {
    if (std.posix.getenv("PKT_TEST_NETNS") == null) {
        if (!skip_noted) std.debug.print("network tests skipped: not in a test namespace (run bindings/zig/test.sh as root)\n", .{});
        skip_noted = true;
        return error.SkipZigTest;
    }
    if (ifindex("v0") <= 0 or ifindex("v1") <= 0) return error.NoVethPair;
}

fn ifindex(name: [:0]const u8) i32 {
    return std.c.if_nametoindex(name.ptr);
}

/// A broadcast Ethernet frame of `len` bytes with `ethertype`, whose payload starts with `seq`
/// (big endian) and then counts up from it.
fn makeFrame(buf: []u8, len: usize, ethertype: u16, seq: u32) []u8 {
    const f = buf[0..len];
    @memcpy(f[0..6], &broadcast);
    @memcpy(f[6..12], &src_mac);
    std.mem.writeInt(u16, f[12..14], ethertype, .big);
    std.mem.writeInt(u32, f[14..18], seq, .big);
    for (f[18..], 0..) |*b, i| b.* = @truncate(seq +% i);
    return f;
}

/// Reads one packet (waiting), skipping nil reads; fails when none comes in time.
fn readOne(h: pkt.Handle) !pkt.Packet {
    var nil_reads: usize = 0;
    while (nil_reads < 100) : (nil_reads += 1) {
        if (try h.read(true)) |p| return p;
    }
    return error.TooManyNilReads;
}

fn expectFrame(p: pkt.Packet, want: []const u8, want_ifindex: i32) !void {
    try testing.expectEqualSlices(u8, want, p.bytes());
    try testing.expectEqual(@as(u32, @intCast(want.len)), p.info.caplen);
    try testing.expectEqual(@as(u32, @intCast(want.len)), p.info.len);
    try testing.expectEqual(std.mem.readInt(u16, want[12..14], .big), p.info.protocol);
    try testing.expectEqual(want_ifindex, p.info.ifindex);
    try testing.expectEqual(pkt.PacketType.broadcast, p.info.packetType());
    try testing.expectEqual(pkt.linktype_ethernet, p.info.linktype);
    // A kernel timestamp from the last minute.
    const now = std.time.nanoTimestamp();
    try testing.expect(p.info.timestampNs() <= now);
    try testing.expect(now - p.info.timestampNs() < 60 * std.time.ns_per_s);
    try testing.expect(p.info.nsec < std.time.ns_per_s);
    try testing.expectEqual(@as(i8, 0), p.info.tstampSource());
    try testing.expectEqual(@as(?u12, null), p.info.vlanId());
}

/// Reads until `error.TimedOut`, counting the packets of each test ethertype.
fn drainCount(h: pkt.Handle, counts: *[2]usize) !void {
    var i: usize = 0;
    while (i < 1000) : (i += 1) {
        const p = (h.read(true) catch |err| switch (err) {
            error.TimedOut => return,
            else => return err,
        }) orelse continue;
        switch (p.info.protocol) {
            eth_test => counts[0] += 1,
            eth_test2 => counts[1] += 1,
            else => {},
        }
    }
    return error.NeverTimedOut;
}

test "open: errors map to Zig errors with a message" {
    try requireNetns();
    try testing.expectError(error.NoDevice, pkt.Handle.open("no-such-if0", .{}));
    try testing.expectEqual(-@as(c_int, @intFromEnum(std.posix.E.NODEV)), pkt.lastCode());
    try testing.expect(pkt.errmsg().len > 0);
    try testing.expectError(error.NoDevice, pkt.Handle.open("a-name-longer-than-ifnamsiz", .{}));
    try testing.expectError(error.InvalidArgument, pkt.Handle.open("v0", .{ .buffer_size = 1 << 40 }));
    // A program without a final `ret` is not valid classic BPF.
    const bad = [_]pkt.Insn{pkt.Insn.stmt(pkt.bpf.ld | pkt.bpf.h | pkt.bpf.abs, 12)};
    try testing.expect(!(pkt.Config{ .filter = &bad }).check());
    try testing.expectError(error.InvalidArgument, pkt.Handle.open("v0", .{ .filter = &bad }));
    try testing.expect(pkt.errmsg().len > 0);
    // The TX ring cannot be set up on all interfaces.
    try testing.expectError(error.InvalidArgument, pkt.Handle.open(null, .{ .tx_mode = .ring }));
}

test "handle facts: fd, link type, dlt, effective config, fanout" {
    try requireNetns();
    var h = try pkt.Handle.open("v0", .{ .buffer_size = 1 << 20 });
    defer h.close();
    try testing.expect(h.fd() >= 0);
    try testing.expectEqual(pkt.linktype_ethernet, h.linkType());
    try testing.expectEqual(pkt.linktype_ethernet, pkt.ifaceLinkType("v0"));
    try testing.expectEqual(pkt.dlt.en10mb, h.dlt());
    const cfg = try h.config();
    try testing.expect(cfg.buffer_size >= 1 << 20);
    try testing.expect(!cfg.cooked);
    try testing.expectEqual(pkt.Direction.inout, cfg.direction);

    try testing.expectEqual(@as(?u16, null), try h.fanoutGroup());
    try h.setFanout(.hash, 0, .{ .unique_id = true });
    try testing.expect((try h.fanoutGroup()) != null);
    try testing.expectError(error.AlreadyInGroup, h.setFanout(.hash, 0, .{ .unique_id = true }));

    var any = try pkt.Handle.open(null, .{});
    defer any.close();
    try testing.expectEqual(pkt.linktype_none, any.linkType());
    try testing.expectEqual(pkt.dlt.linux_sll2, any.dlt());
    try testing.expect((try any.config()).cooked);
}

fn roundTrip(immediate: bool) !void {
    const v0 = ifindex("v0");
    var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 3000, .proto = eth_test, .immediate = immediate });
    defer rx.close();
    var tx = try pkt.Handle.open("v1", .{ .read_timeout_ms = 3000 });
    defer tx.close();

    var buf: [1514]u8 = undefined;
    for ([_]usize{ 60, 64, 100, 501, 1514 }, 0..) |len, i| {
        const f = makeFrame(&buf, len, eth_test, @intCast(i * 1000));
        // proto 0: the ethertype comes from the frame; ifindex 0: the bound interface.
        try testing.expectEqual(len, try tx.write(f, 0, 0));
        const p = try readOne(rx);
        try expectFrame(p, f, v0);
    }
    // An explicit interface and protocol.
    const f = makeFrame(&buf, 80, eth_test, 7);
    try testing.expectEqual(@as(usize, 80), try tx.write(f, ifindex("v1"), eth_test));
    try expectFrame(try readOne(rx), f, v0);
    // Nothing else arrives.
    try testing.expectError(error.WouldBlock, rx.read(false));
}

test "write and read: bytes and info (TPACKET_V3 ring)" {
    try requireNetns();
    try roundTrip(false);
}

test "write and read: bytes and info (immediate, TPACKET_V2 ring)" {
    try requireNetns();
    try roundTrip(true);
}

test "writeBatch and readBatch: 150 frames, in order, zero copy" {
    try requireNetns();
    const v0 = ifindex("v0");
    var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 3000, .proto = eth_test });
    defer rx.close();
    var tx = try pkt.Handle.open("v1", .{});
    defer tx.close();

    const count = 150; // more than one 64-frame chunk of writeBatch
    var storage: [count][128]u8 = undefined;
    var frames: [count][]const u8 = undefined;
    for (&frames, &storage, 0..) |*f, *s, i| f.* = makeFrame(s, 60 + i % 60, eth_test, @intCast(i));
    try testing.expectEqual(@as(usize, count), try tx.writeBatch(&frames));
    try testing.expectEqual(@as(usize, 0), try tx.writeBatch(&.{}));

    var batch: [16]pkt.Packet = undefined;
    var got: usize = 0;
    var calls: usize = 0;
    while (got < count and calls < 1000) : (calls += 1) {
        const n = try rx.readBatch(true, &batch);
        try testing.expect(n <= batch.len);
        for (batch[0..n]) |p| {
            try expectFrame(p, frames[got], v0);
            got += 1;
        }
    }
    try testing.expectEqual(@as(usize, count), got);
    try testing.expectError(error.WouldBlock, rx.readBatch(false, &batch));
    try testing.expectError(error.InvalidArgument, rx.readBatch(true, batch[0..0]));
}

test "readSlim: the bytes and lengths readBatch gives on another handle (sizes, VLAN tags, snaplen)" {
    try requireNetns();
    var tx = try pkt.Handle.open("v1", .{});
    defer tx.close();
    const count = 300;
    var storage: [count][1518]u8 = undefined;
    var frames: [count][]const u8 = undefined;
    const sizes = [_]usize{ 60, 64, 128, 512, 1000, 1514, 99 };
    for (&frames, &storage, 0..) |*f, *s, i| {
        const n = sizes[i % sizes.len];
        const plain = makeFrame(s[4..], n, eth_test, @intCast(i));
        if (i % 5 == 3) {
            // An 802.1Q tag (VLAN i) after the addresses: libpkt puts it back.
            std.mem.copyForwards(u8, s[0..12], plain[0..12]);
            std.mem.writeInt(u16, s[12..14], 0x8100, .big);
            std.mem.writeInt(u16, s[14..16], @intCast(i), .big);
            f.* = s[0 .. n + 4];
        } else f.* = plain;
    }
    for ([_]u32{ 0, 100 }) |snaplen| {
        for ([_]usize{ 1, 7, 32, 256 }) |max| {
            // proto_all: a tag hides the test ethertype from the protocol selection.
            const cfg: pkt.Config = .{ .read_timeout_ms = 300, .buffer_size = 8 << 20, .snaplen = snaplen, .proto = pkt.proto_all };
            var rs = try pkt.Handle.open("v0", cfg);
            defer rs.close();
            var rb = try pkt.Handle.open("v0", cfg);
            defer rb.close();
            try testing.expectEqual(@as(usize, count), try tx.writeBatch(&frames));

            var slim: [256]pkt.Slim = undefined;
            var batch: [64]pkt.Packet = undefined;
            var got_s: usize = 0;
            var got_b: usize = 0;
            var calls: usize = 0;
            while (got_b < count and calls < 2000) : (calls += 1) {
                const n = try rb.readBatch(true, &batch);
                for (batch[0..n]) |p| {
                    const f = frames[got_b];
                    const want = if (snaplen != 0 and f.len > snaplen) f[0..snaplen] else f;
                    try testing.expectEqualSlices(u8, want, p.bytes());
                    try testing.expectEqual(@as(u32, @intCast(f.len)), p.info.len);
                    got_b += 1;
                }
            }
            try testing.expectEqual(@as(usize, count), got_b);
            // rb's batches are gone after its next read; rs is compared with the frames, which
            // rb's packets matched byte for byte.
            calls = 0;
            while (got_s < count and calls < 2000) : (calls += 1) {
                const n = try rs.readSlim(true, slim[0..max]);
                try testing.expect(n <= max);
                for (slim[0..n]) |p| {
                    const f = frames[got_s];
                    const want = if (snaplen != 0 and f.len > snaplen) f[0..snaplen] else f;
                    try testing.expectEqualSlices(u8, want, p.bytes());
                    try testing.expectEqual(@as(u32, @intCast(want.len)), p.caplen);
                    try testing.expectEqual(@as(u32, @intCast(f.len)), p.len);
                    got_s += 1;
                }
            }
            try testing.expectEqual(@as(usize, count), got_s);
            try testing.expectError(error.TimedOut, rs.readSlim(true, &slim));
            try testing.expectError(error.WouldBlock, rs.readSlim(false, &slim));
            try testing.expectError(error.InvalidArgument, rs.readSlim(true, slim[0..0]));
        }
    }
}

test "write errors: too long, no interface, partial batch" {
    try requireNetns();
    var tx = try pkt.Handle.open("v1", .{});
    defer tx.close();
    var buf: [2000]u8 = undefined;
    try testing.expectError(error.MessageTooLong, tx.write(makeFrame(&buf, 1515, eth_test, 0), 0, 0));
    try testing.expectEqual(@as(usize, 0), try tx.write(&.{}, 0, 0));
    try testing.expectError(error.NoDevice, tx.write(makeFrame(&buf, 60, eth_test, 0), 999999, 0));

    var any = try pkt.Handle.open(null, .{});
    defer any.close();
    try testing.expectError(error.InvalidArgument, any.write(makeFrame(&buf, 60, eth_test, 0), 0, 0));

    // A batch whose third frame is too long: two go out, and the count says which one failed.
    var a: [64]u8 = undefined;
    var b: [64]u8 = undefined;
    var d: [64]u8 = undefined;
    const frames = [_][]const u8{
        makeFrame(&a, 60, eth_test, 1),
        makeFrame(&b, 60, eth_test, 2),
        makeFrame(&buf, 1600, eth_test, 3),
        makeFrame(&d, 60, eth_test, 4),
    };
    try testing.expectEqual(@as(usize, 2), try tx.writeBatch(&frames));
    try testing.expect(pkt.errmsg().len > 0);
    try testing.expectError(error.MessageTooLong, tx.writeBatch(frames[2..]));
}

test "timeouts and non-blocking reads" {
    try requireNetns();
    var h = try pkt.Handle.open("v0", .{ .read_timeout_ms = 300 });
    defer h.close();
    try testing.expectError(error.WouldBlock, h.read(false));
    var timer = try std.time.Timer.start();
    try testing.expectError(error.TimedOut, h.read(true));
    const ms = timer.read() / std.time.ns_per_ms;
    try testing.expect(ms >= 250 and ms < 5000);
    try testing.expect(pkt.isTemporary(error.TimedOut));

    var nb = try pkt.Handle.open("v0", .{ .nonblock = true });
    defer nb.close();
    try testing.expectError(error.WouldBlock, nb.read(true));
}

fn breakAfter(h: pkt.Handle, ms: u64) void {
    std.Thread.sleep(ms * std.time.ns_per_ms);
    h.breakLoop();
}

test "breakLoop from another thread ends a blocking read with error.Interrupted" {
    try requireNetns();
    var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 10000, .proto = eth_test });
    defer rx.close();
    var tx = try pkt.Handle.open("v1", .{});
    defer tx.close();

    var timer = try std.time.Timer.start();
    const t = try std.Thread.spawn(.{}, breakAfter, .{ rx, 200 });
    const res = rx.read(true);
    t.join();
    try testing.expectError(error.Interrupted, res);
    const ms = timer.read() / std.time.ns_per_ms;
    try testing.expect(ms >= 150 and ms < 5000);

    // Once per break: the next read works normally.
    var buf: [64]u8 = undefined;
    const f = makeFrame(&buf, 60, eth_test, 42);
    _ = try tx.write(f, 0, 0);
    try expectFrame(try readOne(rx), f, ifindex("v0"));

    // A break before the read is kept for it, and for batch reads too.
    rx.breakLoop();
    rx.breakLoop();
    var batch: [4]pkt.Packet = undefined;
    try testing.expectError(error.Interrupted, rx.readBatch(true, &batch));
    try testing.expectError(error.WouldBlock, rx.read(false));
}

fn filterFor(ethertype: u16) [4]pkt.Insn {
    const bpf = pkt.bpf;
    return .{
        pkt.Insn.stmt(bpf.ld | bpf.h | bpf.abs, 12),
        pkt.Insn.jump(bpf.jmp | bpf.jeq | bpf.k, ethertype, 0, 1),
        pkt.Insn.stmt(bpf.ret | bpf.k, 0xffff),
        pkt.Insn.stmt(bpf.ret | bpf.k, 0),
    };
}

fn sendMix(tx: pkt.Handle, n: usize) !void {
    var buf: [64]u8 = undefined;
    for (0..n) |i| {
        _ = try tx.write(makeFrame(&buf, 60, if (i % 2 == 0) eth_test else eth_test2, @intCast(i)), 0, 0);
    }
}

test "filters: at open, setFilter, detach, invalid program" {
    try requireNetns();
    var tx = try pkt.Handle.open("v1", .{});
    defer tx.close();

    const only2 = filterFor(eth_test2);
    var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 400, .filter = &only2 });
    defer rx.close();
    try sendMix(tx, 6);
    var counts = [2]usize{ 0, 0 };
    try drainCount(rx, &counts);
    try testing.expectEqual([2]usize{ 0, 3 }, counts);

    const only1 = filterFor(eth_test);
    try rx.setFilter(&only1);
    try sendMix(tx, 6);
    counts = .{ 0, 0 };
    try drainCount(rx, &counts);
    try testing.expectEqual([2]usize{ 3, 0 }, counts);

    // An invalid program is refused and the previous filter stays.
    const bad = [_]pkt.Insn{pkt.Insn.jump(pkt.bpf.jmp | pkt.bpf.jeq | pkt.bpf.k, 1, 5, 5)};
    try testing.expectError(error.InvalidArgument, rx.setFilter(&bad));
    try testing.expect(pkt.errmsg().len > 0);
    try sendMix(tx, 4);
    counts = .{ 0, 0 };
    try drainCount(rx, &counts);
    try testing.expectEqual([2]usize{ 2, 0 }, counts);

    // An empty program detaches the filter.
    try rx.setFilter(&.{});
    try sendMix(tx, 4);
    counts = .{ 0, 0 };
    try drainCount(rx, &counts);
    try testing.expectEqual([2]usize{ 2, 2 }, counts);
}

test "stats: total and since the last call" {
    try requireNetns();
    var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 3000, .proto = eth_test });
    defer rx.close();
    var tx = try pkt.Handle.open("v1", .{});
    defer tx.close();
    var buf: [64]u8 = undefined;

    try testing.expectEqual(pkt.Stats{ .recvs = 0, .drops = 0 }, try rx.stats(true));
    for (0..10) |i| _ = try tx.write(makeFrame(&buf, 60, eth_test, @intCast(i)), 0, 0);
    for (0..10) |_| _ = try readOne(rx);
    try testing.expectEqual(pkt.Stats{ .recvs = 10, .drops = 0 }, try rx.stats(false));
    try testing.expectEqual(pkt.Stats{ .recvs = 0, .drops = 0 }, try rx.stats(false));

    for (0..3) |i| _ = try tx.write(makeFrame(&buf, 60, eth_test, @intCast(i)), 0, 0);
    for (0..3) |_| _ = try readOne(rx);
    try testing.expectEqual(pkt.Stats{ .recvs = 3, .drops = 0 }, try rx.stats(false));
    try testing.expectEqual(pkt.Stats{ .recvs = 13, .drops = 0 }, try rx.stats(true));
}

test "snaplen: caplen is cut, len stays the wire length" {
    try requireNetns();
    var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 3000, .proto = eth_test, .snaplen = 64 });
    defer rx.close();
    var tx = try pkt.Handle.open("v1", .{});
    defer tx.close();
    var buf: [300]u8 = undefined;
    const f = makeFrame(&buf, 300, eth_test, 9);
    _ = try tx.write(f, 0, 0);
    const p = try readOne(rx);
    try testing.expectEqual(@as(u32, 64), p.info.caplen);
    try testing.expectEqual(@as(u32, 300), p.info.len);
    try testing.expectEqualSlices(u8, f[0..64], p.bytes());
}

const Counter = struct {
    n: usize = 0,
    bytes: usize = 0,
    stop_at: usize = std.math.maxInt(usize),
    h: ?pkt.Handle = null,

    fn onPacket(self: *Counter, data: []const u8, info: *const pkt.Info) void {
        self.n += 1;
        self.bytes += data.len;
        std.debug.assert(data.len == info.caplen);
        if (self.n == self.stop_at) self.h.?.breakLoop();
    }
};

test "dispatch: a callback per packet, breakLoop inside it" {
    try requireNetns();
    var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 3000, .proto = eth_test });
    defer rx.close();
    var tx = try pkt.Handle.open("v1", .{});
    defer tx.close();
    var buf: [64]u8 = undefined;
    for (0..8) |i| _ = try tx.write(makeFrame(&buf, 60, eth_test, @intCast(i)), 0, 0);

    var counter = Counter{ .stop_at = 3, .h = rx };
    // The loop stops after the third packet; the break stays pending for the next call, which
    // then says Interrupted (nothing processed).
    var calls: usize = 0;
    while (counter.n < 3 and calls < 100) : (calls += 1) _ = try rx.dispatch(-1, &counter, Counter.onPacket);
    try testing.expectEqual(@as(usize, 3), counter.n);
    try testing.expectError(error.Interrupted, rx.dispatch(-1, &counter, Counter.onPacket));
    calls = 0;
    while (counter.n < 8 and calls < 100) : (calls += 1) _ = try rx.dispatch(10, &counter, Counter.onPacket);
    try testing.expectEqual(@as(usize, 8), counter.n);
    try testing.expectEqual(@as(usize, 8 * 60), counter.bytes);
}

/// A scratch directory for savefiles: $PKT_ZIG_TEST_TMPDIR (test.sh points it under build/)
/// or /tmp, plus a per-process name.
fn scratchDir(buf: []u8) ![]const u8 {
    const base = std.posix.getenv("PKT_ZIG_TEST_TMPDIR") orelse "/tmp";
    const path = try std.fmt.bufPrint(buf, "{s}/pkt-zig-test-{d}", .{ base, std.os.linux.getpid() });
    try std.fs.cwd().makePath(path);
    return path;
}

const Captured = struct { data: [128]u8, len: usize, info: pkt.Info };

/// Sends `n` frames and captures them, copied out of the ring.
fn captureSome(out: []Captured) !void {
    var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 3000, .proto = eth_test });
    defer rx.close();
    var tx = try pkt.Handle.open("v1", .{});
    defer tx.close();
    var buf: [128]u8 = undefined;
    for (out, 0..) |_, i| _ = try tx.write(makeFrame(&buf, 60 + i * 10, eth_test, @intCast(i)), 0, 0);
    for (out) |*c| {
        const p = try readOne(rx);
        @memcpy(c.data[0..p.bytes().len], p.bytes());
        c.len = p.bytes().len;
        c.info = p.info;
    }
}

test "Dumper: pcap files in microseconds and nanoseconds, parsed back" {
    try requireNetns();
    var caps: [5]Captured = undefined;
    try captureSome(&caps);

    var dir_buf: [512]u8 = undefined;
    const dir = try scratchDir(&dir_buf);
    defer std.fs.cwd().deleteTree(dir) catch {};

    for ([_]bool{ false, true }) |nano| {
        var path_buf: [600]u8 = undefined;
        const path = try std.fmt.bufPrintZ(&path_buf, "{s}/{s}.pcap", .{ dir, if (nano) "ns" else "us" });
        const d = try pkt.Dumper.open(path, pkt.dlt.en10mb, .{ .nano = nano });
        for (caps[0..4]) |*c| try d.write(c.data[0..c.len], c.info);
        // writePacket takes a Packet as read returns it.
        try d.writePacket(.{ .ptr = &caps[4].data, .info = caps[4].info });
        var expect_size: u64 = 24;
        for (caps) |c| expect_size += 16 + c.len;
        try testing.expectEqual(expect_size, try d.bytes());
        try d.close();

        const file = try std.fs.cwd().readFileAlloc(testing.allocator, path, 1 << 20);
        defer testing.allocator.free(file);
        try testing.expectEqual(expect_size, file.len);
        // File header: magic, version 2.4, thiszone, sigfigs, snaplen, link type.
        const rd = struct {
            fn u32le(b: []const u8, off: usize) u32 {
                return std.mem.readInt(u32, b[off..][0..4], .little);
            }
        }.u32le;
        try testing.expectEqual(@as(u32, if (nano) 0xa1b23c4d else 0xa1b2c3d4), rd(file, 0));
        try testing.expectEqual(@as(u16, 2), std.mem.readInt(u16, file[4..6], .little));
        try testing.expectEqual(@as(u16, 4), std.mem.readInt(u16, file[6..8], .little));
        try testing.expectEqual(@as(u32, 262144), rd(file, 16));
        try testing.expectEqual(@as(u32, pkt.dlt.en10mb), rd(file, 20));
        // Records.
        var off: usize = 24;
        var records: usize = 0;
        while (off < file.len) : (records += 1) {
            try testing.expect(file.len - off >= 16);
            const c = caps[records];
            try testing.expectEqual(@as(u32, @intCast(c.info.sec)), rd(file, off));
            try testing.expectEqual(if (nano) c.info.nsec else c.info.nsec / 1000, rd(file, off + 4));
            const incl = rd(file, off + 8);
            try testing.expectEqual(@as(u32, @intCast(c.len)), incl);
            try testing.expectEqual(c.info.len, rd(file, off + 12));
            try testing.expectEqualSlices(u8, c.data[0..c.len], file[off + 16 ..][0..incl]);
            off += 16 + incl;
        }
        try testing.expectEqual(caps.len, records);
    }
}

test "Dumper: pcapng file, and errors" {
    try requireNetns();
    var caps: [3]Captured = undefined;
    try captureSome(&caps);

    var dir_buf: [512]u8 = undefined;
    const dir = try scratchDir(&dir_buf);
    defer std.fs.cwd().deleteTree(dir) catch {};
    var path_buf: [600]u8 = undefined;
    const path = try std.fmt.bufPrintZ(&path_buf, "{s}/x.pcapng", .{dir});

    const d = try pkt.Dumper.open(path, pkt.dlt.en10mb, .{ .format = .pcapng, .nano = true });
    for (&caps) |*c| try d.write(c.data[0..c.len], c.info);
    try d.setStats(.{ .recvs = 3, .drops = 0 });
    try d.flush();
    try d.close();

    const file = try std.fs.cwd().readFileAlloc(testing.allocator, path, 1 << 20);
    defer testing.allocator.free(file);
    // Walk the blocks: a section header, an interface description, three enhanced packet
    // blocks with our bytes, an interface statistics block.
    var off: usize = 0;
    var types = std.ArrayList(u32){};
    defer types.deinit(testing.allocator);
    var epb: usize = 0;
    while (off + 12 <= file.len) {
        const btype = std.mem.readInt(u32, file[off..][0..4], .little);
        const blen = std.mem.readInt(u32, file[off + 4 ..][0..4], .little);
        try testing.expect(blen >= 12 and blen % 4 == 0 and off + blen <= file.len);
        try testing.expectEqual(blen, std.mem.readInt(u32, file[off + blen - 4 ..][0..4], .little));
        try types.append(testing.allocator, btype);
        if (btype == 6) {
            const c = caps[epb];
            const incl = std.mem.readInt(u32, file[off + 20 ..][0..4], .little);
            try testing.expectEqual(@as(u32, @intCast(c.len)), incl);
            try testing.expectEqualSlices(u8, c.data[0..c.len], file[off + 28 ..][0..incl]);
            epb += 1;
        }
        off += blen;
    }
    try testing.expectEqual(file.len, off);
    try testing.expectEqualSlices(u32, &.{ 0x0a0d0d0a, 1, 6, 6, 6, 5 }, types.items);

    try testing.expectError(error.InvalidArgument, pkt.Dumper.open(path, pkt.dlt.en10mb, .{ .snaplen = 300000 }));
    try testing.expectError(error.InvalidArgument, pkt.Dumper.open(path, 9999, .{}));
    try testing.expectError(error.NotFound, pkt.Dumper.open("/nonexistent-pkt-dir/x.pcap", pkt.dlt.en10mb, .{}));
    try testing.expect(std.mem.indexOf(u8, pkt.errmsg(), "/nonexistent-pkt-dir/x.pcap") != null);

    // A record whose wire length is below its captured length is refused, and does not stick.
    const d2 = try pkt.Dumper.open(path, pkt.dlt.en10mb, .{});
    var info = caps[0].info;
    info.len = 10;
    try testing.expectError(error.InvalidArgument, d2.write(caps[0].data[0..caps[0].len], info));
    try d2.write(caps[0].data[0..caps[0].len], caps[0].info);
    try d2.close();
}

test "fd: poll says readable once a packet is ready" {
    try requireNetns();
    var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 3000, .proto = eth_test, .immediate = true });
    defer rx.close();
    var tx = try pkt.Handle.open("v1", .{});
    defer tx.close();
    var fds = [_]std.posix.pollfd{.{ .fd = rx.fd(), .events = std.posix.POLL.IN, .revents = 0 }};
    try testing.expectEqual(@as(usize, 0), try std.posix.poll(&fds, 50));
    var buf: [64]u8 = undefined;
    _ = try tx.write(makeFrame(&buf, 60, eth_test, 1), 0, 0);
    try testing.expectEqual(@as(usize, 1), try std.posix.poll(&fds, 3000));
    _ = try readOne(rx);
    try testing.expectError(error.WouldBlock, rx.read(false));
}

// ---------------------------------------------------------------------------------------------
// Filter expressions (setFilterExpr)

const ip_src = [4]u8{ 10, 0, 0, 1 };
const ip_dst = [4]u8{ 10, 0, 0, 2 };

/// A broadcast Ethernet frame of `len` bytes carrying IPv4 protocol `proto` (17 UDP, 6 TCP)
/// from port `sport` to `dport`, with flags and fragment offset `frag` (the offset in 8-byte
/// units), and a payload counting up from `seq`.
fn makeIp4(buf: []u8, len: usize, proto: u8, sport: u16, dport: u16, frag: u16, seq: u32) []u8 {
    const f = buf[0..len];
    @memcpy(f[0..6], &broadcast);
    @memcpy(f[6..12], &src_mac);
    std.mem.writeInt(u16, f[12..14], 0x0800, .big);
    const ip = f[14..34];
    ip[0] = 0x45;
    ip[1] = 0;
    std.mem.writeInt(u16, ip[2..4], @intCast(len - 14), .big);
    std.mem.writeInt(u16, ip[4..6], @truncate(seq), .big);
    std.mem.writeInt(u16, ip[6..8], frag, .big);
    ip[8] = 64;
    ip[9] = proto;
    @memset(ip[10..12], 0);
    @memcpy(ip[12..16], &ip_src);
    @memcpy(ip[16..20], &ip_dst);
    var sum: u32 = 0;
    var i: usize = 0;
    while (i < 20) : (i += 2) sum += std.mem.readInt(u16, ip[i..][0..2], .big);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    std.mem.writeInt(u16, ip[10..12], ~@as(u16, @intCast(sum)), .big);
    const l4 = f[34..];
    std.mem.writeInt(u16, l4[0..2], sport, .big);
    std.mem.writeInt(u16, l4[2..4], dport, .big);
    const hdr: usize = if (proto == 6) 20 else 8;
    if (proto == 6) {
        @memset(l4[4..20], 0);
        l4[12] = 0x50; // data offset 5
        l4[13] = 0x02; // SYN
    } else {
        std.mem.writeInt(u16, l4[4..6], @intCast(len - 34), .big);
        @memset(l4[6..8], 0);
    }
    std.mem.writeInt(u32, l4[hdr..][0..4], seq, .big);
    for (l4[hdr + 4 ..], 0..) |*b, k| b.* = @truncate(seq +% k);
    return f;
}

/// Frames for "udp dst port 9", each with whether it matches.
const Mix = struct {
    storage: [9][400]u8 = undefined,
    frames: [9][]const u8 = undefined,
    match: [9]bool = undefined,

    fn init(m: *Mix, seq: u32) void {
        const Spec = struct { len: usize, proto: u8, sport: u16, dport: u16, frag: u16, match: bool };
        const specs = [_]Spec{
            .{ .len = 60, .proto = 17, .sport = 40000, .dport = 9, .frag = 0, .match = true },
            .{ .len = 60, .proto = 17, .sport = 40000, .dport = 10, .frag = 0, .match = false },
            .{ .len = 60, .proto = 17, .sport = 9, .dport = 53, .frag = 0, .match = false },
            .{ .len = 80, .proto = 6, .sport = 40000, .dport = 9, .frag = 0, .match = false },
            .{ .len = 0, .proto = 0, .sport = 0, .dport = 0, .frag = 0, .match = false }, // not IP
            // A later fragment whose bytes where the port would be say 9.
            .{ .len = 60, .proto = 17, .sport = 40000, .dport = 9, .frag = 185, .match = false },
            .{ .len = 300, .proto = 17, .sport = 40001, .dport = 9, .frag = 0, .match = true },
            .{ .len = 100, .proto = 17, .sport = 40000, .dport = 9, .frag = 0x2000, .match = true }, // DF set
            .{ .len = 200, .proto = 17, .sport = 9, .dport = 9, .frag = 0, .match = true },
        };
        for (specs, 0..) |s, i| {
            const sq = seq + @as(u32, @intCast(i));
            m.frames[i] = if (s.proto == 0)
                makeFrame(&m.storage[i], 64, eth_test, sq)
            else
                makeIp4(&m.storage[i], s.len, s.proto, s.sport, s.dport, s.frag, sq);
            m.match[i] = s.match;
        }
    }
};

const Got = struct { bytes: []u8, len: u32 };

/// Sends `frames` from v1 and expects exactly those with `want` set on `rx`, in order, their
/// bytes from `offset` on (14 for a cooked handle) cut to `snaplen` (0: whole). Every read
/// waits at most the handle's timeout; after the last expected frame nothing else is there.
fn expectOnly(rx: pkt.Handle, tx: pkt.Handle, frames: []const []const u8, want: []const bool, offset: usize, snaplen: usize) !void {
    for (frames) |f| try testing.expectEqual(f.len, try tx.write(f, 0, 0));
    var expected: usize = 0;
    for (want) |w| expected += @intFromBool(w);

    var got: std.ArrayList(Got) = .empty;
    defer {
        for (got.items) |g| testing.allocator.free(g.bytes);
        got.deinit(testing.allocator);
    }
    var reads: usize = 0;
    while (got.items.len < expected and reads < 1000) : (reads += 1) {
        const p = (try rx.read(true)) orelse continue;
        const copy = try testing.allocator.dupe(u8, p.bytes());
        errdefer testing.allocator.free(copy);
        try got.append(testing.allocator, .{ .bytes = copy, .len = p.info.len });
    }
    // Frames arrive in order on the veth: everything sent before the last match was filtered.
    try testing.expectError(error.WouldBlock, rx.read(false));

    var k: usize = 0;
    for (frames, want) |f, w| {
        if (!w) continue;
        try testing.expect(k < got.items.len);
        var body = f[offset..];
        if (snaplen != 0 and body.len > snaplen) body = body[0..snaplen];
        try testing.expectEqualSlices(u8, body, got.items[k].bytes);
        try testing.expectEqual(@as(u32, @intCast(f.len - offset)), got.items[k].len);
        k += 1;
    }
    try testing.expectEqual(expected, got.items.len);
}

test "setFilterExpr: exactly the matching frames, Ethernet and cooked handles, snaplen" {
    try requireNetns();
    var tx = try pkt.Handle.open("v1", .{});
    defer tx.close();
    var mix: Mix = .{};

    // Ethernet: the program is compiled for dlt.en10mb.
    {
        var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 3000 });
        defer rx.close();
        try rx.setFilterExpr("udp dst port 9");
        mix.init(100);
        try expectOnly(rx, tx, &mix.frames, &mix.match, 0, 0);
        // Only matching frames passed the kernel filter.
        try testing.expectEqual(pkt.Stats{ .recvs = 4, .drops = 0 }, try rx.stats(true));
        // Replaced by another expression.
        try rx.setFilterExpr("tcp or not ip");
        mix.init(200);
        try expectOnly(rx, tx, &mix.frames, &[_]bool{ false, false, false, true, true, false, false, false, false }, 0, 0);
    }
    // A cooked handle: dlt.linux_sll2, the program sees packets from the IP header on.
    {
        var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 3000, .cooked = true });
        defer rx.close();
        try testing.expectEqual(pkt.dlt.linux_sll2, rx.dlt());
        try rx.setFilterExpr("udp dst port 9");
        mix.init(300);
        try expectOnly(rx, tx, &mix.frames, &mix.match, 14, 0);
    }
    // A snap length: the compiled program's accept value keeps 64 bytes, len stays the wire's.
    {
        var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 3000, .snaplen = 64 });
        defer rx.close();
        try rx.setFilterExpr("udp dst port 9");
        mix.init(400);
        try expectOnly(rx, tx, &mix.frames, &mix.match, 0, 64);
    }
}

test "setFilterExpr: an empty expression accepts everything" {
    try requireNetns();
    var tx = try pkt.Handle.open("v1", .{});
    defer tx.close();
    const only2 = filterFor(eth_test2);
    var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 3000, .filter = &only2 });
    defer rx.close();
    try rx.setFilterExpr("");
    var mix: Mix = .{};
    mix.init(500);
    const all = [_]bool{true} ** mix.frames.len;
    try expectOnly(rx, tx, &mix.frames, &all, 0, 0);
}

test "setFilterExpr: a syntax error names the position and keeps the previous filter" {
    try requireNetns();
    var tx = try pkt.Handle.open("v1", .{});
    defer tx.close();
    var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 3000 });
    defer rx.close();
    try rx.setFilterExpr("udp dst port 9");

    try testing.expectError(error.InvalidArgument, rx.setFilterExpr("udp dst port 9 and"));
    try testing.expectEqual(-@as(c_int, @intFromEnum(std.posix.E.INVAL)), pkt.lastCode());
    try testing.expectEqualStrings("pkt_compile: position 18: syntax error: unexpected end of expression (Invalid argument)", pkt.errmsg());
    try testing.expectError(error.InvalidArgument, rx.setFilterExpr("udp dst port 9 and ("));
    try testing.expect(std.mem.indexOf(u8, pkt.errmsg(), "position 20") != null);
    try testing.expectError(error.InvalidArgument, rx.setFilterExpr("udp dst port 99999"));
    try testing.expect(std.mem.indexOf(u8, pkt.errmsg(), "position 13: illegal port number") != null);

    var mix: Mix = .{};
    mix.init(600);
    try expectOnly(rx, tx, &mix.frames, &mix.match, 0, 0);
}

/// Bytes the C heap (glibc's malloc, which libpkt uses) has handed out and not taken back,
/// its thread caches included; null without glibc.
fn heapInUse() ?usize {
    if (comptime !@import("builtin").target.abi.isGnu()) return null;
    const MallInfo2 = extern struct {
        arena: usize,
        ordblks: usize,
        smblks: usize,
        hblks: usize,
        hblkhd: usize,
        usmblks: usize,
        fsmblks: usize,
        uordblks: usize,
        fordblks: usize,
        keepcost: usize,
    };
    const f = struct {
        extern "c" fn mallinfo2() MallInfo2;
    };
    const mi = f.mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

test "compile: programs and errors leak nothing" {
    // The C heap's use settles after a warm-up (malloc's thread caches fill); then 2000 more
    // rounds may add a few KB, where a leaked program (over 100 bytes) per round would be
    // 200 KB. No network needed.
    var before: ?usize = null;
    for (0..3000) |i| {
        if (i == 1000) before = heapInUse();
        var p = try pkt.compile("tcp port 80 and host 10.0.0.1", pkt.dlt.en10mb, 0, .{ .optimize = true, .live = true });
        p.deinit();
        try testing.expectError(error.InvalidArgument, pkt.compile("tcp port 80 and", pkt.dlt.en10mb, 0, .{}));
    }
    if (before) |b| try testing.expect(heapInUse().? <= b + 16 * 1024);
}

test "setFilterExpr: the program is freed on success and on every error" {
    try requireNetns();
    var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 3000 });
    defer rx.close();
    // After a warm-up (malloc's thread caches fill), 1000 more rounds may add a few KB; a
    // program leaked per round would be 100 KB or more.
    var before: ?usize = null;
    for (0..1500) |i| {
        if (i == 500) before = heapInUse();
        try rx.setFilterExpr("udp dst port 9");
        try testing.expectError(error.InvalidArgument, rx.setFilterExpr("udp dst port"));
    }
    if (before) |b| try testing.expect(heapInUse().? <= b + 16 * 1024);
}

// ---------------------------------------------------------------------------------------------
// Interfaces, networks, offline filtering, timestamp sources (issue 14)

const Argv = struct {
    args: []const []const u8,
    pub fn print(self: Argv, w: *std.Io.Writer) std.Io.Writer.Error!void {
        for (self.args, 0..) |a, i| try w.print("{s}{s}", .{ if (i == 0) "" else " ", a });
    }
};

/// Runs ip(8) with `args`; fails when it does.
fn ipCmd(args: []const []const u8) !void {
    var argv: [16][]const u8 = undefined;
    argv[0] = "ip";
    @memcpy(argv[1..][0..args.len], args);
    const r = try std.process.Child.run(.{ .allocator = testing.allocator, .argv = argv[0 .. args.len + 1] });
    defer testing.allocator.free(r.stdout);
    defer testing.allocator.free(r.stderr);
    const ok = switch (r.term) {
        .Exited => |code| code == 0,
        else => false,
    };
    if (!ok) {
        std.debug.print("ip {f}: {any}: {s}\n", .{ std.fmt.alt(Argv{ .args = args }, .print), r.term, r.stderr });
        return error.IpCommandFailed;
    }
}

const lo_ipv6_sysctl = "/proc/sys/net/ipv6/conf/lo/disable_ipv6";

/// The addresses the interface tests add in the test namespace, and take away again: on v0
/// 192.0.2.1/24 and, labelled v0:1, 198.51.100.7/16 (RFC 5737 test networks); on lo IPv6
/// (::1) and fe80::1/64, when the kernel has IPv6. The veth pair keeps IPv6 off, so nothing
/// is sent on it.
const LabAddrs = struct {
    lo_ipv6: bool = false,
    old_lo: [8]u8 = undefined,
    old_lo_len: usize = 0,

    fn add() !LabAddrs {
        var self: LabAddrs = .{};
        try ipCmd(&.{ "addr", "add", "192.0.2.1/24", "brd", "+", "dev", "v0" });
        errdefer ipCmd(&.{ "addr", "del", "192.0.2.1/24", "dev", "v0" }) catch {};
        try ipCmd(&.{ "addr", "add", "198.51.100.7/16", "brd", "+", "label", "v0:1", "dev", "v0" });
        errdefer ipCmd(&.{ "addr", "del", "198.51.100.7/16", "dev", "v0" }) catch {};
        const old = std.fs.cwd().readFile(lo_ipv6_sysctl, &self.old_lo) catch |err| {
            std.debug.print("no IPv6 on lo ({s}): IPv6 addresses not checked\n", .{@errorName(err)});
            return self;
        };
        self.old_lo_len = old.len;
        try std.fs.cwd().writeFile(.{ .sub_path = lo_ipv6_sysctl, .data = "0\n" });
        self.lo_ipv6 = true;
        errdefer self.remove();
        try ipCmd(&.{ "-6", "addr", "add", "fe80::1/64", "dev", "lo" });
        return self;
    }

    fn remove(self: *const LabAddrs) void {
        ipCmd(&.{ "addr", "del", "192.0.2.1/24", "dev", "v0" }) catch {};
        ipCmd(&.{ "addr", "del", "198.51.100.7/16", "dev", "v0" }) catch {};
        if (self.lo_ipv6) {
            ipCmd(&.{ "-6", "addr", "del", "fe80::1/64", "dev", "lo" }) catch {};
            std.fs.cwd().writeFile(.{ .sub_path = lo_ipv6_sysctl, .data = self.old_lo[0..self.old_lo_len] }) catch {};
        }
    }
};

/// The MAC address of `name`, from sysfs.
fn macOf(name: []const u8) ![6]u8 {
    var pbuf: [64]u8 = undefined;
    var buf: [32]u8 = undefined;
    const s = try std.fs.cwd().readFile(try std.fmt.bufPrint(&pbuf, "/sys/class/net/{s}/address", .{name}), &buf);
    var mac: [6]u8 = undefined;
    for (&mac, 0..) |*b, i| b.* = try std.fmt.parseInt(u8, s[i * 3 ..][0..2], 16);
    return mac;
}

fn expectIp4(want_addr: [4]u8, want_mask: [4]u8, want_brd: ?[4]u8, a: pkt.IfaceAddress) !void {
    try testing.expectEqual(pkt.SockAddr{ .ip4 = want_addr }, a.addr);
    try testing.expectEqual(@as(?pkt.SockAddr, .{ .ip4 = want_mask }), a.netmask);
    try testing.expectEqual(if (want_brd) |b| @as(?pkt.SockAddr, .{ .ip4 = b }) else null, a.broadaddr);
    try testing.expectEqual(@as(?pkt.SockAddr, null), a.dstaddr);
}

test "ifaceList: v0, v1, lo and any, with flags, order and addresses; defaultIface" {
    try requireNetns();
    const lab = try LabAddrs.add();
    defer lab.remove();

    var list = try pkt.ifaceList();
    defer list.deinit();
    try testing.expect(list.len >= 4);
    var n: usize = 0;
    var pos_any: ?usize = null;
    var pos_lo: ?usize = null;
    var first: ?pkt.Iface = null;
    var it = list.iterator();
    while (it.next()) |i| : (n += 1) {
        if (n == 0) first = i;
        if (std.mem.eql(u8, i.name, "any")) pos_any = n;
        if (std.mem.eql(u8, i.name, "lo")) pos_lo = n;
        // Up, running and connected ones come before "any".
        if (pos_any == null) try testing.expect(i.flags.up and i.flags.running and !i.flags.loopback);
    }
    try testing.expectEqual(list.len, n);
    try testing.expect(pos_any.? < pos_lo.?);

    // The veth ends: up, running, connected, Ethernet; the link-layer address first.
    const connected: pkt.IfaceFlags = .{ .up = true, .running = true, .connection_status = .connected };
    for ([_][:0]const u8{ "v0", "v1" }) |name| {
        const i = list.find(name) orelse return error.NotListed;
        try testing.expectEqual(ifindex(name), i.index);
        try testing.expectEqual(connected, i.flags);
        try testing.expectEqual(pkt.linktype_ethernet, i.arphrd);
        try testing.expectEqual(pkt.dlt.en10mb, i.dlt);
        try testing.expectEqual(@as(?[:0]const u8, null), i.description);
        var addrs = i.addresses();
        const link = (addrs.next() orelse return error.NoAddress).addr.link;
        try testing.expectEqualSlices(u8, &(try macOf(name)), link.bytes());
        try testing.expectEqual(ifindex(name), link.ifindex);
        try testing.expectEqual(pkt.linktype_ethernet, link.hatype);
    }
    {
        const v0 = list.find("v0").?;
        var addrs = v0.addresses();
        const link = addrs.next().?;
        try testing.expectEqualSlices(u8, &broadcast, link.broadaddr.?.link.bytes());
        try testing.expectEqual(@as(?pkt.SockAddr, null), link.netmask);
        try testing.expect(link.addr.toNetAddress() == null);
        try expectIp4(.{ 192, 0, 2, 1 }, .{ 255, 255, 255, 0 }, .{ 192, 0, 2, 255 }, addrs.next().?);
        try expectIp4(.{ 198, 51, 100, 7 }, .{ 255, 255, 0, 0 }, .{ 198, 51, 255, 255 }, addrs.next().?);
        try testing.expectEqual(@as(?pkt.IfaceAddress, null), addrs.next());
        var v1addrs = list.find("v1").?.addresses();
        _ = v1addrs.next().?; // the link layer only
        try testing.expectEqual(@as(?pkt.IfaceAddress, null), v1addrs.next());
    }

    // lo: loopback, no connection status; 127.0.0.1/8, and IPv6 with a scoped link-local one.
    const lo = list.find("lo") orelse return error.NotListed;
    try testing.expectEqual(pkt.IfaceFlags{ .loopback = true, .up = true, .running = true, .connection_status = .not_applicable }, lo.flags);
    try testing.expectEqual(@as(u16, 772), lo.arphrd);
    try testing.expectEqual(pkt.dlt.en10mb, lo.dlt);
    var saw_v4 = false;
    var saw_v6_loopback = false;
    var saw_v6_link_local = false;
    var addrs = lo.addresses();
    while (addrs.next()) |a| switch (a.addr) {
        .ip4 => |ip| {
            try expectIp4(.{ 127, 0, 0, 1 }, .{ 255, 0, 0, 0 }, null, a);
            try testing.expectEqual(.{ 127, 0, 0, 1 }, ip);
            saw_v4 = true;
        },
        .ip6 => |ip| {
            const mask = a.netmask.?.ip6.addr;
            if (std.mem.eql(u8, &ip.addr, &(comptime [_]u8{0} ** 15 ++ [_]u8{1}))) {
                try testing.expectEqual(@as(u32, 0), ip.scope_id);
                try testing.expectEqualSlices(u8, &([_]u8{0xff} ** 16), &mask);
                saw_v6_loopback = true;
            } else {
                try testing.expectEqualSlices(u8, &([_]u8{ 0xfe, 0x80 } ++ [_]u8{0} ** 13 ++ [_]u8{1}), &ip.addr);
                try testing.expectEqual(@as(u32, @intCast(lo.index)), ip.scope_id);
                try testing.expectEqualSlices(u8, &([_]u8{0xff} ** 8 ++ [_]u8{0} ** 8), &mask);
                const na = a.addr.toNetAddress().?;
                try testing.expectEqual(@as(u32, @intCast(lo.index)), na.in6.sa.scope_id);
                saw_v6_link_local = true;
            }
        },
        .link => |l| try testing.expectEqual(@as(u8, 6), l.len),
        .other => return error.UnknownFamily,
    };
    try testing.expect(saw_v4);
    try testing.expectEqual(lab.lo_ipv6, saw_v6_loopback);
    try testing.expectEqual(lab.lo_ipv6, saw_v6_link_local);

    // "any": all interfaces.
    const any = list.find("any") orelse return error.NotListed;
    try testing.expectEqual(@as(i32, 0), any.index);
    try testing.expectEqualStrings("Pseudo-device that captures on all interfaces", any.description.?);
    try testing.expectEqual(pkt.IfaceFlags{ .up = true, .running = true, .connection_status = .not_applicable }, any.flags);
    try testing.expectEqual(pkt.linktype_none, any.arphrd);
    try testing.expectEqual(pkt.dlt.linux_sll2, any.dlt);
    var any_addrs = any.addresses();
    try testing.expectEqual(@as(?pkt.IfaceAddress, null), any_addrs.next());
    try testing.expectEqual(@as(?pkt.Iface, null), list.find("no-such-if0"));

    // The default interface is the first of the list: one of the veth ends.
    var buf: [pkt.ifnamsiz]u8 = undefined;
    const def = try pkt.defaultIface(&buf);
    try testing.expectEqualStrings(first.?.name, def);
    try testing.expect(std.mem.eql(u8, def, "v0") or std.mem.eql(u8, def, "v1"));
}

test "ifaceList: deinit frees the whole list" {
    try requireNetns();
    var before: ?usize = null;
    for (0..1500) |i| {
        if (i == 500) before = heapInUse();
        var list = try pkt.ifaceList();
        list.deinit();
    }
    // A list leaked per round would be hundreds of bytes: 100 KB and more.
    if (before) |b| try testing.expect(heapInUse().? <= b + 16 * 1024);
}

test "lookupNet: an interface's IPv4 network, errors" {
    try requireNetns();
    const lab = try LabAddrs.add();
    defer lab.remove();
    const v0 = try pkt.lookupNet("v0"); // the first address, not the labelled one
    try testing.expectEqual(pkt.Ip4Net{ .net = .{ 192, 0, 2, 0 }, .mask = .{ 255, 255, 255, 0 } }, v0);
    try testing.expectEqual(@as(?u6, 24), v0.prefixLen());
    try testing.expect(v0.contains(.{ 192, 0, 2, 77 }) and !v0.contains(.{ 198, 51, 100, 7 }));
    try testing.expectEqual(pkt.Ip4Net{ .net = .{ 127, 0, 0, 0 }, .mask = .{ 255, 0, 0, 0 } }, try pkt.lookupNet("lo"));
    for ([_]?[:0]const u8{ null, "", "any" }) |all|
        try testing.expectEqual(pkt.Ip4Net{ .net = .{ 0, 0, 0, 0 }, .mask = .{ 0, 0, 0, 0 } }, try pkt.lookupNet(all));

    try testing.expectError(error.AddressNotAvailable, pkt.lookupNet("v1"));
    try testing.expect(std.mem.indexOf(u8, pkt.errmsg(), "no IPv4 address assigned") != null);
    try testing.expectError(error.NoDevice, pkt.lookupNet("no-such-if0"));
}

test "offlineFilter: compiled programs on built frames" {
    // No network needed.
    var storage: [4][200]u8 = undefined;
    const udp = makeIp4(&storage[0], 100, 17, 40000, 53, 0, 1);
    const tcp = makeIp4(&storage[1], 100, 6, 40000, 80, 0, 2);
    const arp = makeFrame(&storage[2], 60, pkt.proto_arp, 3);
    const other = makeFrame(&storage[3], 60, eth_test, 4);
    for ([_]bool{ false, true }) |optimize| {
        var p = try pkt.compile("udp", pkt.dlt.en10mb, 0, .{ .optimize = optimize });
        defer p.deinit();
        const prog = p.insns();
        try testing.expectEqual(@as(u32, 262144), pkt.offlineFilter(prog, udp, @intCast(udp.len)));
        try testing.expectEqual(@as(u32, 0), pkt.offlineFilter(prog, arp, @intCast(arp.len)));
        try testing.expectEqual(@as(u32, 0), pkt.offlineFilter(prog, tcp, @intCast(tcp.len)));
        try testing.expectEqual(@as(u32, 0), pkt.offlineFilter(prog, other, @intCast(other.len)));
        // Cut before the protocol byte: the load fails, the packet is rejected.
        try testing.expectEqual(@as(u32, 0), pkt.offlineFilter(prog, udp[0..20], @intCast(udp.len)));
        try testing.expectEqual(@as(u32, 0), pkt.offlineFilter(prog, &.{}, 0));
    }
    // The snap length is what an accepted packet returns; "arp" accepts the ARP frame.
    var p96 = try pkt.compile("arp", pkt.dlt.en10mb, 96, .{ .optimize = true });
    defer p96.deinit();
    try testing.expectEqual(@as(u32, 96), pkt.offlineFilter(p96.insns(), arp, 60));
    try testing.expectEqual(@as(u32, 0), pkt.offlineFilter(p96.insns(), udp, 100));
    // `ld len` is the wire length, whatever was captured.
    const bpf = pkt.bpf;
    const ld_len = [_]pkt.Insn{ pkt.Insn.stmt(bpf.ld | bpf.w | bpf.len, 0), pkt.Insn.stmt(bpf.ret | bpf.a, 0) };
    try testing.expectEqual(@as(u32, 1500), pkt.offlineFilter(&ld_len, udp[0..40], 1500));
    // An empty expression accepts even no bytes; no program, or an invalid one, rejects all.
    var all = try pkt.compile("", pkt.dlt.en10mb, 0, .{});
    defer all.deinit();
    try testing.expectEqual(@as(u32, 262144), pkt.offlineFilter(all.insns(), &.{}, 0));
    try testing.expectEqual(@as(u32, 0), pkt.offlineFilter(&.{}, udp, 100));
    const no_ret = [_]pkt.Insn{pkt.Insn.stmt(bpf.ld | bpf.h | bpf.abs, 12)};
    try testing.expectEqual(@as(u32, 0), pkt.offlineFilter(&no_ret, udp, 100));
    try testing.expect(pkt.errmsg().len > 0);
}

test "tstampSources: software only on veth, lo and all interfaces" {
    try requireNetns();
    for ([_]?[:0]const u8{ "v0", "v1", "lo", null, "", "any" }) |name| {
        const set = try pkt.tstampSources(name);
        try testing.expectEqual(@as(usize, 1), set.count());
        try testing.expect(set.contains(.software));
    }
    try testing.expectError(error.NoDevice, pkt.tstampSources("no-such-if0"));
}

test "tstamp_source: adapter clocks refused naming the interface, software stamps packets" {
    try requireNetns();
    for ([_]pkt.TstampSource{ .adapter, .adapter_unsynced }) |src| {
        try testing.expectError(error.OperationNotSupported, pkt.Handle.open("v0", .{ .tstamp_source = src }));
        try testing.expect(std.mem.indexOf(u8, pkt.errmsg(), "v0") != null);
        for ([_]?[:0]const u8{ null, "", "any" }) |all|
            try testing.expectError(error.OperationNotSupported, pkt.Handle.open(all, .{ .tstamp_source = src }));
    }
    var rx = try pkt.Handle.open("v0", .{ .read_timeout_ms = 3000, .proto = eth_test, .tstamp_source = .software });
    defer rx.close();
    try testing.expectEqual(pkt.TstampSource.software, (try rx.config()).tstamp_source);
    var tx = try pkt.Handle.open("v1", .{});
    defer tx.close();
    var buf: [64]u8 = undefined;
    const f = makeFrame(&buf, 64, eth_test, 77);
    _ = try tx.write(f, 0, 0);
    try expectFrame(try readOne(rx), f, ifindex("v0")); // tstampSource() 0: the kernel's clock
}

test "open(\"any\"): all interfaces, cooked" {
    try requireNetns();
    var any = try pkt.Handle.open("any", .{ .read_timeout_ms = 3000, .proto = eth_test });
    defer any.close();
    try testing.expectEqual(pkt.linktype_none, any.linkType());
    try testing.expectEqual(pkt.dlt.linux_sll2, any.dlt());
    try testing.expect((try any.config()).cooked);
    var tx = try pkt.Handle.open("v1", .{});
    defer tx.close();
    var buf: [80]u8 = undefined;
    const f = makeFrame(&buf, 80, eth_test, 5);
    _ = try tx.write(f, 0, 0);
    // Sent on v1 and received on v0: both are seen; the one on v0 is the frame without its
    // Ethernet header.
    var reads: usize = 0;
    while (reads < 10) : (reads += 1) {
        const p = try readOne(any);
        if (p.info.ifindex == ifindex("v0")) {
            try testing.expectEqualSlices(u8, f[14..], p.bytes());
            return;
        }
    }
    return error.NotSeenOnV0;
}
