//! The Zig wrapper's batch reads against the same reads written in C, in the same process on
//! the same traffic (a benchmark, not a test). bindings/go/bench/cmp.sh --zig runs it beside
//! the Go benchmark, inside its network namespace:
//!
//!   pkt-bench --reader batch|slim|c-batch|c-slim [--packets N] [--frames N] [--batch N]
//!             [--rx v0] [--tx v1] [--ring BYTES]
//!
//! Ring: a ring prefilled with --frames 64-byte frames sent from --tx while nobody reads, then
//! read whole; only the reads of blocks the kernel had retired are timed (the last, partly
//! filled block is read untimed after its timeout). File: a mapped pcap file of 65,536 64-byte
//! frames, reopened (untimed) at its end. Readers: batch (Handle.readBatch), slim
//! (Handle.readSlim), c-batch and c-slim (pkt_read_batch / pkt_read_slim in a loop written in
//! C, bench/refread.h, on a handle opened the same way). Each touches the first byte of every
//! packet. It prints one line per case in `go test -bench`'s form:
//!
//!   BenchmarkRing/zig-batch  N  0 ns/op  0 allocs/pkt  C cpu-ns/pkt  W ns/pkt

const std = @import("std");
const pkt = @import("pkt");

extern fn zigbench_ref_drain(h: *anyopaque, slim: c_int, batch: c_int, n: i64, poll: c_int, sink: *u64, rc: *c_int) i64;

const ether_type: u16 = 0x88b5;
const file_frames = 1 << 16;
const max_batch = 256;

const Reader = enum { batch, slim, c_batch, c_slim };

var sink: u64 = 0;

/// Reads up to n packets (waiting only with poll), touching each one's first byte; stops at
/// the first error (returned beside the count) or nil read.
fn drain(r: Reader, h: pkt.Handle, batch: usize, n: u64, poll: bool, err: *?pkt.Error) u64 {
    var got: u64 = 0;
    err.* = null;
    switch (r) {
        .batch => {
            var out: [max_batch]pkt.Packet = undefined;
            while (got < n) {
                const want: usize = @intCast(@min(n - got, batch));
                const k = h.readBatch(poll, out[0..want]) catch |e| {
                    err.* = e;
                    break;
                };
                if (k == 0) break;
                var s: u64 = 0;
                for (out[0..k]) |p| s += p.ptr[0];
                sink +%= s;
                got += k;
            }
        },
        .slim => {
            var out: [max_batch]pkt.Slim = undefined;
            while (got < n) {
                const want: usize = @intCast(@min(n - got, batch));
                const k = h.readSlim(poll, out[0..want]) catch |e| {
                    err.* = e;
                    break;
                };
                if (k == 0) break;
                var s: u64 = 0;
                for (out[0..k]) |p| s += p.ptr[0];
                sink +%= s;
                got += k;
            }
        },
        .c_batch, .c_slim => {
            var rc: c_int = 0;
            got = @intCast(zigbench_ref_drain(@ptrCast(h.raw), @intFromBool(r == .c_slim), @intCast(batch), @intCast(n), @intFromBool(poll), &sink, &rc));
            if (rc < 0) err.* = if (rc == -@as(c_int, @intFromEnum(std.posix.E.AGAIN))) error.WouldBlock else if (rc == -@as(c_int, @intFromEnum(std.posix.E.NODATA))) error.EndOfFile else error.Unexpected;
        },
    }
    return got;
}

fn cpuNs() i64 {
    const ru = std.posix.getrusage(std.posix.rusage.SELF);
    return (@as(i64, ru.utime.sec) + ru.stime.sec) * std.time.ns_per_s + (@as(i64, ru.utime.usec) + ru.stime.usec) * std.time.ns_per_us;
}

const Meter = struct {
    wall: u64 = 0,
    cpu: i64 = 0,
    pkts: u64 = 0,

    fn print(m: Meter, out: *std.Io.Writer, kind: []const u8, name: []const u8) !void {
        const n: f64 = @floatFromInt(@max(m.pkts, 1));
        try out.print("Benchmark{s}/zig-{s} {d} 0 ns/op 0 allocs/pkt {d:.2} cpu-ns/pkt {d:.2} ns/pkt\n", .{
            kind, name, m.pkts, @as(f64, @floatFromInt(m.cpu)) / n, @as(f64, @floatFromInt(m.wall)) / n,
        });
    }
};

