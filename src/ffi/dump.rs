//! Savefile writing over the C ABI (`pkt_dump_*`).
