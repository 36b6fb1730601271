//! The commit body (reference §3.2) as a stream: a header line, then one JSON line per operation. Inline
//! files are read from disk and base64-encoded chunk by chunk while the request is sent, so memory stays
//! bounded however many files a commit holds; the exact `Content-Length` is known up front because base64
//! and JSON lengths depend only on sizes and paths.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::json;

use crate::error::{ErrorKind, HubError};
use crate::hash::GitBlobHasher;
use crate::types::{CommitOp, CommitRequest, FileSource};

/// Raw bytes read per step; a multiple of 3 so each chunk encodes without padding.
const RAW_CHUNK: usize = 3 * 16 * 1024;

enum Segment {
    Bytes(Vec<u8>),
    /// `prefix` + base64(file) + `suffix`.
    File {
        prefix: Vec<u8>,
        abs: PathBuf,
        size: u64,
        git_oid: Option<String>,
        suffix: Vec<u8>,
        path: String,
    },
}

impl Segment {
    fn len(&self) -> u64 {
        match self {
            Segment::Bytes(b) => b.len() as u64,
            Segment::File { prefix, size, suffix, .. } => prefix.len() as u64 + size.div_ceil(3) * 4 + suffix.len() as u64,
        }
    }
}

/// A prepared commit body; [`CommitBody::reader`] can be called once per attempt.
pub(crate) struct CommitBody {
    segments: Vec<Segment>,
    len: u64,
    /// Set by a reader that found a file changed since planning (the request is then aborted).
    pub failure: Mutex<Option<HubError>>,
}

fn line(key: &str, value: serde_json::Value) -> Vec<u8> {
    let mut v = serde_json::to_vec(&json!({ "key": key, "value": value })).expect("serialisable");
    v.push(b'\n');
    v
}

impl CommitBody {
    /// Lays out the lines of `commit`.
    pub fn new(commit: &CommitRequest) -> CommitBody {
        let mut header = json!({ "summary": commit.summary, "description": commit.description });
        if let Some(p) = &commit.parent_commit {
            header["parentCommit"] = json!(p);
        }
        let mut segments = vec![Segment::Bytes(line("header", header))];
        for op in &commit.ops {
            segments.push(match op {
                CommitOp::File { path, source: FileSource::Bytes(data) } => {
                    Segment::Bytes(line("file", json!({ "path": path, "encoding": "base64", "content": B64.encode(data) })))
                }
                CommitOp::File { path, source: FileSource::Path { abs, size, git_oid } } => {
                    // Serialise with a marker, then split around it: exact JSON escaping of the path for free.
                    let marker = "\u{1}CONTENT\u{1}";
                    let full = line("file", json!({ "path": path, "encoding": "base64", "content": marker }));
                    let text = String::from_utf8(full).expect("JSON is UTF-8");
                    let escaped = "\\u0001CONTENT\\u0001";
                    let (pre, post) = text.split_once(escaped).expect("marker present");
                    Segment::File {
                        prefix: pre.as_bytes().to_vec(),
                        abs: abs.clone(),
                        size: *size,
                        git_oid: git_oid.clone(),
                        suffix: post.as_bytes().to_vec(),
                        path: path.clone(),
                    }
                }
                CommitOp::LfsFile { path, oid, size } => {
                    Segment::Bytes(line("lfsFile", json!({ "path": path, "algo": "sha256", "oid": oid, "size": size })))
                }
                CommitOp::DeleteFile { path } => Segment::Bytes(line("deletedFile", json!({ "path": path }))),
                CommitOp::DeleteFolder { path } => {
                    Segment::Bytes(line("deletedFolder", json!({ "path": path.trim_end_matches('/') })))
                }
            });
        }
        let len = segments.iter().map(Segment::len).sum();
        CommitBody { segments, len, failure: Mutex::new(None) }
    }

    /// Exact body length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// A fresh reader over the whole body.
    pub fn reader(&self) -> BodyReader<'_> {
        BodyReader { body: self, seg: 0, out: Vec::new(), pos: 0, file: None }
    }

    fn fail(&self, e: HubError) -> io::Error {
        let msg = e.to_string();
        *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
        io::Error::new(io::ErrorKind::InvalidData, msg)
    }
}

struct OpenFile {
    f: File,
    remaining: u64,
    hasher: Option<GitBlobHasher>,
}

/// Streams a [`CommitBody`].
pub(crate) struct BodyReader<'a> {
    body: &'a CommitBody,
    seg: usize,
    out: Vec<u8>,
    pos: usize,
    file: Option<OpenFile>,
}

