//! Who may write where in the final image, as far as its Dockerfile tells: enough to say whether the app,
//! which the Hub runs as UID 1000 whatever USER says, can write the paths it writes at start.
//!
//! Only what the Dockerfile shows counts. An entry created by a base image we do not know, or by a user
//! whose UID we cannot tell, is "unknown", and a step we cannot follow (a script, a `chown` of a path
//! that cannot be expanded) makes the whole model uncertain: no conclusions then.

use std::collections::{BTreeMap, BTreeSet};

use crate::dockerfile::Instruction;
use crate::listen::{normalize_path, resolve_path};
use crate::shell::{self, Vars, basename};

/// One path the image has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Whether UID 1000 may write in it; `None` when it cannot be told.
    pub writable: Option<bool>,
    /// Where that was decided, e.g. "WORKDIR /app on line 3 created it as root".
    pub why: String,
}

/// Who a USER, a `--chown` or a `chown` names, as UID 1000 sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Root,
    Uid1000,
    /// Another user (or one whose UID is not known).
    Other,
}

impl Who {
    fn writable(self) -> Option<bool> {
        match self {
            Who::Root => Some(false),
            Who::Uid1000 => Some(true),
            Who::Other => None,
        }
    }

    fn label(self, name: &str) -> String {
        match self {
            Who::Root => "root".into(),
            _ => name.to_string(),
        }
    }
}

/// A user a RUN step creates (`useradd`, `adduser`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedUser {
    /// Every operand of the command (the user, and a group for Debian's `adduser USER GROUP`).
    pub names: Vec<String>,
    pub uid_1000: bool,
    pub home: String,
    pub creates_home: bool,
}

/// Official base images whose users and directories are known: root runs the build, `/` and the system
/// directories belong to root, and (for some) a UID 1000 user exists.
pub fn known_family(image: &str) -> Option<&'static str> {
    let name = image_name(image);
    const FAMILIES: [&str; 20] = [
        "python",
        "node",
        "debian",
        "ubuntu",
        "alpine",
        "nvidia/cuda",
        "pytorch/pytorch",
        "continuumio/miniconda3",
        "continuumio/anaconda3",
        "buildpack-deps",
        "golang",
        "rust",
        "nginx",
        "eclipse-temurin",
        "openjdk",
        "amazoncorretto",
        "ruby",
        "php",
        "httpd",
        "ghcr.io/astral-sh/uv",
    ];
    FAMILIES.into_iter().find(|f| *f == name)
}

/// The repository part of an image reference: no registry prefix for Docker Hub, no tag, no digest.
pub fn image_name(image: &str) -> String {
    let image = image.split('@').next().unwrap_or(image);
    let (path, last) = image.rsplit_once('/').map_or(("", image), |(p, l)| (p, l));
    let last = last.split(':').next().unwrap_or(last);
    let path = path.strip_prefix("docker.io/").or_else(|| path.strip_prefix("index.docker.io/")).unwrap_or(path);
    let path = if path == "docker.io" || path == "index.docker.io" { "" } else { path };
    let path = path.strip_prefix("library").map_or(path, |p| p.trim_start_matches('/'));
    if path.is_empty() { last.to_ascii_lowercase() } else { format!("{path}/{last}").to_ascii_lowercase() }
}

/// The UID 1000 user an official image ships, with its home. Ubuntu-based images have `ubuntu` since
/// 23.04; for older tags assuming it only makes fewer conclusions.
pub fn family_uid_1000_user(family: &str) -> Option<(&'static str, &'static str)> {
    match family {
        "node" => Some(("node", "/home/node")),
        "ubuntu" | "nvidia/cuda" | "pytorch/pytorch" | "eclipse-temurin" => Some(("ubuntu", "/home/ubuntu")),
        _ => None,
    }
}

