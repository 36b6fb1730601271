//! Writes a generated project all-or-nothing. Everything is first written to a staging directory
//! beside the target; a new directory is then renamed into place in one step, and an existing one
//! gets each file renamed in, with the previous files kept aside until the end so any failure rolls
//! back to exactly what was there before.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use spacesmith_runtime::GeneratedFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Overwrite,
}

/// What would happen to each file, computed before anything is touched.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedFile {
    pub path: String,
    pub bytes: usize,
    pub executable: bool,
    pub action: Action,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{} exists and is not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("{count} file(s) already exist in {dir}: {list}", count = .paths.len(), dir = .dir.display(), list = .paths.join(", "))]
    Exists { dir: PathBuf, paths: Vec<String> },
    #[error("{} is in the way: {why}", .path.display())]
    Blocked { path: PathBuf, why: &'static str },
    #[error("cannot {what} {}: {source}", .path.display())]
    Io { what: &'static str, path: PathBuf, source: io::Error },
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> WriteError + 'a {
    move |source| WriteError::Io { what, path: path.to_path_buf(), source }
}

/// Classify every file as create or overwrite, refusing what no flag may override: a non-directory
/// target, a symlink or file on the way to a file (writing through a symlink could leave `dir`).
pub fn plan(dir: &Path, files: &[GeneratedFile]) -> Result<Vec<PlannedFile>, WriteError> {
    match fs::symlink_metadata(dir) {
        Ok(m) if !m.is_dir() => return Err(WriteError::NotADirectory(dir.to_path_buf())),
        Ok(_) | Err(_) => {}
    }
    let mut planned = Vec::with_capacity(files.len());
    for file in files {
        let target = dir.join(&file.path);
        let mut parent = dir.to_path_buf();
        let segments: Vec<&str> = file.path.split('/').collect();
        for segment in &segments[..segments.len() - 1] {
            parent.push(segment);
            match fs::symlink_metadata(&parent) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(WriteError::Blocked {
                        path: parent,
                        why: "it is a symbolic link, and files are never written through links",
                    });
                }
                Ok(m) if !m.is_dir() => {
                    return Err(WriteError::Blocked { path: parent, why: "it is a file where a directory is needed" });
                }
                _ => {}
            }
        }
        let action = match fs::symlink_metadata(&target) {
            Ok(m) if m.is_dir() => {
                return Err(WriteError::Blocked { path: target, why: "it is a directory where a file is needed" });
            }
            Ok(_) => Action::Overwrite,
            Err(_) => Action::Create,
        };
        planned.push(PlannedFile { path: file.path.clone(), bytes: file.contents.len(), executable: file.executable, action });
    }
    Ok(planned)
}

