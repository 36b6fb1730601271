//! The Docker-SDK rules and `check`.
//!
//! Severity follows what the Hub does: **error** when the Hub refuses the configuration, the build fails
//! or the app cannot answer on `app_port`; **warning** for likely trouble at run time; **info** for style.
//! The Hub runs every container as UID 1000 whatever USER says, so a missing user is a warning, and only
//! evidence that the app writes where UID 1000 cannot (`docker/write-denied`) is an error.
//!
//! Rules about the running image (user, ports, start command, logs, writes) look at the stages that make
//! the final image (the last stage and the stages it starts `FROM`); rules about the build itself (GPU
//! commands, secrets in ARG/ENV, base images, `/data`, `--chown` users) look at every stage the final
//! image needs (its chain and the stages it copies `--from`), each in its own stage: BuildKit builds no
//! other.

use std::collections::BTreeSet;

use spacesmith_plugin_sdk::{Finding, Project, RuleDef, Severity, app_port, catalogue, finding, sort_findings};

use crate::dockerfile::{Dockerfile, Form, Instruction, Stage, arg_pairs, env_pairs};
use crate::listen::{self, Listening, StartCommand};
use crate::owners::{self, Builder, Owners, known_family};
use crate::shell::{self, Vars};

const DOCKERFILE: &str = "Dockerfile";

pub const DOCKERFILE_UNREADABLE: RuleDef = RuleDef {
    id: "docker/dockerfile-unreadable",
    severity: Severity::Warning,
    summary: "The Dockerfile could not be checked",
    explanation: "The Dockerfile is not UTF-8 text or is larger than the checker reads, so none of the Docker rules ran.",
    fix: "Save the Dockerfile as UTF-8 text; a Dockerfile is rarely more than a few kilobytes.",
};

pub const NO_FROM: RuleDef = RuleDef {
    id: "docker/no-from",
    severity: Severity::Error,
    summary: "The Dockerfile has no FROM instruction",
    explanation: "Every image starts FROM a base image; without one `docker build` fails.",
    fix: "Start the Dockerfile with a pinned base image, e.g. `FROM python:3.12-slim`.",
};

pub const NO_USER: RuleDef = RuleDef {
    id: "docker/no-user",
    severity: Severity::Warning,
    summary: "The image never switches to a non-root user",
    explanation: "The Hub runs the container as UID 1000 whatever the image says. Without a USER the build runs as root, so the files and directories it makes belong to root, and without a UID 1000 user HOME is `/`: an app that writes next to its code, or caches downloads under HOME, fails with permission errors (the Docker Spaces docs recommend the user to avoid them). Many apps only read and run fine; `docker/write-denied` reports the writes that would fail.",
    fix: "Create the user and switch to it before copying the app: `RUN useradd -m -u 1000 user` then `USER user`, with `ENV HOME=/home/user PATH=/home/user/.local/bin:$PATH`, and `COPY --chown=user`.",
};

pub const ROOT_USER: RuleDef = RuleDef {
    id: "docker/root-user",
    severity: Severity::Warning,
    summary: "The final USER is root",
    explanation: "The Hub runs the container as UID 1000, not root: what the image prepared for root (HOME=/root, root-owned files and caches) is not writable at run time, and commands that need root (apt-get, binding ports below 1024) fail there.",
    fix: "Make the last USER instruction the UID 1000 user (`USER user` after `RUN useradd -m -u 1000 user`).",
};

pub const NO_UID_1000: RuleDef = RuleDef {
    id: "docker/no-uid-1000-user",
    severity: Severity::Warning,
    summary: "No user with UID 1000 is created",
    explanation: "The Hub runs the container as UID 1000. Unless the USER is that UID, the files the image gives that user are not the app's: it cannot write them, and HOME may not be its own.",
    fix: "Create it explicitly: `RUN useradd -m -u 1000 user`, then `USER user`.",
};

pub const USER_AFTER_START: RuleDef = RuleDef {
    id: "docker/user-after-start",
    severity: Severity::Info,
    summary: "USER comes after CMD/ENTRYPOINT",
    explanation: "Docker applies the last USER whatever its place, and the Hub runs UID 1000 anyway, so nothing breaks; but readers (and later edits that add RUN steps between them) take the start command to run as the user declared above it.",
    fix: "Move `USER user` above CMD/ENTRYPOINT, right after the user is created.",
};

pub const COPY_WITHOUT_CHOWN: RuleDef = RuleDef {
    id: "docker/copy-without-chown",
    severity: Severity::Warning,
    summary: "COPY/ADD after switching user without --chown",
    explanation: "COPY and ADD create files owned by root whatever USER says, so the app (UID 1000) cannot modify or delete them. A recursive chown afterwards would duplicate the files in a new layer.",
    fix: "Add `--chown=user` to the COPY/ADD instruction.",
};

pub const WRITE_DENIED: RuleDef = RuleDef {
    id: "docker/write-denied",
    severity: Severity::Error,
    summary: "The app writes where UID 1000 cannot",
    explanation: "The Hub runs the container as UID 1000. The start command or the app creates or writes a path whose directory the Dockerfile left to root (a WORKDIR or COPY made while the build ran as root, without --chown, or `/` itself when HOME is `/` because no user has UID 1000), so it fails with \"Permission denied\" as soon as it starts.",
    fix: "Give the directory to UID 1000 at build time (`RUN mkdir -p DIR && chown 1000:1000 DIR`), or create the user before WORKDIR/COPY (`RUN useradd -m -u 1000 user`, `USER user`, `COPY --chown=user`), or write under /tmp.",
};

pub const CHOWN_UNKNOWN_USER: RuleDef = RuleDef {
    id: "docker/chown-unknown-user",
    severity: Severity::Error,
    summary: "COPY/ADD --chown names a user that does not exist in its build stage",
    explanation: "`--chown` names are looked up in the stage's own /etc/passwd and /etc/group when the step runs; a name no earlier step of that stage (or the stages it starts FROM) created, and the base image does not have, stops the build with \"unable to convert uid/gid chown string to host mapping\".",
    fix: "Create the user earlier in the same stage (`RUN useradd -m -u 1000 user`), or use numeric ids (`--chown=1000:1000`), which need no user.",
};

pub const EXPOSE_MISMATCH: RuleDef = RuleDef {
    id: "docker/expose-mismatch",
    severity: Severity::Warning,
    summary: "EXPOSE does not include README app_port",
    explanation: "The Hub routes traffic to README `app_port` (7860 when unset) whatever EXPOSE says, so EXPOSE alone breaks nothing; but an EXPOSE with another port means the Dockerfile and the Space configuration disagree about where the app listens (when the app does listen elsewhere, `docker/port-mismatch` says so).",
    fix: "Make EXPOSE, the port the server listens on and README `app_port` the same number.",
};

pub const PORT_MISMATCH: RuleDef = RuleDef {
    id: "docker/port-mismatch",
    severity: Severity::Error,
    summary: "The app listens on a port other than README app_port",
    explanation: "The Hub sends traffic to README `app_port` (7860 when unset) only; a server listening elsewhere never gets a request and the Space stays in \"Starting\" until it times out.",
    fix: "Start the server on app_port (e.g. `--port 7860`), or set `app_port` in README.md to the port the server uses.",
};

