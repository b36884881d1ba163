//! The C ABI of `pkt_pcap::types` against the system's libpcap 1.10 header: a C program
//! compiled at test time with `cc` against `/usr/include/pcap/pcap.h` prints the size,
//! alignment and field offsets of every struct a libpcap program hands across the boundary
//! (`pcap_pkthdr`, `bpf_program`, `bpf_insn`, `pcap_if_t`, `pcap_addr_t`, `pcap_stat`,
//! `pcap_file_header`) and the values of the constants it compares return codes against
//! (`PCAP_ERRBUF_SIZE`, `PCAP_ERROR_*`, `PCAP_WARNING_*`, `PCAP_TSTAMP_*`, `PCAP_D_*`,
//! `PCAP_NETMASK_UNKNOWN`, `PCAP_CHAR_ENC_*`); each must equal what `types.rs` says.
//!
//! Both sides come from the one table in [`items`], so a field or constant cannot be checked
//! on one side only. Without `cc` or `pcap.h` (libpcap-dev) the test is skipped with a
//! message, except with CI=true, where that is a failure.

use std::mem::{align_of, offset_of, size_of};
use std::path::Path;
use std::process::Command;

use pkt_pcap::namedb::PcapEtherent;
use pkt_pcap::types::*;

/// One checked value: the label both sides print, the C expression, and ours.
struct Item {
    label: String,
    c_expr: String,
    ours: i128,
}

macro_rules! layout {
    ($v:ident, $rust:ty, $c:literal, [$($field:ident),* $(,)?]) => {{
        $v.push(Item { label: format!("sizeof {}", $c), c_expr: format!("sizeof({})", $c), ours: size_of::<$rust>() as i128 });
        $v.push(Item { label: format!("alignof {}", $c), c_expr: format!("_Alignof({})", $c), ours: align_of::<$rust>() as i128 });
        $(
            $v.push(Item {
                label: format!("offsetof {}.{}", $c, stringify!($field)),
                c_expr: format!("offsetof({}, {})", $c, stringify!($field)),
                ours: offset_of!($rust, $field) as i128,
            });
            $v.push(Item {
                label: format!("sizeof {}.{}", $c, stringify!($field)),
                c_expr: format!("sizeof((({} *)0)->{})", $c, stringify!($field)),
                ours: {
                    fn field_size<T, F>(_: impl Fn(&T) -> &F) -> usize { size_of::<F>() }
                    field_size(|x: &$rust| &x.$field) as i128
                },
            });
        )*
    }};
}

macro_rules! constants {
    ($v:ident, [$($name:ident),* $(,)?]) => {{
        $(
            $v.push(Item {
                label: format!("value {}", stringify!($name)),
                c_expr: format!("(long long)({})", stringify!($name)),
                ours: $name as i128,
            });
        )*
    }};
}

