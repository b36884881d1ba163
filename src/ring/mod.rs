//! The memory-mapped rings: the receive rings of TPACKET_V3 and TPACKET_V2, walking the slots the
//! kernel hands us, and the TX ring.
//!
//! A *slot* is what the kernel hands over as a unit: a block in TPACKET_V3, a frame in
//! TPACKET_V2. Slots are consumed strictly in ring order. The slot holding the packet returned
//! last stays ours until the next call (the data must stay valid), and is handed back at the
//! start of that call.
//!
//! - `geometry`: the layout of a ring (version, block and frame sizes) for a buffer size.
//! - `mapping`: the ring's memory: the one file of raw loads and stores, all the code of `ring` that
//!   the compiler cannot check.
//! - `frame`: a packet's description ([`Frame`], [`Describe`]).
//! - `post`: what is done to every packet handed out (VLAN tag put back, snap length).
//! - `slots`: the ring order of slots, held slots and giving them back.
//! - `v3`, `v2`: the walkers of each version; `rx`: [`Rx`], either of them as the handle reads it.
//! - `tx`: the TX ring.
//! - `walk_tests`: the walkers over synthetic rings in an anonymous mapping (no kernel, no root).

mod frame;
mod geometry;
#[allow(unsafe_code)]
mod mapping;
mod post;
mod rx;
mod slots;
mod tx;
mod v2;
mod v3;
#[cfg(test)]
mod walk_tests;

pub use frame::{Describe, Frame};
pub use geometry::{Geometry, Version, RESERVE};
pub(crate) use mapping::{put_link, Mapping};
pub use post::Post;
pub use rx::{Corrupt, Rx, Walk};
pub use tx::{Reap, TxRing};
pub use v2::V2Ring;
pub use v3::{V3Ring, V3View};

use post::{insert_vlan, put_vlan};
use slots::Slots;
