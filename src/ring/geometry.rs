//! The layout of a ring: its TPACKET version, and how many blocks and frames of what size make a
//! ring of the size asked for — one the kernel accepts (every field fits its u32, blocks are whole
//! page orders) and that reads well (few large V3 blocks; V2 frames that hold the largest packet
//! and waste little of their block).

use crate::sys::{self, tpacket_align, TpacketReq3};

/// The TPACKET version of a ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V2,
    V3,
}

/// Bytes reserved in front of every packet (`PACKET_RESERVE`): room to put a VLAN tag back or
/// to build a cooked header in place without copying.
pub const RESERVE: u32 = 8;
/// The kernel's `tp_hdrlen` for TPACKET_V2: the aligned header plus a `sockaddr_ll`.
const V2_HDRLEN: usize = tpacket_align(std::mem::size_of::<sys::Tpacket2Hdr>()) + 20;
/// Smallest and largest V3 block; a block holds the largest packet we expect (64 KiB GSO).
const V3_MIN_BLOCK: u64 = 128 << 10;
const V3_MAX_BLOCK: u64 = 2 << 20;
/// Fewest blocks in a V3 ring, so that the kernel always has a block to fill while we read.
const V3_MIN_BLOCKS: u64 = 4;
/// Fewest frames in a V2 ring.
const V2_MIN_FRAMES: u64 = 8;
/// Largest V2 block we build while looking for one that wastes little space.
const V2_MAX_BLOCK: u64 = 1 << 20;

/// A ring layout the kernel accepts: every field fits its u32, blocks are page multiples (powers of
/// two, as the kernel allocates whole page orders), frames fill blocks exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    pub version: Version,
    pub block_size: u32,
    pub block_nr: u32,
    pub frame_size: u32,
    pub frame_nr: u32,
}

impl Geometry {
    /// Total mapped bytes.
    pub fn size(&self) -> u64 {
        self.block_size as u64 * self.block_nr as u64
    }

    /// The TPACKET_V3 layout for a ring of about `bytes`: max(4, bytes / 2 MiB) blocks of
    /// bytes / blocks each (as measured best on veth: few large blocks mean few wake-ups), block
    /// size a power of two between 128 KiB and 2 MiB, total rounded up to whole blocks.
    pub fn v3(bytes: u64, page: u64) -> Result<Geometry, &'static str> {
        let per_block = (bytes / V3_MIN_BLOCKS).clamp(V3_MIN_BLOCK, V3_MAX_BLOCK);
        let block = prev_pow2(per_block).max(page.next_power_of_two());
        let nr = bytes.div_ceil(block).max(V3_MIN_BLOCKS);
        Geometry::checked(Version::V3, block, nr, block, nr)
    }

    /// The TPACKET_V3 layout of blocks of `block` bytes (a power of two, at least a page),
    /// at least 4 of them, about `bytes` in all (rounded up to whole blocks).
    pub fn v3_blocks(bytes: u64, block: u64, page: u64) -> Result<Geometry, &'static str> {
        if !block.is_power_of_two() || block < page {
            return Err("the block size is not a power of two of at least a page");
        }
        let nr = bytes.div_ceil(block).max(V3_MIN_BLOCKS);
        Geometry::checked(Version::V3, block, nr, block, nr)
    }

    /// The TPACKET_V2 layout for a ring of about `bytes` whose frames hold packets of up to
    /// `max_packet` bytes (the kernel's frame header, `sockaddr_ll` and our reserve included).
    pub fn v2(bytes: u64, max_packet: u64, page: u64) -> Result<Geometry, &'static str> {
        // The kernel puts the link-layer header at netoff - maclen, netoff =
        // TPACKET_ALIGN(tp_hdrlen + max(maclen, 16)) + reserve; cooked data starts at
        // TPACKET_ALIGN(tp_hdrlen) + 16 + reserve. Room for the larger of the two.
        let head =
            (tpacket_align(V2_HDRLEN + 16) as u64).max(tpacket_align(V2_HDRLEN) as u64 + 16) + RESERVE as u64;
        let frame = tpacket_align((head + max_packet) as usize) as u64;
        let mut block = frame.next_power_of_two().max(page.next_power_of_two());
        // A block of a few frames can waste up to half of itself; grow it while it wastes more
        // than an eighth.
        while (block % frame) * 8 > block && block < V2_MAX_BLOCK {
            block *= 2;
        }
        let per_block = block / frame;
        let nr = bytes.div_ceil(block).max(V2_MIN_FRAMES.div_ceil(per_block));
        Geometry::checked(Version::V2, block, nr, frame, nr * per_block)
    }

    fn checked(
        version: Version,
        block: u64,
        nr: u64,
        frame: u64,
        frame_nr: u64,
    ) -> Result<Geometry, &'static str> {
        let fits = |v: u64| u32::try_from(v).is_ok();
        // The kernel refuses block_size * block_nr beyond UINT_MAX.
        if !fits(block) || !fits(nr) || !fits(frame) || !fits(frame_nr) || !fits(block * nr) {
            return Err("buffer_size too large: a ring must be smaller than 4 GiB");
        }
        Ok(Geometry {
            version,
            block_size: block as u32,
            block_nr: nr as u32,
            frame_size: frame as u32,
            frame_nr: frame_nr as u32,
        })
    }

    /// The same layout with about 5% fewer blocks, or None at the minimum (for ENOMEM retries).
    pub fn shrunk(&self) -> Option<Geometry> {
        let min = match self.version {
            Version::V3 => V3_MIN_BLOCKS as u32,
            Version::V2 => (V2_MIN_FRAMES as u32).div_ceil(self.frames_per_block()),
        };
        let nr = (self.block_nr - self.block_nr.div_ceil(20)).max(min);
        (nr < self.block_nr).then(|| Geometry {
            block_nr: nr,
            frame_nr: nr * self.frames_per_block(),
            ..*self
        })
    }

    fn frames_per_block(&self) -> u32 {
        self.block_size / self.frame_size
    }

    /// The kernel's request structure.
    pub fn req(&self, retire_tov_ms: u32) -> TpacketReq3 {
        TpacketReq3 {
            tp_block_size: self.block_size,
            tp_block_nr: self.block_nr,
            tp_frame_size: self.frame_size,
            tp_frame_nr: self.frame_nr,
            tp_retire_blk_tov: if self.version == Version::V3 {
                retire_tov_ms
            } else {
                0
            },
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        }
    }
}

