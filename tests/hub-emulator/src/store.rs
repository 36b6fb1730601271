//! Content-addressed blob storage, keyed by sha256. Every file body (regular or LFS) lives here exactly once.
//!
//! Two backends:
//! - **memory** (no `--data-dir`): blobs are kept as the list of byte chunks they arrived in (hyper's buffers,
//!   never copied), so receiving a large LFS upload costs only the socket read and the sha256;
//! - **disk** (`--data-dir`): `blobs/ab/<sha256>` files, written through `tmp/` and renamed into place, so they
//!   survive restarts.
//!
//! With `--lfs-verify read` (a benchmark rig setting) an LFS upload is kept as *unchecked* (in memory, or its
//! file left in `tmp/`, so a restart forgets it) until its content is first read; [`BlobStore::check`] then
//! hashes it and either stores it as a blob or drops it and fails the read.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::util::{hex, is_sha256_hex};

/// A blob held in memory: its chunks in order.
pub struct MemBlob {
    pub chunks: Vec<Bytes>,
    pub len: u64,
}

impl MemBlob {
    pub fn new(chunks: Vec<Bytes>) -> MemBlob {
        let len = chunks.iter().map(|c| c.len() as u64).sum();
        MemBlob { chunks, len }
    }

    /// The bytes in `[start, end)` as zero-copy slices.
    pub fn slices(&self, start: u64, end: u64) -> Vec<Bytes> {
        let mut out = Vec::new();
        let mut pos = 0u64;
        for c in &self.chunks {
            let (c_start, c_end) = (pos, pos + c.len() as u64);
            pos = c_end;
            if c_end <= start || c_start >= end {
                continue;
            }
            let from = start.saturating_sub(c_start) as usize;
            let to = (end.min(c_end) - c_start) as usize;
            out.push(c.slice(from..to));
        }
        out
    }
}

/// A stored blob, ready to be read.
pub enum BlobReader {
    File(File),
    Mem(Arc<MemBlob>),
}

enum Backend {
    Disk { root: PathBuf },
    Mem { blobs: Mutex<HashMap<String, Arc<MemBlob>>> },
}

/// An upload whose sha256 has not been checked yet.
enum Unchecked {
    File(PathBuf),
    Mem(Arc<MemBlob>),
}

/// The error payload of a read that found stored content not matching its oid.
#[derive(Debug)]
pub struct BadDigest(pub String);

impl std::fmt::Display for BadDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadDigest {}

pub struct BlobStore {
    backend: Backend,
    counter: AtomicU64,
    unchecked: Mutex<HashMap<String, Unchecked>>,
    /// Serializes checks, so two readers of one unchecked object wait for one verdict.
    checking: Mutex<()>,
    /// Oids whose unchecked content turned out not to match (dropped).
    corrupt: Mutex<Vec<String>>,
}

impl BlobStore {
    pub fn open(data_dir: Option<&Path>) -> io::Result<BlobStore> {
        let backend = match data_dir {
            Some(d) => {
                fs::create_dir_all(d.join("blobs"))?;
                fs::create_dir_all(d.join("tmp"))?;
                // Partial uploads from a previous run are garbage.
                for e in fs::read_dir(d.join("tmp"))?.flatten() {
                    let _ = fs::remove_file(e.path());
                }
                Backend::Disk { root: d.to_path_buf() }
            }
            None => Backend::Mem { blobs: Mutex::new(HashMap::new()) },
        };
        Ok(BlobStore {
            backend,
            counter: AtomicU64::new(0),
            unchecked: Mutex::new(HashMap::new()),
            checking: Mutex::new(()),
            corrupt: Mutex::new(Vec::new()),
        })
    }

    pub fn is_memory(&self) -> bool {
        matches!(self.backend, Backend::Mem { .. })
    }

    fn mem(&self, sha256: &str) -> Option<Arc<MemBlob>> {
        match &self.backend {
            Backend::Mem { blobs } => blobs.lock().unwrap_or_else(|p| p.into_inner()).get(sha256).cloned(),
            Backend::Disk { .. } => None,
        }
    }