fn die(comptime fmt: []const u8, args: anytype) noreturn {
    std.debug.print("pkt-bench: " ++ fmt ++ "\n", args);
    std.process.exit(1);
}

fn ring(r: Reader, rx_name: [:0]const u8, tx_name: [:0]const u8, ring_bytes: i64, packets: u64, frames_per_fill: u64, batch: usize) Meter {
    const rx = pkt.Handle.open(rx_name, .{ .buffer_size = ring_bytes, .proto = ether_type, .direction = .in, .read_timeout_ms = 2000 }) catch |e|
        die("open {s}: {s} ({s})", .{ rx_name, @errorName(e), pkt.errmsg() });
    defer rx.close();
    const tx = pkt.Handle.open(tx_name, .{ .buffer_size = 1 << 19, .proto = ether_type, .direction = .in }) catch |e|
        die("open {s}: {s} ({s})", .{ tx_name, @errorName(e), pkt.errmsg() });
    defer tx.close();
    var frame = [_]u8{0} ** 64;
    frame[0] = 0x02; // not the receiver's address: the stack drops it after the capture
    frame[5] = 0x01;
    frame[6] = 0x02;
    std.mem.writeInt(u16, frame[12..14], ether_type, .big);
    var frames: [256][]const u8 = undefined;
    for (&frames) |*f| f.* = &frame;

    var m: Meter = .{};
    var sent: u64 = 0;
    var read: u64 = 0;
    while (read < packets) {
        const k = @min(packets - read, frames_per_fill);
        var s: u64 = 0;
        while (s < k) {
            const w: usize = @intCast(@min(k - s, frames.len));
            s += tx.writeBatch(frames[0..w]) catch |e| switch (e) {
                error.WouldBlock, error.NoBufferSpace => 0,
                else => die("send: {s} ({s})", .{ @errorName(e), pkt.errmsg() }),
            };
        }
        sent += k;
        // Wait until the kernel has queued them all (bounded).
        var waited: u32 = 0;
        while ((rx.stats(true) catch unreachable).recvs < sent) : (waited += 1) {
            if (waited > 5000) die("the ring got {d} of {d} frames", .{ (rx.stats(true) catch unreachable).recvs, sent });
            std.Thread.sleep(std.time.ns_per_ms);
        }
        var err: ?pkt.Error = null;
        const c0 = cpuNs();
        var timer = std.time.Timer.start() catch unreachable;
        const got = drain(r, rx, batch, k, false, &err);
        m.wall += timer.read();
        m.cpu += cpuNs() - c0;
        m.pkts += got;
        if (err) |e| if (e != error.WouldBlock) die("read: {s}", .{@errorName(e)});
        const rest = drain(r, rx, batch, k - got, true, &err);
        if (err) |e| die("read after {d} of {d}: {s}", .{ got + rest, k, @errorName(e) });
        read += got + rest;
    }
    const st = rx.stats(true) catch unreachable;
    if (st.drops != 0) die("{d} drops: a larger --ring or smaller --frames", .{st.drops});
    return m;
}

fn file(r: Reader, path: [:0]const u8, packets: u64, batch: usize) Meter {
    var m: Meter = .{};
    var read: u64 = 0;
    while (read < packets) {
        const h = pkt.Handle.openOffline(path, .{}) catch |e| die("open {s}: {s} ({s})", .{ path, @errorName(e), pkt.errmsg() });
        defer h.close();
        const k = @min(packets - read, file_frames);
        var err: ?pkt.Error = null;
        const c0 = cpuNs();
        var timer = std.time.Timer.start() catch unreachable;
        const got = drain(r, h, batch, k, true, &err);
        m.wall += timer.read();
        m.cpu += cpuNs() - c0;
        m.pkts += got;
        if (err) |e| die("reading {s}: {s}", .{ path, @errorName(e) });
        read += k;
    }
    return m;
}

