//! What libpcap 1.10.3 does to a record after reading it (`pcap_post_process` in
//! `pcap-util.c`): in a file written in the other byte order, the host-order fields of some
//! pseudo-headers are put in this host's order (PFLOG, Linux SLL and SLL2 with SocketCAN,
//! Linux USB in both forms, NFLOG); then, for memory-mapped Linux USB, the on-the-wire length
//! of an incoming isochronous completion that old libpcaps computed from the URB length is
//! recomputed from the isochronous descriptors (`fix_linux_usb_mmapped_length`).
//!
//! Every field is read and written through bounds-checked helpers; a field libpcap would not
//! touch (because the captured length stops before it) is never touched here either.

use super::linktype::{
    DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NFLOG, DLT_PFLOG, DLT_USB_LINUX, DLT_USB_LINUX_MMAPPED,
};

/// `LINUX_SLL_P_CAN`, `LINUX_SLL_P_CANFD`.
const SLL_P_CAN: u16 = 0x000c;
const SLL_P_CANFD: u16 = 0x000d;
/// `sizeof (pcap_usb_header_mmapped)`, `sizeof (usb_isodesc)`.
const USB_MMAPPED_LEN: u32 = 64;
const USB_ISODESC_LEN: u32 = 16;
/// `URB_ISOCHRONOUS`, `URB_COMPLETE`, `URB_TRANSFER_IN`.
const URB_ISOCHRONOUS: u8 = 0;
const URB_COMPLETE: u8 = b'C';
const URB_TRANSFER_IN: u8 = 0x80;

/// `pcap_post_process(linktype, swapped, hdr, data)`: `data` is the record's captured bytes
/// (`caplen` of them); `len` may change (USB fix-up).
pub fn post_process(dlt: i32, swapped: bool, caplen: u32, len: &mut u32, data: &mut [u8]) {
    if swapped {
        swap_pseudo_headers(dlt, caplen, *len, data);
    }
    fixup_pkthdr(dlt, caplen, len, data);
}

fn swap_pseudo_headers(dlt: i32, caplen: u32, len: u32, data: &mut [u8]) {
    match dlt {
        DLT_PFLOG => swap_pflog(caplen, len, data),
        DLT_LINUX_SLL => swap_sll(caplen, len, data, 16, 14),
        DLT_LINUX_SLL2 => swap_sll(caplen, len, data, 20, 0),
        DLT_USB_LINUX => swap_usb(caplen, data, false),
        DLT_USB_LINUX_MMAPPED => swap_usb(caplen, data, true),
        DLT_NFLOG => swap_nflog(caplen, len, data),
        _ => {}
    }
}

/// Reverses the `n` bytes at `off` (a field written in the other byte order), if they are there.
fn swap(data: &mut [u8], off: u32, n: u32) {
    let (Ok(off), Ok(n)) = (usize::try_from(off), usize::try_from(n)) else {
        return;
    };
    if let Some(field) = off.checked_add(n).and_then(|end| data.get_mut(off..end)) {
        field.reverse();
    }
}

fn byte(data: &[u8], off: u32) -> u8 {
    usize::try_from(off)
        .ok()
        .and_then(|o| data.get(o))
        .copied()
        .unwrap_or(0)
}

fn bytes<const N: usize>(data: &[u8], off: u32) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = usize::try_from(off)
        .ok()
        .and_then(|o| o.checked_add(N).and_then(|end| data.get(o..end)))
    {
        out.copy_from_slice(src);
    }
    out
}

/// A host-order `uint32_t` as libpcap reads it through its struct pointers.
fn ne32(data: &[u8], off: u32) -> u32 {
    u32::from_ne_bytes(bytes(data, off))
}

fn ne16(data: &[u8], off: u32) -> u16 {
    u16::from_ne_bytes(bytes(data, off))
}

fn be16(data: &[u8], off: u32) -> u16 {
    u16::from_be_bytes(bytes(data, off))
}