/// The user of a `useradd`/`adduser` command (words after the program), if it is one.
pub fn created_user(program: &str, args: &[String]) -> Option<CreatedUser> {
    if !matches!(program, "useradd" | "adduser") {
        return None;
    }
    const VALUE_FLAGS: [&str; 31] = [
        "-u",
        "-g",
        "-G",
        "-d",
        "-s",
        "-c",
        "-k",
        "-K",
        "-e",
        "-f",
        "-p",
        "-b",
        "-Z",
        "-R",
        "-P",
        "-h",
        "--uid",
        "--gid",
        "--groups",
        "--home-dir",
        "--home",
        "--shell",
        "--comment",
        "--gecos",
        "--skel",
        "--key",
        "--expiredate",
        "--inactive",
        "--password",
        "--ingroup",
        "--base-dir",
    ];
    let mut names = Vec::new();
    let mut uid = None;
    let mut home = None;
    let mut create_flag = false;
    let mut no_home = false;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg, None),
        };
        if let Some(value) = flag.strip_prefix("-u").filter(|v| !v.is_empty() && !flag.starts_with("--")) {
            uid = Some(value.to_string());
        } else if flag.starts_with('-') && flag.len() > 1 {
            let value = if VALUE_FLAGS.contains(&flag) && inline.is_none() {
                i += 1;
                args.get(i).cloned()
            } else {
                inline
            };
            match flag {
                "-u" | "--uid" => uid = value,
                "-d" | "--home-dir" | "--home" => home = value,
                "-h" if program == "adduser" => home = value,
                "-m" | "--create-home" => create_flag = true,
                "-M" | "--no-create-home" | "-H" => no_home = true,
                _ => {}
            }
        } else {
            names.push(arg.to_string());
        }
        i += 1;
    }
    let name = names.first()?.clone();
    // Debian's and busybox's adduser make the home unless told not to; useradd only with -m.
    let creates_home = !no_home && (create_flag || program == "adduser");
    Some(CreatedUser {
        uid_1000: uid.as_deref() == Some("1000"),
        home: home.unwrap_or_else(|| format!("/home/{name}")),
        names,
        creates_home,
    })
}

/// The ownership model of the final image.
#[derive(Clone, Debug, Default)]
pub struct Owners {
    entries: BTreeMap<String, Entry>,
    /// A step changed ownership in a way that is not followed: no conclusions.
    pub uncertain: bool,
    /// The directory the start command runs in, if known.
    pub workdir: Option<String>,
    /// HOME when the app runs (ENV HOME, else the passwd home of UID 1000, else `/`), if known.
    pub home: Option<String>,
    /// Destinations of `COPY/ADD --chown` to someone other than root: files under them may be the app's
    /// own whatever their directory's owner, so writes there prove nothing.
    chowned: Vec<String>,
}

/// Walks the final image's instructions in order.
pub struct Builder {
    owners: Owners,
    family: Option<&'static str>,
    user: Option<(Who, String)>,
    cwd: Option<String>,
    uid_1000_users: BTreeSet<String>,
    uid_1000_home: Option<String>,
}

impl Builder {
    /// `family`: the known official base image of the chain's first stage, if it is one.
    pub fn new(family: Option<&'static str>) -> Self {
        let mut owners = Owners::default();
        let base = |writable: bool| Entry { writable: Some(writable), why: "is so in every image".into() };
        // What the Hub provides at run time whatever the image: temporary space, the /data volume, devices.
        for dir in ["/tmp", "/var/tmp", "/dev", "/proc", "/sys", "/data", "/run"] {
            owners.entries.insert(dir.into(), base(true));
        }
        let mut uid_1000_users = BTreeSet::from(["1000".to_string()]);
        let mut uid_1000_home = None;
        if let Some(family) = family {
            owners.entries.insert("/".into(), Entry { writable: Some(false), why: "belongs to root in the base image".into() });
            if let Some((user, home)) = family_uid_1000_user(family) {
                uid_1000_users.insert(user.into());
                uid_1000_home = Some(home.to_string());
                owners.entries.insert(home.into(), Entry { writable: Some(true), why: format!("belongs to {user} (UID 1000)") });
            }
        }
        let user = family.map(|_| (Who::Root, "root".to_string()));
        let cwd = family.map(|_| "/".to_string());
        Builder { owners, family, user, cwd, uid_1000_users, uid_1000_home }
    }