/// Write `files` into `dir`. Without `force`, any existing file refuses the whole write.
pub fn write(dir: &Path, files: &[GeneratedFile], force: bool) -> Result<Vec<PlannedFile>, WriteError> {
    let planned = plan(dir, files)?;
    let existing: Vec<String> = planned.iter().filter(|p| p.action == Action::Overwrite).map(|p| p.path.clone()).collect();
    if !existing.is_empty() && !force {
        return Err(WriteError::Exists { dir: dir.to_path_buf(), paths: existing });
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io_err("create directory", &parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".spacesmith-new-")
        .tempdir_in(&parent)
        .map_err(io_err("create a staging directory in", &parent))?;
    let stage_root = staging.path().join("project");
    for file in files {
        write_file(&stage_root.join(&file.path), &file.contents, file.executable)?;
    }
    if fs::symlink_metadata(dir).is_err() {
        // A new directory appears whole or not at all.
        fs::rename(&stage_root, dir).map_err(io_err("move the generated project to", dir))?;
        return Ok(planned);
    }
    let backup_root = staging.path().join("backup");
    let mut done: Vec<Placed> = Vec::new();
    for file in files {
        match place(dir, &stage_root, &backup_root, &file.path) {
            Ok(placed) => done.push(placed),
            Err(e) => {
                rollback(dir, &backup_root, done);
                return Err(e);
            }
        }
    }
    Ok(planned)
}

struct Placed {
    path: String,
    backed_up: bool,
    created_dirs: Vec<PathBuf>,
}

fn place(dir: &Path, stage_root: &Path, backup_root: &Path, rel: &str) -> Result<Placed, WriteError> {
    let target = dir.join(rel);
    let mut created_dirs = Vec::new();
    let mut cursor = target.parent().map(Path::to_path_buf);
    let mut missing = Vec::new();
    while let Some(p) = cursor {
        if p == dir || p.exists() {
            break;
        }
        missing.push(p.clone());
        cursor = p.parent().map(Path::to_path_buf);
    }
    for p in missing.into_iter().rev() {
        fs::create_dir(&p).map_err(io_err("create directory", &p))?;
        created_dirs.push(p);
    }
    let backed_up = fs::symlink_metadata(&target).is_ok();
    if backed_up {
        let backup = backup_root.join(rel);
        if let Some(p) = backup.parent() {
            fs::create_dir_all(p).map_err(io_err("create directory", p))?;
        }
        fs::rename(&target, &backup).map_err(io_err("set aside", &target))?;
    }
    if let Err(e) = fs::rename(stage_root.join(rel), &target) {
        if backed_up {
            let _ = fs::rename(backup_root.join(rel), &target);
        }
        return Err(WriteError::Io { what: "write", path: target, source: e });
    }
    Ok(Placed { path: rel.to_string(), backed_up, created_dirs })
}

fn rollback(dir: &Path, backup_root: &Path, done: Vec<Placed>) {
    for placed in done.into_iter().rev() {
        let target = dir.join(&placed.path);
        let _ = fs::remove_file(&target);
        if placed.backed_up {
            let _ = fs::rename(backup_root.join(&placed.path), &target);
        }
        for d in placed.created_dirs.iter().rev() {
            let _ = fs::remove_dir(d);
        }
    }
}

fn write_file(path: &Path, contents: &[u8], executable: bool) -> Result<(), WriteError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io_err("create directory", parent))?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if executable { 0o755 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = executable;
    let mut f = options.open(path).map_err(io_err("create", path))?;
    f.write_all(contents).map_err(io_err("write", path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<GeneratedFile> {
        list.iter()
            .map(|(p, c)| GeneratedFile { path: p.to_string(), contents: c.as_bytes().to_vec(), executable: p.ends_with(".sh") })
            .collect()
    }

    fn read(p: &Path) -> String {
        fs::read_to_string(p).unwrap()
    }

    #[test]
    fn creates_a_new_directory_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("space");
        let planned = write(&dir, &files(&[("README.md", "r"), ("app/main.py", "m"), ("start.sh", "s")]), false).unwrap();
        assert!(planned.iter().all(|p| p.action == Action::Create));
        assert_eq!(read(&dir.join("app/main.py")), "m");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(dir.join("start.sh")).unwrap().permissions().mode() & 0o111, 0o111);
        }
        let leftovers: Vec<_> = fs::read_dir(tmp.path()).unwrap().flatten().filter(|e| e.file_name() != "space").collect();
        assert!(leftovers.is_empty(), "staging left behind: {leftovers:?}");
    }

    #[test]
    fn refuses_to_overwrite_without_force_and_touches_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("README.md"), "mine").unwrap();
        let err = write(tmp.path(), &files(&[("README.md", "new"), ("app.py", "a")]), false).unwrap_err();
        assert!(matches!(&err, WriteError::Exists { paths, .. } if paths == &["README.md"]), "{err}");
        assert_eq!(read(&tmp.path().join("README.md")), "mine");
        assert!(!tmp.path().join("app.py").exists());
    }

    #[test]
    fn overwrites_with_force() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("README.md"), "mine").unwrap();
        fs::write(tmp.path().join("keep.txt"), "keep").unwrap();
        let planned = write(tmp.path(), &files(&[("README.md", "new"), ("sub/app.py", "a")]), true).unwrap();
        assert_eq!(planned[0].action, Action::Overwrite);
        assert_eq!(read(&tmp.path().join("README.md")), "new");
        assert_eq!(read(&tmp.path().join("keep.txt")), "keep");
        assert_eq!(read(&tmp.path().join("sub/app.py")), "a");
    }

    #[test]
    fn rolls_back_when_a_file_cannot_be_placed() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("README.md"), "mine").unwrap();
        let stage = tempfile::tempdir_in(tmp.path()).unwrap();
        let stage_root = stage.path().join("project");
        let backup = stage.path().join("backup");
        write_file(&stage_root.join("README.md"), b"new", false).unwrap();
        write_file(&stage_root.join("a/b.txt"), b"b", false).unwrap();
        let mut done = vec![place(tmp.path(), &stage_root, &backup, "README.md").unwrap()];
        done.push(place(tmp.path(), &stage_root, &backup, "a/b.txt").unwrap());
        // The third file was never staged, so placing it fails.
        assert!(place(tmp.path(), &stage_root, &backup, "missing.txt").is_err());
        rollback(tmp.path(), &backup, done);
        assert_eq!(read(&tmp.path().join("README.md")), "mine");
        assert!(!tmp.path().join("a").exists());
    }

    #[cfg(unix)]
    #[test]
    fn never_writes_through_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), tmp.path().join("app")).unwrap();
        let err = write(tmp.path(), &files(&[("app/main.py", "x")]), true).unwrap_err();
        assert!(matches!(err, WriteError::Blocked { .. }), "{err}");
        assert!(!outside.path().join("main.py").exists());
    }

    #[test]
    fn refuses_file_directory_conflicts() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("app"), "file").unwrap();
        assert!(matches!(write(tmp.path(), &files(&[("app/main.py", "x")]), true), Err(WriteError::Blocked { .. })));
        fs::create_dir(tmp.path().join("README.md")).unwrap();
        assert!(matches!(write(tmp.path(), &files(&[("README.md", "x")]), true), Err(WriteError::Blocked { .. })));
        let file = tmp.path().join("app");
        assert!(matches!(write(&file, &files(&[("x", "x")]), true), Err(WriteError::NotADirectory(_))));
    }
}
