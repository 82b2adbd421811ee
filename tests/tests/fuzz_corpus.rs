//! Replays every committed fuzz corpus (seeds and crash regressions) through
//! the same target bodies the fuzzers run, on stable Rust, so CI guards them.

#[path = "../../fuzz/src/targets.rs"]
#[allow(unused)]
mod targets;

use std::path::PathBuf;

#[test]
fn every_fuzz_corpus_replays_without_failure() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut total = 0;
    for (name, target) in targets::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus for {name} missing at {}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "empty corpus for {name}");
        for f in &files {
            let data = std::fs::read(f).unwrap();
            target(&data);
        }
        println!("{name}: {} inputs", files.len());
        total += files.len();
    }
    // Every target binary exists for every listed target, and vice versa.
    let bins = std::fs::read_dir(root.join("../fuzz_targets"))
        .unwrap()
        .count();
    assert_eq!(bins, targets::TARGETS.len());
    println!("{total} corpus inputs replayed");
}
