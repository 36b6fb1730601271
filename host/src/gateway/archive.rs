//! Project archives in and out of the gateway: `.tar.gz` and `.zip` uploads are checked whole before a
//! byte is written (no `..`, no absolute path, no link, no device, bounded size and count), then unpacked
//! into a fresh temporary directory that the caller owns; a project goes out as `.tar.gz`.

use std::io::{Read, Write};
use std::path::{Component, Path};

use crate::error::{AppError, ErrorCode};

/// Bounds on what an upload may unpack to, so a small archive cannot fill the disk.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_files: usize,
    pub max_total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_files: 20_000, max_total_bytes: 512 << 20 }
    }
}

/// One regular file of an archive, checked.
struct Entry {
    path: String,
    data: Vec<u8>,
    executable: bool,
}

fn bad(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::BadArchive, message)
        .hint("Send the project as a .tar.gz or .zip of regular files and folders, with paths relative to the project root.")
}

fn unsafe_entry(name: &str, why: &str) -> AppError {
    AppError::new(ErrorCode::UnsafeArchive, format!("archive entry {name:?} {why}; nothing was unpacked"))
        .hint("Archive the project from inside its directory (e.g. `tar czf project.tgz -C DIR .`), without links.")
}

/// A project-relative `/`-separated path, or why the entry name is refused.
fn clean_path(name: &str) -> Result<Option<String>, AppError> {
    if name.contains('\0') {
        return Err(unsafe_entry(name, "has a NUL byte in its name"));
    }
    if name.starts_with('/') || name.starts_with('\\') || name.get(1..3) == Some(":\\") || name.get(1..3) == Some(":/") {
        return Err(unsafe_entry(name, "is an absolute path"));
    }
    let mut parts = Vec::new();
    for c in Path::new(&name.replace('\\', "/")).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => return Err(unsafe_entry(name, "climbs out of the project with `..`")),
            Component::RootDir | Component::Prefix(_) => return Err(unsafe_entry(name, "is an absolute path")),
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join("/")))
}

struct Budget {
    limits: Limits,
    files: usize,
    bytes: u64,
}

impl Budget {
    fn take(&mut self, name: &str, size: u64) -> Result<(), AppError> {
        self.files += 1;
        self.bytes = self.bytes.saturating_add(size);
        if self.files > self.limits.max_files {
            return Err(bad(format!("the archive holds more than {} files", self.limits.max_files)));
        }
        if self.bytes > self.limits.max_total_bytes {
            return Err(bad(format!("the archive unpacks to more than {} MiB (at {name:?})", self.limits.max_total_bytes >> 20)));
        }
        Ok(())
    }
}

fn read_tar_gz(bytes: &[u8], limits: Limits) -> Result<Vec<Entry>, AppError> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut budget = Budget { limits, files: 0, bytes: 0 };
    let mut out = Vec::new();
    let entries = archive.entries().map_err(|e| bad(format!("not a readable .tar.gz: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(format!("not a readable .tar.gz: {e}")))?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        // Checked before the type, so `../x` is refused whatever it is.
        let path = clean_path(&name)?;
        if kind.is_dir() {
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(unsafe_entry(&name, "is a link"));
        }
        if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() || kind.is_gnu_longname() {
            continue;
        }
        if !kind.is_file() {
            return Err(unsafe_entry(&name, "is not a regular file (device, fifo or other special file)"));
        }
        let Some(path) = path else { continue };
        let size = entry.header().size().unwrap_or(0);
        budget.take(&name, size)?;
        let executable = entry.header().mode().is_ok_and(|m| m & 0o111 != 0);
        let mut data = Vec::with_capacity(size.min(1 << 20) as usize);
        entry
            .by_ref()
            .take(limits.max_total_bytes + 1)
            .read_to_end(&mut data)
            .map_err(|e| bad(format!("not a readable .tar.gz: {e} (at {name:?})")))?;
        out.push(Entry { path, data, executable });
    }
    Ok(out)
}

fn read_zip(bytes: &[u8], limits: Limits) -> Result<Vec<Entry>, AppError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| bad(format!("not a readable .zip: {e}")))?;
    let mut budget = Budget { limits, files: 0, bytes: 0 };
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(|e| bad(format!("not a readable .zip: {e}")))?;
        let name = file.name().to_string();
        let path = clean_path(&name)?;
        // Unix mode bits, when the archiver recorded them: 0o120000 is a symlink.
        let mode = file.unix_mode();
        if mode.is_some_and(|m| m & 0o170000 == 0o120000) {
            return Err(unsafe_entry(&name, "is a link"));
        }
        if file.is_dir() {
            continue;
        }
        if mode.is_some_and(|m| m & 0o170000 != 0o100000 && m & 0o170000 != 0) {
            return Err(unsafe_entry(&name, "is not a regular file (device, fifo or other special file)"));
        }
        let Some(path) = path else { continue };
        budget.take(&name, file.size())?;
        let executable = mode.is_some_and(|m| m & 0o111 != 0);
        let mut data = Vec::with_capacity(file.size().min(1 << 20) as usize);
        (&mut file)
            .take(limits.max_total_bytes + 1)
            .read_to_end(&mut data)
            .map_err(|e| bad(format!("not a readable .zip: {e} (at {name:?})")))?;
        out.push(Entry { path, data, executable });
    }
    Ok(out)
}

