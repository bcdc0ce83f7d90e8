//! The source tree keeps its layers: no module of the server or the web client imports a
//! module that imports it back (directly or round a longer circle), and the server's
//! rooms form one downward stack — http → meetings → docs → auth → store — with no
//! upward import. Read from the sources (`crate::…` and `super::…` paths outside test
//! modules), so a new circle fails here before anyone has to untangle it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`docs::actor`) → source file, for every `.rs` file under `src`.
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable source dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(src)
                    .expect("under src")
                    .with_extension("");
                let mut parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if parts.last().is_some_and(|p| p == "mod") {
                    parts.pop();
                }
                if parts == ["lib"] || parts == ["main"] {
                    parts.clear();
                }
                out.insert(parts.join("::"), path);
            }
        }
    }
    out
}

/// The source without comments and without `#[cfg(test)] mod tests { … }` blocks.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("readable source");
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &text[..at],
        None => &text,
    };
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths following each occurrence of `prefix` (`crate::a::b::C` → `a::b::C`).
fn paths_after<'a>(code: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
    code.match_indices(prefix)
        .filter(|(at, _)| {
            // A whole word: not `my_crate::`.
            !code[..*at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .map(|(at, _)| {
            let rest = &code[at + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            rest[..end].split("::").filter(|p| !p.is_empty()).collect()
        })
        .collect()
}

/// Module → modules it imports (its own submodules and ancestors excluded).
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules(src);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, path) in &mods {
        let code = code(path);
        // `super::` from `docs::actor` (docs/actor.rs) or `docs` (docs/mod.rs) is its parent.
        let mut parent: Vec<&str> = module.split("::").filter(|p| !p.is_empty()).collect();
        parent.pop();
        let mut targets = Vec::new();
        for path in paths_after(&code, "crate::") {
            targets.push(path.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        }
        for path in paths_after(&code, "super::") {
            let mut full: Vec<String> = parent.iter().map(|s| s.to_string()).collect();
            full.extend(path.iter().map(|s| s.to_string()));
            targets.push(full);
        }
        for target in targets {
            // The longest prefix that names a module.
            let found = (1..=target.len())
                .rev()
                .map(|k| target[..k].join("::"))
                .find(|t| mods.contains_key(t));
            if let Some(t) = found {
                let own = t == *module || module.starts_with(&format!("{t}::"));
                let child = t.starts_with(&format!("{module}::")) || module.is_empty();
                if !own && !child {
                    edges.entry(module.clone()).or_default().insert(t);
                }
            }
        }
    }
    edges
}

/// The circles (strongly connected components of more than one module).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.keys().chain(edges.values().flatten()).collect();
    let reaches = |from: &String, to: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n) {
                stack.extend(edges.get(n).into_iter().flatten());
            }
        }
        false
    };
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut placed = BTreeSet::new();
    for a in &nodes {
        if placed.contains(*a) {
            continue;
        }
        let circle: Vec<String> = nodes
            .iter()
            .filter(|b| *b != a && reaches(a, b) && reaches(b, a))
            .map(|b| b.to_string())
            .collect();
        if !circle.is_empty() {
            placed.extend(circle.iter().cloned());
            let mut all = circle;
            all.push(a.to_string());
            out.push(all);
        }
    }
    out
}

fn src(krate: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src")
}

#[test]
fn the_server_has_no_import_circles() {
    let found = circles(&imports(&src("server")));
    assert!(found.is_empty(), "import circles in server/src: {found:?}");
}

#[test]
fn the_web_client_has_no_import_circles() {
    let found = circles(&imports(&src("client")));
    assert!(found.is_empty(), "import circles in client/src: {found:?}");
}

#[test]
fn the_server_rooms_import_only_downwards() {
    let stack = ["http", "meetings", "docs", "auth", "store"];
    let rank = |m: &str| {
        stack
            .iter()
            .position(|r| m == *r || m.starts_with(&format!("{r}::")))
    };
    let mut upward = Vec::new();
    for (from, tos) in imports(&src("server")) {
        for to in tos {
            if let (Some(a), Some(b)) = (rank(&from), rank(&to)) {
                if b < a {
                    upward.push(format!("{from} → {to}"));
                }
            }
        }
    }
    assert!(upward.is_empty(), "upward imports: {upward:?}");
}

/// The check itself sees a circle (so the tests above can fail).
#[test]
fn a_circle_is_found() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    edges.entry("c".into()).or_default().insert("a".into());
    edges.entry("d".into()).or_default().insert("a".into());
    let found = circles(&edges);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].len(), 3);
}
