//! Embeds every definition file under `schemas/` so the binary carries its own message
//! definitions; a new release is a new folder there, picked up without code changes.

use std::{env, fs, path::Path};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    println!("cargo:rerun-if-changed=schemas");
    // sqlx::migrate! embeds migrations/ at compile time.
    println!("cargo:rerun-if-changed=migrations");
    let mut entries = Vec::new();
    if let Ok(dirs) = fs::read_dir(&root) {
        for dir in dirs.flatten() {
            let dir_path = dir.path();
            if !dir_path.is_dir() {
                continue;
            }
            println!("cargo:rerun-if-changed={}", dir_path.display());
            for file in fs::read_dir(&dir_path).into_iter().flatten().flatten() {
                let p = file.path();
                if p.extension().and_then(|e| e.to_str()) == Some("def") {
                    println!("cargo:rerun-if-changed={}", p.display());
                    let rel = p
                        .strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    entries.push((rel, p.display().to_string()));
                }
            }
        }
    }
    entries.sort();
    let mut out = String::from("/// (relative path, contents) of every embedded definition file.\npub const EMBEDDED: &[(&str, &str)] = &[\n");
    for (rel, abs) in entries {
        out.push_str(&format!("    ({rel:?}, include_str!({abs:?})),\n"));
    }
    out.push_str("];\n");
    fs::write(
        Path::new(&env::var("OUT_DIR").unwrap()).join("embedded_schemas.rs"),
        out,
    )
    .unwrap();
}
