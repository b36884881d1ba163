//! pkt-capture: captures packets with libpkt's Zig bindings and prints one line per packet.
//!
//!   pkt-capture [-i IFACE] [-c COUNT] [-t TIMEOUT_MS] [-p] [-f EXPR]
//!
//! -i IFACE     interface (default: all interfaces, cooked)
//! -c COUNT     stop after COUNT packets (default 10; 0: until Ctrl-C)
//! -t MS        stop when no packet came for MS milliseconds (default 0: wait forever)
//! -p           promiscuous mode
//! -f EXPR      capture only packets matching the filter expression EXPR (tcpdump syntax,
//!              compiled by libpkt: `Handle.setFilterExpr`)
//!
//! Reads in batches (`Handle.readBatch`: one call into libpkt for many packets, no copy).
//! Ctrl-C (SIGINT) or SIGTERM calls `Handle.breakLoop` from the signal handler, which ends the
//! blocked read at once. At the end, the handle's counters go to stderr.

const std = @import("std");
const pkt = @import("pkt");

const usage =
    \\usage: pkt-capture [-i IFACE] [-c COUNT] [-t TIMEOUT_MS] [-p] [-f EXPR]
    \\  -i IFACE   interface (default: all interfaces)
    \\  -c COUNT   stop after COUNT packets (default 10; 0: no limit)
    \\  -t MS      stop after MS milliseconds without a packet (default 0: never)
    \\  -p         promiscuous mode
    \\  -f EXPR    filter expression (tcpdump syntax), e.g. -f 'udp port 53'
    \\
;

/// The handle the signal handler breaks; set before the handlers are installed.
var capture_handle: ?pkt.Handle = null;

fn onSignal(_: i32) callconv(.c) void {
    if (capture_handle) |h| h.breakLoop(); // async-signal-safe
}

fn die(comptime fmt: []const u8, args: anytype) noreturn {
    std.debug.print("pkt-capture: " ++ fmt ++ "\n", args);
    std.process.exit(1);
}

pub fn main() !void {
    var ifname: ?[:0]const u8 = null;
    var count: u64 = 10;
    var timeout_ms: i64 = 0;
    var promisc = false;
    var expr: ?[:0]const u8 = null;

    var args = try std.process.argsWithAllocator(std.heap.page_allocator);
    defer args.deinit();
    _ = args.skip();
    while (args.next()) |arg| {
        if (std.mem.eql(u8, arg, "-h") or std.mem.eql(u8, arg, "--help")) {
            try std.fs.File.stdout().writeAll(usage);
            return;
        } else if (std.mem.eql(u8, arg, "-p")) {
            promisc = true;
        } else if (std.mem.eql(u8, arg, "-i") or std.mem.eql(u8, arg, "-c") or std.mem.eql(u8, arg, "-t") or
            std.mem.eql(u8, arg, "-f"))
        {
            const val = args.next() orelse {
                std.debug.print("pkt-capture: {s} needs a value\n{s}", .{ arg, usage });
                std.process.exit(2);
            };
            switch (arg[1]) {
                'i' => ifname = if (std.mem.eql(u8, val, "any")) null else val,
                'c' => count = std.fmt.parseInt(u64, val, 10) catch {
                    std.debug.print("pkt-capture: bad count '{s}'\n", .{val});
                    std.process.exit(2);
                },
                't' => timeout_ms = std.fmt.parseInt(i64, val, 10) catch {
                    std.debug.print("pkt-capture: bad timeout '{s}'\n", .{val});
                    std.process.exit(2);
                },
                'f' => expr = val,
                else => unreachable,
            }
        } else {
            std.debug.print("pkt-capture: unknown argument '{s}'\n{s}", .{ arg, usage });
            std.process.exit(2);
        }
    }

    var h = pkt.Handle.open(ifname, .{ .read_timeout_ms = timeout_ms, .promiscuous = promisc }) catch |err|
        die("cannot open {s}: {s} ({s})", .{ ifname orelse "all interfaces", @errorName(err), pkt.errmsg() });
    defer h.close();
    if (expr) |e| h.setFilterExpr(e) catch |err| {
        std.debug.print("pkt-capture: filter expression '{s}': {s} ({s})\n", .{ e, @errorName(err), pkt.errmsg() });
        std.process.exit(2);
    };

    capture_handle = h;
    const act = std.posix.Sigaction{
        .handler = .{ .handler = onSignal },
        .mask = std.posix.sigemptyset(),
        .flags = 0,
    };
    std.posix.sigaction(std.posix.SIG.INT, &act, null);
    std.posix.sigaction(std.posix.SIG.TERM, &act, null);

    std.debug.print("pkt-capture: listening on {s} (libpkt {s}, link type {d})\n", .{
        ifname orelse "all interfaces", pkt.version(), h.linkType(),
    });

    var out_buf: [8192]u8 = undefined;
    var stdout = std.fs.File.stdout().writer(&out_buf);
    const out = &stdout.interface;

    // Ethernet frames on Ethernet and loopback (ARPHRD 1 and 772) unless the capture is
    // cooked (all interfaces, other link types): what the pcap link type says.
    const ethernet = h.dlt() == pkt.dlt.en10mb;
    var batch: [64]pkt.Packet = undefined;
    var seen: u64 = 0;
    loop: while (count == 0 or seen < count) {
        const n = h.readBatch(true, &batch) catch |err| switch (err) {
            error.Interrupted => break :loop, // Ctrl-C
            error.TimedOut => {
                std.debug.print("pkt-capture: no packet for {d} ms\n", .{timeout_ms});
                break :loop;
            },
            else => die("read: {s} ({s})", .{ @errorName(err), pkt.errmsg() }),
        };
        for (batch[0..n]) |p| {
            try printPacket(out, p, ethernet);
            seen += 1;
            if (count != 0 and seen == count) break;
        }
        try out.flush(); // one write per batch: a pipe sees lines as they come
    }
    try out.flush();

    const st = h.stats(true) catch |err| die("stats: {s}", .{@errorName(err)});
    std.debug.print("{d} packets captured, {d} received by filter, {d} dropped by kernel\n", .{
        seen, st.recvs, st.drops,
    });
}