impl BodyReader<'_> {
    /// Refills `out` with the next piece; false at the end.
    fn refill(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.pos = 0;
        let Some(seg) = self.body.segments.get(self.seg) else { return Ok(false) };
        match seg {
            Segment::Bytes(b) => {
                self.out.extend_from_slice(b);
                self.seg += 1;
                Ok(true)
            }
            Segment::File { prefix, abs, size, git_oid, suffix, path } => {
                let Some(open) = &mut self.file else {
                    let f = File::open(abs).map_err(|e| {
                        self.body.fail(
                            HubError::new(ErrorKind::LocalIo, format!("read {}", abs.display()), e.to_string())
                                .with_hint("check the file still exists and is readable"),
                        )
                    })?;
                    self.file =
                        Some(OpenFile { f, remaining: *size, hasher: git_oid.as_ref().map(|_| GitBlobHasher::new(*size)) });
                    self.out.extend_from_slice(prefix);
                    return Ok(true);
                };
                if open.remaining == 0 {
                    let mut extra = [0u8; 1];
                    let grew = open.f.read(&mut extra)? > 0;
                    let hasher = self.file.take().and_then(|o| o.hasher);
                    let oid = hasher.map(GitBlobHasher::finish);
                    if grew || oid.as_ref() != git_oid.as_ref() {
                        return Err(self.body.fail(changed(path)));
                    }
                    self.out.extend_from_slice(suffix);
                    self.seg += 1;
                    return Ok(true);
                }
                let want = (open.remaining as usize).min(RAW_CHUNK);
                let mut raw = vec![0u8; want];
                let mut got = 0;
                while got < want {
                    match open.f.read(&mut raw[got..]) {
                        Ok(0) => return Err(self.body.fail(changed(path))),
                        Ok(n) => got += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
                open.remaining -= want as u64;
                if let Some(h) = &mut open.hasher {
                    h.update(&raw);
                }
                self.out.extend_from_slice(B64.encode(&raw).as_bytes());
                Ok(true)
            }
        }
    }
}

fn changed(path: &str) -> HubError {
    HubError::new(ErrorKind::FileChanged, format!("upload {path}"), "the file changed after the upload was planned")
        .with_hint("nothing was committed; run the command again once the files are stable")
}

impl Read for BodyReader<'_> {
    /// Fills `buf` as far as the body goes: the HTTP client sends each read as it comes, so handing back
    /// one small line (or a line's prefix) at a time would cost a syscall and a packet per piece.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            if self.pos >= self.out.len() {
                if !self.refill()? {
                    break;
                }
                continue;
            }
            let k = (buf.len() - n).min(self.out.len() - self.pos);
            buf[n..n + k].copy_from_slice(&self.out[self.pos..self.pos + k]);
            self.pos += k;
            n += k;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::git_blob_oid;

    fn read_all(body: &CommitBody) -> io::Result<Vec<u8>> {
        let mut v = Vec::new();
        body.reader().read_to_end(&mut v)?;
        Ok(v)
    }

    #[test]
    fn streams_exact_length_and_valid_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.txt");
        let data: Vec<u8> = (0..(RAW_CHUNK * 2 + 5)).map(|i| b'a' + (i % 26) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let commit = CommitRequest {
            summary: "s \"quoted\"".into(),
            description: String::new(),
            parent_commit: Some("abc".into()),
            create_pr: false,
            ops: vec![
                CommitOp::File {
                    path: "dir/ü \"x\".txt".into(),
                    source: FileSource::Path { abs: p.clone(), size: data.len() as u64, git_oid: Some(git_blob_oid(&data)) },
                },
                CommitOp::File { path: "small".into(), source: FileSource::Bytes(b"hi".to_vec()) },
                CommitOp::LfsFile { path: "m.bin".into(), oid: "0".repeat(64), size: 9 },
                CommitOp::DeleteFile { path: "old".into() },
                CommitOp::DeleteFolder { path: "olddir/".into() },
            ],
        };
        let body = CommitBody::new(&commit);
        let bytes = read_all(&body).unwrap();
        assert_eq!(bytes.len() as u64, body.len());
        let lines: Vec<serde_json::Value> =
            bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).unwrap()).collect();
        assert_eq!(lines.len(), 6);
        assert_eq!(lines[0]["value"]["parentCommit"], "abc");
        assert_eq!(lines[1]["value"]["path"], "dir/ü \"x\".txt");
        assert_eq!(B64.decode(lines[1]["value"]["content"].as_str().unwrap()).unwrap(), data);
        assert_eq!(lines[2]["value"]["content"], "aGk=");
        assert_eq!(lines[3]["key"], "lfsFile");
        assert_eq!(lines[5]["value"]["path"], "olddir");
        // A second reader (a retry) yields the same bytes.
        assert_eq!(read_all(&body).unwrap(), bytes);
    }

    #[test]
    fn reads_fill_the_callers_buffer() {
        // Many small lines: each read hands over as much as asked, not one line (or piece) at a time.
        let dir = tempfile::tempdir().unwrap();
        let mut ops = Vec::new();
        for i in 0..200 {
            let p = dir.path().join(format!("f{i}"));
            let data = format!("file {i}\n");
            std::fs::write(&p, &data).unwrap();
            let source = FileSource::Path { abs: p, size: data.len() as u64, git_oid: Some(git_blob_oid(data.as_bytes())) };
            ops.push(CommitOp::File { path: format!("f{i}"), source });
        }
        let commit =
            CommitRequest { summary: "s".into(), description: String::new(), parent_commit: None, create_pr: false, ops };
        let body = CommitBody::new(&commit);
        let mut reader = body.reader();
        let mut buf = vec![0u8; 4096];
        let mut sizes = Vec::new();
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            sizes.push(n);
        }
        assert_eq!(sizes.iter().sum::<usize>() as u64, body.len());
        let (last, full) = sizes.split_last().unwrap();
        assert!(full.iter().all(|n| *n == buf.len()) && *last <= buf.len(), "{sizes:?}");
        assert!(sizes.len() as u64 == body.len().div_ceil(buf.len() as u64));
    }

    #[test]
    fn changed_file_aborts_the_body() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"new content").unwrap();
        let commit = CommitRequest {
            summary: "s".into(),
            description: String::new(),
            parent_commit: None,
            create_pr: false,
            ops: vec![CommitOp::File {
                path: "f".into(),
                source: FileSource::Path { abs: p, size: 11, git_oid: Some(git_blob_oid(b"old content")) },
            }],
        };
        let body = CommitBody::new(&commit);
        assert!(read_all(&body).is_err());
        assert_eq!(body.failure.lock().unwrap().as_ref().unwrap().code(), "FILE_CHANGED");
    }
}