pub const PORT_ENV_UNSET: RuleDef = RuleDef {
    id: "docker/port-env-unset",
    severity: Severity::Error,
    summary: "The app takes its port from PORT, which the Hub does not set",
    explanation: "The Hub documents the variables it sets in a Space (SPACE_ID, SPACE_HOST, CPU_CORES, the OAuth ones...); PORT is not among them. An app that reads PORT (`${PORT:-8000}`, `os.environ.get(\"PORT\", 8000)`, `process.env.PORT || 3000`) listens on its fallback, and when that is not README `app_port` the Hub's traffic never reaches it; without a fallback (`--port $PORT`, `os.environ[\"PORT\"]`) the server gets no port at all and does not start.",
    fix: "Set the variable in the Dockerfile (`ENV PORT=<app_port>`), or make the fallback README `app_port`.",
};

pub const LISTEN_LOOPBACK: RuleDef = RuleDef {
    id: "docker/listen-loopback",
    severity: Severity::Error,
    summary: "The server only listens on 127.0.0.1",
    explanation: "The Hub's proxy reaches the container over its network interface; a server bound to localhost (uvicorn's, gunicorn's, Flask's and Gradio's default outside the gradio SDK) refuses those connections.",
    fix: "Bind all interfaces: `--host 0.0.0.0` (uvicorn, flask), `--bind 0.0.0.0:PORT` (gunicorn), `server_name=\"0.0.0.0\"` or `ENV GRADIO_SERVER_NAME=0.0.0.0` (gradio).",
};

pub const NO_START_COMMAND: RuleDef = RuleDef {
    id: "docker/no-start-command",
    severity: Severity::Warning,
    summary: "No CMD or ENTRYPOINT",
    explanation: "Without a start command the container runs the base image's (for python images, an interactive interpreter that exits at once), so the Space never serves anything unless the base image's own command is the server.",
    fix: "End the Dockerfile with an exec-form start command, e.g. `CMD [\"sh\", \"/app/start.sh\"]`.",
};

pub const GPU_AT_BUILD: RuleDef = RuleDef {
    id: "docker/gpu-at-build",
    severity: Severity::Error,
    summary: "A RUN step needs the GPU at build time",
    explanation: "Spaces build images on machines without a GPU, even for GPU hardware (it is only attached at run time): `nvidia-smi` is not there and `--gpus` is not available, so the step fails and so does the build.",
    fix: "Move GPU checks and GPU work (warm-ups, compilation that needs the device) to the app's start-up.",
};

pub const GPU_PROBE_AT_BUILD: RuleDef = RuleDef {
    id: "docker/gpu-probe-at-build",
    severity: Severity::Warning,
    summary: "A RUN step looks for the GPU at build time",
    explanation: "Spaces build images without a GPU: `torch.cuda` reports no device there, and a guarded `nvidia-smi || ...` finds none. The build goes on, but whatever depended on the answer (kernels compiled for the device, a CPU fallback chosen) is wrong at run time.",
    fix: "Do the check in the app at start-up, when the GPU is attached.",
};

pub const SECRET_IN_BUILD_ARG: RuleDef = RuleDef {
    id: "docker/secret-in-arg-env",
    severity: Severity::Warning,
    summary: "A secret is passed as ARG or ENV",
    explanation: "The Hub passes a Space's variables, not its secrets, as build arguments, so a secret declared as ARG is empty at build time (or public, if it was made a variable to fill it); ARG values are recorded in the image history and ENV values are stored in the image.",
    fix: "Read it at build time with `RUN --mount=type=secret,id=NAME,mode=0444,required=true cat /run/secrets/NAME`; at runtime it is already in the environment (set it as a Space secret), so no ENV is needed.",
};

pub const SHELL_FORM_START: RuleDef = RuleDef {
    id: "docker/shell-form-start",
    severity: Severity::Info,
    summary: "CMD/ENTRYPOINT in shell form",
    explanation: "Shell form runs the command under `/bin/sh -c`, which may not pass SIGTERM on: when the Space restarts or sleeps the app can be killed instead of shutting down cleanly.",
    fix: "Use exec form: `CMD [\"uvicorn\", \"app:app\", \"--host\", \"0.0.0.0\", \"--port\", \"7860\"]`, or a script that ends with `exec`.",
};

pub const BASE_IMAGE_UNPINNED: RuleDef = RuleDef {
    id: "docker/base-image-unpinned",
    severity: Severity::Warning,
    summary: "Base image is untagged or :latest",
    explanation: "An untagged or `:latest` base image changes under the Space: a rebuild months later can bring a new Python or OS release and break the app.",
    fix: "Pin a tag (e.g. `python:3.12-slim`), or a digest for fully reproducible builds.",
};

pub const DATA_AT_BUILD: RuleDef = RuleDef {
    id: "docker/data-at-build",
    severity: Severity::Warning,
    summary: "/data is used at build time",
    explanation: "A Space's /data volume is mounted when the container starts; it does not exist during the build, so anything written under it is hidden by the mount (or lost). Creating /data itself and opening its permissions (`mkdir -p /data && chmod 777 /data`, as the Hub's docs show) is fine.",
    fix: "Create and fill /data from the app at start-up; keep build-time files under /app or $HOME.",
};

pub const PYTHON_BUFFERED: RuleDef = RuleDef {
    id: "docker/python-buffered",
    severity: Severity::Info,
    summary: "Python output is buffered",
    explanation: "Without PYTHONUNBUFFERED, Python buffers stdout when it is not a terminal, so the Space's logs show prints late or never (if the app crashes).",
    fix: "Add `ENV PYTHONUNBUFFERED=1` (or run `python -u`).",
};

/// The catalogue, in the order `rules()` returns it.
pub const RULES: &[&RuleDef] = &[
    &DOCKERFILE_UNREADABLE,
    &NO_FROM,
    &NO_USER,
    &ROOT_USER,
    &NO_UID_1000,
    &USER_AFTER_START,
    &COPY_WITHOUT_CHOWN,
    &WRITE_DENIED,
    &CHOWN_UNKNOWN_USER,
    &EXPOSE_MISMATCH,
    &PORT_MISMATCH,
    &PORT_ENV_UNSET,
    &LISTEN_LOOPBACK,
    &NO_START_COMMAND,
    &GPU_AT_BUILD,
    &GPU_PROBE_AT_BUILD,
    &SECRET_IN_BUILD_ARG,
    &SHELL_FORM_START,
    &BASE_IMAGE_UNPINNED,
    &DATA_AT_BUILD,
    &PYTHON_BUFFERED,
];

pub fn rules() -> Vec<spacesmith_plugin_sdk::Rule> {
    catalogue(RULES)
}

/// Applies every rule to `project`; findings sorted by place.
pub fn check(project: &Project) -> Vec<Finding> {
    // A missing Dockerfile is the host's common/missing-dockerfile.
    let Some(file) = project.file(DOCKERFILE) else {
        return Vec::new();
    };
    let Some(text) = file.text() else {
        return vec![finding(&DOCKERFILE_UNREADABLE, "the Dockerfile is binary or too large to check").in_file(DOCKERFILE)];
    };
    let dockerfile = Dockerfile::parse(text);
    let stages = dockerfile.stages();
    if stages.is_empty() {
        return vec![finding(&NO_FROM, "the Dockerfile has no FROM instruction").in_file(DOCKERFILE)];
    }
    let app_port = app_port(&project.front_matter());
    let image = FinalImage::new(&dockerfile);
    let needed = needed_stages(&stages);
    let mut findings = Vec::new();
    user_rules(&image, &mut findings);
    copy_rules(&image, &mut findings);
    if let Some(found) = port_rules(project, &image, app_port, &mut findings) {
        write_rules(project, &image, &found, &mut findings);
    }
    chown_rules(&dockerfile, &stages, &needed, &mut findings);
    build_rules(&dockerfile, &stages, &needed, &mut findings);
    python_rules(&image, &mut findings);
    sort_findings(&mut findings);
    findings
}

