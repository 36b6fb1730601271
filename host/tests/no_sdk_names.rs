//! The host knows no SDK: each SDK's knowledge lives in its plugin (issue 10). This fails when a built-in
//! SDK's name appears as a string literal in the host's code outside its tests. Allowed: the docker
//! CLI's program name (`dev --docker` runs the container engine, not an SDK), and documentation examples
//! of request bodies (OpenAPI `example`s and the JSON a bad request is shown).

use std::path::{Path, PathBuf};

const NAMES: [&str; 4] = ["\"docker\"", "\"gradio\"", "\"static\"", "\"streamlit\""];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn allowed(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("//") || t.starts_with("const ENGINE: &str = \"docker\";") || t.contains("example") || t.contains("r#\"{")
}

#[test]
fn the_host_names_no_built_in_sdk() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 10, "found only {} files under {}", files.len(), src.display());
    let mut hits = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests sit at the end of a file, after `#[cfg(test)]`.
        let logic = text.split("#[cfg(test)]").next().unwrap_or("");
        for (i, line) in logic.lines().enumerate() {
            if NAMES.iter().any(|n| line.contains(n)) && !allowed(line) {
                hits.push(format!("{}:{}: {}", file.strip_prefix(&src).unwrap().display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        hits.is_empty(),
        "built-in SDK names in the host's logic (move that knowledge into the plugin):\n{}",
        hits.join("\n")
    );
}
