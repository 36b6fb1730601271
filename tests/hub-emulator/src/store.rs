//! Content-addressed blob storage, keyed by sha256. Every file body (regular or LFS) lives here exactly once.
//!
//! Two backends:
//! - **memory** (no `--data-dir`): blobs are kept as the list of byte chunks they arrived in (hyper's buffers,
//!   never copied), so receiving a large LFS upload costs only the socket read and the sha256;
//! - **disk** (`--data-dir`): `blobs/ab/<sha256>` files, written through `tmp/` and renamed into place, so they
//!   survive restarts.

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

pub struct BlobStore {
    backend: Backend,
    counter: AtomicU64,
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
        Ok(BlobStore { backend, counter: AtomicU64::new(0) })
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

    /// Size of the stored blob, if present.
    pub fn size(&self, sha256: &str) -> Option<u64> {
        match &self.backend {
            Backend::Disk { root } => fs::metadata(Self::path(root, sha256)).ok().filter(|m| m.is_file()).map(|m| m.len()),
            Backend::Mem { .. } => self.mem(sha256).map(|b| b.len),
        }
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

    pub fn reader(&self, sha256: &str) -> io::Result<BlobReader> {
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