/// The instructions that make the final image, in order, with the variables they leave behind.
struct FinalImage<'a> {
    instructions: Vec<&'a Instruction>,
    /// The final stage's FROM, where image-wide findings point.
    from: &'a Instruction,
    /// Base image references of the chain (expanded), root first.
    images: Vec<String>,
    /// What the last build step sees: ENV values and the final stage's ARG values.
    vars: Vars,
    /// What the app sees when it runs: ENV values only (ARG values are build-time).
    runtime: Vars,
    owners: Owners,
}

impl<'a> FinalImage<'a> {
    fn new(dockerfile: &'a Dockerfile) -> Self {
        let chain = dockerfile.final_chain();
        let globals = dockerfile.global_args();
        let images: Vec<String> =
            chain.iter().map(|s| shell::expand(s.image, &globals).unwrap_or_else(|| s.image.to_string())).collect();
        let mut builder = Builder::new(images.first().and_then(|i| known_family(i)));
        let walked = dockerfile.walk_final(|_, ins, vars| builder.instruction(ins, vars));
        let (runtime, vars) = (walked.env, walked.in_scope);
        let instructions: Vec<&Instruction> = chain.iter().flat_map(|s| s.body.iter()).collect();
        let last = chain.last().expect("stages is not empty");
        let owners = builder.finish(&runtime);
        FinalImage { instructions, from: last.from, images, vars, runtime, owners }
    }

    fn last(&self, keyword: &str) -> Option<(usize, &'a Instruction)> {
        self.instructions.iter().enumerate().rev().find(|(_, i)| i.is(keyword)).map(|(n, i)| (n, *i))
    }

    /// The variables the start command runs with: ENV, the working directory (`PWD`) and HOME.
    fn start_vars(&self) -> Vars {
        let mut vars = self.runtime.clone();
        if let Some(dir) = &self.owners.workdir {
            vars.insert("PWD".into(), dir.clone());
        }
        if let Some(home) = &self.owners.home {
            vars.entry("HOME".into()).or_insert_with(|| home.clone());
        }
        vars
    }
}

fn user_rules(image: &FinalImage<'_>, findings: &mut Vec<Finding>) {
    let Some((user_at, user)) = image.last("USER") else {
        let home = match image.owners.home.as_deref() {
            Some("/") => ", where HOME is `/` (no user has UID 1000)",
            _ => "",
        };
        findings.push(
            finding(
                &NO_USER,
                format!("no USER instruction: the build runs as root and leaves its files to root, but the Hub runs the container as UID 1000{home}"),
            )
            .at(DOCKERFILE, image.from.line),
        );
        return;
    };
    let name = user.args.split(':').next().unwrap_or_default().trim();
    if name == "root" || name == "0" {
        findings.push(
            finding(&ROOT_USER, format!("the final USER is {}, but the Hub runs the container as UID 1000", user.args))
                .at(DOCKERFILE, user.line),
        );
    } else if name != "1000"
        && !base_image_has_uid_1000(&image.images, name)
        && !image.instructions.iter().any(|i| i.is("RUN") && creates_uid_1000(&i.run_text()))
        // A user an unknown base image brings may well be UID 1000 (Livebook's `ubuntu`): not known.
        && (image.images.first().is_some_and(|i| known_family(i).is_some()) || creates_user(image, name))
    {
        findings.push(
            finding(&NO_UID_1000, format!("USER {name}, but no `useradd`/`adduser` with UID 1000 in the image's stages"))
                .at(DOCKERFILE, user.line),
        );
    }
    let start = [image.last("CMD"), image.last("ENTRYPOINT")].into_iter().flatten().max_by_key(|(at, _)| *at);
    if let Some((start_at, start)) = start
        && start_at < user_at
    {
        findings.push(
            finding(
                &USER_AFTER_START,
                format!("USER on line {} comes after {} on line {}", user.line, start.keyword, start.line),
            )
            .at(DOCKERFILE, user.line),
        );
    }
}

/// Whether a base image ships `user` with UID 1000 (the official node images' `node`).
fn base_image_has_uid_1000(images: &[String], user: &str) -> bool {
    images.first().and_then(|i| known_family(i)).and_then(owners::family_uid_1000_user).is_some_and(|(u, _)| u == user)
}

/// Whether the image's RUN steps create `name` (with any UID).
fn creates_user(image: &FinalImage<'_>, name: &str) -> bool {
    image.instructions.iter().filter(|i| i.is("RUN")).any(|i| {
        shell::commands(&i.run_text()).iter().any(|words| {
            words.iter().position(|w| matches!(shell::basename(w), "useradd" | "adduser")).is_some_and(|at| {
                owners::created_user(shell::basename(&words[at]), &words[at + 1..])
                    .is_some_and(|u| u.names.iter().any(|n| n == name))
            })
        })
    })
}

/// Whether shell text runs `useradd`/`adduser` with UID 1000.
fn creates_uid_1000(text: &str) -> bool {
    shell::commands(text).iter().any(|words| {
        let Some(at) = words.iter().position(|w| matches!(shell::basename(w), "useradd" | "adduser")) else { return false };
        owners::created_user(shell::basename(&words[at]), &words[at + 1..]).is_some_and(|u| u.uid_1000)
    })
}

fn copy_rules(image: &FinalImage<'_>, findings: &mut Vec<Finding>) {
    let mut user: Option<&str> = None;
    for ins in &image.instructions {
        match ins.keyword.as_str() {
            "USER" => user = ins.args.split(':').next().map(str::trim),
            "COPY" | "ADD" => {
                let non_root = user.is_some_and(|u| u != "root" && u != "0");
                if non_root && ins.flag("chown").is_none() {
                    findings.push(
                        finding(&COPY_WITHOUT_CHOWN, format!("{} without --chown: the files stay owned by root", ins.keyword))
                            .at(DOCKERFILE, ins.line)
                            .with_fix(format!("Write `{} --chown={} ...`.", ins.keyword, user.unwrap_or("user"))),
                    );
                }
            }
            _ => {}
        }
    }
}

