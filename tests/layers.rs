//! The crate's shape, checked: imports run one way between the parts, and
//! no module imports itself back through another (an import loop).
//!
//! The parts, lowest first (see `src/lib.rs`): the basics (error, context,
//! interrupt, machine, scratch), workloads, process, backends, sweep, costs and
//! python, report. A module may use its own part, the parts below it, and
//! its own ancestors (a child using its parent's trait is not a loop).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each part's floor; a part may import parts on lower floors only.
const FLOORS: &[(&str, u32)] = &[
    ("error", 0),
    ("context", 0),
    ("interrupt", 0),
    ("machine", 0),
    ("scratch", 0),
    ("workloads", 1),
    ("process", 2),
    ("backends", 3),
    ("sweep", 4),
    ("costs", 5),
    ("python", 5),
    ("report", 6),
];

fn floor(part: &str) -> Option<u32> {
    FLOORS.iter().find(|(p, _)| *p == part).map(|&(_, f)| f)
}

/// Every module under `src/` (but the crate roots) by path (`report::pages::io`),
/// with its code: comments and the test module cut away.
fn modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    for entry in walkdir::WalkDir::new(&src) {
        let path = entry.unwrap().into_path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(&src).unwrap().with_extension("");
        let mut name = rel.to_string_lossy().replace('/', "::");
        if let Some(parent) = name.strip_suffix("::mod") {
            name = parent.to_string();
        }
        if name == "lib" || name == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| format!("{l}\n"))
            .collect();
        modules.insert(name, code);
    }
    modules
}

/// The deepest module `path` names, if any.
fn resolve<'m>(modules: &'m BTreeMap<String, String>, path: &str) -> Option<&'m String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len()).rev().find_map(|n| {
        modules
            .get_key_value(&parts[..n].join("::"))
            .map(|(k, _)| k)
    })
}

/// The paths `code` names with `crate::`, `super::` (resolved from
/// `module`) or a child module's own name, braces expanded one level.
fn named_paths(module: &str, code: &str, children: &[String]) -> Vec<String> {
    let mut paths = Vec::new();
    let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
    let mut push = |base: &str, rest: &str| {
        let rest = rest.trim_start_matches("::");
        let full = match (base, rest.is_empty()) {
            ("", _) => rest.to_string(),
            (b, true) => b.to_string(),
            (b, false) => format!("{b}::{rest}"),
        };
        paths.push(full);
    };
    for (prefix, base) in [("crate::", ""), ("super::", parent)] {
        for (i, _) in code.match_indices(prefix) {
            let before = code[..i].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &code[i + prefix.len()..];
            let head: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let after = &rest[head.len()..];
            if head.ends_with("::") && after.starts_with('{') {
                let inner = after[1..].split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    let item = item.trim().split([' ', ':']).next().unwrap_or("");
                    push(base, &format!("{head}{item}"));
                }
            } else {
                push(base, &head);
            }
        }
    }
    for child in children {
        let name = child.rsplit("::").next().unwrap();
        let used = code.lines().any(|l| {
            let l = l.trim_start();
            !l.starts_with("mod ")
                && !l.starts_with("pub mod ")
                && l.match_indices(&format!("{name}::")).any(|(i, _)| {
                    l[..i]
                        .chars()
                        .last()
                        .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'))
                })
        });
        if used {
            paths.push(child.clone());
        }
    }
    paths
}

/// Module -> the modules it imports, ancestors left out.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut graph = BTreeMap::new();
    for (module, code) in &modules {
        let children: Vec<String> = modules
            .keys()
            .filter(|k| {
                k.strip_prefix(&format!("{module}::"))
                    .is_some_and(|rest| !rest.contains("::"))
            })
            .cloned()
            .collect();
        let targets: BTreeSet<String> = named_paths(module, code, &children)
            .iter()
            .filter_map(|p| resolve(&modules, p))
            .filter(|t| *t != module && !module.starts_with(&format!("{t}::")))
            .cloned()
            .collect();
        graph.insert(module.clone(), targets);
    }
    graph
}

#[test]
fn parts_import_only_parts_below_them() {
    let mut upward = Vec::new();
    for (module, targets) in imports() {
        let part = module.split("::").next().unwrap();
        let from = floor(part).unwrap_or_else(|| panic!("{module}: part `{part}` has no floor"));
        for target in targets {
            let to_part = target.split("::").next().unwrap();
            let to = floor(to_part).unwrap();
            let basics = from == 0 && to == 0;
            if to_part != part && to >= from && !basics {
                upward.push(format!("{module} -> {target}"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that run up or sideways: {upward:#?}"
    );
}

#[test]
fn no_module_imports_itself_back() {
    let graph = imports();
    // Depth-first search for a path from a module back to itself.
    fn back_to(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if back_to(graph, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    for module in graph.keys() {
        let mut path = vec![module.clone()];
        let looped = back_to(&graph, module, module, &mut path, &mut BTreeSet::new());
        assert!(!looped, "an import loop: {}", path.join(" -> "));
    }
}

#[test]
fn the_checker_sees_imports_and_loops() {
    let graph = imports();
    let io = &graph["report::pages::io"];
    assert!(io.contains("report::pages::workload"), "{io:?}");
    assert!(io.contains("sweep::memory"), "{io:?}");
    assert!(graph["backends"].contains("backends::threads"));
    assert!(
        !graph["backends::threads"].contains("backends"),
        "ancestors are no loop"
    );
}
