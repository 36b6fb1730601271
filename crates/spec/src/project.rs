//! Load a project directory the way an upload sees it: `.gitignore` and `.git/info/exclude`
//! respected, `.git/` never included, hidden files included, symlinks not followed.

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Bytes git inspects to decide whether a file is binary; we use the same heuristic.
const SNIFF_LEN: usize = 8000;

/// The most text [`load`] keeps in memory for a whole project. Past it, the text files furthest from the
/// root are passed unread (`truncated`) and counted in [`Project::unread`], so memory stays bounded
/// however many files a repository holds.
pub const TOTAL_TEXT_BUDGET: u64 = 256 << 20;

/// One file as the checks see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFile {
    /// Project-relative, `/`-separated.
    pub path: String,
    /// Size on disk in bytes.
    pub size: u64,
    /// Full contents for text files up to the cap; empty if binary or over the cap.
    pub contents: Vec<u8>,
    /// Over the per-file cap, or past the project's [`TOTAL_TEXT_BUDGET`], so `contents` was not read.
    pub truncated: bool,
    /// Contains a NUL byte in its first 8000 bytes (and is not UTF-16).
    pub binary: bool,
}

impl ProjectFile {
    /// An in-memory text file, for tests and for callers that build projects without a disk.
    pub fn text(path: &str, contents: impl Into<Vec<u8>>) -> ProjectFile {
        let contents = contents.into();
        ProjectFile {
            path: path.to_owned(),
            size: contents.len() as u64,
            binary: looks_binary(&contents),
            contents,
            truncated: false,
        }
    }
}

/// A project directory as an upload would send it, plus what it left out and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The directory that was loaded, as given.
    pub root: PathBuf,
    /// Every file that would be uploaded, sorted by path.
    pub files: Vec<ProjectFile>,
    /// `.git` directories (or gitlink files) below the root, e.g. `vendor/lib/.git`; not descended into.
    pub nested_git_dirs: Vec<String>,
    /// Paths excluded by ignore rules; directories end with `/` and are not descended into.
    pub ignored: Vec<String>,
    /// Symbolic links, which are neither followed nor uploaded.
    pub symlinks: Vec<String>,
    /// Text files under the per-file cap left unread because the project's text passed
    /// [`TOTAL_TEXT_BUDGET`]; they are in `files`, marked `truncated`.
    pub unread: usize,
}

/// Why a project could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The root does not exist.
    #[error("project directory {} does not exist; check the path or create it with `spacesmith new`", .0.display())]
    NotFound(PathBuf),
    /// The root is a file (or something else), not a directory.
    #[error("{} is not a directory; pass the folder that contains README.md", .0.display())]
    NotADirectory(PathBuf),
    /// A directory or file inside the project could not be read.
    #[error("cannot read {}: {source}; fix its permissions or add it to .gitignore", path.display())]
    Unreadable {
        /// What failed to read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: io::Error,
    },
}

impl Project {
    /// An in-memory project, e.g. for plugin tests; files are sorted.
    pub fn from_files(root: impl Into<PathBuf>, mut files: Vec<ProjectFile>) -> Project {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Project { root: root.into(), files, nested_git_dirs: Vec::new(), ignored: Vec::new(), symlinks: Vec::new(), unread: 0 }
    }

    /// The file at a project-relative path, if it would be uploaded.
    pub fn file(&self, path: &str) -> Option<&ProjectFile> {
        self.files.binary_search_by(|f| f.path.as_str().cmp(path)).ok().map(|i| &self.files[i])
    }

    /// The file's text: `None` if absent, binary or over the cap; `Err(offset)` points at the
    /// first byte that is not UTF-8.
    pub fn text(&self, path: &str) -> Option<Result<&str, usize>> {
        let f = self.file(path).filter(|f| !f.binary && !f.truncated)?;
        Some(std::str::from_utf8(&f.contents).map_err(|e| e.valid_up_to()))
    }

    /// Whether `path` exists on disk but is excluded by an ignore rule (directly or via a parent).
    pub fn is_ignored(&self, path: &str) -> bool {
        self.ignored.iter().any(|i| match i.strip_suffix('/') {
            Some(dir) => path.starts_with(i) || path == dir,
            None => path == i,
        })
    }
}

/// Walk `root` like an upload would: .gitignore (and .git/info/exclude) respected, `.git/` never
/// included, hidden files included, symlinks not followed. Text files up to `text_cap` bytes are read,
/// nearest the root first, until [`TOTAL_TEXT_BUDGET`] is spent.
pub fn load(root: &Path, text_cap: u64) -> Result<Project, LoadError> {
    load_with_budget(root, text_cap, TOTAL_TEXT_BUDGET)
}

