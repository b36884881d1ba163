//! The layout rules of issue 13, checked on the sources (no build needed beyond this test):
//!
//! - no cycle between the crate's top-level modules (`src/X.rs` or `src/X/`): a module uses
//!   only modules below it, so each can be read, tested and moved on its own;
//! - `unsafe` only in `src/sys.rs`, the ring mapping (`src/ring/mapping.rs`) and `src/ffi/`;
//!   the crate root denies it elsewhere, and this test names the offending file and line.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The top-level module a file belongs to (`handle` for src/handle/read.rs), None for lib.rs.
fn top_module(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    if first == "lib.rs" {
        return None;
    }
    Some(first.trim_end_matches(".rs").to_string())
}

/// The code of a line without its `//` comment (strings holding `//` do not occur in the uses
/// and `unsafe` tokens this test looks for).
fn code(line: &str) -> &str {
    line.find("//").map_or(line, |i| &line[..i])
}

/// The top-level modules named as `crate::X` in the code of `text`.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let mut rest = code(line);
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
            rest = after;
        }
    }
    out
}

#[test]
fn no_module_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in rust_files(&src()) {
        let Some(m) = top_module(&f) else { continue };
        let refs = crate_refs(&fs::read_to_string(&f).unwrap());
        let e = graph.entry(m.clone()).or_default();
        e.extend(refs.into_iter().filter(|r| *r != m));
    }
    // The names used as `crate::X` that are modules of this crate (re-exports such as
    // `crate::Error` are not edges).
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| modules.contains(d));
    }
    // Depth-first search with an explicit stack; a grey node met again closes a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Color {
        White,
        Grey,
        Black,
    }
    let mut color: BTreeMap<&str, Color> = modules.iter().map(|m| (m.as_str(), Color::White)).collect();
    let mut cycles = Vec::new();
    for start in &modules {
        if color[start.as_str()] != Color::White {
            continue;
        }
        let mut path: Vec<&str> = vec![start];
        let mut iters: Vec<std::collections::btree_set::Iter<'_, String>> = vec![graph[start].iter()];
        color.insert(start, Color::Grey);
        while let Some(it) = iters.last_mut() {
            match it.next() {
                Some(next) => match color[next.as_str()] {
                    Color::White => {
                        color.insert(next, Color::Grey);
                        path.push(next);
                        iters.push(graph[next].iter());
                    }
                    Color::Grey => {
                        let from = path.iter().position(|p| *p == next).unwrap();
                        cycles.push(format!("{} -> {next}", path[from..].join(" -> ")));
                    }
                    Color::Black => {}
                },
                None => {
                    color.insert(path.pop().unwrap(), Color::Black);
                    iters.pop();
                }
            }
        }
    }
    let edges: Vec<String> = graph.iter().map(|(m, d)| format!("{m} -> {d:?}")).collect();
    assert!(
        cycles.is_empty(),
        "module cycles: {cycles:#?}\nthe graph:\n{}",
        edges.join("\n")
    );
}

/// Where `unsafe` may appear: the system-call layer, the one file of raw ring loads and stores,
/// the C boundary.
fn may_be_unsafe(rel: &Path) -> bool {
    rel == Path::new("sys.rs") || rel == Path::new("ring/mapping.rs") || rel.starts_with("ffi")
}

#[test]
fn unsafe_only_where_allowed() {
    let mut bad = Vec::new();
    for f in rust_files(&src()) {
        let rel = f.strip_prefix(src()).unwrap().to_path_buf();
        if may_be_unsafe(&rel) {
            continue;
        }
        for (n, line) in fs::read_to_string(&f).unwrap().lines().enumerate() {
            let c = code(line);
            let word = c.match_indices("unsafe").any(|(i, _)| {
                let before = c[..i].chars().next_back();
                let after = c[i + 6..].chars().next();
                !before.is_some_and(|b| b.is_ascii_alphanumeric() || b == '_')
                    && !after.is_some_and(|a| a.is_ascii_alphanumeric() || a == '_')
            });
            if word {
                bad.push(format!("src/{}:{}: {}", rel.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "unsafe outside sys.rs, ring/mapping.rs and ffi/:\n{}",
        bad.join("\n")
    );
}