    /// Where blob `sha256` lives on disk. Anything that is not a sha256 (e.g. `../x` from a URL) maps to a path
    /// that never exists, so keys from requests cannot reach other files.
    fn path(root: &Path, sha256: &str) -> PathBuf {
        if !is_sha256_hex(sha256) {
            return root.join("blobs").join("invalid-key");
        }
        root.join("blobs").join(&sha256[..2]).join(sha256)
    }

    /// Size of the stored blob (checked or not), if present.
    pub fn size(&self, sha256: &str) -> Option<u64> {
        let stored = match &self.backend {
            Backend::Disk { root } => fs::metadata(Self::path(root, sha256)).ok().filter(|m| m.is_file()).map(|m| m.len()),
            Backend::Mem { .. } => self.mem(sha256).map(|b| b.len),
        };
        stored.or_else(|| match self.unchecked.lock().unwrap_or_else(|p| p.into_inner()).get(sha256)? {
            Unchecked::File(p) => fs::metadata(p).ok().map(|m| m.len()),
            Unchecked::Mem(b) => Some(b.len),
        })
    }

    /// Whether `sha256` names an upload whose content has not been checked yet.
    pub fn is_unchecked(&self, sha256: &str) -> bool {
        self.unchecked.lock().unwrap_or_else(|p| p.into_inner()).contains_key(sha256)
    }

    /// Keeps a received upload as `sha256` without hashing it (a temp file of the disk backend, or chunks).
    pub fn store_unchecked(&self, data: Received, sha256: &str) {
        if self.size(sha256).is_some() && !self.is_unchecked(sha256) {
            if let Received::File(p) = data {
                let _ = fs::remove_file(p);
            }
            return;
        }
        let entry = match data {
            Received::File(p) => Unchecked::File(p),
            Received::Mem(chunks) => Unchecked::Mem(Arc::new(MemBlob::new(chunks))),
        };
        if let Some(Unchecked::File(old)) = self.unchecked.lock().unwrap_or_else(|p| p.into_inner()).insert(sha256.into(), entry)
        {
            let _ = fs::remove_file(old);
        }
    }