    /// Who a user name (a USER, `--chown` or `chown` argument, `user[:group]`) is.
    pub fn who(&self, spec: &str) -> Who {
        let user = spec.split(':').next().unwrap_or_default().trim();
        if user == "root" || user == "0" {
            Who::Root
        } else if self.uid_1000_users.contains(user) {
            Who::Uid1000
        } else {
            Who::Other
        }
    }

    /// A new stage of the chain starts (`FROM <earlier stage>`): its filesystem carries over, but the
    /// working directory and the user are those of the stage it starts from, which is what we have.
    pub fn instruction(&mut self, ins: &Instruction, vars: &Vars) {
        let line = ins.line;
        match ins.keyword.as_str() {
            "USER" => {
                let name = shell::expand(ins.args.trim(), vars).unwrap_or_else(|| ins.args.trim().to_string());
                self.user = Some((self.who(&name), name));
            }
            "WORKDIR" => {
                let Some(dir) = self.resolve(ins.args.trim(), vars) else {
                    self.cwd = None;
                    return;
                };
                let creator = self.creator();
                self.create(&dir, creator, || format!("was created by WORKDIR on Dockerfile line {line}"), true);
                self.cwd = Some(dir);
            }
            "COPY" | "ADD" => {
                let words = shell::words(&ins.args);
                let Some(dest) = words.last().filter(|_| words.len() >= 2) else { return };
                let Some(dest) = self.resolve(dest, vars) else { return };
                let owner = match ins.flag("chown").and_then(|f| f.value.as_deref()) {
                    Some(spec) => {
                        let spec = shell::expand(spec, vars).unwrap_or_else(|| spec.to_string());
                        (self.who(&spec), spec)
                    }
                    None => (Who::Root, "root".to_string()),
                };
                if owner.0 != Who::Root {
                    self.owners.chowned.push(dest.clone());
                }
                let how = if ins.flag("chown").is_some() { "" } else { " without --chown" };
                self.create(
                    &dest,
                    Some(owner),
                    || format!("was created by {} on Dockerfile line {line}{how}", ins.keyword),
                    true,
                );
            }
            "RUN" => self.run(&ins.run_text(), line, vars),
            _ => {}
        }
    }

    fn creator(&self) -> Option<(Who, String)> {
        self.user.clone()
    }

    fn resolve(&self, word: &str, vars: &Vars) -> Option<String> {
        let mut vars = vars.clone();
        match &self.cwd {
            Some(cwd) => vars.insert("PWD".into(), cwd.clone()),
            None => vars.remove("PWD"),
        };
        resolve_path(word, &vars)
    }

    /// Records `path` (and missing parents, when `parents`) as created by `owner`, unless it exists.
    fn create(&mut self, path: &str, owner: Option<(Who, String)>, why: impl Fn() -> String, parents: bool) {
        let mut missing = Vec::new();
        let mut current = normalize_path(path);
        while !self.owners.entries.contains_key(&current) && current != "/" {
            missing.push(current.clone());
            if !parents {
                break;
            }
            current = parent(&current);
        }
        // Over an unknown base image the path may already exist, with any owner.
        let owner = owner.filter(|_| self.family.is_some());
        for dir in missing {
            let (writable, by) = match &owner {
                Some((who, name)) => (who.writable(), format!(" as {}", who.label(name))),
                None => (None, String::new()),
            };
            self.owners.entries.insert(dir, Entry { writable, why: format!("{}{by}", why()) });
        }
    }

    /// Sets who may write `path` (and, `recursive`, everything known under it).
    fn set(&mut self, path: &str, writable: Option<bool>, why: String, recursive: bool) {
        let prefix = format!("{}/", path.trim_end_matches('/'));
        if recursive {
            for (p, entry) in self.owners.entries.iter_mut() {
                if p.starts_with(&prefix) {
                    *entry = Entry { writable, why: why.clone() };
                }
            }
        }
        self.owners.entries.insert(path.to_string(), Entry { writable, why });
    }

