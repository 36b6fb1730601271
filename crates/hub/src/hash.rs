//! Content ids (reference §3.7): git blob sha1 (`sha1("blob {len}\0" + bytes)`) for regular files, sha256
//! for LFS objects, and the LFS pointer. Files are hashed in one streaming pass with bounded memory.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::mpsc;

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

/// [`digest_file`] of bytes already in memory (a file the caller read whole).
pub fn digest_bytes(data: &[u8], with_git_oid: bool) -> FileDigest {
    FileDigest {
        size: data.len() as u64,
        sha256: sha256_hex(data),
        git_oid: with_git_oid.then(|| git_blob_oid(data)),
        sample: data[..data.len().min(SAMPLE_LEN)].to_vec(),
    }
}

/// Files at least this big are read by a second thread while this one hashes (double buffering), so
/// hashing never waits for `read`.
const PIPELINE_MIN: u64 = 8 << 20;
/// Buffer size of the reading thread, and how many buffers are in flight (bounded memory: 4 MiB).
const PIPE_CHUNK: usize = 1 << 20;
const PIPE_DEPTH: usize = 4;

/// The running digests of one file.
struct Digester {
    sha256: Sha256,
    sha1: Option<GitBlobHasher>,
    sample: Vec<u8>,
    total: u64,
}

impl Digester {
    fn new(size: u64, with_git_oid: bool) -> Digester {
        Digester {
            sha256: Sha256::new(),
            sha1: with_git_oid.then(|| GitBlobHasher::new(size)),
            sample: Vec::with_capacity(SAMPLE_LEN.min(size as usize)),
            total: 0,
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        if self.sample.len() < SAMPLE_LEN {
            let take = (SAMPLE_LEN - self.sample.len()).min(chunk.len());
            self.sample.extend_from_slice(&chunk[..take]);
        }
        self.sha256.update(chunk);
        if let Some(h) = &mut self.sha1 {
            h.update(chunk);
        }
        self.total += chunk.len() as u64;
    }

    fn finish(self, path: &Path, size: u64) -> io::Result<FileDigest> {
        if self.total != size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} changed while it was read ({size} bytes expected, {} read)", path.display(), self.total),
            ));
        }
        Ok(FileDigest {
            size,
            sha256: hex(&self.sha256.finalize()),
            git_oid: self.sha1.map(GitBlobHasher::finish),
            sample: self.sample,
        })
    }
}

/// Reads until `buf` is full or the file ends.
fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Hashes a file in one pass: sha256 always, the git sha1 too when `with_git_oid`. Fails if the file's
/// length changes while it is read (the oid would not describe what gets uploaded).
pub fn digest_file(path: &Path, with_git_oid: bool) -> io::Result<FileDigest> {
    let mut f = File::open(path)?;
    let size = f.metadata()?.len();
    let mut d = Digester::new(size, with_git_oid);
    if size >= PIPELINE_MIN {
        digest_pipelined(f, &mut d)?;
        return d.finish(path, size);
    }
    // Sized to the file: most files of a Space are small, and zeroing a full chunk per file would cost
    // more than hashing them. One spare byte lets the first read reach the end.
    let mut buf = vec![0u8; (size.min(CHUNK as u64) as usize + 1).min(CHUNK)];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => d.feed(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    d.finish(path, size)
}

/// A reading thread fills buffers while the caller's thread hashes the previous ones.
fn digest_pipelined(mut f: File, d: &mut Digester) -> io::Result<()> {
    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<(Vec<u8>, usize)>>(PIPE_DEPTH);
    let (free_tx, free_rx) = mpsc::sync_channel::<Vec<u8>>(PIPE_DEPTH);
    for _ in 0..PIPE_DEPTH {
        free_tx.send(vec![0u8; PIPE_CHUNK]).expect("room for every buffer");
    }
    std::thread::scope(|s| {
        s.spawn(move || {
            // Ends at the end of the file, on an error, or when the hashing side hangs up.
            while let Ok(mut buf) = free_rx.recv() {
                match read_full(&mut f, &mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if full_tx.send(Ok((buf, n))).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = full_tx.send(Err(e));
                        break;
                    }
                }
            }
        });
        for msg in full_rx.iter() {
            let (buf, n) = msg?;
            d.feed(&buf[..n]);
            // The reader may have finished already: a buffer it will not need is simply dropped.
            let _ = free_tx.send(buf);
        }
        Ok(())
    })
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
    fn digest_of_bytes_matches_digest_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        for len in [0usize, 1, SAMPLE_LEN, SAMPLE_LEN + 1, CHUNK + 3] {
            let p = dir.path().join(format!("f{len}"));
            let data: Vec<u8> = (0..len).map(|i| (i * 13 % 256) as u8).collect();
            std::fs::write(&p, &data).unwrap();
            assert_eq!(digest_bytes(&data, true), digest_file(&p, true).unwrap(), "{len} bytes");
            assert_eq!(digest_bytes(&data, false), digest_file(&p, false).unwrap(), "{len} bytes");
        }
    }

    #[test]
    fn big_files_hash_the_same_through_the_reading_thread() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        let data: Vec<u8> = (0..(PIPELINE_MIN as usize + PIPE_CHUNK * 2 + 777)).map(|i| (i * 31 % 256) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let d = digest_file(&p, true).unwrap();
        assert_eq!(d, digest_bytes(&data, true));
        assert_eq!(d.sha256, sha256_hex(&data));
    }

    #[test]
    fn pointer_format() {
        assert_eq!(lfs_pointer("ab", 3), "version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 3\n");
    }
}
