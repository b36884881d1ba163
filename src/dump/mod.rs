//! Savefiles: pcap (microsecond and nanosecond) and pcapng writers for captured packets.
