//! Writes the protocol test vectors into `tests/vectors/` (docs/PROTOCOL.md
//! §13): `cargo run -p qorgan-tests --bin gen-vectors`.
//!
//! Every vector file is rewritten (the generator is deterministic, so an
//! unchanged protocol gives unchanged files). Fixtures of old state versions
//! (`tests/vectors/fixtures/`) are written only if they do not exist yet and
//! are never overwritten; the store fixture (`fixtures/store-v{N}.sqlite`,
//! `-peer.sqlite`, `.json`) is made only when none of its files exists.
//!
//! `--dry-run` generates everything and reports what would be written,
//! writing nothing.

use std::path::PathBuf;

use qorgan_tests::vectors::store_fixture::{store_db_fixture, store_db_fixture_files};
use qorgan_tests::vectors::{generate, generate_fixtures, render};

fn main() -> std::io::Result<()> {
    let dry_run = std::env::args().any(|a| a == "--dry-run");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors");
    for (name, value) in generate() {
        let path = dir.join(&name);
        let text = render(&value);
        let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == text);
        if dry_run {
            println!(
                "{} {} ({} bytes)",
                if unchanged { "unchanged" } else { "differs  " },
                path.display(),
                text.len()
            );
            continue;
        }
        std::fs::write(&path, &text)?;
        println!(
            "{} {} ({} bytes)",
            if unchanged { "unchanged" } else { "wrote    " },
            path.display(),
            text.len()
        );
    }
    for (name, value) in generate_fixtures() {
        let path = dir.join(&name);
        if path.exists() {
            println!(
                "kept      {} (fixtures are never overwritten)",
                path.display()
            );
            continue;
        }
        if dry_run {
            println!("missing   {} (would be created)", path.display());
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let text = render(&value);
        // create_new: never replace a fixture, even one created meanwhile.
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        f.write_all(text.as_bytes())?;
        println!("created   {} ({} bytes)", path.display(), text.len());
    }
    // The store fixture (two SQLite files and their description): made only
    // when none of its files exists, all three at once.
    let names = store_db_fixture_files(qorgan_store::SCHEMA_VERSION);
    let paths: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    let present = paths.iter().filter(|p| p.exists()).count();
    if present == paths.len() {
        for p in &paths {
            println!("kept      {} (fixtures are never overwritten)", p.display());
        }
    } else if present > 0 {
        return Err(std::io::Error::other(format!(
            "only {present} of the {} store fixture files exist: restore the others from git \
             (fixtures are never regenerated one by one)",
            paths.len()
        )));
    } else if dry_run {
        for p in &paths {
            println!("missing   {} (would be created)", p.display());
        }
    } else {
        use std::io::Write;
        for (p, bytes) in paths.iter().zip(store_db_fixture()) {
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(p)?;
            f.write_all(&bytes)?;
            println!("created   {} ({} bytes)", p.display(), bytes.len());
        }
    }
    Ok(())
}