    /// Hashes an unchecked upload of `sha256` (if there is one): a match becomes a blob; a mismatch is
    /// dropped, remembered in [`BlobStore::corrupt`], and answered with a [`BadDigest`] error.
    pub fn check(&self, sha256: &str) -> io::Result<()> {
        let _one = self.checking.lock().unwrap_or_else(|p| p.into_inner());
        let Some(entry) = self.unchecked.lock().unwrap_or_else(|p| p.into_inner()).remove(sha256) else {
            return Ok(());
        };
        let mut h = Sha256::new();
        let len = match &entry {
            Unchecked::Mem(b) => {
                b.chunks.iter().for_each(|c| h.update(c));
                b.len
            }
            Unchecked::File(p) => io::copy(&mut io::BufReader::with_capacity(1 << 20, File::open(p)?), &mut HashWriter(&mut h))?,
        };
        let actual = hex(&h.finalize());
        if actual == sha256 {
            return match entry {
                Unchecked::File(p) => self.commit_file(&p, sha256),
                Unchecked::Mem(b) => {
                    let chunks = Arc::try_unwrap(b).map(|b| b.chunks).unwrap_or_else(|b| b.chunks.clone());
                    self.commit_mem(chunks, sha256);
                    Ok(())
                }
            };
        }
        if let Unchecked::File(p) = entry {
            let _ = fs::remove_file(p);
        }
        self.corrupt.lock().unwrap_or_else(|p| p.into_inner()).push(sha256.to_string());
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            BadDigest(format!("The uploaded content ({len} bytes, sha256 {actual}) does not match the LFS object {sha256}")),
        ))
    }

    /// Oids of unchecked uploads that a check found corrupt, in the order found.
    pub fn corrupt(&self) -> Vec<String> {
        self.corrupt.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn contains(&self, sha256: &str) -> bool {
        self.size(sha256).is_some()
    }

    /// Stores `data` and returns its sha256.
    pub fn put(&self, data: &[u8]) -> io::Result<String> {
        let sha = hex(&Sha256::digest(data));
        if self.contains(&sha) {
            return Ok(sha);
        }
        match &self.backend {
            Backend::Disk { root } => {
                let tmp = self.temp_path(root);
                File::create(&tmp)?.write_all(data)?;
                self.commit_file(&tmp, &sha)?;
            }
            Backend::Mem { .. } => self.commit_mem(vec![Bytes::copy_from_slice(data)], &sha),
        }
        Ok(sha)
    }

    /// Reads at most `limit` bytes (for sniffing README/app files without loading big blobs).
    pub fn read_prefix(&self, sha256: &str, limit: u64) -> io::Result<Vec<u8>> {
        match self.reader(sha256)? {
            BlobReader::File(f) => {
                let mut out = Vec::new();
                f.take(limit).read_to_end(&mut out)?;
                Ok(out)
            }
            BlobReader::Mem(b) => Ok(b.slices(0, limit.min(b.len)).concat()),
        }
    }

    /// A reader of blob `sha256`; an unchecked upload is checked first.
    pub fn reader(&self, sha256: &str) -> io::Result<BlobReader> {
        self.check(sha256)?;
        match &self.backend {
            Backend::Disk { root } => Ok(BlobReader::File(File::open(Self::path(root, sha256))?)),
            Backend::Mem { .. } => {
                self.mem(sha256).map(BlobReader::Mem).ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "blob not found"))
            }
        }
    }

    /// A fresh, not yet created file under `tmp/` (disk backend only).
    pub fn new_temp_path(&self) -> Option<PathBuf> {
        match &self.backend {
            Backend::Disk { root } => Some(self.temp_path(root)),
            Backend::Mem { .. } => None,
        }
    }

    fn temp_path(&self, root: &Path) -> PathBuf {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        root.join("tmp").join(format!("upload-{}-{n}", std::process::id()))
    }

    /// Moves a finished temp file into place as blob `sha256` (a no-op if the blob already exists).
    pub fn commit_file(&self, tmp: &Path, sha256: &str) -> io::Result<()> {
        let Backend::Disk { root } = &self.backend else {
            return Err(io::Error::other("commit_file on the memory backend"));
        };
        let dest = Self::path(root, sha256);
        if dest.exists() {
            let _ = fs::remove_file(tmp);
            return Ok(());
        }
        fs::create_dir_all(dest.parent().expect("blob path has a parent"))?;
        fs::rename(tmp, dest)
    }

    /// Stores verified chunks as blob `sha256` (memory backend).
    pub fn commit_mem(&self, chunks: Vec<Bytes>, sha256: &str) {
        if let Backend::Mem { blobs } = &self.backend {
            blobs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(sha256.to_string())
                .or_insert_with(|| Arc::new(MemBlob::new(chunks)));
        }
    }
}

/// Where a received upload sits until its hash is checked.
pub enum Received {
    File(PathBuf),
    Mem(Vec<Bytes>),
}

/// Feeds what `io::copy` writes to a hasher.
struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_cover_ranges() {
        let b = MemBlob::new(vec![Bytes::from_static(b"abc"), Bytes::from_static(b"defg"), Bytes::from_static(b"h")]);
        assert_eq!(b.len, 8);
        assert_eq!(b.slices(0, 8).concat(), b"abcdefgh");
        assert_eq!(b.slices(2, 5).concat(), b"cde");
        assert_eq!(b.slices(7, 8).concat(), b"h");
        assert!(b.slices(3, 3).is_empty());
    }

    #[test]
    fn both_backends_store_and_read() {
        let dir = tempfile::tempdir().unwrap();
        for store in [BlobStore::open(None).unwrap(), BlobStore::open(Some(dir.path())).unwrap()] {
            let sha = store.put(b"hello").unwrap();
            assert_eq!(store.size(&sha), Some(5));
            assert_eq!(store.read_prefix(&sha, 3).unwrap(), b"hel");
            assert!(store.size("../../etc/passwd").is_none());
            assert!(store.reader(&"0".repeat(64)).is_err());
        }
    }
}
