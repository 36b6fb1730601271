//! Git and LFS hashing (reference §3.7) plus the HMAC used to sign Space JWTs.
//!
//! Object ids are real git ids: a blob oid is `sha1("blob {len}\0" + bytes)`, a directory oid is the sha1 of the
//! git tree object built from its entries, and a commit oid is the sha1 of a git commit object. Clients compare
//! these with what they compute locally, so they must be exact.

use std::collections::BTreeMap;

use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::util::hex;

pub fn git_blob_oid(data: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", data.len()).as_bytes());
    h.update(data);
    hex(&h.finalize())
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// The git-lfs pointer file that stands for an LFS object in the git tree.
pub fn lfs_pointer(sha256: &str, size: u64) -> String {
    format!("version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n")
}

/// One file of a tree as far as hashing is concerned: its path and its git blob oid.
pub struct TreeInput<'a> {
    pub path: &'a str,
    pub oid: &'a str,
}

/// Computes the root tree oid and the oid of every directory (keyed by its path, without trailing slash).
pub fn tree_oids<'a>(files: impl IntoIterator<Item = TreeInput<'a>>) -> (String, BTreeMap<String, String>) {
    #[derive(Default)]
    struct Dir<'a> {
        files: BTreeMap<&'a str, &'a str>,
        dirs: BTreeMap<&'a str, Dir<'a>>,
    }
    let mut root = Dir::default();
    for f in files {
        let mut node = &mut root;
        let mut parts: Vec<&str> = f.path.split('/').collect();
        let name = parts.pop().unwrap_or_default();
        for p in parts {
            node = node.dirs.entry(p).or_default();
        }
        node.files.insert(name, f.oid);
    }
    fn hash_dir(dir: &Dir<'_>, path: &str, out: &mut BTreeMap<String, String>) -> String {
        // Git sorts tree entries by name, comparing directory names as if they ended with '/'.
        let mut entries: Vec<(Vec<u8>, &str, &str, String)> = Vec::new();
        for (name, oid) in &dir.files {
            entries.push((name.as_bytes().to_vec(), "100644", name, (*oid).to_string()));
        }
        for (name, sub) in &dir.dirs {
            let sub_path = if path.is_empty() { (*name).to_string() } else { format!("{path}/{name}") };
            let oid = hash_dir(sub, &sub_path, out);
            let mut key = name.as_bytes().to_vec();
            key.push(b'/');
            entries.push((key, "40000", name, oid));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut body = Vec::new();
        for (_, mode, name, oid) in &entries {
            body.extend_from_slice(mode.as_bytes());
            body.push(b' ');
            body.extend_from_slice(name.as_bytes());
            body.push(0);
            body.extend_from_slice(&unhex(oid));
        }
        let mut h = Sha1::new();
        h.update(format!("tree {}\0", body.len()).as_bytes());
        h.update(&body);
        let oid = hex(&h.finalize());
        if !path.is_empty() {
            out.insert(path.to_string(), oid.clone());
        }
        oid
    }
    let mut dirs = BTreeMap::new();
    let root_oid = hash_dir(&root, "", &mut dirs);
    (root_oid, dirs)
}

/// A git commit object id for the given tree, parents, author and message.
pub fn commit_oid(tree: &str, parents: &[String], author: &str, time_ms: u64, message: &str) -> String {
    let secs = time_ms / 1000;
    let mut body = format!("tree {tree}\n");
    for p in parents {
        body.push_str(&format!("parent {p}\n"));
    }
    body.push_str(&format!("author {author} <{author}@users.noreply.huggingface.co> {secs} +0000\n"));
    body.push_str(&format!("committer {author} <{author}@users.noreply.huggingface.co> {secs} +0000\n\n"));
    body.push_str(message);
    if !message.ends_with('\n') {
        body.push('\n');
    }
    let mut h = Sha1::new();
    h.update(format!("commit {}\0", body.len()).as_bytes());
    h.update(body.as_bytes());
    hex(&h.finalize())
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap_or(0)).collect()
}

pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_oid_matches_git() {
        assert_eq!(git_blob_oid(b"Hello, World!"), "b45ef6fec89518d314f546fd6c3025367b721684");
        assert_eq!(git_blob_oid(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }

    #[test]
    fn tree_oid_matches_git() {
        // Checked with `git write-tree`: note "d-e" sorts before the directory "d" (compared as "d/").
        let empty = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";
        let (root, dirs) = tree_oids([
            TreeInput { path: "a.txt", oid: "b45ef6fec89518d314f546fd6c3025367b721684" },
            TreeInput { path: "d/x", oid: empty },
            TreeInput { path: "d/e/y", oid: empty },
            TreeInput { path: "d-e", oid: "c1b0730e0133447badcfd47fd144e254807b06e1" },
        ]);
        assert_eq!(root, "09fe03f4c1e3288dbe0bf1d75dab4d5ea6a2bf8d");
        assert_eq!(dirs["d"], "7143a1ccb3f03fa079d91c713f17f2b1820655a9");
        assert!(dirs.contains_key("d/e"));
        let (empty_tree, _) = tree_oids(std::iter::empty());
        assert_eq!(empty_tree, "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
    }

    #[test]
    fn hmac_known_vector() {
        // RFC 4231 test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex(&mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
