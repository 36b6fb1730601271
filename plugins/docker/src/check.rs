//! The Docker-SDK rules and `check`.
//!
//! Rules about the running image (user, ports, start command, logs) look at the stages that make the
//! final image (the last stage and the stages it starts `FROM`); rules about the build itself (GPU
//! commands, secrets in ARG/ENV, base images, `/data`) look at every stage, since every stage is built.

use spacesmith_plugin_sdk::{Finding, Project, RuleDef, Severity, app_port, catalogue, finding, sort_findings};

use crate::dockerfile::{Dockerfile, Form, Instruction, Stage, arg_pairs, env_pairs};
use crate::listen::{self, StartCommand};
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
    severity: Severity::Error,
    summary: "The image never switches to a non-root user",
    explanation: "Spaces run the container as UID 1000. An image built as root leaves its files, caches and HOME owned by root, so the app fails with permission errors when it writes anything.",
    fix: "Create the user and switch to it before copying the app: `RUN useradd -m -u 1000 user` then `USER user`, with `ENV HOME=/home/user PATH=/home/user/.local/bin:$PATH`.",
};

pub const ROOT_USER: RuleDef = RuleDef {
    id: "docker/root-user",
    severity: Severity::Error,
    summary: "The final USER is root",
    explanation: "Spaces run the container as UID 1000, not root: whatever the image prepared for root (HOME, caches, file ownership) is not usable at runtime.",
    fix: "Make the last USER instruction the UID 1000 user (`USER user` after `RUN useradd -m -u 1000 user`).",
};

pub const NO_UID_1000: RuleDef = RuleDef {
    id: "docker/no-uid-1000-user",
    severity: Severity::Warning,
    summary: "No user with UID 1000 is created",
    explanation: "Spaces run the container as UID 1000. Unless the image has a user with that UID, the app runs without a home directory and cannot write the files it owns in the image.",
    fix: "Create it explicitly: `RUN useradd -m -u 1000 user`, then `USER user`.",
};

pub const USER_AFTER_START: RuleDef = RuleDef {
    id: "docker/user-after-start",
    severity: Severity::Warning,
    summary: "USER comes after CMD/ENTRYPOINT",
    explanation: "The user switch is meant to come before the start command: readers (and later edits that add RUN steps between them) take the start command to run as the user declared above it.",
    fix: "Move `USER user` above CMD/ENTRYPOINT, right after the user is created.",
};

pub const COPY_WITHOUT_CHOWN: RuleDef = RuleDef {
    id: "docker/copy-without-chown",
    severity: Severity::Warning,
    summary: "COPY/ADD after switching user without --chown",
    explanation: "COPY and ADD create files owned by root whatever USER says, so the app (UID 1000) cannot modify or delete them. A recursive chown afterwards would duplicate the files in a new layer.",
    fix: "Add `--chown=user` to the COPY/ADD instruction.",
};

pub const EXPOSE_MISMATCH: RuleDef = RuleDef {
    id: "docker/expose-mismatch",
    severity: Severity::Error,
    summary: "EXPOSE does not include README app_port",
    explanation: "The Hub routes traffic to README `app_port` (7860 when unset). An EXPOSE with another port means the Dockerfile and the Space configuration disagree about where the app listens.",
    fix: "Make EXPOSE, the port the server listens on and README `app_port` the same number.",
};

pub const PORT_MISMATCH: RuleDef = RuleDef {
    id: "docker/port-mismatch",
    severity: Severity::Error,
    summary: "The app listens on a port other than README app_port",
    explanation: "The Hub sends traffic to README `app_port` (7860 when unset) only; a server listening elsewhere never gets a request and the Space stays in \"Starting\" until it times out.",
    fix: "Start the server on app_port (e.g. `--port ${PORT:-7860}`), or set `app_port` in README.md to the port the server uses.",
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
    explanation: "Without a start command the container runs the base image's (for python images, an interactive interpreter that exits at once), so the Space never serves anything.",
    fix: "End the Dockerfile with an exec-form start command, e.g. `CMD [\"sh\", \"/app/start.sh\"]`.",
};

pub const GPU_AT_BUILD: RuleDef = RuleDef {
    id: "docker/gpu-at-build",
    severity: Severity::Error,
    summary: "A RUN step uses the GPU at build time",
    explanation: "Spaces build images on machines without a GPU: `nvidia-smi` fails, `torch.cuda` reports no device, and `--gpus` is not available, even on GPU hardware (it is only attached at runtime).",
    fix: "Move GPU checks and GPU work (warm-ups, compilation that needs the device) to the app's start-up.",
};