fn writeFile(path: [:0]const u8) void {
    const d = pkt.Dumper.open(path, pkt.dlt.en10mb, .{ .nano = true }) catch |e| die("{s}: {s} ({s})", .{ path, @errorName(e), pkt.errmsg() });
    var frame = [_]u8{0} ** 64;
    frame[0] = 0x02;
    frame[5] = 0x01;
    std.mem.writeInt(u16, frame[12..14], ether_type, .big);
    var i: u32 = 0;
    while (i < file_frames) : (i += 1) {
        std.mem.writeInt(u32, frame[14..18], i, .big);
        const info = std.mem.zeroInit(pkt.Info, .{ .sec = 1700000000 + i / 1000000, .nsec = (i % 1000000) * 1000, .caplen = 64, .len = 64 });
        d.write(&frame, info) catch |e| die("{s}: {s}", .{ path, @errorName(e) });
    }
    d.close() catch |e| die("{s}: {s}", .{ path, @errorName(e) });
}

pub fn main() !void {
    var reader: ?Reader = null;
    var packets: u64 = 200000;
    var frames: u64 = 100000;
    var batch: usize = 32;
    var ring_bytes: i64 = 32 << 20;
    var rx: [:0]const u8 = "v0";
    var tx: [:0]const u8 = "v1";
    var args = try std.process.argsWithAllocator(std.heap.page_allocator);
    defer args.deinit();
    _ = args.skip();
    while (args.next()) |arg| {
        const val = args.next() orelse die("{s} needs a value", .{arg});
        if (std.mem.eql(u8, arg, "--reader")) {
            reader = if (std.mem.eql(u8, val, "batch")) .batch else if (std.mem.eql(u8, val, "slim")) .slim else if (std.mem.eql(u8, val, "c-batch")) .c_batch else if (std.mem.eql(u8, val, "c-slim")) .c_slim else die("unknown reader {s}", .{val});
        } else if (std.mem.eql(u8, arg, "--packets")) {
            packets = std.fmt.parseInt(u64, val, 10) catch die("bad --packets {s}", .{val});
        } else if (std.mem.eql(u8, arg, "--frames")) {
            frames = std.fmt.parseInt(u64, val, 10) catch die("bad --frames {s}", .{val});
        } else if (std.mem.eql(u8, arg, "--batch")) {
            batch = std.fmt.parseInt(usize, val, 10) catch die("bad --batch {s}", .{val});
        } else if (std.mem.eql(u8, arg, "--ring")) {
            ring_bytes = std.fmt.parseInt(i64, val, 10) catch die("bad --ring {s}", .{val});
        } else if (std.mem.eql(u8, arg, "--rx")) {
            rx = val;
        } else if (std.mem.eql(u8, arg, "--tx")) {
            tx = val;
        } else die("unknown argument {s}", .{arg});
    }
    const r = reader orelse die("--reader batch|slim|c-batch|c-slim is required", .{});
    if (batch < 1 or batch > max_batch or packets < 1 or frames < 1) die("--batch 1..256, --packets and --frames >= 1", .{});

    var out_buf: [1024]u8 = undefined;
    var stdout = std.fs.File.stdout().writer(&out_buf);
    const out = &stdout.interface;
    const name = switch (r) {
        .batch => "batch",
        .slim => "slim",
        .c_batch => "c-batch",
        .c_slim => "c-slim",
    };

    try (ring(r, rx, tx, ring_bytes, packets, frames, batch)).print(out, "Ring", name);

    var dir_buf: [64]u8 = undefined;
    const dir = std.fmt.bufPrintZ(&dir_buf, "/tmp/pkt-zigbench-{d}", .{std.c.getpid()}) catch unreachable;
    std.fs.makeDirAbsolute(dir) catch |e| die("mkdir {s}: {s}", .{ dir, @errorName(e) });
    defer std.fs.deleteTreeAbsolute(dir) catch {};
    var path_buf: [96]u8 = undefined;
    const path = std.fmt.bufPrintZ(&path_buf, "{s}/bench.pcap", .{dir}) catch unreachable;
    writeFile(path);
    try (file(r, path, packets, batch)).print(out, "File", name);
    try out.flush();
    if (sink == 42) std.debug.print("", .{}); // keep the reads
}