/// Checks a whole `.tar.gz` or `.zip` (told apart by their first bytes), then writes its files under `dest`,
/// which must be an empty directory the caller created. On any error nothing has been written.
pub fn unpack(bytes: &[u8], dest: &Path, limits: Limits) -> Result<usize, AppError> {
    let entries = if bytes.starts_with(&[0x1f, 0x8b]) {
        read_tar_gz(bytes, limits)?
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        read_zip(bytes, limits)?
    } else if bytes.is_empty() {
        return Err(bad("the request has no body: send the project archive"));
    } else {
        return Err(bad("the body is neither a .tar.gz (gzip) nor a .zip archive"));
    };
    // Two entries for one path would let the second overwrite the first, unseen: refuse.
    let mut seen = std::collections::BTreeSet::new();
    for e in &entries {
        if !seen.insert(e.path.as_str()) {
            return Err(bad(format!("the archive holds {:?} twice", e.path)));
        }
        // A file and a folder of the same name cannot both be unpacked.
        let mut prefix = String::new();
        for part in e.path.split('/') {
            if !prefix.is_empty() && seen.contains(prefix.as_str()) && prefix != e.path {
                return Err(bad(format!("{prefix:?} is both a file and a folder in the archive")));
            }
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
        }
    }
    for e in &entries {
        let target = dest.join(&e.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|err| write_failed(&e.path, err))?;
        }
        let mut f =
            std::fs::OpenOptions::new().write(true).create_new(true).open(&target).map_err(|err| write_failed(&e.path, err))?;
        f.write_all(&e.data).map_err(|err| write_failed(&e.path, err))?;
        #[cfg(unix)]
        if e.executable {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755));
        }
    }
    Ok(entries.len())
}

fn write_failed(path: &str, e: std::io::Error) -> AppError {
    AppError::new(ErrorCode::WriteFailed, format!("cannot unpack {path}: {e}"))
        .hint("The gateway's temporary directory is not writable or full: check TMPDIR on the gateway host.")
}

/// A file to send back.
pub struct OutFile<'a> {
    pub path: &'a str,
    pub data: &'a [u8],
    pub executable: bool,
}

/// The files as a `.tar.gz`, in the given order, with fixed times and owners so equal projects give equal bytes.
pub fn pack_tar_gz(files: &[OutFile<'_>]) -> std::io::Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for f in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(f.data.len() as u64);
        header.set_mode(if f.executable { 0o755 } else { 0o644 });
        header.set_mtime(0);
        header.set_uid(1000);
        header.set_gid(1000);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, f.path, f.data)?;
    }
    tar.into_inner()?.finish()
}

#[cfg(test)]
#[path = "../../../tests/support/archives.rs"]
mod hostile;

#[cfg(test)]
mod tests {
    use super::hostile::tar_gz;
    use super::*;

    fn unpack_new(bytes: &[u8]) -> (tempfile::TempDir, Result<usize, AppError>) {
        let dir = tempfile::tempdir().unwrap();
        let r = unpack(bytes, dir.path(), Limits::default());
        (dir, r)
    }

    fn is_empty(dir: &Path) -> bool {
        std::fs::read_dir(dir).unwrap().next().is_none()
    }

