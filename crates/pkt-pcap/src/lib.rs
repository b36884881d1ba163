//! `libpcap.so.0.8` over libpkt: the C ABI of libpcap 1.10 on Linux, implemented on libpkt's
//! rings ([`pkt::Handle`]), its filter compiler ([`pkt_bpf::compile`], byte-identical to
//! libpcap's) and savefile code, so that tcpdump, dumpcap and every other libpcap program run
//! unchanged on libpkt (`pkt-run tcpdump -i eth0`). See `docs/libpcap-compat.md`.
//!
//! The whole crate is a C boundary: every exported function catches panics (none crosses into
//! C) and every `unsafe` block says why it holds.

pub(crate) mod cstdio;
pub mod devs;
pub mod dump;
pub(crate) mod err;
pub mod filter;
pub mod handle;
pub mod misc;
pub mod namedb;
pub mod names;
pub mod read;
pub mod sf;
pub mod types;
