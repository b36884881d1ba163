//! libpkt: fast, simple packet capture and injection on Linux over AF_PACKET sockets with
//! memory-mapped rings, with a C ABI (`include/pkt.h`).
//!
//! The Rust API: [`Handle::open`] a capture, [`Handle::read`] zero-copy [`Packet`]s, and use its
//! [`Control`] from any thread to break a blocked read, count or send.
//!
//! `unsafe` is denied here and allowed only in the three places that need it: `sys` (system
//! calls), the ring mapping (`ring::mapping`, the one file of raw loads and stores) and `ffi`
//! (the C boundary). `tests/layout.rs` checks that no other file names it.
#![deny(unsafe_code)]

/// cbindgen:ignore
pub mod config;
/// cbindgen:ignore
pub mod dump;
/// cbindgen:ignore
pub mod error;
#[allow(unsafe_code)]
pub mod ffi;
/// Classic BPF: the instruction type, the validator, the interpreter and the filter compiler
/// (the `pkt-bpf` crate).
pub use pkt_bpf as filter;
/// cbindgen:ignore
pub mod handle;
/// cbindgen:ignore
pub mod iface;
/// cbindgen:ignore
pub mod packet;
/// cbindgen:ignore
mod ring;
/// cbindgen:ignore
pub mod savefile;
/// cbindgen:ignore
mod socket;
/// cbindgen:ignore
#[allow(unsafe_code)]
mod sys;
/// cbindgen:ignore
pub mod tstamp;

pub use config::{Config, Direction, TstampResolution, TxMode};
pub use error::{Errno, Error};
pub use handle::{Control, Handle};
pub use packet::{Info, Packet, Stats};
pub use tstamp::TstampSource;