/// The port rules; what the start command does, when there is one.
fn port_rules(project: &Project, image: &FinalImage<'_>, app_port: u16, findings: &mut Vec<Finding>) -> Option<Listening> {
    // EXPOSE
    let exposes: Vec<&Instruction> = image.instructions.iter().copied().filter(|i| i.is("EXPOSE")).collect();
    let exposed: Vec<(u16, u16)> =
        exposes.iter().flat_map(|i| shell::words(&i.args)).filter_map(|w| port_range(&w, &image.vars)).collect();
    if let Some(first) = exposes.first()
        && !exposed.is_empty()
        && !exposed.iter().any(|(lo, hi)| (*lo..=*hi).contains(&app_port))
    {
        findings.push(
            finding(&EXPOSE_MISMATCH, format!("EXPOSE {} but README app_port is {app_port}", first.args))
                .at(DOCKERFILE, first.line),
        );
    }

    // The start command, as Docker combines ENTRYPOINT and CMD.
    let entrypoint = image.last("ENTRYPOINT").map(|(_, i)| i);
    let cmd = image.last("CMD").map(|(_, i)| i);
    let Some(start) = entrypoint.or(cmd) else {
        findings.push(finding(&NO_START_COMMAND, "the image has no CMD or ENTRYPOINT").at(DOCKERFILE, image.from.line));
        return None;
    };
    for ins in [entrypoint, cmd].into_iter().flatten() {
        if let Form::Shell(text) = ins.form()
            && !text.is_empty()
        {
            findings.push(finding(&SHELL_FORM_START, format!("{} {text}", ins.keyword)).at(DOCKERFILE, ins.line));
        }
    }
    let words: Vec<String> = match (entrypoint.map(Instruction::form), cmd.map(Instruction::form)) {
        (Some(Form::Shell(text)), _) => vec!["/bin/sh".into(), "-c".into(), text.to_string()],
        (Some(Form::Exec(mut words)), cmd) => {
            match cmd {
                Some(Form::Exec(more)) => words.extend(more),
                Some(Form::Shell(text)) => words.extend(["/bin/sh".into(), "-c".into(), text.to_string()]),
                None => {}
            }
            words
        }
        (None, Some(Form::Exec(words))) => words,
        (None, Some(Form::Shell(text))) => vec!["/bin/sh".into(), "-c".into(), text.to_string()],
        (None, None) => Vec::new(),
    };
    let found = listen::scan_start(project, StartCommand::Exec(&words), DOCKERFILE, start.line, &image.start_vars());
    if found.proxied {
        return Some(found);
    }
    if !found.ports.is_empty() && !found.ports.iter().any(|p| p.port == app_port) {
        // One finding per port, where it first appears (later uses usually follow from it), or where its
        // unset variable's fallback is taken.
        let mut reported = BTreeSet::new();
        for port in &found.ports {
            if !reported.insert(port.port) {
                continue;
            }
            let port = found.ports.iter().find(|p| p.port == port.port && p.unset.is_some()).unwrap_or(port);
            let f = match &port.unset {
                Some(var) => finding(
                    &PORT_ENV_UNSET,
                    format!(
                        "{} listens on {}: the Hub does not set {var}, so the fallback is used, but README app_port is {app_port}",
                        port.how, port.port
                    ),
                )
                .with_fix(format!(
                    "Add `ENV {var}={app_port}` to the Dockerfile, or make the fallback {app_port}{}.",
                    if app_port == 7860 { "" } else { " (README app_port)" }
                )),
                None => finding(&PORT_MISMATCH, format!("{} listens on {} but README app_port is {app_port}", port.how, port.port)),
            };
            findings.push(f.at(&port.path, port.line));
        }
    }
    if !found.ports.iter().any(|p| p.port == app_port) {
        for unset in &found.unset_ports {
            let message = format!("{}: the Hub does not set {}", unset.how, unset.var);
            let fix = format!(
                "Add `ENV {var}={app_port}` to the Dockerfile, or give the lookup the fallback {app_port} (`${{{var}:-{app_port}}}`).",
                var = unset.var
            );
            findings.push(finding(&PORT_ENV_UNSET, message).at(&unset.path, unset.line).with_fix(fix));
        }
    }
    for lo in &found.loopback {
        findings.push(finding(&LISTEN_LOOPBACK, lo.how.clone()).at(&lo.path, lo.line));
    }
    Some(found)
}

/// Paths the start command or the app writes, where the image leaves the directory to root.
fn write_rules(project: &Project, image: &FinalImage<'_>, found: &Listening, findings: &mut Vec<Finding>) {
    let mut reported = BTreeSet::new();
    for write in &found.writes {
        // `mkdir -p` of a directory the repository has (copied into the image) writes nothing.
        if write.if_missing && repository_has_dir(project, image.owners.workdir.as_deref(), &write.target) {
            continue;
        }
        // Models the build downloaded are read from the cache, not written.
        if write.download && image.instructions.iter().any(|i| i.is("RUN") && downloads_models(&i.run_text())) {
            continue;
        }
        let Some((dir, entry)) = image.owners.denied(&write.target, write.if_missing) else { continue };
        if !reported.insert((write.path.clone(), write.line, dir.to_string())) {
            continue;
        }
        let home = match image.owners.home.as_deref() {
            Some("/") if dir == "/" && write.target.starts_with("/.") => " (HOME is `/`: no user has UID 1000)",
            _ => "",
        };
        let message = format!(
            "{} {} {} at start, but {dir} {}{home}: the Hub runs the app as UID 1000, which cannot write there",
            write.how,
            if write.download { "downloads into" } else { "writes" },
            write.target,
            entry.why
        );
        let target = &write.target;
        let fix = format!(
            "Give it to UID 1000 at build time (`RUN mkdir -p {target} && chown 1000:1000 {target}` in the Dockerfile), or create the user before the WORKDIR/COPY that make {dir} (`RUN useradd -m -u 1000 user`, `USER user`, `COPY --chown=user`), or write under /tmp."
        );
        findings.push(finding(&WRITE_DENIED, message).at(&write.path, write.line).with_fix(fix));
    }
}

/// Whether a build step downloads from the Hub (into a cache the app may then only read).
fn downloads_models(text: &str) -> bool {
    ["from_pretrained", "snapshot_download", "hf_hub_download", "huggingface-cli download", "hf download", "pipeline("]
        .iter()
        .any(|m| text.contains(m))
}

/// Whether the repository has a directory that may be `target` in the image: its path below the working
/// directory, or its last component, with files under it.
fn repository_has_dir(project: &Project, workdir: Option<&str>, target: &str) -> bool {
    let relative = workdir.and_then(|w| target.strip_prefix(&format!("{}/", w.trim_end_matches('/'))));
    let name = relative.unwrap_or_else(|| target.rsplit('/').next().unwrap_or(target));
    !name.is_empty() && project.paths().any(|p| p.starts_with(&format!("{name}/")) || p.contains(&format!("/{name}/")))
}

/// An EXPOSE word (`7860`, `7860/tcp`, `8000-8010/udp`, `$PORT`) as an inclusive range.
fn port_range(word: &str, vars: &Vars) -> Option<(u16, u16)> {
    let word = shell::expand(word, vars)?;
    let ports = word.split('/').next()?;
    match ports.split_once('-') {
        Some((lo, hi)) => Some((lo.parse().ok()?, hi.parse().ok()?)),
        None => ports.parse().ok().map(|p| (p, p)),
    }
}

