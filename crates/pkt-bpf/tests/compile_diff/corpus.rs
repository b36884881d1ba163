//! The expression corpus files and environment knobs, shared by the differential test
//! (tests/compile_diff.rs) and the kernel test (tests/compile_kernel.rs), which include this
//! module.

use std::path::{Path, PathBuf};

/// This folder: the corpus files.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compile_diff")
}

/// An expression and where it comes from (`file:line`).
#[derive(Clone, Debug)]
pub struct Expr {
    pub origin: String,
    pub text: String,
}

/// Expressions of one file: one a line, blank lines and `#` comments skipped.
pub fn read_exprs(path: &Path) -> Vec<Expr> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| Expr {
            origin: format!("{name}:{}", i + 1),
            text: l.trim().to_owned(),
        })
        .collect()
}

/// Every expression of `exprs/*.txt`, files in name order.
pub fn corpus_exprs() -> Vec<Expr> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir().join("exprs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files.iter().flat_map(|f| read_exprs(f)).collect()
}

/// A number from the environment, decimal or 0x hex.
pub fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let n = match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => v.parse(),
    };
    Some(n.unwrap_or_else(|e| panic!("{name}={v:?}: {e}")))
}