fn prev_pow2(v: u64) -> u64 {
    if v == 0 {
        1
    } else {
        1 << (63 - v.leading_zeros())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: u64 = 4096;

    #[test]
    fn v3_default_is_four_half_mib_blocks() {
        let g = Geometry::v3(2 << 20, PAGE).unwrap();
        assert_eq!((g.block_size, g.block_nr), (512 << 10, 4));
        assert_eq!(g.size(), 2 << 20);
        assert_eq!((g.frame_size, g.frame_nr), (g.block_size, g.block_nr));
    }

    #[test]
    fn v3_sizes_follow_measured_geometry() {
        let g = Geometry::v3(8 << 20, PAGE).unwrap();
        assert_eq!((g.block_size, g.block_nr), (2 << 20, 4));
        let g = Geometry::v3(64 << 20, PAGE).unwrap();
        assert_eq!((g.block_size, g.block_nr), (2 << 20, 32));
        let g = Geometry::v3(3 << 20, PAGE).unwrap();
        assert!(g.size() >= 3 << 20 && g.block_nr >= 4, "{g:?}");
    }

    #[test]
    fn v3_tiny_buffers_round_up_to_minimum() {
        for bytes in [1, 4096, 100_000] {
            let g = Geometry::v3(bytes, PAGE).unwrap();
            assert_eq!((g.block_size, g.block_nr), (128 << 10, 4), "{bytes}");
        }
    }

    #[test]
    fn v3_absurd_sizes_are_errors_not_overflows() {
        assert!(Geometry::v3(64 << 30, PAGE).is_err());
        assert!(Geometry::v3(u64::MAX, PAGE).is_err());
        let g = Geometry::v3((4 << 30) - (2 << 20), PAGE).unwrap();
        assert!(g.size() <= u32::MAX as u64);
    }

    #[test]
    fn every_geometry_is_one_the_kernel_accepts() {
        let mut bytes = 1u64;
        while bytes < (8 << 30) {
            for g in [
                Geometry::v3(bytes, PAGE),
                Geometry::v2(bytes, 1518, PAGE),
                Geometry::v2(bytes, 65553, PAGE),
            ]
            .into_iter()
            .flatten()
            {
                assert!(
                    g.block_size.is_power_of_two() && g.block_size as u64 % PAGE == 0,
                    "{g:?}"
                );
                assert_eq!(g.frame_size % 16, 0, "{g:?}");
                assert!(g.frame_size <= g.block_size, "{g:?}");
                assert_eq!(g.frame_nr, g.block_nr * (g.block_size / g.frame_size), "{g:?}");
                assert!(g.block_nr >= 1 && g.size() <= u32::MAX as u64, "{g:?}");
                assert!(g.size() >= bytes.min(g.size()), "{g:?}");
            }
            bytes = bytes * 3 + 1;
        }
    }

    #[test]
    fn v2_frames_fit_the_largest_packet() {
        let g = Geometry::v2(2 << 20, 1518, PAGE).unwrap();
        assert!(g.frame_size as usize >= V2_HDRLEN + 1518);
        assert!(g.frame_nr >= 8);
        // Little waste: at most an eighth of each block is unused.
        assert!((g.block_size % g.frame_size) * 8 <= g.block_size, "{g:?}");
        let g = Geometry::v2(2 << 20, 65553, PAGE).unwrap();
        assert!(g.frame_size >= 65553 + 88, "{g:?}");
        assert!(g.frame_nr >= 8, "{g:?}");
    }

    #[test]
    fn shrinking_stops_at_the_minimum() {
        let mut g = Geometry::v3(64 << 20, PAGE).unwrap();
        let mut steps = 0;
        while let Some(s) = g.shrunk() {
            assert!(s.block_nr < g.block_nr);
            g = s;
            steps += 1;
        }
        assert_eq!(g.block_nr, 4);
        assert!(steps > 5);
    }

    #[test]
    fn prev_pow2_rounds_down() {
        assert_eq!(prev_pow2(1), 1);
        assert_eq!(prev_pow2(768 << 10), 512 << 10);
        assert_eq!(prev_pow2(1 << 20), 1 << 20);
    }
}