/// `swap_pflog_header`: uid, pid, rule_uid, rule_pid (at 44, 48, 52, 56), each only when the
/// captured length, the length and the header's own length byte all cover it.
fn swap_pflog(caplen: u32, len: u32, data: &mut [u8]) {
    let hdrlen = u32::from(byte(data, 0));
    for off in [44u32, 48, 52, 56] {
        let end = off.wrapping_add(4);
        if caplen < end || len < end || hdrlen < end {
            return;
        }
        swap(data, off, 4);
    }
}

/// `swap_linux_sll_header` / `swap_linux_sll2_header`: the SocketCAN ID after the header, when
/// the header's protocol is CAN or CAN FD.
fn swap_sll(caplen: u32, len: u32, data: &mut [u8], hdrlen: u32, proto_off: u32) {
    if caplen < hdrlen || len < hdrlen {
        return;
    }
    let proto = be16(data, proto_off);
    if proto != SLL_P_CAN && proto != SLL_P_CANFD {
        return;
    }
    let end = hdrlen.wrapping_add(4);
    if caplen < end || len < end {
        return;
    }
    swap(data, hdrlen, 4);
}

/// `swap_linux_usb_header`: the header's fields in order, each only if the captured length
/// reaches its end; with the 64-byte header, the isochronous descriptors too.
fn swap_usb(caplen: u32, data: &mut [u8], header_64: bool) {
    // (offset, size) of the fields before the union: id, bus_id, ts_sec, ts_usec, status,
    // urb_len, data_len.
    for (off, n) in [(0u32, 8u32), (12, 2), (16, 8), (24, 4), (28, 4), (32, 4), (36, 4)] {
        if caplen < off.wrapping_add(n) {
            return;
        }
        swap(data, off, n);
    }
    let iso = byte(data, 9) == URB_ISOCHRONOUS;
    if iso {
        // s.iso.error_count, s.iso.numdesc
        for off in [40u32, 44] {
            if caplen < off.wrapping_add(4) {
                return;
            }
            swap(data, off, 4);
        }
    }
    if !header_64 {
        return;
    }
    // interval, start_frame, xfer_flags, ndesc
    for off in [48u32, 52, 56, 60] {
        if caplen < off.wrapping_add(4) {
            return;
        }
        swap(data, off, 4);
    }
    if !iso {
        return;
    }
    let ndesc = ne32(data, 60);
    let mut off: u32 = 64;
    let mut i: u32 = 0;
    while i < ndesc {
        // status, offset, len, then 4 bytes of padding
        for _ in 0..3 {
            let end = off.saturating_add(4);
            if caplen < end {
                return;
            }
            swap(data, off, 4);
            off = end;
        }
        off = off.saturating_add(4);
        i = i.wrapping_add(1);
    }
}

/// `swap_nflog_header`: the type and length of each TLV after the 4-byte header of a version 0
/// record, while the captured length holds a whole TLV header.
fn swap_nflog(caplen: u32, len: u32, data: &mut [u8]) {
    if caplen < 4 || len < 4 {
        return;
    }
    if byte(data, 1) != 0 {
        return;
    }
    let mut caplen = caplen.wrapping_sub(4);
    let mut len = len.wrapping_sub(4);
    let mut p: u32 = 4;
    while caplen >= 4 {
        swap(data, p, 2);
        swap(data, p.wrapping_add(2), 2);
        // libpcap's size is a uint16_t: rounding 0xfffd.. up wraps to 0.
        let mut size = ne16(data, p);
        if size % 4 != 0 {
            size = size.wrapping_add(4u16.wrapping_sub(size % 4));
        }
        let size = u32::from(size);
        if size < 4 {
            return;
        }
        if caplen < size || len < size {
            return;
        }
        len = len.wrapping_sub(size);
        caplen = caplen.wrapping_sub(size);
        p = p.wrapping_add(size);
    }
}

