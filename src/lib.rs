//! libpkt: fast, simple packet capture and injection on Linux over AF_PACKET sockets with
//! memory-mapped rings, with a C ABI (`include/pkt.h`).
//!
//! The Rust API: [`Handle::open`] a capture, [`Handle::read`] zero-copy [`Packet`]s, and use its
//! [`Control`] from any thread to break a blocked read, count or send.

/// cbindgen:ignore
pub mod config;
/// cbindgen:ignore
pub mod dump;
/// cbindgen:ignore
pub mod error;
pub mod ffi;
/// Classic BPF: the instruction type, the validator, the interpreter and the filter compiler
/// (the `pkt-bpf` crate).
pub use pkt_bpf as filter;
/// cbindgen:ignore
pub mod handle;
/// cbindgen:ignore
pub mod packet;
/// cbindgen:ignore
mod ring;
/// cbindgen:ignore
pub mod savefile;
/// cbindgen:ignore
mod socket;
/// cbindgen:ignore
mod sys;

pub use config::{Config, Direction, TstampResolution, TxMode};
pub use error::{Errno, Error};
pub use handle::{Control, Handle};
pub use packet::{Info, Packet, Stats};