/// One line: time, interface index, direction, then a short decode.
fn printPacket(out: *std.Io.Writer, p: pkt.Packet, ethernet: bool) !void {
    const i = p.info;
    const dir = switch (i.packetType()) {
        .host => "In ",
        .broadcast => "B  ",
        .multicast => "M  ",
        .otherhost => "P  ",
        .outgoing => "Out",
        _ => "?  ",
    };
    try out.print("{d}.{d:0>9} if{d} {s} ", .{ i.sec, i.nsec, i.ifindex, dir });
    const b = p.bytes();
    // A cooked packet starts at the network header; otherwise skip the Ethernet header.
    var net = b;
    if (ethernet) {
        if (b.len < 14) return out.print("truncated Ethernet frame, {d} bytes\n", .{i.len});
        try out.print("{x:0>2}:{x:0>2}:{x:0>2}:{x:0>2}:{x:0>2}:{x:0>2} > ", .{ b[6], b[7], b[8], b[9], b[10], b[11] });
        try out.print("{x:0>2}:{x:0>2}:{x:0>2}:{x:0>2}:{x:0>2}:{x:0>2} ", .{ b[0], b[1], b[2], b[3], b[4], b[5] });
        net = b[14..];
    }
    switch (i.protocol) {
        pkt.proto_ip => if (net.len >= 20) {
            try out.print("IP {d}.{d}.{d}.{d} > {d}.{d}.{d}.{d} ", .{
                net[12], net[13], net[14], net[15], net[16], net[17], net[18], net[19],
            });
            switch (net[9]) {
                1 => try out.writeAll("ICMP"),
                6 => try out.writeAll("TCP"),
                17 => try out.writeAll("UDP"),
                else => |n| try out.print("ip-proto-{d}", .{n}),
            }
        } else try out.writeAll("IP [|ip]"),
        pkt.proto_arp => try out.writeAll("ARP"),
        pkt.proto_ip6 => try out.writeAll("IP6"),
        else => try out.print("ethertype 0x{x:0>4}", .{i.protocol}),
    }
    try out.print(", {d}/{d} bytes\n", .{ i.caplen, i.len });
}