pub const SECRET_IN_BUILD_ARG: RuleDef = RuleDef {
    id: "docker/secret-in-arg-env",
    severity: Severity::Error,
    summary: "A secret is passed as ARG or ENV",
    explanation: "ARG values are recorded in the image history and ENV values are stored in the image: anyone who can pull the image can read them. Spaces hand secrets to the build as mounted files instead, and to the running app as environment variables.",
    fix: "Read it at build time with `RUN --mount=type=secret,id=NAME,mode=0444,required=true cat /run/secrets/NAME`; at runtime it is already in the environment (set it as a Space secret), so no ENV is needed.",
};

pub const SHELL_FORM_START: RuleDef = RuleDef {
    id: "docker/shell-form-start",
    severity: Severity::Warning,
    summary: "CMD/ENTRYPOINT in shell form",
    explanation: "Shell form runs the command under `/bin/sh -c`, which does not pass SIGTERM on: when the Space restarts or sleeps the app is killed instead of shutting down cleanly.",
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
    explanation: "A Space's /data volume is mounted when the container starts; it does not exist during the build, so anything written there is hidden by the mount (or lost).",
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
    &EXPOSE_MISMATCH,
    &PORT_MISMATCH,
    &LISTEN_LOOPBACK,
    &NO_START_COMMAND,
    &GPU_AT_BUILD,
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
    let mut findings = Vec::new();
    user_rules(&image, &mut findings);
    copy_rules(&image, &mut findings);
    port_rules(project, &image, app_port, &mut findings);
    build_rules(&dockerfile, &stages, &mut findings);
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
    vars: Vars,
}

impl<'a> FinalImage<'a> {
    fn new(dockerfile: &'a Dockerfile) -> Self {
        let chain = dockerfile.final_chain();
        let globals = dockerfile.global_args();
        let instructions: Vec<&Instruction> = chain.iter().flat_map(|s| s.body.iter()).collect();
        let mut vars = Vars::new();
        for ins in &instructions {
            match ins.keyword.as_str() {
                "ARG" => {
                    for (name, value) in arg_pairs(&ins.args) {
                        if let Some(value) = value.and_then(|v| shell::expand(&v, &vars)).or_else(|| globals.get(&name).cloned())
                        {
                            vars.insert(name, value);
                        }
                    }
                }
                "ENV" => {
                    for (name, value) in env_pairs(&ins.args) {
                        match shell::expand(&value, &vars) {
                            Some(v) => vars.insert(name, v),
                            None => vars.remove(&name),
                        };
                    }
                }
                _ => {}
            }
        }
        let last = chain.last().expect("stages is not empty");
        let images = chain.iter().map(|s| shell::expand(s.image, &globals).unwrap_or_else(|| s.image.to_string())).collect();
        FinalImage { instructions, from: last.from, images, vars }
    }

    fn last(&self, keyword: &str) -> Option<(usize, &'a Instruction)> {
        self.instructions.iter().enumerate().rev().find(|(_, i)| i.is(keyword)).map(|(n, i)| (n, *i))
    }
}

fn user_rules(image: &FinalImage<'_>, findings: &mut Vec<Finding>) {
    let Some((user_at, user)) = image.last("USER") else {
        findings.push(
            finding(&NO_USER, "no USER instruction: the image is prepared for root, but Spaces run it as UID 1000")
                .at(DOCKERFILE, image.from.line),
        );
        return;
    };
    let name = user.args.split(':').next().unwrap_or_default().trim();
    if name == "root" || name == "0" {
        findings.push(finding(&ROOT_USER, format!("the final USER is {}", user.args)).at(DOCKERFILE, user.line));
    } else if name != "1000"
        && !base_image_has_uid_1000(&image.images, name)
        && !image.instructions.iter().any(|i| i.is("RUN") && creates_uid_1000(&i.run_text()))
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
    user == "node" && images.iter().any(|i| i.rsplit('/').next().is_some_and(|n| n == "node" || n.starts_with("node:")))
}