/// `fixup_pcap_pkthdr`: memory-mapped Linux USB with the whole header captured, data present
/// (`data_flag` 0) and a length that is header + descriptors + URB length.
fn fixup_pkthdr(dlt: i32, caplen: u32, len: &mut u32, data: &[u8]) {
    if dlt != DLT_USB_LINUX_MMAPPED || caplen < USB_MMAPPED_LEN {
        return;
    }
    if byte(data, 15) == 0 && u64::from(*len) == urb_based_len(data) {
        fix_usb_mmapped_len(caplen, len, data);
    }
}

/// `sizeof(pcap_usb_header_mmapped) + ndesc * sizeof(usb_isodesc) + urb_len`, in libpcap's
/// 64-bit `size_t` arithmetic.
fn urb_based_len(data: &[u8]) -> u64 {
    let ndesc = u64::from(ne32(data, 60));
    let urb_len = u64::from(ne32(data, 32));
    u64::from(USB_MMAPPED_LEN)
        .wrapping_add(ndesc.wrapping_mul(u64::from(USB_ISODESC_LEN)))
        .wrapping_add(urb_len)
}

/// `fix_linux_usb_mmapped_length` (caplen >= 64 here).
fn fix_usb_mmapped_len(caplen: u32, len: &mut u32, data: &[u8]) {
    let event_type = byte(data, 8);
    let transfer_type = byte(data, 9);
    let endpoint = byte(data, 10);
    if !(byte(data, 15) == 0
        && transfer_type == URB_ISOCHRONOUS
        && event_type == URB_COMPLETE
        && endpoint & URB_TRANSFER_IN != 0
        && u64::from(*len) == urb_based_len(data))
    {
        return;
    }
    let ndesc = ne32(data, 60);
    let mut bytes_left = caplen.wrapping_sub(USB_MMAPPED_LEN);
    let mut data_len: u32 = 0;
    let mut desc: u32 = 0;
    let mut off = USB_MMAPPED_LEN;
    while desc < ndesc && bytes_left >= USB_ISODESC_LEN {
        let dlen = ne32(data, off.wrapping_add(8));
        if dlen != 0 {
            let end = ne32(data, off.wrapping_add(4)).wrapping_add(dlen);
            if end > data_len {
                data_len = end;
            }
        }
        desc = desc.wrapping_add(1);
        bytes_left = bytes_left.wrapping_sub(USB_ISODESC_LEN);
        off = off.wrapping_add(USB_ISODESC_LEN);
    }
    // Computed in size_t, stored in a u_int.
    let pre_truncation_len = u64::from(USB_MMAPPED_LEN)
        .wrapping_add(u64::from(ndesc).wrapping_mul(u64::from(USB_ISODESC_LEN)))
        .wrapping_add(u64::from(data_len)) as u32;
    if pre_truncation_len >= caplen {
        *len = pre_truncation_len;
    }
    if caplen > *len {
        *len = caplen;
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn sll_can_id_swapped_only_for_can() {
        let mut d = vec![0u8; 24];
        d[14] = 0;
        d[15] = 0x0c;
        d[16..20].copy_from_slice(&[1, 2, 3, 4]);
        let mut len = 24;
        post_process(DLT_LINUX_SLL, true, 24, &mut len, &mut d);
        assert_eq!(&d[16..20], &[4, 3, 2, 1]);
        // Not swapped file: untouched.
        post_process(DLT_LINUX_SLL, false, 24, &mut len, &mut d);
        assert_eq!(&d[16..20], &[4, 3, 2, 1]);
        // Not CAN: untouched.
        d[15] = 0x0e;
        post_process(DLT_LINUX_SLL, true, 24, &mut len, &mut d);
        assert_eq!(&d[16..20], &[4, 3, 2, 1]);
        // CAN ID not fully captured: untouched.
        d[15] = 0x0d;
        let mut short = d[..19].to_vec();
        post_process(DLT_LINUX_SLL, true, 19, &mut len, &mut short);
        assert_eq!(&short[16..19], &[4, 3, 2]);
    }

    #[test]
    fn nflog_tlvs() {
        // header, TLV len 5 (padded to 8) type 1, TLV len 4 type 2, then 2 stray bytes
        let mut d = vec![2u8, 0, 0, 0];
        d.extend_from_slice(&[0, 5, 0, 1, 9, 9, 9, 9]);
        d.extend_from_slice(&[0, 4, 0, 2]);
        d.extend_from_slice(&[7, 7]);
        let n = d.len() as u32;
        let mut len = n;
        post_process(DLT_NFLOG, true, n, &mut len, &mut d);
        assert_eq!(&d[4..8], &[5, 0, 1, 0]);
        assert_eq!(&d[12..16], &[4, 0, 2, 0]);
        assert_eq!(&d[16..], &[7, 7]);
        // A length that wraps when rounded up (0xfffd + 3 in a uint16_t) stops the walk.
        if cfg!(target_endian = "little") {
            let mut d = vec![2u8, 0, 0, 0, 0xff, 0xfd, 0, 1, 0, 4, 0, 2];
            swap_nflog(12, 12, &mut d);
            assert_eq!(&d[4..8], &[0xfd, 0xff, 1, 0]);
            assert_eq!(&d[8..12], &[0, 4, 0, 2]);
        }
    }

    #[test]
    fn usb_mmapped_iso_fixup() {
        // An incoming isochronous completion, 2 descriptors, URB length 100, len computed
        // from it: 64 + 32 + 100 = 196; descriptors end at 10+20 and 50+5.
        let mut d = vec![0u8; 96];
        d[8] = b'C';
        d[9] = 0;
        d[10] = 0x81;
        d[15] = 0;
        d[32..36].copy_from_slice(&100u32.to_ne_bytes());
        d[60..64].copy_from_slice(&2u32.to_ne_bytes());
        d[68..72].copy_from_slice(&10u32.to_ne_bytes());
        d[72..76].copy_from_slice(&20u32.to_ne_bytes());
        d[84..88].copy_from_slice(&50u32.to_ne_bytes());
        d[88..92].copy_from_slice(&5u32.to_ne_bytes());
        let mut len = 196;
        post_process(DLT_USB_LINUX_MMAPPED, false, 96, &mut len, &mut d);
        assert_eq!(len, 64 + 32 + 55);
        // Outgoing: unchanged.
        d[10] = 0x01;
        let mut len = 196;
        post_process(DLT_USB_LINUX_MMAPPED, false, 96, &mut len, &mut d);
        assert_eq!(len, 196);
    }

    #[test]
    fn usb_swap_stops_at_caplen() {
        let mut d: Vec<u8> = (0u8..80).collect();
        d[9] = 0; // isochronous
        d[60..64].copy_from_slice(&[0, 0, 0, 1]); // ndesc 1 once swapped (on little-endian)
        let orig = d.clone();
        swap_usb(70, &mut d, true);
        assert_eq!(&d[0..8], &[7, 6, 5, 4, 3, 2, 1, 0]);
        assert_eq!(&d[12..14], &[13, 12]);
        assert_eq!(&d[60..64], &[1, 0, 0, 0]);
        if cfg!(target_endian = "little") {
            // First descriptor: status (64..68) swapped, offset (68..72) is past caplen 70.
            assert_eq!(&d[64..68], &[67, 66, 65, 64]);
            assert_eq!(&d[68..80], &orig[68..80]);
        }
    }

    #[test]
    fn pflog_uses_header_length() {
        let mut d = vec![0u8; 64];
        d[0] = 52; // covers uid and pid only
        for (i, b) in d.iter_mut().enumerate().skip(44) {
            *b = i as u8;
        }
        let mut len = 64;
        post_process(DLT_PFLOG, true, 64, &mut len, &mut d);
        assert_eq!(&d[44..48], &[47, 46, 45, 44]);
        assert_eq!(&d[48..52], &[51, 50, 49, 48]);
        assert_eq!(&d[52..56], &[52, 53, 54, 55]);
    }
}
