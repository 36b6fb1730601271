//! Content ids (reference §3.7): git blob sha1 (`sha1("blob {len}\0" + bytes)`) for regular files, sha256
//! for LFS objects, and the LFS pointer. Files are hashed in one streaming pass with bounded memory.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Bytes of a file the Hub's preupload sees (`sample`).
pub const SAMPLE_LEN: usize = 512;
/// Read buffer for hashing.
const CHUNK: usize = 256 * 1024;

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Incremental git blob hasher; the size must be known up front (it is part of the header).
pub struct GitBlobHasher(Sha1);

impl GitBlobHasher {
    /// Starts a blob of `size` bytes.
    pub fn new(size: u64) -> GitBlobHasher {
        let mut h = Sha1::new();
        h.update(format!("blob {size}\0").as_bytes());
        GitBlobHasher(h)
    }
    /// Feeds content.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    /// The oid as hex.
    pub fn finish(self) -> String {
        hex(&self.0.finalize())
    }
}

/// `git hash-object` of some bytes.
pub fn git_blob_oid(data: &[u8]) -> String {
    let mut h = GitBlobHasher::new(data.len() as u64);
    h.update(data);
    h.finish()
}

/// sha256 as hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// The LFS pointer file git stores for an object.
pub fn lfs_pointer(sha256: &str, size: u64) -> String {
    format!("version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n")
}

/// What hashing a file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    /// Bytes hashed.
    pub size: u64,
    /// sha256 of the content.
    pub sha256: String,
    /// Git blob sha1, when asked for.
    pub git_oid: Option<String>,
    /// First ≤ 512 bytes.
    pub sample: Vec<u8>,
}

/// Hashes a file in one pass: sha256 always, the git sha1 too when `with_git_oid`. Fails if the file's
/// length changes while it is read (the oid would not describe what gets uploaded).
pub fn digest_file(path: &Path, with_git_oid: bool) -> io::Result<FileDigest> {
    let mut f = File::open(path)?;
    let size = f.metadata()?.len();
    let mut sha256 = Sha256::new();
    let mut sha1 = with_git_oid.then(|| GitBlobHasher::new(size));
    let mut sample = Vec::with_capacity(SAMPLE_LEN.min(size as usize));
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        if sample.len() < SAMPLE_LEN {
            let take = (SAMPLE_LEN - sample.len()).min(n);
            sample.extend_from_slice(&chunk[..take]);
        }
        sha256.update(chunk);
        if let Some(h) = &mut sha1 {
            h.update(chunk);
        }
        total += n as u64;
    }
    if total != size {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} changed while it was read ({size} bytes expected, {total} read)", path.display()),
        ));
    }
    Ok(FileDigest { size, sha256: hex(&sha256.finalize()), git_oid: sha1.map(GitBlobHasher::finish), sample })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_blob_oids_match_git_hash_object() {
        // Values from `printf '...' | git hash-object --stdin`.
        assert_eq!(git_blob_oid(b"Hello, World!"), "b45ef6fec89518d314f546fd6c3025367b721684");
        assert_eq!(git_blob_oid(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
        assert_eq!(git_blob_oid(b"hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
    }

    #[test]
    fn git_oid_matches_real_git_when_available() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.bin");
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let d = digest_file(&p, true).unwrap();
        assert_eq!(d.git_oid.as_deref(), Some(git_blob_oid(&data).as_str()));
        if let Ok(out) = std::process::Command::new("git").arg("hash-object").arg(&p).output()
            && out.status.success()
        {
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), d.git_oid.unwrap());
        }
    }

    #[test]
    fn streaming_digest_matches_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        let data: Vec<u8> = (0..(CHUNK * 3 + 17)).map(|i| (i % 256) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let d = digest_file(&p, false).unwrap();
        assert_eq!(d.sha256, sha256_hex(&data));
        assert_eq!(d.git_oid, None);
        assert_eq!(d.sample, data[..SAMPLE_LEN]);
        assert_eq!(d.size, data.len() as u64);
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn pointer_format() {
        assert_eq!(lfs_pointer("ab", 3), "version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 3\n");
    }
}
