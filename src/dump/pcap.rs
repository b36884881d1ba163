//! The classic pcap format: a 24-byte file header, then a 16-byte header before each record.
//! Written little endian; readers detect the byte order from the magic number.

/// Magic of a file with microsecond timestamps.
pub const MAGIC_MICRO: u32 = 0xa1b2_c3d4;
/// Magic of a file with nanosecond timestamps.
pub const MAGIC_NANO: u32 = 0xa1b2_3c4d;
/// Length of the file header.
pub const FILE_HEADER_LEN: usize = 24;
/// Length of a record header.
pub const RECORD_HEADER_LEN: usize = 16;

/// Appends the file header: magic, version 2.4, zone 0, sigfigs 0, snaplen, link type.
pub fn file_header(out: &mut Vec<u8>, nano: bool, snaplen: u32, linktype: u16) {
    out.reserve(FILE_HEADER_LEN);
    out.extend_from_slice(&(if nano { MAGIC_NANO } else { MAGIC_MICRO }).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&snaplen.to_le_bytes());
    out.extend_from_slice(&u32::from(linktype).to_le_bytes());
}

/// Appends one record: its header (seconds, fraction in the file's unit, captured length,
/// original length), then the bytes of `parts` one after the other.
pub fn record(out: &mut Vec<u8>, sec: u32, frac: u32, orig_len: u32, parts: &[&[u8]]) {
    let caplen: usize = parts.iter().map(|p| p.len()).sum();
    out.extend_from_slice(&sec.to_le_bytes());
    out.extend_from_slice(&frac.to_le_bytes());
    out.extend_from_slice(&(caplen as u32).to_le_bytes());
    out.extend_from_slice(&orig_len.to_le_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_bytes() {
        let mut v = Vec::new();
        file_header(&mut v, false, 262144, 1);
        assert_eq!(
            v,
            [
                0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x04, 0x00, 1, 0, 0,
                0
            ]
        );
        v.clear();
        file_header(&mut v, true, 96, 276);
        assert_eq!(
            v,
            [0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 96, 0, 0, 0, 0x14, 0x01, 0, 0]
        );
        assert_eq!(v.len(), FILE_HEADER_LEN);
    }

    #[test]
    fn record_bytes() {
        let mut v = Vec::new();
        record(&mut v, 0x0102_0304, 999_999, 60, &[&[0xaa, 0xbb], &[0xcc]]);
        assert_eq!(
            v,
            [4, 3, 2, 1, 0x3f, 0x42, 0x0f, 0, 3, 0, 0, 0, 60, 0, 0, 0, 0xaa, 0xbb, 0xcc]
        );
        assert_eq!(v.len(), RECORD_HEADER_LEN + 3);
    }
}
