//! Builds the `pkt` module (Zig bindings for libpkt), its example and its tests.
//!
//!   zig build                 the example, zig-out/bin/pkt-capture
//!   zig build test            unit tests, the savefile tests (no network) and the network
//!                             tests (need root and the v0/v1 veth pair of a test namespace:
//!                             see test.sh)
//!
//! Options:
//!   -Dlibpkt-lib-dir=DIR      where libpkt.a / libpkt.so are (default: ../../target/release,
//!                             what `cargo build --release` at the repository root makes)
//!   -Dlibpkt-include-dir=DIR  where pkt.h is (default: ../../include)
//!   -Dlinkage=static|dynamic  link libpkt.a (default) or libpkt.so (with an rpath to its dir)
//!
//! Zig 0.15.2 (the PyPI package `ziglang==0.15.2`).

const std = @import("std");

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});

    const lib_dir_opt = b.option([]const u8, "libpkt-lib-dir", "Directory holding libpkt.a and libpkt.so");
    const inc_dir_opt = b.option([]const u8, "libpkt-include-dir", "Directory holding pkt.h");
    const linkage = b.option(std.builtin.LinkMode, "linkage", "Link libpkt statically (default) or dynamically") orelse .static;

    const lib_dir: std.Build.LazyPath = if (lib_dir_opt) |d| .{ .cwd_relative = d } else b.path("../../target/release");
    const inc_dir: std.Build.LazyPath = if (inc_dir_opt) |d| .{ .cwd_relative = d } else b.path("../../include");

    // The module other packages import (b.dependency("pkt", ...).module("pkt")); it carries
    // the include path and libpkt itself, so importing it is enough to link.
    const pkt = b.addModule("pkt", .{
        .root_source_file = b.path("src/pkt.zig"),
        .target = target,
        .optimize = optimize,
        .link_libc = true,
    });
    pkt.addIncludePath(inc_dir);
    switch (linkage) {
        .static => {
            pkt.addObjectFile(lib_dir.path(b, "libpkt.a"));
            // What `cargo rustc --crate-type staticlib -- --print native-static-libs` lists;
            // Zig's glibc provides all of them but libgcc_s (Rust's unwinder), for which Zig's
            // bundled libunwind stands in.
            for ([_][]const u8{ "util", "rt", "pthread", "m", "dl", "unwind" }) |l| pkt.linkSystemLibrary(l, .{});
        },
        .dynamic => {
            pkt.addLibraryPath(lib_dir);
            pkt.addRPath(lib_dir);
            pkt.linkSystemLibrary("pkt", .{ .preferred_link_mode = .dynamic });
        },
    }

    // The example.
    const example = b.addExecutable(.{
        .name = "pkt-capture",
        .root_module = b.createModule(.{
            .root_source_file = b.path("examples/capture.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{.{ .name = "pkt", .module = pkt }},
        }),
    });
    b.installArtifact(example);
    const run_example = b.addRunArtifact(example);
    if (b.args) |args| run_example.addArgs(args);
    b.step("run", "Run the example (zig build run -- -i IFACE -c COUNT)").dependOn(&run_example.step);

    // Tests: the module's own (no network), the savefile tests (no network) and the network
    // tests.
    const test_filters = b.option([]const []const u8, "test-filter", "Run only the tests whose name contains this") orelse &.{};
    const unit_tests = b.addTest(.{ .name = "pkt-unit-tests", .root_module = pkt, .filters = test_filters });
    const net_tests = b.addTest(.{
        .name = "pkt-net-tests",
        .root_module = b.createModule(.{
            .root_source_file = b.path("tests/net_test.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{.{ .name = "pkt", .module = pkt }},
        }),
        .filters = test_filters,
    });
    const offline_tests = b.addTest(.{
        .name = "pkt-offline-tests",
        .root_module = b.createModule(.{
            .root_source_file = b.path("tests/offline_test.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{.{ .name = "pkt", .module = pkt }},
        }),
        .filters = test_filters,
    });
    const test_step = b.step("test", "Run the unit, savefile and network tests (root, in a namespace with v0/v1)");
    test_step.dependOn(&b.addRunArtifact(unit_tests).step);
    test_step.dependOn(&b.addRunArtifact(offline_tests).step);
    test_step.dependOn(&b.addRunArtifact(net_tests).step);

    // The benchmark (bench/bench.zig with its C reference loop, bench/cref.c): zig build bench
    // -Doptimize=ReleaseFast; bindings/go/bench/cmp.sh --zig runs it.
    const bench_mod = b.createModule(.{
        .root_source_file = b.path("bench/bench.zig"),
        .target = target,
        .optimize = optimize,
        .link_libc = true,
        .imports = &.{.{ .name = "pkt", .module = pkt }},
    });
    bench_mod.addIncludePath(inc_dir);
    bench_mod.addIncludePath(b.path("../../bench"));
    bench_mod.addCSourceFile(.{ .file = b.path("bench/cref.c"), .flags = &.{"-O2"} });
    const bench = b.addExecutable(.{ .name = "pkt-bench", .root_module = bench_mod });
    b.step("bench", "Build the benchmark (zig-out/bin/pkt-bench)").dependOn(&b.addInstallArtifact(bench, .{}).step);

    // Builds the test binaries without running them (zig-out/bin), e.g. to run them elsewhere.
    const build_tests = b.step("build-tests", "Build the test binaries into zig-out/bin");
    build_tests.dependOn(&b.addInstallArtifact(unit_tests, .{}).step);
    build_tests.dependOn(&b.addInstallArtifact(offline_tests, .{}).step);
    build_tests.dependOn(&b.addInstallArtifact(net_tests, .{}).step);
}
