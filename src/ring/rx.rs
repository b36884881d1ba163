//! [`Rx`], a receive ring of either TPACKET version, as the handle reads it: the next packet,
//! the batch readers' block walk, `pkt_read`'s fast path, and giving slots back. Each call goes to
//! the version's own ring, inlined.

use std::sync::Arc;

use super::{Frame, Geometry, Mapping, Post, V2Ring, V3Ring, V3View, Version};

/// A receive ring of either version.
pub enum Rx {
    V3(V3Ring),
    V2(V2Ring),
}

/// What walking the current block found.
pub enum Walk {
    /// This many packets were handed over.
    Ready(usize),
    /// The kernel has handed over nothing more.
    Empty,
    /// A header points outside its block: the rest of the block is skipped.
    Corrupt,
}

/// The kernel wrote a header that points outside its slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corrupt;

impl Rx {
    pub fn new(version: Version, map: Arc<Mapping>, geo: Geometry, post: Post) -> Rx {
        match version {
            Version::V3 => Rx::V3(V3Ring::new(map, geo, post)),
            Version::V2 => Rx::V2(V2Ring::new(map, geo, post)),
        }
    }

    /// The next packet, or None when the kernel has handed over nothing more. A slot that was
    /// finished is stepped past and held (not given back): call [`Rx::release_done`] once no
    /// packet handed out before is referenced any more.
    #[inline(always)]
    pub fn next(&mut self) -> Result<Option<Frame>, Corrupt> {
        match self {
            Rx::V3(r) => r.next(),
            Rx::V2(r) => r.next(),
        }
    }

    /// Finishes a packet from [`Rx::next`] that is to be handed out, after any filter ran on
    /// it: the VLAN tag goes back into the bytes, the snap length applies.
    #[inline(always)]
    pub fn finish(&mut self, f: &mut Frame) {
        match self {
            Rx::V3(r) => r.post.apply(r.map(), f),
            Rx::V2(r) => r.post.apply(&r.map, f),
        }
    }

    /// Tells [`Rx::read_mid`] to find nothing until the next walk (a filter running in user space
    /// was set up: it has to see every packet, and walks run only without one).
    #[inline]
    pub fn stop_fast(&mut self) {
        if let Rx::V3(r) = self {
            r.stop_fast();
        }
    }

    /// TPACKET_V3 only (None for V2): hands up to `max` packets of the current block to `f`,
    /// finished (as [`Rx::finish`]), stopping at the block's end or when `f` returns false. The batch readers' fast path: one
    /// call walks many packets without going through [`Rx::next`] for each.
    #[inline(always)]
    pub fn walk_block(&mut self, max: usize, f: impl FnMut(&[u8], &V3View<'_>) -> bool) -> Option<Walk> {
        match self {
            Rx::V3(r) => Some(r.walk(max, f)),
            Rx::V2(_) => None,
        }
    }

    /// [`Rx::walk_block`] with a verdict before each packet (`V3Ring::walk_filtered`): a
    /// user-space filter run inside the walk. None for V2.
    #[inline(always)]
    pub fn walk_block_filtered(
        &mut self,
        max: usize,
        v: impl FnMut(&[u8], &V3View<'_>) -> u32,
        f: impl FnMut(&[u8], &V3View<'_>) -> bool,
    ) -> Option<Walk> {
        match self {
            Rx::V3(r) => Some(r.walk_filtered(max, v, f)),
            Rx::V2(_) => None,
        }
    }

    /// `pkt_read`'s fast path: the next packet when it is inside the V3 block being read (not its
    /// last) and nothing is to be given back first, finished (as [`Rx::finish`]; with `TAGS`
    /// false, a packet whose tag goes back into the bytes is left alone) and described to `f`;
    /// None otherwise (and always for V2), with nothing changed: a walk then does the rest. Its
    /// bytes stay valid until the next call on the ring.
    #[inline(always)]
    pub fn read_mid<const TAGS: bool>(&mut self, f: impl FnMut(&V3View<'_>)) -> Option<&[u8]> {
        match self {
            Rx::V3(r) => r.read_mid::<TAGS>(f),
            Rx::V2(_) => None,
        }
    }

    /// Gives back every slot whose packets were all returned, the current one included when it is
    /// finished. Afterwards no packet handed out before may be used.
    #[inline(always)]
    pub fn release_done(&mut self) {
        match self {
            Rx::V3(r) => r.release_done(),
            Rx::V2(r) => r.release_done(),
        }
    }

    /// Number of slots stepped past and still held.
    #[inline]
    pub fn held(&self) -> u32 {
        match self {
            Rx::V3(r) => r.slots.held,
            Rx::V2(r) => r.slots.held,
        }
    }

    /// True when the slot after the current one is ready for us.
    #[inline(always)]
    pub fn next_slot_ready(&self) -> bool {
        match self {
            Rx::V3(r) => r.next_slot_ready(),
            Rx::V2(r) => r.next_slot_ready(),
        }
    }

    /// How many slots have been stepped past so far.
    pub fn passed(&self) -> u64 {
        match self {
            Rx::V3(r) => r.slots.passed,
            Rx::V2(r) => r.slots.passed,
        }
    }

    /// Number of consecutive user-owned slots from the current one on.
    pub fn user_slots(&self) -> u64 {
        match self {
            Rx::V3(r) => r.user_slots(),
            Rx::V2(r) => r.user_slots(),
        }
    }

    /// True when packets wait in a slot the kernel has not handed over yet (a TPACKET_V3
    /// block being filled); a TPACKET_V2 frame is handed over as soon as it is written.
    pub fn kernel_has_packets(&self) -> bool {
        match self {
            Rx::V3(r) => r.kernel_has_packets(),
            Rx::V2(_) => false,
        }
    }

    /// After poll() said readable but the current slot is the kernel's: move to the first slot
    /// that is ours, if any (the reader and the kernel disagree; never spin on it).
    pub fn resync(&mut self) -> bool {
        match self {
            Rx::V3(r) => r.resync(),
            Rx::V2(r) => r.resync(),
        }
    }

    #[inline(always)]
    pub fn bytes(&self, off: usize, len: usize) -> &[u8] {
        match self {
            Rx::V3(r) => r.map().bytes(off, len),
            Rx::V2(r) => r.map.bytes(off, len),
        }
    }

    /// Largest number of data bytes one packet can have in this ring.
    pub fn max_packet(&self) -> usize {
        match self {
            Rx::V3(r) => r.geo.block_size as usize,
            Rx::V2(r) => r.geo.frame_size as usize,
        }
    }

    /// True when every slot holds one packet (TPACKET_V2).
    pub fn one_packet_slots(&self) -> bool {
        matches!(self, Rx::V2(_))
    }

    /// Number of slots in the ring.
    pub fn slots(&self) -> u32 {
        match self {
            Rx::V3(r) => r.slots.nr,
            Rx::V2(r) => r.slots.nr,
        }
    }

    pub fn geometry(&self) -> Geometry {
        match self {
            Rx::V3(r) => r.geo,
            Rx::V2(r) => r.geo,
        }
    }
}