/// Whether shell text runs `useradd`/`adduser` with UID 1000.
fn creates_uid_1000(text: &str) -> bool {
    shell::commands(text).iter().any(|words| {
        let Some(at) = words.iter().position(|w| matches!(shell::basename(w), "useradd" | "adduser")) else { return false };
        let args = &words[at + 1..];
        args.iter().enumerate().any(|(i, a)| {
            matches!(a.as_str(), "-u1000" | "--uid=1000")
                || (matches!(a.as_str(), "-u" | "--uid") && args.get(i + 1).is_some_and(|v| v == "1000"))
        })
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

fn port_rules(project: &Project, image: &FinalImage<'_>, app_port: u16, findings: &mut Vec<Finding>) {
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
        return;
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
    let found = listen::scan_start(project, StartCommand::Exec(&words), DOCKERFILE, start.line, &image.vars);
    if found.proxied {
        return;
    }
    if !found.ports.is_empty() && !found.ports.iter().any(|p| p.port == app_port) {
        // One finding per port, where it first appears (later uses usually follow from it).
        let mut reported = Vec::new();
        for port in found.ports.iter().filter(|p| {
            let first = !reported.contains(&p.port);
            reported.push(p.port);
            first
        }) {
            findings.push(
                finding(&PORT_MISMATCH, format!("{} listens on {} but README app_port is {app_port}", port.how, port.port))
                    .at(&port.path, port.line),
            );
        }
    }
    for lo in &found.loopback {
        findings.push(finding(&LISTEN_LOOPBACK, lo.how.clone()).at(&lo.path, lo.line));
    }
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

fn build_rules(dockerfile: &Dockerfile, stages: &[Stage<'_>], findings: &mut Vec<Finding>) {
    let globals = dockerfile.global_args();
    for stage in stages {
        let image = shell::expand(stage.image, &globals);
        if let Some(image) = image
            && !Dockerfile::is_stage_name(stages, stage.index, &image)
            && let Some(problem) = unpinned(&image)
        {
            findings.push(finding(&BASE_IMAGE_UNPINNED, format!("FROM {image}: {problem}")).at(DOCKERFILE, stage.from.line));
        }
    }
    for ins in &dockerfile.instructions {
        match ins.keyword.as_str() {
            "RUN" => {
                let text = ins.run_text();
                if let Some(what) = gpu_use(&text) {
                    findings.push(
                        finding(&GPU_AT_BUILD, format!("RUN uses `{what}`, but no GPU is attached during the build"))
                            .at(DOCKERFILE, ins.line),
                    );
                }
                if mentions_data(&text) {
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
                        finding(&SECRET_IN_BUILD_ARG, format!("{} {name}: a secret in {} ends up in the image", ins.keyword, ins.keyword))
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

/// The GPU command a build step uses, if any.
fn gpu_use(text: &str) -> Option<&'static str> {
    ["nvidia-smi", "torch.cuda", "--gpus"].into_iter().find(|needle| {
        text.match_indices(needle).any(|(at, _)| {
            // `--gpus` only as a word (a docker/podman flag), not inside another word.
            !needle.starts_with("--") || text[at + needle.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric())
        })
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

/// Whether a variable name holds a credential: a `_`-separated word TOKEN, SECRET, PASSWORD, PASSWD,
/// PASS, APIKEY, CREDENTIAL(S), or API/ACCESS/PRIVATE followed by KEY; not names of where one is
/// (`*_PATH`, `*_FILE`, `*_DIR`, `*_URL`, `*_NAME`).
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let parts: Vec<&str> = upper.split('_').filter(|p| !p.is_empty()).collect();
    if parts.last().is_some_and(|p| matches!(*p, "PATH" | "FILE" | "DIR" | "URL" | "NAME" | "ENDPOINT" | "HEADER")) {
        return false;
    }
    parts
        .iter()
        .any(|p| matches!(*p, "TOKEN" | "SECRET" | "PASSWORD" | "PASSWD" | "PASS" | "APIKEY" | "CREDENTIAL" | "CREDENTIALS"))
        || parts.windows(2).any(|w| matches!(w[0], "API" | "ACCESS" | "PRIVATE") && w[1] == "KEY")
}

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
        assert_eq!(dockerfile(&no_useradd), [("docker/no-uid-1000-user".into(), Some(4))]);
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
        let found = run(&[("Dockerfile", &with_script), ("start.sh", script)], None);
        assert_eq!(found, [("docker/port-mismatch".into(), Some(2))]);
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
    fn build_time_rules_cover_every_stage() {
        let text = format!(
            "FROM nvidia/cuda AS build\nARG HF_TOKEN\nENV TOKENIZERS_PARALLELISM=false HF_TOKEN_PATH=/run/secrets/t\nRUN nvidia-smi && python -c 'import torch; torch.cuda.is_available()'\nRUN mkdir -p /data/cache && cp x /app/data\nWORKDIR /app/data\nRUN <<EOF\ndocker run --gpus all x\nEOF\n{}",
            GOOD.replace("FROM python:3.12-slim", "FROM python:latest").replace("# syntax=docker/dockerfile:1\n", "")
        );
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
    fn secret_names() {
        for secret in [
            "HF_TOKEN",
            "GIT_TOKEN",
            "OPENAI_API_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "DB_PASSWORD",
            "db_pass",
            "APIKEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "SSH_PRIVATE_KEY",
        ] {
            assert!(looks_secret(secret), "{secret}");
        }
        for plain in [
            "TOKENIZERS_PARALLELISM",
            "HF_TOKEN_PATH",
            "SECRET_FILE",
            "PASSWORD_URL",
            "KEYBOARD",
            "PORT",
            "HOME",
            "PWD",
            "MONKEY_KEY",
        ] {
            assert!(!looks_secret(plain), "{plain}");
        }
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