    fn run(&mut self, text: &str, line: u32, vars: &Vars) {
        let mut vars = vars.clone();
        let saved_cwd = self.cwd.clone();
        for words in shell::commands(text) {
            let Some(at) = words.iter().position(|w| shell::assignment(w).is_none() && !matches!(w.as_str(), "sudo" | "exec"))
            else {
                continue;
            };
            let program = basename(&words[at]);
            let args = &words[at + 1..];
            let operands: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
            match program {
                "cd" => self.cwd = operands.first().and_then(|d| self.resolve(d, &vars)),
                "mkdir" => {
                    let parents =
                        args.iter().any(|a| a == "--parents" || (a.starts_with('-') && !a.starts_with("--") && a.contains('p')));
                    let creator = self.creator();
                    for dir in operands {
                        match self.resolve(dir, &vars) {
                            Some(dir) => self.create(
                                &dir,
                                creator.clone(),
                                || format!("was created by RUN mkdir on Dockerfile line {line}"),
                                parents,
                            ),
                            None => self.owners.uncertain = true,
                        }
                    }
                }
                "chown" | "chmod" => {
                    let recursive = args.iter().any(|a| a == "-R" || a == "--recursive");
                    let Some((spec, paths)) = operands.split_first() else { continue };
                    let writable = if program == "chown" {
                        // An owner that cannot be expanded is nobody known: no conclusion.
                        shell::expand(spec, &vars).and_then(|spec| self.who(&spec).writable())
                    } else if grants_others_write(spec) {
                        Some(true)
                    } else {
                        continue;
                    };
                    for path in paths {
                        match self.resolve(path, &vars) {
                            Some(path) => self.set(
                                &path,
                                writable,
                                format!("was given by RUN {program} {spec} on Dockerfile line {line}"),
                                recursive,
                            ),
                            None => self.owners.uncertain = true,
                        }
                    }
                }
                "useradd" | "adduser" => {
                    let args: Vec<String> = args.iter().map(|w| shell::expand(w, &vars).unwrap_or_else(|| w.clone())).collect();
                    if let Some(user) = created_user(program, &args) {
                        let name = user.names[0].clone();
                        if user.uid_1000 {
                            self.uid_1000_users.insert(name.clone());
                            self.uid_1000_home = Some(user.home.clone());
                        }
                        if user.creates_home {
                            let who = if user.uid_1000 { Who::Uid1000 } else { Who::Other };
                            let home = normalize_path(&user.home);
                            self.create(
                                &home,
                                Some((who, name.clone())),
                                || format!("was created by {program} on Dockerfile line {line}"),
                                true,
                            );
                        }
                    }
                }
                "git" if args.first().is_some_and(|a| a == "clone") => {
                    let ops: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
                    if let [_, dir, ..] = ops.as_slice()
                        && let Some(dir) = self.resolve(dir, &vars)
                    {
                        let creator = self.creator();
                        self.create(&dir, creator, || format!("was cloned by RUN git clone on Dockerfile line {line}"), true);
                    }
                }
                // Steps that may change ownership in ways not followed here.
                "setfacl" | "usermod" | "install" => self.owners.uncertain = true,
                p if p.ends_with(".sh")
                    || (matches!(p, "sh" | "bash") && operands.first().is_some_and(|o| o.ends_with(".sh"))) =>
                {
                    self.owners.uncertain = true;
                }
                _ => {
                    if words.iter().any(|w| w.contains("chown") || w.contains("chmod")) {
                        self.owners.uncertain = true;
                    }
                }
            }
            if let Some((name, value)) = words[..at].iter().find_map(|w| shell::assignment(w)) {
                vars.insert(name.to_string(), value.to_string());
            }
        }
        // Each RUN starts in the WORKDIR again.
        self.cwd = saved_cwd;
    }