/// [`load`] with another total budget for the text kept in memory.
pub fn load_with_budget(root: &Path, text_cap: u64, budget: u64) -> Result<Project, LoadError> {
    let meta = fs::metadata(root).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => LoadError::NotFound(root.to_owned()),
        _ => LoadError::Unreadable { path: root.to_owned(), source: e },
    })?;
    if !meta.is_dir() {
        return Err(LoadError::NotADirectory(root.to_owned()));
    }
    let mut project = Project::from_files(root, Vec::new());
    let mut matchers = Vec::new();
    // Lowest precedence first: .git/info/exclude, then each .gitignore from the root down.
    let exclude = root.join(".git").join("info").join("exclude");
    if exclude.is_file() {
        matchers.push(matcher(root, &exclude));
    }
    let mut found = Vec::new();
    walk(root, "", &mut matchers, &mut found, &mut project)?;
    // The files a Space needs most (README, Dockerfile, the app) sit near the root: they get the budget.
    found.sort_by_cached_key(|(_, rel)| (rel.matches('/').count(), rel.clone()));
    let mut left = budget;
    for (abs, rel) in found {
        let file = read_file(&abs, rel, text_cap, &mut left)?;
        project.unread += usize::from(file.truncated && file.size <= text_cap);
        project.files.push(file);
    }
    project.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(project)
}

/// The ignore rules of a project directory, for paths that need not exist locally (e.g. a file that is
/// only on the Hub): the same `.git/info/exclude` and per-directory `.gitignore` files, with the same
/// precedence, as [`load`] applies while walking, plus `.git` itself.
pub struct IgnoreRules {
    root: PathBuf,
    exclude: Option<Gitignore>,
    dirs: std::sync::Mutex<std::collections::HashMap<String, Option<std::sync::Arc<Gitignore>>>>,
}

impl IgnoreRules {
    /// Reads the rules lazily, directory by directory, as paths are asked about.
    pub fn new(root: &Path) -> IgnoreRules {
        let exclude = root.join(".git").join("info").join("exclude");
        IgnoreRules {
            root: root.to_owned(),
            exclude: exclude.is_file().then(|| matcher(root, &exclude)),
            dirs: Default::default(),
        }
    }

    fn dir_rules(&self, rel_dir: &str) -> Option<std::sync::Arc<Gitignore>> {
        let mut cache = self.dirs.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(rel_dir.to_owned())
            .or_insert_with(|| {
                let dir = if rel_dir.is_empty() { self.root.clone() } else { self.root.join(rel_dir) };
                let file = dir.join(".gitignore");
                file.is_file().then(|| std::sync::Arc::new(matcher(&dir, &file)))
            })
            .clone()
    }

    /// Whether the walker would leave out the file at `path` (`/`-separated, relative): it, or one of its
    /// parent directories, is matched by an ignore rule, is a symbolic link here (never followed), or it
    /// lies in a `.git` directory.
    pub fn is_ignored(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let mut stack: Vec<std::sync::Arc<Gitignore>> = Vec::new();
        let mut rel = String::new();
        for (i, name) in parts.iter().enumerate() {
            if *name == ".git" {
                return true;
            }
            // Entries of `rel` are matched against the rules of `rel` and of every directory above it.
            if let Some(g) = self.dir_rules(&rel) {
                stack.push(g);
            }
            if !rel.is_empty() {
                rel.push('/');
            }
            rel.push_str(name);
            let is_dir = i + 1 < parts.len();
            let abs = self.root.join(&rel);
            let matchers = self.exclude.iter().chain(stack.iter().map(|g| &**g));
            if is_ignored(matchers, &abs, is_dir) || abs.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
                return true;
            }
        }
        false
    }
}

fn matcher(dir: &Path, file: &Path) -> Gitignore {
    let mut b = GitignoreBuilder::new(dir);
    // Bad lines are skipped, as git skips them; the rest of the file still applies.
    let _ = b.add(file);
    b.build().unwrap_or_else(|_| Gitignore::empty())
}

/// The last rule that matches decides, innermost `.gitignore` first (git's precedence).
fn is_ignored<'a>(matchers: impl DoubleEndedIterator<Item = &'a Gitignore>, path: &Path, is_dir: bool) -> bool {
    for m in matchers.rev() {
        match m.matched(path, is_dir) {
            Match::Ignore(_) => return true,
            Match::Whitelist(_) => return false,
            Match::None => {}
        }
    }
    false
}

fn unreadable(path: &Path) -> impl FnOnce(io::Error) -> LoadError + '_ {
    move |source| LoadError::Unreadable { path: path.to_owned(), source }
}

/// Collects the files to upload as (absolute, relative) paths into `found`, and what is left out into
/// `project`; reading waits until every file is known, so the budget can go to the nearest first.
fn walk(
    dir: &Path,
    rel: &str,
    matchers: &mut Vec<Gitignore>,
    found: &mut Vec<(PathBuf, String)>,
    project: &mut Project,
) -> Result<(), LoadError> {
    let mut entries = fs::read_dir(dir).map_err(unreadable(dir))?.collect::<Result<Vec<_>, _>>().map_err(unreadable(dir))?;
    entries.sort_by_key(|e| e.file_name());
    // Found among the entries, not with a stat per directory (a symlink still counts if it leads to a file).
    let pushed = entries.iter().any(|e| {
        e.file_name() == ".gitignore" && e.file_type().is_ok_and(|t| t.is_file() || (t.is_symlink() && e.path().is_file()))
    });
    if pushed {
        matchers.push(matcher(dir, &dir.join(".gitignore")));
    }
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let abs = entry.path();
        let rel_path = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        let ft = entry.file_type().map_err(unreadable(&abs))?;
        if name == ".git" {
            if !rel.is_empty() {
                project.nested_git_dirs.push(rel_path);
            }
            continue;
        }
        if is_ignored(matchers.iter(), &abs, ft.is_dir()) {
            project.ignored.push(if ft.is_dir() { format!("{rel_path}/") } else { rel_path });
            continue;
        }
        if ft.is_symlink() {
            project.symlinks.push(rel_path);
        } else if ft.is_dir() {
            walk(&abs, &rel_path, matchers, found, project)?;
        } else if ft.is_file() {
            found.push((abs, rel_path));
        }
        // Sockets, FIFOs and devices cannot be uploaded; skip them.
    }
    if pushed {
        matchers.pop();
    }
    Ok(())
}