fn items() -> Vec<Item> {
    let mut v = Vec::new();
    layout!(v, PcapPkthdr, "struct pcap_pkthdr", [ts, caplen, len]);
    layout!(v, BpfProgram, "struct bpf_program", [bf_len, bf_insns]);
    layout!(v, BpfInsn, "struct bpf_insn", [code, jt, jf, k]);
    layout!(
        v,
        PcapIf,
        "pcap_if_t",
        [next, name, description, addresses, flags]
    );
    layout!(
        v,
        PcapAddr,
        "pcap_addr_t",
        [next, addr, netmask, broadaddr, dstaddr]
    );
    layout!(v, PcapStat, "struct pcap_stat", [ps_recv, ps_drop, ps_ifdrop]);
    layout!(v, PcapEtherent, "struct pcap_etherent", [addr, name]);
    layout!(
        v,
        PcapFileHeader,
        "struct pcap_file_header",
        [
            magic,
            version_major,
            version_minor,
            thiszone,
            sigfigs,
            snaplen,
            linktype
        ]
    );
    constants!(
        v,
        [
            PCAP_ERRBUF_SIZE,
            PCAP_ERROR,
            PCAP_ERROR_BREAK,
            PCAP_ERROR_NOT_ACTIVATED,
            PCAP_ERROR_ACTIVATED,
            PCAP_ERROR_NO_SUCH_DEVICE,
            PCAP_ERROR_RFMON_NOTSUP,
            PCAP_ERROR_NOT_RFMON,
            PCAP_ERROR_PERM_DENIED,
            PCAP_ERROR_IFACE_NOT_UP,
            PCAP_ERROR_CANTSET_TSTAMP_TYPE,
            PCAP_ERROR_PROMISC_PERM_DENIED,
            PCAP_ERROR_TSTAMP_PRECISION_NOTSUP,
            PCAP_WARNING,
            PCAP_WARNING_PROMISC_NOTSUP,
            PCAP_WARNING_TSTAMP_TYPE_NOTSUP,
            PCAP_NETMASK_UNKNOWN,
            PCAP_TSTAMP_HOST,
            PCAP_TSTAMP_HOST_LOWPREC,
            PCAP_TSTAMP_HOST_HIPREC,
            PCAP_TSTAMP_ADAPTER,
            PCAP_TSTAMP_ADAPTER_UNSYNCED,
            PCAP_TSTAMP_HOST_HIPREC_UNSYNCED,
            PCAP_TSTAMP_PRECISION_MICRO,
            PCAP_TSTAMP_PRECISION_NANO,
            PCAP_D_INOUT,
            PCAP_D_IN,
            PCAP_D_OUT,
            PCAP_CHAR_ENC_LOCAL,
            PCAP_CHAR_ENC_UTF_8,
        ]
    );
    // The handler type is a pointer, as C's.
    v.push(Item {
        label: "sizeof pcap_handler".into(),
        c_expr: "sizeof(pcap_handler)".into(),
        ours: size_of::<PcapHandler>() as i128,
    });
    v
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips (returns) with a message, or fails under CI=true.
fn skip(why: &str) {
    if ci() {
        panic!("CI=true: {why}");
    }
    eprintln!("layout: SKIPPED: {why}");
}

/// The C program printing `label<TAB>value` per item.
fn c_source(items: &[Item]) -> String {
    let mut s = String::from(
        "#include <stddef.h>\n#include <stdio.h>\n#include <pcap/pcap.h>\n#include <pcap/namedb.h>\n\
         #if !defined(PCAP_CHAR_ENC_LOCAL)\n#error pcap.h is older than libpcap 1.10\n#endif\n\
         int main(void) {\n",
    );
    for it in items {
        s.push_str(&format!(
            "    printf(\"%s\\t%lld\\n\", \"{}\", (long long)({}));\n",
            it.label, it.c_expr
        ));
    }
    s.push_str("    return 0;\n}\n");
    s
}

#[test]
fn layout_matches_pcap_h() {
    let header = Path::new("/usr/include/pcap/pcap.h");
    if !header.exists() {
        return skip("no /usr/include/pcap/pcap.h (apt-get install libpcap-dev)");
    }
    let items = items();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pkt-pcap-layout");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("layout.c");
    let bin = dir.join("layout");
    std::fs::write(&src, c_source(&items)).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = match Command::new(&cc)
        .args(["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&bin)
        .arg(&src)
        .output()
    {
        Ok(out) => out,
        Err(e) => return skip(&format!("cannot run {cc}: {e} (apt-get install gcc)")),
    };
    assert!(
        out.status.success(),
        "{cc} failed on {} (a name pcap.h lacks?):\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&bin).output().expect("run the layout program");
    assert!(run.status.success(), "{} failed", bin.display());
    let text = String::from_utf8(run.stdout).unwrap();
    let theirs: Vec<(&str, i128)> = text
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('\t').expect("label<TAB>value");
            (k, v.parse().expect("a number"))
        })
        .collect();
    assert_eq!(theirs.len(), items.len(), "one line per item");
    let mut bad = Vec::new();
    for (it, (label, value)) in items.iter().zip(&theirs) {
        assert_eq!(it.label, *label);
        if it.ours != *value {
            bad.push(format!("{label}: pcap.h {value}, types.rs {}", it.ours));
        }
    }
    println!(
        "layout: {} values compared with pcap.h, {} differ",
        items.len(),
        bad.len()
    );
    assert!(
        bad.is_empty(),
        "types.rs differs from pcap.h:\n{}",
        bad.join("\n")
    );
}