    /// The model, with HOME from `vars` (ENV HOME) or the UID 1000 user's passwd entry.
    pub fn finish(mut self, vars: &Vars) -> Owners {
        self.owners.workdir = self.cwd.clone();
        self.owners.home = vars
            .get("HOME")
            .cloned()
            .or_else(|| self.uid_1000_home.clone())
            // Without a passwd entry for UID 1000, the container's HOME is `/`.
            .or_else(|| self.family.map(|_| "/".to_string()));
        self.owners
    }
}

impl Owners {
    /// Why UID 1000 cannot write `target`, if the model says so: the nearest known directory (the target
    /// itself when it exists), with the reason it belongs to someone else. `if_missing` writes of an
    /// existing path write nothing.
    pub fn denied(&self, target: &str, if_missing: bool) -> Option<(&str, &Entry)> {
        if self.uncertain {
            return None;
        }
        if if_missing && self.entries.contains_key(target) {
            return None;
        }
        if self.chowned.iter().any(|dest| target == dest || target.starts_with(&format!("{}/", dest.trim_end_matches('/')))) {
            return None;
        }
        let mut current = target.to_string();
        loop {
            if let Some((path, entry)) = self.entries.get_key_value(&current) {
                return (entry.writable == Some(false)).then_some((path.as_str(), entry));
            }
            if current == "/" {
                return None;
            }
            current = parent(&current);
        }
    }
}

fn parent(path: &str) -> String {
    match path.trim_end_matches('/').rsplit_once('/') {
        Some(("", _)) | None => "/".into(),
        Some((parent, _)) => parent.to_string(),
    }
}