    #[test]
    fn a_project_round_trips() {
        let files = [
            OutFile { path: "README.md", data: b"---\nsdk: docker\n---\n", executable: false },
            OutFile { path: "app/start.sh", data: b"#!/bin/sh\n", executable: true },
        ];
        let bytes = pack_tar_gz(&files).unwrap();
        assert_eq!(pack_tar_gz(&files).unwrap(), bytes, "packing is deterministic");
        let (dir, r) = unpack_new(&bytes);
        assert_eq!(r.unwrap(), 2);
        assert_eq!(std::fs::read(dir.path().join("app/start.sh")).unwrap(), b"#!/bin/sh\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("app/start.sh")).unwrap().permissions().mode();
            assert_eq!(mode & 0o111, 0o111);
        }
    }

    #[test]
    fn unsafe_entries_are_refused_before_anything_is_written() {
        for (name, kind) in [
            ("../escape.txt", tar::EntryType::Regular),
            ("a/../../escape.txt", tar::EntryType::Regular),
            ("/etc/escape.txt", tar::EntryType::Regular),
            ("link", tar::EntryType::Symlink),
            ("hard", tar::EntryType::Link),
            ("dev", tar::EntryType::Char),
        ] {
            // A good file first: it must not be written either.
            let bytes = tar_gz(&[("README.md", tar::EntryType::Regular, b"x"), (name, kind, b"y")]);
            let (dir, r) = unpack_new(&bytes);
            let e = r.expect_err(name);
            assert_eq!(e.code, ErrorCode::UnsafeArchive, "{name}: {e}");
            assert!(e.message.contains(name.trim_start_matches('/')) || e.message.contains(name), "{e}");
            assert!(is_empty(dir.path()), "{name}: something was written");
        }
    }

    #[test]
    fn zip_archives_unpack_and_links_are_refused() {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
        w.start_file("start.sh", opts).unwrap();
        w.write_all(b"#!/bin/sh\n").unwrap();
        let ok = w.finish().unwrap().into_inner();
        let (dir, r) = unpack_new(&ok);
        assert_eq!(r.unwrap(), 1);
        assert!(dir.path().join("start.sh").is_file());

        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.add_symlink("link", "/etc/passwd", zip::write::SimpleFileOptions::default()).unwrap();
        let bytes = w.finish().unwrap().into_inner();
        let (dir, r) = unpack_new(&bytes);
        assert_eq!(r.unwrap_err().code, ErrorCode::UnsafeArchive);
        assert!(is_empty(dir.path()));

        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file("../up.txt", zip::write::SimpleFileOptions::default()).unwrap();
        let bytes = w.finish().unwrap().into_inner();
        let (dir, r) = unpack_new(&bytes);
        assert_eq!(r.unwrap_err().code, ErrorCode::UnsafeArchive);
        assert!(is_empty(dir.path()));
    }

    #[test]
    fn malformed_bodies_say_what_is_wrong() {
        for (body, needle) in [
            (&b""[..], "no body"),
            (&b"hello"[..], "neither"),
            (&[0x1f, 0x8b, 0, 1, 2][..], ".tar.gz"),
            (&b"PK\x03\x04garbage"[..], ".zip"),
        ] {
            let (dir, r) = unpack_new(body);
            let e = r.unwrap_err();
            assert_eq!(e.code, ErrorCode::BadArchive);
            assert!(e.message.contains(needle), "{e}");
            assert!(is_empty(dir.path()));
        }
    }

    #[test]
    fn size_and_count_are_bounded() {
        let big = vec![0u8; 2048];
        let bytes = tar_gz(&[("a", tar::EntryType::Regular, &big), ("b", tar::EntryType::Regular, &big)]);
        let dir = tempfile::tempdir().unwrap();
        let e = unpack(&bytes, dir.path(), Limits { max_files: 10, max_total_bytes: 3000 }).unwrap_err();
        assert!(e.message.contains("unpacks to more than"), "{e}");
        let e = unpack(&bytes, dir.path(), Limits { max_files: 1, max_total_bytes: 1 << 20 }).unwrap_err();
        assert!(e.message.contains("more than 1 files"), "{e}");
        assert!(is_empty(dir.path()));
    }
}