/// The stages the final image needs, by index: the last stage, the stages it starts FROM, and the stages
/// they copy or mount `--from`, transitively. BuildKit builds only these.
fn needed_stages(stages: &[Stage<'_>]) -> BTreeSet<usize> {
    let mut needed = BTreeSet::new();
    let mut todo = vec![stages.len() - 1];
    while let Some(index) = todo.pop() {
        if !needed.insert(index) {
            continue;
        }
        let stage = &stages[index];
        let mut refs: Vec<String> = vec![stage.image.to_string()];
        for ins in stage.body {
            if let Some(from) = ins.flag("from").and_then(|f| f.value.clone()) {
                refs.push(from);
            }
            for mount in ins.flags.iter().filter(|f| f.name == "mount").filter_map(|f| f.value.as_deref()) {
                refs.extend(mount.split(',').filter_map(|kv| kv.strip_prefix("from=")).map(str::to_string));
            }
        }
        for name in refs {
            let by_name = stages[..index].iter().rev().find(|s| s.name.as_deref() == Some(name.to_ascii_lowercase().as_str()));
            let by_index = name.parse::<usize>().ok().filter(|i| *i < index);
            if let Some(i) = by_name.map(|s| s.index).or(by_index) {
                todo.push(i);
            }
        }
    }
    needed
}

/// Users every official base image has (Debian's and Alpine's system accounts).
const SYSTEM_USERS: &[&str] = &[
    "root",
    "daemon",
    "bin",
    "sys",
    "sync",
    "games",
    "man",
    "lp",
    "mail",
    "news",
    "uucp",
    "proxy",
    "www-data",
    "backup",
    "list",
    "irc",
    "gnats",
    "nobody",
    "_apt",
    "adm",
    "shutdown",
    "halt",
    "operator",
    "postmaster",
    "cron",
    "ftp",
    "sshd",
    "at",
    "squid",
    "xfs",
    "guest",
    "ntp",
    "smmsp",
];

/// Groups every official base image has.
const SYSTEM_GROUPS: &[&str] = &[
    "root", "daemon", "bin", "sys", "adm", "tty", "disk", "lp", "mail", "news", "uucp", "man", "proxy", "kmem", "dialout", "fax",
    "voice", "cdrom", "floppy", "tape", "sudo", "audio", "dip", "www-data", "backup", "operator", "list", "irc", "src", "gnats",
    "shadow", "utmp", "video", "sasl", "plugdev", "staff", "games", "users", "nogroup", "nobody", "wheel", "ping", "cron", "ftp",
    "xfs", "abuild", "kvm", "input", "render", "netdev", "utmp",
];

/// The accounts a build stage has at some point, which the stages built FROM it start with.
#[derive(Clone)]
struct Accounts {
    /// The base image of the chain's first stage.
    root: String,
    users: BTreeSet<String>,
    groups: BTreeSet<String>,
    vars: Vars,
    /// A step may have made accounts in a way not followed (a script, /etc/passwd edited): no conclusions.
    unknown: bool,
}

impl Accounts {
    /// What an official image has; `None` for other images, whose accounts are not known.
    fn of_image(root: String) -> Option<Self> {
        let family = known_family(&root)?;
        let mut users: BTreeSet<String> = SYSTEM_USERS.iter().map(|s| s.to_string()).collect();
        let mut groups: BTreeSet<String> = SYSTEM_GROUPS.iter().map(|s| s.to_string()).collect();
        let own = owners::family_uid_1000_user(family).map(|(user, _)| user).or((family == "nginx").then_some("nginx"));
        if let Some(user) = own {
            users.insert(user.into());
            groups.insert(user.into());
        }
        Some(Accounts { root, users, groups, vars: Vars::new(), unknown: false })
    }

    fn run(&mut self, text: &str) {
        self.unknown |= ["/etc/passwd", "/etc/group", "usermod", "groupmod", "newusers"].iter().any(|w| text.contains(w));
        for words in shell::commands(text) {
            let Some(at) = words.iter().position(|w| shell::assignment(w).is_none() && w != "sudo") else { continue };
            let program = shell::basename(&words[at]);
            let args: Vec<String> =
                words[at + 1..].iter().map(|w| shell::expand(w, &self.vars).unwrap_or_else(|| w.clone())).collect();
            if let Some(user) = owners::created_user(program, &args) {
                // useradd and adduser make a group of the same name by default.
                self.users.extend(user.names.iter().cloned());
                self.groups.extend(user.names);
            } else if matches!(program, "groupadd" | "addgroup") {
                self.groups.extend(args.iter().filter(|a| !a.starts_with('-')).cloned());
            } else if program.ends_with(".sh") || args.first().is_some_and(|a| a.ends_with(".sh")) {
                self.unknown = true;
            }
        }
    }

    /// What a `--chown` spec names that does not exist (`user x` or `group y`).
    fn missing(&self, spec: &str) -> Option<String> {
        let (user, group) = spec.split_once(':').map_or((spec, None), |(u, g)| (u, Some(g)));
        let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if !numeric(user) && !self.users.contains(user) {
            Some(format!("user named `{user}`"))
        } else {
            group.filter(|g| !numeric(g) && !self.groups.contains(*g)).map(|g| format!("group named `{g}`"))
        }
    }
}

/// `COPY/ADD --chown=NAME` where NAME does not exist yet in that stage: the build fails. Each stage starts
/// with the accounts of the stage it is built FROM (one pass, in order).
fn chown_rules(dockerfile: &Dockerfile, stages: &[Stage<'_>], needed: &BTreeSet<usize>, findings: &mut Vec<Finding>) {
    let globals = dockerfile.global_args();
    let mut ends: Vec<Option<Accounts>> = Vec::with_capacity(stages.len());
    let mut by_name: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for stage in stages {
        let start = match by_name.get(&stage.image.to_ascii_lowercase()) {
            Some(&parent) => ends[parent].clone(),
            None => Accounts::of_image(shell::expand(stage.image, &globals).unwrap_or_else(|| stage.image.to_string())),
        };
        if let Some(name) = &stage.name {
            by_name.insert(name.clone(), stage.index);
        }
        let Some(mut accounts) = start else {
            ends.push(None);
            continue;
        };
        for ins in stage.body {
            match ins.keyword.as_str() {
                "ARG" => {
                    for (name, value) in arg_pairs(&ins.args) {
                        let value = value.and_then(|v| shell::expand(&v, &accounts.vars)).or_else(|| globals.get(&name).cloned());
                        if let Some(v) = value {
                            accounts.vars.insert(name, v);
                        }
                    }
                }
                "ENV" => {
                    for (name, value) in env_pairs(&ins.args) {
                        if let Some(v) = shell::expand(&value, &accounts.vars) {
                            accounts.vars.insert(name, v);
                        }
                    }
                }
                "RUN" => accounts.run(&ins.run_text()),
                "COPY" | "ADD" if ins.flag("from").is_some() && ins.args.contains("/etc/") => accounts.unknown = true,
                "COPY" | "ADD" if needed.contains(&stage.index) && !accounts.unknown => {
                    let Some(spec) = ins.flag("chown").and_then(|f| f.value.as_deref()) else { continue };
                    let Some(spec) = shell::expand(spec, &accounts.vars) else { continue };
                    if let Some(missing) = accounts.missing(&spec) {
                        let message = format!(
                            "{} --chown={spec}: no {missing} exists in this stage at line {} (FROM {} has none by that name and no earlier useradd/adduser creates it), so the build fails",
                            ins.keyword, ins.line, accounts.root
                        );
                        findings.push(finding(&CHOWN_UNKNOWN_USER, message).at(DOCKERFILE, ins.line));
                    }
                }
                _ => {}
            }
        }
        ends.push(Some(accounts));
    }
}

fn build_rules(dockerfile: &Dockerfile, stages: &[Stage<'_>], needed: &BTreeSet<usize>, findings: &mut Vec<Finding>) {
    let globals = dockerfile.global_args();
    for stage in stages.iter().filter(|s| needed.contains(&s.index)) {
        let image = shell::expand(stage.image, &globals);
        if let Some(image) = image
            && !Dockerfile::is_stage_name(stages, stage.index, &image)
            && let Some(problem) = unpinned(&image)
        {
            findings.push(finding(&BASE_IMAGE_UNPINNED, format!("FROM {image}: {problem}")).at(DOCKERFILE, stage.from.line));
        }
    }
    let global_args = dockerfile.instructions.iter().take_while(|i| !i.is("FROM"));
    let bodies = stages.iter().filter(|s| needed.contains(&s.index)).flat_map(|s| s.body.iter());
    for ins in global_args.chain(bodies) {
        match ins.keyword.as_str() {
            "RUN" => {
                let text = ins.run_text();
                match gpu_use(&text) {
                    Some((what, true)) => findings.push(
                        finding(&GPU_AT_BUILD, format!("RUN uses `{what}`, but no GPU is attached during the build"))
                            .at(DOCKERFILE, ins.line),
                    ),
                    Some((what, false)) => findings.push(
                        finding(&GPU_PROBE_AT_BUILD, format!("RUN uses `{what}`, but no GPU is attached during the build"))
                            .at(DOCKERFILE, ins.line),
                    ),
                    None => {}
                }
                if writes_under_data(&text) {
                    findings
                        .push(finding(&DATA_AT_BUILD, "RUN uses /data, which only exists at runtime").at(DOCKERFILE, ins.line));
                }
            }
            "COPY" | "ADD" | "WORKDIR" if mentions_data(&ins.args) => {
                findings.push(
                    finding(&DATA_AT_BUILD, format!("{} {}: /data only exists at runtime", ins.keyword, ins.args))
                        .at(DOCKERFILE, ins.line),
                );
            }
            "ARG" | "ENV" => {
                let names: Vec<String> = if ins.is("ARG") {
                    arg_pairs(&ins.args).into_iter().map(|(n, _)| n).collect()
                } else {
                    env_pairs(&ins.args).into_iter().map(|(n, _)| n).collect()
                };
                for name in names.iter().filter(|n| looks_secret(n)) {
                    findings.push(
                        finding(&SECRET_IN_BUILD_ARG, format!("{} {name}: a secret in {} is empty at build time on the Hub or ends up in the image", ins.keyword, ins.keyword))
                            .at(DOCKERFILE, ins.line)
                            .with_fix(format!(
                                "Remove the {kw}; at build time use `RUN --mount=type=secret,id={name},mode=0444,required=true` and read /run/secrets/{name}; at runtime the Space secret {name} is already in the environment.",
                                kw = ins.keyword
                            )),
                    );
                }
            }
            _ => {}
        }
    }
}

/// Why an image reference is not pinned, if it is not. `scratch` and digests are pinned.
fn unpinned(image: &str) -> Option<&'static str> {
    if image.eq_ignore_ascii_case("scratch") || image.contains('@') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("no tag, which means :latest"),
        Some((_, "latest")) => Some(":latest moves with every release"),
        Some(_) => None,
    }
}

/// The GPU command a build step uses, if any, and whether it fails the step: `nvidia-smi` run as a
/// command and `--gpus` fail unless guarded with `||`; `torch.cuda` (and `nvidia-smi` inside other
/// text) only probe.
fn gpu_use(text: &str) -> Option<(&'static str, bool)> {
    let guarded = text.contains("||");
    for words in shell::commands(text) {
        let Some(at) = words.iter().position(|w| shell::assignment(w).is_none() && !matches!(w.as_str(), "sudo" | "exec")) else {
            continue;
        };
        let program = shell::basename(&words[at]);
        if program == "nvidia-smi" {
            return Some(("nvidia-smi", !guarded));
        }
        if matches!(program, "docker" | "podman") && words[at..].iter().any(|w| w == "--gpus" || w.starts_with("--gpus=")) {
            return Some(("--gpus", !guarded));
        }
    }
    if text.contains("nvidia-smi") {
        return Some(("nvidia-smi", false));
    }
    text.contains("torch.cuda").then_some(("torch.cuda", false))
}

/// Whether a RUN puts something under /data: any use of it except creating /data itself and opening its
/// permissions (`mkdir -p /data && chmod 777 /data`), which prepares the mount point.
fn writes_under_data(text: &str) -> bool {
    shell::commands(text).iter().any(|words| {
        let uses = words.iter().any(|w| mentions_data(w));
        let prepares = matches!(words.first().map(|w| shell::basename(w)), Some("mkdir" | "chmod" | "chown"))
            && words.iter().filter(|w| mentions_data(w)).all(|w| w == "/data" || w == "/data/");
        uses && !prepares
    })
}

/// Whether text refers to the absolute path /data (not /database, not /app/data).
fn mentions_data(text: &str) -> bool {
    text.match_indices("/data").any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + "/data".len()..].chars().next();
        let starts_path = before.is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '$' | '}' | '~')));
        let ends_name = after.is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')));
        starts_path && ends_name
    })
}