/// Whether a chmod mode lets others (UID 1000, not the owner) write: octal with the others digit 2, 3, 6
/// or 7, or a symbolic mode adding `w` for `o` or `a` (`o+w`, `a+rwx`, `ugo+w`, `+w` is the owner only).
fn grants_others_write(mode: &str) -> bool {
    if !mode.is_empty() && mode.chars().all(|c| c.is_digit(8)) {
        return mode.chars().last().and_then(|c| c.to_digit(8)).is_some_and(|d| d & 2 != 0);
    }
    mode.split(',').any(|clause| {
        let Some((who, perms)) = clause.split_once(['+', '=']) else { return false };
        (who.contains('o') || who.contains('a')) && perms.contains('w')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::Dockerfile;

    fn model(text: &str) -> Owners {
        let df = Dockerfile::parse(text);
        let image = df.stages()[0].image.to_string();
        let mut builder = Builder::new(known_family(&image));
        let vars = Vars::new();
        for ins in df.instructions.iter().skip(1) {
            builder.instruction(ins, &vars);
        }
        builder.finish(&vars)
    }

    fn denied(owners: &Owners, target: &str) -> Option<String> {
        owners.denied(target, false).map(|(p, e)| format!("{p} {}", e.why))
    }

    #[test]
    fn image_names() {
        assert_eq!(image_name("python:3.12-slim"), "python");
        assert_eq!(image_name("docker.io/library/node:20@sha256:abc"), "node");
        assert_eq!(image_name("nvidia/cuda:12.4.1-runtime-ubuntu22.04"), "nvidia/cuda");
        assert_eq!(image_name("localhost:5000/img:1"), "localhost:5000/img");
        assert_eq!(known_family("ghcr.io/livebook-dev/livebook:0.14"), None);
        assert_eq!(known_family("python"), Some("python"));
    }

    #[test]
    fn root_workdir_and_copies_are_not_writable() {
        let owners = model("FROM python:3.12\nWORKDIR /app\nCOPY . .\nCOPY --chown=1000 models /srv/models\n");
        assert_eq!(owners.workdir.as_deref(), Some("/app"));
        assert_eq!(owners.home.as_deref(), Some("/"));
        assert_eq!(denied(&owners, "/app/outputs").as_deref(), Some("/app was created by WORKDIR on Dockerfile line 2 as root"));
        assert_eq!(denied(&owners, "/srv/models/x"), None);
        assert_eq!(denied(&owners, "/tmp/x"), None);
        assert_eq!(denied(&owners, "/.cache/huggingface").as_deref(), Some("/ belongs to root in the base image"));
        assert!(owners.denied("/app", true).is_none(), "mkdir -p of an existing directory writes nothing");
        assert_eq!(denied(&owners, "/srv/models/new.bin"), None, "under a --chown copy: may be the app's own file");
    }

    #[test]
    fn user_workdir_chown_and_chmod_make_it_writable() {
        let owners = model("FROM python:3.12\nRUN useradd -m -u 1000 user\nUSER user\nWORKDIR /app\n");
        assert_eq!((denied(&owners, "/app/x"), owners.home.as_deref()), (None, Some("/home/user")));
        let owners =
            model("FROM python:3.12\nWORKDIR /app\nRUN mkdir -p /app/out && chmod 777 /app/out\nRUN chown -R 1000:1000 /srv\n");
        assert_eq!(denied(&owners, "/app/out/a"), None);
        assert_eq!(denied(&owners, "/srv/a"), None);
        assert!(denied(&owners, "/app/a").is_some());
        let recursive = model("FROM python:3.12\nWORKDIR /app\nRUN mkdir cache\nRUN chmod -R a+rwX /app\n");
        assert_eq!(denied(&recursive, "/app/cache/x"), None);
        let node = model("FROM node:20\nWORKDIR /app\n");
        assert_eq!(node.home.as_deref(), Some("/home/node"));
        assert_eq!(denied(&node, "/home/node/.npm"), None);
    }

    #[test]
    fn unknown_bases_users_and_steps_give_no_conclusion() {
        let owners = model("FROM ghcr.io/acme/base:1\nWORKDIR /app\n");
        assert_eq!((denied(&owners, "/app/x"), owners.home.clone()), (None, None));
        let other = model("FROM python:3.12\nRUN useradd -m app\nUSER app\nWORKDIR /app\n");
        assert_eq!(denied(&other, "/app/x"), None);
        let script = model("FROM python:3.12\nWORKDIR /app\nRUN ./fix-permissions.sh\n");
        assert!(script.uncertain && denied(&script, "/app/x").is_none());
        let unknown = model("FROM python:3.12\nWORKDIR /app\nRUN chown -R $APP_USER /app\n");
        assert_eq!(denied(&unknown, "/app/x"), None);
    }

    #[test]
    fn created_users() {
        let words = |s: &str| shell::words(s);
        let user = created_user("useradd", &words("-m -u 1000 user")).unwrap();
        assert_eq!(
            (user.names, user.uid_1000, user.home, user.creates_home),
            (vec!["user".into()], true, "/home/user".into(), true)
        );
        let user = created_user("adduser", &words("--disabled-password --gecos '' --uid=1000 --home /srv/u appuser")).unwrap();
        assert_eq!((user.names[0].as_str(), user.uid_1000, user.home.as_str()), ("appuser", true, "/srv/u"));
        let busybox = created_user("adduser", &words("-D -u 1000 -h /home/app app")).unwrap();
        assert_eq!((busybox.names[0].as_str(), busybox.uid_1000, busybox.creates_home), ("app", true, true));
        let no_home = created_user("useradd", &words("-u1000 user")).unwrap();
        assert_eq!((no_home.uid_1000, no_home.creates_home), (true, false));
        assert!(created_user("useradd", &[]).is_none());
    }

    #[test]
    fn chmod_modes() {
        for yes in ["777", "0777", "1777", "o+w", "a+rwx", "ugo+rw", "u+x,o+w", "a=rwx"] {
            assert!(grants_others_write(yes), "{yes}");
        }
        for no in ["755", "644", "+x", "u+w", "g+w", "o-w", "775"] {
            assert!(!grants_others_write(no), "{no}");
        }
    }
}
