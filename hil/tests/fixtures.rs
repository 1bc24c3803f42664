//! The golden fixtures of `readers/tests/fixtures` are what the pinned peers produce today:
//! regenerate them into a temporary folder and compare byte for byte.

use std::path::{Path, PathBuf};

use depot_hil::{peers_python, workspace_root};

/// The data files under `root`, as paths relative to it.
fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "bin" || x == "json") {
                out.push(p.strip_prefix(root).unwrap().to_owned());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn fixtures_are_what_the_peers_produce() {
    let committed = workspace_root().join("readers/tests/fixtures");
    let fresh = std::env::temp_dir().join(format!("depot-fixtures-{}", std::process::id()));
    let status = std::process::Command::new(peers_python())
        .arg(committed.join("generate.py"))
        .arg(&fresh)
        .status()
        .expect("run the fixture generator");
    assert!(status.success(), "generator failed");
    let names = files(&committed);
    assert_eq!(names, files(&fresh), "the same files");
    assert!(names.len() >= 20, "{names:?}");
    for name in &names {
        let a = std::fs::read(committed.join(name)).unwrap();
        let b = std::fs::read(fresh.join(name)).unwrap();
        assert!(
            a == b,
            "{} differs from what the peers produce now",
            name.display()
        );
    }
    std::fs::remove_dir_all(&fresh).unwrap();
}