fn looks_binary(head: &[u8]) -> bool {
    // UTF-16 text is full of NULs but is text; the checks report its encoding instead.
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    !utf16 && head[..head.len().min(SNIFF_LEN)].contains(&0)
}

/// Reads one file: its contents if it is text, within `cap` and within the budget `left` (which it spends).
fn read_file(abs: &Path, path: String, cap: u64, left: &mut u64) -> Result<ProjectFile, LoadError> {
    let mut file = fs::File::open(abs).map_err(unreadable(abs))?;
    let size = file.metadata().map_err(unreadable(abs))?.len();
    // Reads bounded by the size just seen: one read for most files (no probe reads past the end), and a
    // file that grows meanwhile cannot take more memory than its size said.
    let mut read = |buf: &mut Vec<u8>, n: u64| (&mut file).take(n).read_to_end(buf).map_err(unreadable(abs));
    let head_len = size.min(SNIFF_LEN as u64);
    let mut truncated = size > cap || size > *left;
    let mut contents = Vec::with_capacity(if truncated { head_len } else { size } as usize);
    read(&mut contents, head_len)?;
    let binary = looks_binary(&contents);
    if binary {
        // Binary files are never read whole, so they spend nothing and are not "unread text".
        truncated = size > cap;
        contents = Vec::new();
    } else if truncated {
        contents = Vec::new();
    } else {
        read(&mut contents, size - head_len)?;
        *left -= size;
    }
    Ok(ProjectFile { path, size, contents, truncated, binary })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_reports_first_invalid_byte() {
        let p = Project::from_files(
            "/x",
            vec![
                ProjectFile::text("b.py", b"ok\n\xe9t\xe9\n".to_vec()),
                ProjectFile::text("a.md", "héllo"),
                ProjectFile::text("bin", b"\x00\x01".to_vec()),
            ],
        );
        assert_eq!(p.files[0].path, "a.md");
        assert_eq!(p.text("a.md"), Some(Ok("héllo")));
        assert_eq!(p.text("b.py"), Some(Err(3)));
        assert_eq!(p.text("bin"), None);
        assert_eq!(p.text("missing"), None);
        assert!(p.file("bin").unwrap().binary);
    }

    #[test]
    fn utf16_is_not_binary() {
        assert!(!looks_binary(&[0xFF, 0xFE, b'a', 0]));
        assert!(looks_binary(&[b'a', 0]));
    }

    #[test]
    fn ignore_rules_for_paths_that_are_not_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join(".git/info")).unwrap();
        fs::write(root.join(".git/info/exclude"), "secret.txt\n").unwrap();
        fs::write(root.join(".gitignore"), "*.bin\nmodels/\n!keep.bin\n").unwrap();
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::write(root.join("sub/.gitignore"), "local.cfg\n!important.bin\n").unwrap();
        let rules = IgnoreRules::new(root);
        for p in ["model.bin", "a/b/weights.bin", "models/x/y.safetensors", "secret.txt", "sub/local.cfg", ".git/config"] {
            assert!(rules.is_ignored(p), "{p}");
        }
        for p in ["app.py", "keep.bin", "sub/important.bin", "local.cfg", "modelsx/a", "sub/app.py"] {
            assert!(!rules.is_ignored(p), "{p}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/nonexistent-target", root.join("linked")).unwrap();
            assert!(rules.is_ignored("linked/model.safetensors") && rules.is_ignored("linked"));
            fs::remove_file(root.join("linked")).unwrap();
        }
        // The walker agrees on what exists.
        for f in ["model.bin", "keep.bin", "sub/local.cfg", "sub/important.bin", "app.py"] {
            fs::write(root.join(f), "x").unwrap();
        }
        let p = load(root, 0).unwrap();
        let files: Vec<&str> = p.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(files, [".gitignore", "app.py", "keep.bin", "sub/.gitignore", "sub/important.bin"]);
    }

    #[test]
    fn ignored_lookup() {
        let mut p = Project::from_files("/x", vec![]);
        p.ignored = vec!["node_modules/".into(), "app.py".into()];
        assert!(p.is_ignored("node_modules/x/y.js"));
        assert!(p.is_ignored("node_modules"));
        assert!(p.is_ignored("app.py"));
        assert!(!p.is_ignored("app.pyc"));
    }
}