pub use spacesmith_readers::looks_secret;

fn python_rules(image: &FinalImage<'_>, findings: &mut Vec<Finding>) {
    let unbuffered = image.vars.get("PYTHONUNBUFFERED").is_some_and(|v| !v.is_empty() && v != "0");
    if unbuffered {
        return;
    }
    let start_texts: Vec<String> = image
        .instructions
        .iter()
        .filter(|i| i.is("CMD") || i.is("ENTRYPOINT"))
        .map(|i| match i.form() {
            Form::Exec(words) => words.join(" "),
            Form::Shell(s) => s.to_string(),
        })
        .collect();
    if start_texts.iter().any(|t| shell::words(t).windows(2).any(|w| w[0].starts_with("python") && w[1] == "-u")) {
        return;
    }
    let python = image.images.iter().any(|i| i.contains("python"))
        || image.instructions.iter().any(|i| {
            i.is("RUN")
                && shell::commands(&i.run_text())
                    .iter()
                    .any(|c| c.iter().any(|w| matches!(shell::basename(w), "pip" | "pip3" | "python" | "python3" | "uv")))
        });
    if python {
        findings.push(
            finding(&PYTHON_BUFFERED, "PYTHONUNBUFFERED is not set: the Space's logs may show Python output late")
                .at(DOCKERFILE, image.from.line),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spacesmith_plugin_sdk::json;
    use spacesmith_plugin_sdk::testing::{assert_catalogue, project};

    const GOOD: &str = r#"# syntax=docker/dockerfile:1
FROM python:3.12-slim
RUN useradd -m -u 1000 user && mkdir /app && chown user:user /app
USER user
ENV HOME=/home/user PATH=/home/user/.local/bin:$PATH PYTHONUNBUFFERED=1
WORKDIR /app
COPY --chown=user requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY --chown=user . .
EXPOSE 7860
CMD ["uvicorn", "app:app", "--host", "0.0.0.0", "--port", "7860"]
"#;

    fn run(files: &[(&str, &str)], app_port: Option<u16>) -> Vec<(String, Option<u32>)> {
        let fm = app_port.map(|p| json!({"sdk": "docker", "app_port": p})).unwrap_or(json!({"sdk": "docker"}));
        check(&project(files, Some(fm))).into_iter().map(|f| (f.rule_id, f.line)).collect()
    }

    fn dockerfile(text: &str) -> Vec<(String, Option<u32>)> {
        run(&[("Dockerfile", text)], None)
    }

    fn ids(found: &[(String, Option<u32>)]) -> Vec<&str> {
        found.iter().map(|(id, _)| id.as_str()).collect()
    }

    #[test]
    fn catalogue_is_well_formed() {
        assert_catalogue("docker", &rules());
    }

    #[test]
    fn a_good_dockerfile_passes() {
        assert_eq!(dockerfile(GOOD), []);
    }

    #[test]
    fn missing_unreadable_and_empty_dockerfiles() {
        // A missing root Dockerfile is the host's common/missing-dockerfile: no second finding here.
        assert!(run(&[("app.py", "")], None).is_empty());
        assert!(run(&[("docker/Dockerfile", GOOD)], None).is_empty());
        let truncated = spacesmith_plugin_sdk::Project {
            files: vec![spacesmith_plugin_sdk::ProjectFile { path: "Dockerfile".into(), contents: vec![], truncated: true }],
            front_matter_json: None,
        };
        assert_eq!(check(&truncated)[0].rule_id, "docker/dockerfile-unreadable");
        assert_eq!(ids(&dockerfile("# only a comment\n")), ["docker/no-from"]);
    }

    #[test]
    fn user_rules() {
        let no_user = GOOD.replace("USER user\n", "");
        assert!(dockerfile(&no_user).contains(&("docker/no-user".into(), Some(2))));
        let root = GOOD.replace("COPY --chown=user . .\n", "COPY --chown=user . .\nUSER root\n");
        assert!(dockerfile(&root).contains(&("docker/root-user".into(), Some(10))));
        let no_useradd = GOOD.replace("useradd -m -u 1000 user && ", "");
        // Without the user, `--chown=user` also stops the build.
        assert_eq!(
            dockerfile(&no_useradd),
            [
                ("docker/no-uid-1000-user".into(), Some(4)),
                ("docker/chown-unknown-user".into(), Some(7)),
                ("docker/chown-unknown-user".into(), Some(9))
            ]
        );
        let numeric = no_useradd.replace("USER user", "USER 1000:1000").replace("--chown=user", "--chown=1000");
        assert_eq!(dockerfile(&numeric), []);
        let long_flags = GOOD.replace("useradd -m -u 1000 user", "adduser --disabled-password --uid=1000 user");
        assert_eq!(dockerfile(&long_flags), []);
        let after = "FROM python:3.12-slim\nRUN useradd -m -u 1000 user\nENV PYTHONUNBUFFERED=1\nCMD [\"python\", \"-m\", \"http.server\", \"7860\"]\nUSER user\n";
        assert_eq!(dockerfile(after), [("docker/user-after-start".into(), Some(5))]);
        let node = "FROM node:20-slim\nUSER node\nCMD [\"node\", \"server.js\"]\n";
        assert_eq!(dockerfile(node), []);
    }

    #[test]
    fn user_is_inherited_from_the_parent_stage_only() {
        let text = "FROM python:3.12-slim AS base\nRUN useradd -m -u 1000 user\nUSER user\nENV PYTHONUNBUFFERED=1\nFROM base\nEXPOSE 7860\nCMD [\"python\", \"-m\", \"http.server\", \"7860\"]\n";
        assert_eq!(dockerfile(text), []);
        let builder = "FROM python:3.12-slim AS build\nUSER nobody\nFROM python:3.12-slim\nENV PYTHONUNBUFFERED=1\nCMD [\"python\", \"-m\", \"http.server\", \"7860\"]\n";
        assert_eq!(ids(&dockerfile(builder)), ["docker/no-user"]);
    }

    #[test]
    fn copy_after_user_needs_chown() {
        let text = GOOD
            .replace("COPY --chown=user . .", "COPY . .")
            .replace("COPY --chown=user requirements.txt ./", "ADD --chmod=644 requirements.txt ./");
        assert_eq!(
            dockerfile(&text),
            [("docker/copy-without-chown".into(), Some(7)), ("docker/copy-without-chown".into(), Some(9))]
        );
        let before_user = "FROM python:3.12-slim\nCOPY . /app\nRUN useradd -m -u 1000 user\nUSER user\nENV PYTHONUNBUFFERED=1\nCMD [\"python\", \"-m\", \"http.server\", \"7860\"]\n";
        assert_eq!(dockerfile(before_user), []);
    }

    #[test]
    fn expose_must_include_app_port() {
        let text = GOOD.replace("EXPOSE 7860", "EXPOSE 8000");
        assert_eq!(dockerfile(&text), [("docker/expose-mismatch".into(), Some(10))]);
        assert_eq!(dockerfile(&GOOD.replace("EXPOSE 7860", "EXPOSE 7000-8000/tcp")), []);
        assert_eq!(dockerfile(&GOOD.replace("EXPOSE 7860", "EXPOSE 80 7860")), []);
        let var = GOOD.replace("EXPOSE 7860", "ARG PORT=7860\nEXPOSE $PORT");
        assert_eq!(dockerfile(&var), []);
        assert_eq!(dockerfile(&GOOD.replace("EXPOSE 7860\n", "")), []);
        let found = run(&[("Dockerfile", GOOD)], Some(8501));
        assert!(found.contains(&("docker/expose-mismatch".into(), Some(10))), "{found:?}");
    }

    #[test]
    fn listening_port_must_be_app_port() {
        let text = GOOD.replace("\"--port\", \"7860\"", "\"--port\", \"8000\"");
        assert_eq!(dockerfile(&text), [("docker/port-mismatch".into(), Some(11))]);
        let default = GOOD.replace(", \"--port\", \"7860\"", "");
        assert_eq!(ids(&dockerfile(&default)), ["docker/port-mismatch"]);
        let script = "#!/bin/sh\nPORT=\"${PORT:-8000}\"\nexec uvicorn app:app --host 0.0.0.0 --port \"$PORT\"\n";
        let with_script = GOOD.replace(
            "CMD [\"uvicorn\", \"app:app\", \"--host\", \"0.0.0.0\", \"--port\", \"7860\"]",
            "CMD [\"sh\", \"/app/start.sh\"]",
        );
        // PORT is not set by the Hub: the script's fallback is where it listens.
        let found = run(&[("Dockerfile", &with_script), ("start.sh", script)], None);
        assert_eq!(found, [("docker/port-env-unset".into(), Some(2))]);
        assert_eq!(
            run(&[("Dockerfile", &with_script), ("start.sh", script)], Some(8000)),
            [("docker/expose-mismatch".into(), Some(10))]
        );
        // ENV PORT overrides the script's default.
        let env = with_script.replace("PYTHONUNBUFFERED=1", "PYTHONUNBUFFERED=1 PORT=7860");
        assert_eq!(run(&[("Dockerfile", &env), ("start.sh", script)], None), []);
    }

    #[test]
    fn several_ports_pass_when_one_is_app_port() {
        let script = "uvicorn api:app --host 0.0.0.0 --port 8000 &\nexec streamlit run ui.py --server.port 7860\n";
        let with_script = GOOD.replace(
            "CMD [\"uvicorn\", \"app:app\", \"--host\", \"0.0.0.0\", \"--port\", \"7860\"]",
            "CMD [\"bash\", \"start.sh\"]",
        );
        assert_eq!(run(&[("Dockerfile", &with_script), ("start.sh", script)], None), []);
    }

    #[test]
    fn loopback_binding_is_an_error_unless_proxied() {
        let text = GOOD.replace("\"0.0.0.0\"", "\"127.0.0.1\"");
        assert_eq!(dockerfile(&text), [("docker/listen-loopback".into(), Some(11))]);
        let proxied = GOOD.replace(
            "CMD [\"uvicorn\", \"app:app\", \"--host\", \"0.0.0.0\", \"--port\", \"7860\"]",
            "CMD [\"sh\", \"-c\", \"uvicorn app:app --port 8000 & exec nginx -g 'daemon off;'\"]",
        );
        assert_eq!(dockerfile(&proxied), []);
    }

    #[test]
    fn start_command_rules() {
        let none = GOOD.replace("CMD [\"uvicorn\", \"app:app\", \"--host\", \"0.0.0.0\", \"--port\", \"7860\"]\n", "");
        assert_eq!(dockerfile(&none), [("docker/no-start-command".into(), Some(2))]);
        let shell_form = GOOD.replace(
            "CMD [\"uvicorn\", \"app:app\", \"--host\", \"0.0.0.0\", \"--port\", \"7860\"]",
            "CMD uvicorn app:app --host 0.0.0.0 --port 7860",
        );
        assert_eq!(dockerfile(&shell_form), [("docker/shell-form-start".into(), Some(11))]);
        let entry = GOOD.replace(
            "CMD [\"uvicorn\", \"app:app\", \"--host\", \"0.0.0.0\", \"--port\", \"7860\"]",
            "ENTRYPOINT [\"uvicorn\"]\nCMD [\"app:app\", \"--host\", \"0.0.0.0\", \"--port\", \"8000\"]",
        );
        assert_eq!(dockerfile(&entry), [("docker/port-mismatch".into(), Some(11))]);
    }

    #[test]
    fn build_time_rules_cover_every_needed_stage() {
        let final_stage = GOOD
            .replace("FROM python:3.12-slim", "FROM python:latest")
            .replace("# syntax=docker/dockerfile:1\n", "")
            .replace("WORKDIR /app\n", "WORKDIR /app\nCOPY --from=build --chown=user /out /app/out\n");
        let text = format!(
            "FROM nvidia/cuda AS build\nARG HF_TOKEN\nENV TOKENIZERS_PARALLELISM=false HF_TOKEN_PATH=/run/secrets/t\nRUN nvidia-smi && python -c 'import torch; torch.cuda.is_available()'\nRUN mkdir -p /data/cache && cp x /app/data\nWORKDIR /app/data\nRUN <<EOF\ndocker run --gpus all x\nEOF\n{final_stage}"
        );
        // A stage the final image does not need is not built by BuildKit: nothing in it counts.
        let unused = text.replace("COPY --from=build --chown=user /out /app/out\n", "");
        assert_eq!(dockerfile(&unused), [("docker/base-image-unpinned".into(), Some(10))]);
        let found = dockerfile(&text);
        assert_eq!(
            found,
            [
                ("docker/base-image-unpinned".into(), Some(1)),
                ("docker/secret-in-arg-env".into(), Some(2)),
                ("docker/gpu-at-build".into(), Some(4)),
                ("docker/data-at-build".into(), Some(5)),
                ("docker/gpu-at-build".into(), Some(7)),
                ("docker/base-image-unpinned".into(), Some(10)),
            ]
        );
    }

    #[test]
    fn gpu_probes_and_the_data_mount_point() {
        let with = |run: &str| dockerfile(&GOOD.replace("RUN pip install", &format!("RUN {run}\nRUN pip install")));
        assert_eq!(
            with("python -c 'import torch; print(torch.cuda.is_available())'"),
            [("docker/gpu-probe-at-build".into(), Some(8))]
        );
        assert_eq!(with("nvidia-smi || echo 'no GPU while building'"), [("docker/gpu-probe-at-build".into(), Some(8))]);
        assert_eq!(with("nvidia-smi"), [("docker/gpu-at-build".into(), Some(8))]);
        // The Hub's docs prepare the mount point this way.
        assert_eq!(with("mkdir -p /data && chmod 777 /data"), []);
        assert_eq!(with("mkdir -p /data/models && cp -r models /data/models"), [("docker/data-at-build".into(), Some(8))]);
    }

    #[test]
    fn base_image_pinning() {
        assert_eq!(unpinned("python"), Some("no tag, which means :latest"));
        assert!(unpinned("python:latest").is_some());
        assert!(unpinned("localhost:5000/img").is_some());
        assert_eq!(unpinned("localhost:5000/img:1.2"), None);
        assert_eq!(unpinned("python@sha256:abc"), None);
        assert_eq!(unpinned("scratch"), None);
        let arg = "ARG PY=3.12\nFROM python:${PY}-slim\nRUN useradd -m -u 1000 user\nUSER user\nENV PYTHONUNBUFFERED=1\nCMD [\"python\", \"-m\", \"http.server\", \"7860\"]\n";
        assert_eq!(dockerfile(arg), []);
        let unknown = arg.replace("ARG PY=3.12\n", "");
        assert_eq!(dockerfile(&unknown), []);
    }

    #[test]
    fn data_paths() {
        for yes in ["mkdir /data", "cp a /data/b", "--target=/data", "\"/data\""] {
            assert!(mentions_data(yes), "{yes}");
        }
        for no in ["/database", "/app/data", "$HOME/data", "~/data", "/data-cache", "${DIR}/data"] {
            assert!(!mentions_data(no), "{no}");
        }
    }

    #[test]
    fn unbuffered_python_is_info() {
        let text = GOOD.replace(" PYTHONUNBUFFERED=1", "");
        let found = check(&project(&[("Dockerfile", &text)], None));
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].rule_id.as_str(), found[0].severity), ("docker/python-buffered", Severity::Info));
        let dash_u = text.replace(
            "CMD [\"uvicorn\", \"app:app\", \"--host\", \"0.0.0.0\", \"--port\", \"7860\"]",
            "CMD [\"python\", \"-u\", \"-m\", \"http.server\", \"7860\"]",
        );
        assert_eq!(dockerfile(&dash_u), []);
        let node = "FROM node:20\nUSER node\nCMD [\"node\", \"server.js\"]\n";
        assert_eq!(dockerfile(node), [], "no Python: no PYTHONUNBUFFERED hint");
    }

    /// Dockerfiles in the shape of the Hub's own templates: what the rules say about each.
    #[test]
    fn hub_template_shapes() {
        let fastapi = "FROM python:3.9\nRUN useradd -m -u 1000 user\nUSER user\nENV PATH=\"/home/user/.local/bin:$PATH\"\nWORKDIR /app\nCOPY --chown=user ./requirements.txt requirements.txt\nRUN pip install --no-cache-dir --upgrade -r requirements.txt\nCOPY --chown=user . /app\nCMD [\"uvicorn\", \"app:app\", \"--host\", \"0.0.0.0\", \"--port\", \"7860\"]\n";
        assert_eq!(dockerfile(fastapi), [("docker/python-buffered".into(), Some(1))]);

        let gradio = "FROM python:3.10\nRUN useradd -m -u 1000 user\nUSER user\nENV HOME=/home/user \\\n    PATH=/home/user/.local/bin:$PATH \\\n    PYTHONUNBUFFERED=1 \\\n    GRADIO_SERVER_NAME=0.0.0.0\nWORKDIR $HOME/app\nCOPY --chown=user . $HOME/app\nCMD [\"python\", \"app.py\"]\n";
        let app = "import gradio as gr\n\ngr.Interface(lambda x: x, \"text\", \"text\").launch()\n";
        assert_eq!(run(&[("Dockerfile", gradio), ("app.py", app)], None), []);
        let no_env = gradio.replace(" \\\n    GRADIO_SERVER_NAME=0.0.0.0", "");
        assert_eq!(run(&[("Dockerfile", &no_env), ("app.py", app)], None), [("docker/listen-loopback".into(), Some(3))]);

        let streamlit = "FROM python:3.9-slim\nWORKDIR /app\nRUN apt-get update && apt-get install -y curl git && rm -rf /var/lib/apt/lists/*\nCOPY requirements.txt ./\nCOPY src/ ./src/\nRUN pip3 install -r requirements.txt\nEXPOSE 8501\nHEALTHCHECK CMD curl --fail http://localhost:8501/_stcore/health\nENTRYPOINT [\"streamlit\", \"run\", \"src/streamlit_app.py\", \"--server.port=8501\", \"--server.address=0.0.0.0\"]\n";
        assert_eq!(
            run(&[("Dockerfile", streamlit)], Some(8501)),
            [("docker/no-user".into(), Some(1)), ("docker/python-buffered".into(), Some(1))]
        );
        assert_eq!(
            ids(&run(&[("Dockerfile", streamlit)], None)),
            ["docker/no-user", "docker/python-buffered", "docker/expose-mismatch", "docker/port-mismatch"]
        );
    }

    #[test]
    fn uid_1000_detection() {
        assert!(creates_uid_1000("useradd -m -u 1000 user"));
        assert!(creates_uid_1000("apt-get update && /usr/sbin/useradd -u1000 -m user"));
        assert!(creates_uid_1000("adduser --uid 1000 --disabled-password user"));
        assert!(!creates_uid_1000("useradd -m user"));
        assert!(!creates_uid_1000("useradd -m -u 10000 user"));
    }
}
