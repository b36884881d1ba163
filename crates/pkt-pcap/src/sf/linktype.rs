//! Link types as libpcap 1.10.3 reads them from a savefile (`pcap-common.c`): the
//! LINKTYPE_ → DLT_ mapping on Linux, the largest packet it accepts per DLT, and the file's
//! snapshot length as it adjusts it.

/// `DLT_EN10MB`.
pub const DLT_EN10MB: i32 = 1;
/// `DLT_PFLOG` (Linux's value).
pub const DLT_PFLOG: i32 = 117;
/// `DLT_LINUX_SLL`.
pub const DLT_LINUX_SLL: i32 = 113;
/// `DLT_USB_LINUX`.
pub const DLT_USB_LINUX: i32 = 189;
/// `DLT_USB_LINUX_MMAPPED`.
pub const DLT_USB_LINUX_MMAPPED: i32 = 220;
/// `DLT_DBUS`.
pub const DLT_DBUS: i32 = 231;
/// `DLT_NFLOG`.
pub const DLT_NFLOG: i32 = 239;
/// `DLT_USBPCAP`.
pub const DLT_USBPCAP: i32 = 249;
/// `DLT_LINUX_SLL2`.
pub const DLT_LINUX_SLL2: i32 = 276;
/// `DLT_EBHSCR`.
pub const DLT_EBHSCR: i32 = 279;

/// libpcap's `MAXIMUM_SNAPLEN`.
pub const MAXIMUM_SNAPLEN: u32 = 262_144;

/// The DLT_ values (Linux) whose LINKTYPE_ value in a savefile differs, as (DLT_, LINKTYPE_):
/// ATM_RFC1483, RAW, SLIP_BSDOS, PPP_BSDOS and ATM_CLIP. Every other value is written as it is.
const DIFFERENT: [(i32, i32); 5] = [(11, 100), (12, 101), (15, 102), (16, 103), (19, 106)];

/// `linktype_to_dlt`: the DLT_ value (on Linux) of a LINKTYPE_ value from a file header or
/// an IDB: [`DIFFERENT`]'s, or the value itself (in 104..=289 both agree; anything else may be
/// a newer libpcap's DLT). LINKTYPE_PFSYNC (246) and LINKTYPE_PKTAP (258) equal their DLT_
/// values on Linux.
pub fn linktype_to_dlt(linktype: i32) -> i32 {
    DIFFERENT
        .iter()
        .find(|&&(_, lt)| lt == linktype)
        .map_or(linktype, |&(dlt, _)| dlt)
}

/// libpcap's `dlt_to_linktype` on Linux: the LINKTYPE_ value written in a savefile for a
/// DLT_ (the inverse of [`linktype_to_dlt`]); -1 for a DLT that savefiles cannot hold.
pub fn dlt_to_linktype(dlt: i32) -> i32 {
    match dlt {
        0..=10 | 50 | 51 | 99 | 104..=289 => dlt,
        _ => DIFFERENT
            .iter()
            .find(|&&(d, _)| d == dlt)
            .map_or(-1, |&(_, lt)| lt),
    }
}

/// `max_snaplen_for_dlt`: the largest captured length libpcap accepts for a DLT.
pub fn max_snaplen_for_dlt(dlt: i32) -> u32 {
    match dlt {
        DLT_DBUS => 128 * 1024 * 1024,
        DLT_EBHSCR => 8 * 1024 * 1024,
        DLT_USBPCAP => 1024 * 1024,
        _ => MAXIMUM_SNAPLEN,
    }
}

/// `pcap_adjust_snapshot`: a file's snapshot length, with 0 or more than `INT_MAX` replaced by
/// the DLT's maximum (larger values up to `INT_MAX` are kept, as libpcap keeps them).
pub fn adjust_snapshot(dlt: i32, snaplen: u32) -> u32 {
    if snaplen == 0 || snaplen > i32::MAX as u32 {
        max_snaplen_for_dlt(dlt)
    } else {
        snaplen
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn both_ways() {
        for &(dlt, lt) in &DIFFERENT {
            assert_eq!(dlt_to_linktype(dlt), lt);
            assert_eq!(linktype_to_dlt(lt), dlt);
        }
        for dlt in (0..=10).chain([50, 51, 99]).chain(104..=289) {
            assert_eq!(
                linktype_to_dlt(dlt_to_linktype(dlt)),
                if dlt == 106 { 19 } else { dlt }
            );
        }
        assert_eq!(dlt_to_linktype(13), -1);
        assert_eq!(dlt_to_linktype(290), -1);
        assert_eq!(dlt_to_linktype(-1), -1);
    }

    #[test]
    fn mapping() {
        assert_eq!(linktype_to_dlt(0), 0);
        assert_eq!(linktype_to_dlt(1), 1);
        assert_eq!(linktype_to_dlt(100), 11);
        assert_eq!(linktype_to_dlt(101), 12);
        assert_eq!(linktype_to_dlt(102), 15);
        assert_eq!(linktype_to_dlt(103), 16);
        assert_eq!(linktype_to_dlt(104), 104);
        assert_eq!(linktype_to_dlt(106), 19);
        assert_eq!(linktype_to_dlt(112), 112);
        assert_eq!(linktype_to_dlt(246), 246);
        assert_eq!(linktype_to_dlt(258), 258);
        assert_eq!(linktype_to_dlt(289), 289);
        assert_eq!(linktype_to_dlt(290), 290);
        assert_eq!(linktype_to_dlt(12), 12);
        assert_eq!(linktype_to_dlt(19), 19);
        assert_eq!(linktype_to_dlt(0x03ff_ffff), 0x03ff_ffff);
    }

    #[test]
    fn snaplens() {
        assert_eq!(max_snaplen_for_dlt(DLT_DBUS), 134_217_728);
        assert_eq!(max_snaplen_for_dlt(DLT_EBHSCR), 8_388_608);
        assert_eq!(max_snaplen_for_dlt(DLT_USBPCAP), 1_048_576);
        assert_eq!(max_snaplen_for_dlt(DLT_EN10MB), MAXIMUM_SNAPLEN);
        assert_eq!(adjust_snapshot(1, 0), MAXIMUM_SNAPLEN);
        assert_eq!(adjust_snapshot(DLT_DBUS, 0x8000_0000), 134_217_728);
        assert_eq!(adjust_snapshot(1, 0x7fff_ffff), 0x7fff_ffff);
        assert_eq!(adjust_snapshot(1, 65535), 65535);
        assert_eq!(adjust_snapshot(1, 1_000_000), 1_000_000);
    }
}
