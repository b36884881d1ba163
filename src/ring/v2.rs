//! TPACKET_V2: one packet per frame, handed over as soon as it is written (immediate mode).

use std::mem::size_of;
use std::sync::Arc;

use super::{Corrupt, Frame, Geometry, Mapping, Post, Slots};
use crate::sys::{tpacket_align, Tpacket2Hdr};

const SLL_OFF: usize = tpacket_align(size_of::<Tpacket2Hdr>());

/// Reads the `sockaddr_ll` the kernel puts after each frame header.
fn read_sll(map: &Mapping, off: usize, f: &mut Frame) -> Option<()> {
    let sll: &libc::sockaddr_ll = map.get(off)?;
    f.ifindex = sll.sll_ifindex;
    f.protocol = u16::from_be(sll.sll_protocol);
    f.hatype = sll.sll_hatype;
    f.pkttype = sll.sll_pkttype;
    f.halen = sll.sll_halen;
    f.addr = sll.sll_addr;
    Some(())
}

pub struct V2Ring {
    pub(super) map: Arc<Mapping>,
    pub(super) geo: Geometry,
    pub(super) slots: Slots,
    pub(super) post: Post,
}

/// Frame `i` sits at `(i / fpb) * block_size + (i % fpb) * frame_size`.
#[inline]
fn frame_off(geo: Geometry) -> impl Fn(u32) -> usize {
    let fpb = geo.block_size / geo.frame_size;
    move |i| (i / fpb) as usize * geo.block_size as usize + (i % fpb) as usize * geo.frame_size as usize
}

impl V2Ring {
    pub(super) fn new(map: Arc<Mapping>, geo: Geometry, post: Post) -> V2Ring {
        V2Ring {
            post,
            map,
            geo,
            slots: Slots::new(geo.frame_nr),
        }
    }

    #[inline(always)]
    pub(super) fn release_done(&mut self) {
        self.slots.step();
        self.slots.release_held(&self.map, frame_off(self.geo));
    }

    #[inline(always)]
    pub(super) fn next(&mut self) -> Result<Option<Frame>, Corrupt> {
        self.slots.step();
        let off = frame_off(self.geo)(self.slots.cur);
        if !self.map.is_user(off) {
            return Ok(None);
        }
        // Whatever the frame holds, it is ours now and finished once described.
        self.slots.finished = true;
        self.parse(off).map(Some).ok_or(Corrupt)
    }

    #[inline(always)]
    fn parse(&self, off: usize) -> Option<Frame> {
        let fs = self.geo.frame_size as usize;
        let h: Tpacket2Hdr = self.map.read(off)?;
        let data = h.tp_mac as usize;
        if data < SLL_OFF + 20 || data.checked_add(h.tp_snaplen as usize)? > fs {
            return None;
        }
        let mut f = Frame {
            data_off: off + data,
            caplen: h.tp_snaplen,
            len: h.tp_len,
            sec: h.tp_sec,
            nsec: h.tp_nsec,
            status: h.tp_status,
            net_off: (h.tp_net as u32).wrapping_sub(h.tp_mac as u32),
            vlan_tci: h.tp_vlan_tci,
            vlan_tpid: h.tp_vlan_tpid,
            last_in_slot: true,
            room: (data - (SLL_OFF + 20)) as u16,
            ..Frame::default()
        };
        read_sll(&self.map, off + SLL_OFF, &mut f)?;
        Some(f)
    }

    #[inline(always)]
    pub(super) fn next_slot_ready(&self) -> bool {
        self.map
            .is_user(frame_off(self.geo)(self.slots.succ(self.slots.cur)))
    }

    pub(super) fn user_slots(&self) -> u64 {
        self.slots.user_run(&self.map, frame_off(self.geo))
    }

    pub(super) fn resync(&mut self) -> bool {
        self.slots.resync(&self.map, frame_off(self.geo))
    }
}
