//! `scaffold`: options → a [`Plan`] (templates + one context), built without calling the host.
//!
//! Three shapes, by option:
//! - FastAPI (default): README.md, Dockerfile, start.sh, app.py, requirements.txt, .gitignore, .dockerignore;
//! - `--no-fastapi`: the same without requirements.txt, app.py being a standard-library server;
//! - `--from-git URL`: README.md, Dockerfile, start.sh, .gitignore; the Space clones and builds the
//!   repository (clone-and-build mode).

use spacesmith_plugin_sdk::text::{SHORT_DESCRIPTION_MAX, one_line, py_str, yaml_str};
use spacesmith_plugin_sdk::{
    DEFAULT_PYTHON_VERSION, OptionSpec, Options, PYTHON_VERSIONS, Plan, PluginError, ScaffoldInput, SecretSpec, Template,
    VariableSpec, json,
};

pub const DEFAULT_PORT: u16 = 7860;
const DEFAULT_START_COMMAND: &str = "python app.py";
/// `git fetch origin HEAD` fetches the remote's default branch.
const DEFAULT_REF: &str = "HEAD";
const FASTAPI_VERSION: &str = "0.165.0";
const UVICORN_VERSION: &str = "0.54.0";

const README: Template = Template::new("docker/README.md.tera", include_str!("../templates/README.md.tera"));
const DOCKERFILE: Template = Template::new("docker/Dockerfile.tera", include_str!("../templates/Dockerfile.tera"));
const START: Template = Template::new("docker/start.sh.tera", include_str!("../templates/start.sh.tera"));
const APP_FASTAPI: Template = Template::new("docker/app_fastapi.py.tera", include_str!("../templates/app_fastapi.py.tera"));
const APP_STDLIB: Template = Template::new("docker/app_stdlib.py.tera", include_str!("../templates/app_stdlib.py.tera"));
const REQUIREMENTS: Template = Template::new("docker/requirements.txt.tera", include_str!("../templates/requirements.txt.tera"));
const GITIGNORE: Template = Template::new("docker/gitignore.tera", include_str!("../templates/gitignore.tera"));
const DOCKERIGNORE: Template = Template::new("docker/dockerignore.tera", include_str!("../templates/dockerignore.tera"));

pub fn option_specs() -> Vec<OptionSpec> {
    vec![
        OptionSpec::integer(
            "port",
            1024..=65535,
            Some(i64::from(DEFAULT_PORT)),
            "Port the app listens on: README app_port, EXPOSE and the server agree on it. 1024 and up: the app runs as UID 1000, which cannot bind privileged ports.",
        ),
        OptionSpec::flag(
            "fastapi",
            true,
            "Serve a FastAPI app (/health, /version, bearer-token /api routes); --no-fastapi gives a standard-library server without dependencies.",
        ),
        OptionSpec::choice(
            "python-version",
            &PYTHON_VERSIONS,
            Some(DEFAULT_PYTHON_VERSION),
            "CPython version of the base image (python:<version>-slim).",
        ),
        OptionSpec::url(
            "from-git",
            "Clone-and-build mode: the Space clones this https repository at build time and runs it (app files are not generated; --fastapi does not apply).",
        ),
        OptionSpec::text(
            "from-git-ref",
            None,
            "Branch, tag or commit of --from-git to build (default: the repository's default branch).",
        ),
        OptionSpec::text(
            "start-command",
            Some(DEFAULT_START_COMMAND),
            "With --from-git: the command that starts the app, run in the checkout; it must listen on 0.0.0.0:$PORT.",
        ),
    ]
}

/// The scaffold as data.
pub fn plan(input: &ScaffoldInput) -> Result<Plan, PluginError> {
    let opts = Options::parse(&option_specs(), &input.options)?;
    let port =
        u16::try_from(opts.required_integer("port")?).map_err(|_| PluginError::option("port", "--port is out of range"))?;
    let python_version = opts.required_text("python-version")?;
    let title = one_line(&input.title, &input.project_name);
    let clone = match opts.text("from-git") {
        Some(url) => Some(Repo {
            url: checked_repo_url(url)?,
            reference: checked_ref(opts.text("from-git-ref").unwrap_or(DEFAULT_REF))?,
            start_command: checked_start_command(opts.required_text("start-command")?)?,
        }),
        None => {
            if opts.text("from-git-ref").is_some() {
                return Err(PluginError::option("from-git-ref", "--from-git-ref needs --from-git"));
            }
            None
        }
    };
    let mode = match (&clone, opts.flag("fastapi")) {
        (Some(_), _) => Mode::Clone,
        (None, true) => Mode::FastApi,
        (None, false) => Mode::Stdlib,
    };
    let short_description = match mode {
        Mode::FastApi => "FastAPI service with health checks and a token-protected API",
        Mode::Stdlib => "A minimal Python web service on the Docker SDK",
        Mode::Clone => "Builds and runs an app from its Git repository",
    };
    debug_assert!(short_description.chars().count() <= SHORT_DESCRIPTION_MAX);

    let context = json!({
        "title": title,
        "title_yaml": yaml_str(&title),
        "title_py": py_str(&title),
        "project_name": input.project_name,
        "short_description_yaml": yaml_str(short_description),
        "port": port,
        "python_version": python_version,
        "mode": mode.name(),
        "api": input.api,
        "fastapi_version": FASTAPI_VERSION,
        "uvicorn_version": UVICORN_VERSION,
        "clone": clone.as_ref().map(|c| json!({
            "url": c.url,
            "ref": c.reference,
            "start_command": c.start_command,
        })),
    });

    let mut plan = Plan::new(context);
    plan.template("README.md", README)
        .template("Dockerfile", DOCKERFILE)
        .executable_template("start.sh", START)
        .template(".gitignore", GITIGNORE);
    match mode {
        Mode::FastApi => {
            plan.template("app.py", APP_FASTAPI)
                .template("requirements.txt", REQUIREMENTS)
                .template(".dockerignore", DOCKERIGNORE)
                .secret(SecretSpec::runtime(
                    "API_TOKEN",
                    true,
                    "The bearer token clients send to the /api routes; they answer 503 until it is set.",
                ));
        }
        Mode::Stdlib => {
            plan.template("app.py", APP_STDLIB).template(".dockerignore", DOCKERIGNORE).notice(
                "FastAPI is off: app.py is a standard-library HTTP server with /health and /version and no protected routes.",
            );
        }
        Mode::Clone => {
            let clone = clone.as_ref().expect("clone mode has a repository");
            plan.secret(SecretSpec::build(
                "GIT_TOKEN",
                false,
                "Read access to a private app repository, mounted only while the build clones it; not needed for a public one.",
            ))
            .variable(VariableSpec::new("APP_REPO_URL", &clone.url, "The app repository the Space clones and builds."))
            .variable(VariableSpec::new(
                "APP_REPO_REF",
                &clone.reference,
                "The branch, tag or commit of APP_REPO_URL to build (HEAD: the default branch).",
            ))
            .notice(format!(
                "The Space clones {} when it builds: the app must listen on 0.0.0.0:$PORT ({port}) when started with `{}`, and its requirements.txt (if any) is installed at build time.",
                clone.url, clone.start_command
            ))
            .notice(
                "Rebuilds reuse the cached clone until APP_REPO_URL or APP_REPO_REF changes: pin APP_REPO_REF to a tag or commit and update that variable to deploy new code (or factory-rebuild the Space).",
            )
            .notice("Set GIT_TOKEN only for a private repository, with a read-only token limited to it.");
        }
    }
    if input.api {
        plan.notice(match mode {
            Mode::FastApi => "To call a Space as an API, Gradio is the recommended SDK (`--sdk gradio --api`): Gradio Spaces expose a client API (gradio_client). The FastAPI /api routes here work too, behind the API_TOKEN bearer token.",
            _ => "To call a Space as an API, Gradio is the recommended SDK (`--sdk gradio --api`): Gradio Spaces expose a client API (gradio_client).",
        });
    }
    Ok(plan)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    FastApi,
    Stdlib,
    Clone,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::FastApi => "fastapi",
            Mode::Stdlib => "stdlib",
            Mode::Clone => "clone",
        }
    }
}

struct Repo {
    url: String,
    reference: String,
    start_command: String,
}

/// The repository URL, fit to be a Dockerfile ARG default and a shell default: https only (a token must
/// not travel in clear text, and ssh needs keys the build does not have), no credentials in it (they
/// would be stored in the image and in .git/config), nothing a shell or Dockerfile would interpret.
fn checked_repo_url(url: &str) -> Result<String, PluginError> {
    let err = |why: &str| PluginError::option("from-git", format!("--from-git {url}: {why}"));
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| err("use an https:// URL (a GIT_TOKEN build secret gives access to a private repository)"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(err(
            "remove the credentials from the URL: set the GIT_TOKEN secret instead, so no token is stored in the image",
        ));
    }
    if authority.is_empty() || rest.len() == authority.len() {
        return Err(err("name a repository (https://host/owner/repo)"));
    }
    let safe = |c: char| c.is_ascii_alphanumeric() || "-._~/:%+".contains(c);
    if let Some(bad) = url.chars().find(|c| !safe(*c)) {
        return Err(err(&format!("the character {bad:?} is not allowed in the URL")));
    }
    Ok(url.to_string())
}

/// A git ref name: letters, digits, `._/-`, not starting with `-`, no `..`.
fn checked_ref(reference: &str) -> Result<String, PluginError> {
    let ok = !reference.is_empty()
        && !reference.starts_with(['-', '/', '.'])
        && !reference.contains("..")
        && reference.chars().all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c));
    if ok {
        Ok(reference.to_string())
    } else {
        Err(PluginError::option("from-git-ref", format!("--from-git-ref {reference:?} is not a branch, tag or commit name")))
    }
}

/// One command, run with `exec` so the app gets the Space's signals: no newlines, command lists,
/// pipes, background jobs or command substitution.
fn checked_start_command(command: &str) -> Result<String, PluginError> {
    let command = command.trim();
    let forbidden = ['\n', '\r', ';', '&', '|', '`'];
    if command.is_empty() || command.contains(forbidden) || command.contains("$(") {
        return Err(PluginError::option(
            "start-command",
            format!(
                "--start-command {command:?} must be one command (no ; && || | & or $(...)); put several steps in a script in your repository"
            ),
        ));
    }
    Ok(command.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check;
    use spacesmith_plugin_sdk::testing::{self, TeraRenderer, assert_tidy, blocking, file_text as text, project_from_output};
    use spacesmith_plugin_sdk::{OptionValue, ScaffoldOutput, SecretStage};

    fn input(options: &[(&str, OptionValue)], api: bool) -> ScaffoldInput {
        testing::input("my-space", "My: \"Space\"", api, options)
    }

    fn render(options: &[(&str, OptionValue)], api: bool) -> ScaffoldOutput {
        plan(&input(options, api)).unwrap().render_with(&TeraRenderer).unwrap()
    }

    fn paths(out: &ScaffoldOutput) -> Vec<&str> {
        out.files.iter().map(|f| f.path.as_str()).collect()
    }

    fn clone_opts() -> Vec<(&'static str, OptionValue)> {
        vec![("from-git", OptionValue::Text("https://github.com/acme/app.git".into()))]
    }

    /// Every option set worth telling apart.
    fn option_sets() -> Vec<(Vec<(&'static str, OptionValue)>, bool)> {
        vec![
            (vec![], false),
            (vec![], true),
            (vec![("fastapi", OptionValue::Flag(false))], false),
            (vec![("fastapi", OptionValue::Flag(false)), ("port", OptionValue::Integer(8080))], true),
            (vec![("port", OptionValue::Integer(5000)), ("python-version", OptionValue::Text("3.14".into()))], false),
            (clone_opts(), false),
            (
                vec![
                    ("from-git", OptionValue::Text("https://huggingface.co/spaces/acme/app".into())),
                    ("from-git-ref", OptionValue::Text("v1.2.0".into())),
                    ("start-command", OptionValue::Text("uvicorn main:app --host 0.0.0.0 --port $PORT".into())),
                    ("port", OptionValue::Integer(8000)),
                ],
                true,
            ),
        ]
    }

    #[test]
    fn generated_projects_pass_their_own_check() {
        for (options, api) in option_sets() {
            let out = render(&options, api);
            let findings = check::check(&project_from_output(&out));
            assert!(findings.is_empty(), "{options:?}: {findings:#?}");
            assert!(blocking(&findings).is_empty());
        }
    }

    #[test]
    fn generated_files_are_tidy_and_deterministic() {
        for (options, api) in option_sets() {
            let out = render(&options, api);
            for file in &out.files {
                assert_tidy(&file.path, file.contents_str().unwrap());
            }
            assert_eq!(out, render(&options, api), "{options:?}");
            let mut sorted = paths(&out);
            sorted.sort_unstable();
            assert_eq!(paths(&out), sorted);
        }
    }

    #[test]
    fn file_lists_per_mode() {
        let fastapi = render(&[], false);
        assert_eq!(
            paths(&fastapi),
            [".dockerignore", ".gitignore", "Dockerfile", "README.md", "app.py", "requirements.txt", "start.sh"]
        );
        let stdlib = render(&[("fastapi", OptionValue::Flag(false))], false);
        assert_eq!(paths(&stdlib), [".dockerignore", ".gitignore", "Dockerfile", "README.md", "app.py", "start.sh"]);
        let clone = render(&clone_opts(), false);
        assert_eq!(paths(&clone), [".gitignore", "Dockerfile", "README.md", "start.sh"]);
        for out in [&fastapi, &stdlib, &clone] {
            let executable: Vec<&str> = out.files.iter().filter(|f| f.executable).map(|f| f.path.as_str()).collect();
            assert_eq!(executable, ["start.sh"]);
        }
    }

    #[test]
    fn readme_front_matter() {
        let out = render(&[("port", OptionValue::Integer(8080))], false);
        let fm: serde_json::Value = serde_json::from_str(&project_from_output(&out).front_matter_json.unwrap()).unwrap();
        assert_eq!(fm["title"], "My: \"Space\"");
        assert_eq!(fm["sdk"], "docker");
        assert_eq!(fm["app_port"], 8080);
        assert_eq!(fm["pinned"], false);
        assert_eq!(fm["emoji"], "🐳");
        for key in ["colorFrom", "colorTo"] {
            assert!(["red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"].contains(&fm[key].as_str().unwrap()));
        }
        for (options, api) in option_sets() {
            let out = render(&options, api);
            let fm: serde_json::Value = serde_json::from_str(&project_from_output(&out).front_matter_json.unwrap()).unwrap();
            assert!(fm["short_description"].as_str().unwrap().chars().count() <= SHORT_DESCRIPTION_MAX);
        }
    }

    #[test]
    fn dockerfile_follows_the_non_negotiables() {
        for (options, api) in option_sets() {
            let out = render(&options, api);
            let dockerfile = text(&out, "Dockerfile");
            let port = options.iter().find(|(n, _)| *n == "port").map_or(7860, |(_, v)| match v {
                OptionValue::Integer(p) => *p,
                _ => unreachable!(),
            });
            assert!(dockerfile.contains("useradd -m -u 1000 user"), "{dockerfile}");
            assert!(dockerfile.contains("WORKDIR /app\n"));
            assert!(dockerfile.contains(&format!("EXPOSE {port}\n")));
            assert!(dockerfile.contains("PYTHONUNBUFFERED=1"));
            assert!(dockerfile.contains("CMD [\"sh\", \"/app/start.sh\"]\n"));
            let user = dockerfile.find("\nUSER user\n").unwrap();
            assert!(user < dockerfile.find("\nCMD").unwrap());
            for line in dockerfile.lines().filter(|l| l.starts_with("COPY") || l.starts_with("ADD")) {
                assert!(line.contains("--chown=user"), "{line}");
            }
            for line in dockerfile.lines().filter(|l| !l.starts_with('#') && l.contains("pip install")) {
                assert!(line.contains("--no-cache-dir"), "{line}");
            }
            assert!(text(&out, "start.sh").contains(&format!("${{PORT:-{port}}}")));
            assert!(text(&out, "start.sh").starts_with("#!/bin/sh\n"));
        }
        let py = render(&[("python-version", OptionValue::Text("3.13".into()))], false);
        assert!(text(&py, "Dockerfile").contains("FROM python:3.13-slim\n"));
    }

    #[test]
    fn fastapi_mode() {
        let out = render(&[], false);
        let app = text(&out, "app.py");
        for needle in [
            "@app.get(\"/health\")",
            "@app.get(\"/version\")",
            "secrets.compare_digest",
            "\"WWW-Authenticate\": \"Bearer\"",
            "HTTP_503_SERVICE_UNAVAILABLE",
            "HTTP_401_UNAUTHORIZED",
            "API_TOKEN",
            "/api/echo",
        ] {
            assert!(app.contains(needle), "app.py lacks {needle}");
        }
        assert!(app.contains("title=\"My: \\\"Space\\\"\""), "the title is a Python literal:\n{app}");
        assert_eq!(text(&out, "requirements.txt"), "fastapi==0.165.0\nuvicorn[standard]==0.54.0\n");
        assert!(text(&out, "start.sh").contains("--access-log"));
        assert_eq!(out.secrets.len(), 1);
        let secret = &out.secrets[0];
        assert_eq!((secret.name.as_str(), secret.stage, secret.required), ("API_TOKEN", SecretStage::Runtime, true));
        assert!(out.variables.is_empty());
        assert!(out.notices.is_empty());
    }

    #[test]
    fn stdlib_mode() {
        let out = render(&[("fastapi", OptionValue::Flag(false))], false);
        assert!(out.secrets.is_empty());
        let app = text(&out, "app.py");
        assert!(app.contains("ThreadingHTTPServer") && app.contains("/health") && !app.contains("fastapi"));
        assert!(!text(&out, "Dockerfile").contains("RUN pip"));
        assert_eq!(out.notices.len(), 1);
    }

    #[test]
    fn clone_mode_keeps_the_token_out_of_layers() {
        let out = render(&clone_opts(), false);
        let dockerfile = text(&out, "Dockerfile");
        assert!(dockerfile.contains("RUN --mount=type=secret,id=GIT_TOKEN,mode=0444,required=false"));
        assert!(dockerfile.contains("ARG APP_REPO_URL=\"https://github.com/acme/app.git\"\n"));
        assert!(dockerfile.contains("ARG APP_REPO_REF=\"HEAD\"\n"));
        assert!(!dockerfile.contains("ARG GIT_TOKEN") && !dockerfile.contains("ENV GIT_TOKEN"));
        let start = text(&out, "start.sh");
        assert!(start.contains("/run/secrets/GIT_TOKEN"));
        assert!(start.contains("GIT_CONFIG_VALUE_0"), "the token goes to git through its environment");
        assert!(!start.contains("://$") && !start.contains("@$"), "no token in a URL");
        assert!(start.contains("exec python app.py\n"));
        assert!(start.contains("APP_REPO_URL=\"${APP_REPO_URL:-https://github.com/acme/app.git}\""));
        assert!(text(&out, ".gitignore").contains("/src/"));
        let secrets: Vec<(&str, SecretStage, bool)> =
            out.secrets.iter().map(|s| (s.name.as_str(), s.stage, s.required)).collect();
        assert_eq!(secrets, [("GIT_TOKEN", SecretStage::Build, false)]);
        let variables: Vec<(&str, &str)> = out.variables.iter().map(|v| (v.name.as_str(), v.value.as_str())).collect();
        assert_eq!(variables, [("APP_REPO_REF", "HEAD"), ("APP_REPO_URL", "https://github.com/acme/app.git")]);
        assert_eq!(out.notices.len(), 3);
    }

    #[test]
    fn api_asks_for_gradio() {
        for options in [vec![], vec![("fastapi", OptionValue::Flag(false))], clone_opts()] {
            let out = render(&options, true);
            assert!(out.notices.iter().any(|n| n.contains("Gradio is the recommended SDK")), "{options:?}");
        }
    }

    #[test]
    fn option_errors_name_the_option() {
        let cases: Vec<(Vec<(&str, OptionValue)>, &str)> = vec![
            (vec![("port", OptionValue::Integer(80))], "port"),
            (vec![("from-git", OptionValue::Text("http://github.com/a/b".into()))], "from-git"),
            (vec![("from-git", OptionValue::Text("ssh://git@github.com/a/b".into()))], "from-git"),
            (vec![("from-git", OptionValue::Text("https://user:tok@github.com/a/b".into()))], "from-git"),
            (vec![("from-git", OptionValue::Text("https://github.com/a/b\"; rm -rf /".into()))], "from-git"),
            (vec![("from-git", OptionValue::Text("https://github.com".into()))], "from-git"),
            (vec![("from-git-ref", OptionValue::Text("main".into()))], "from-git-ref"),
            ([clone_opts(), vec![("from-git-ref", OptionValue::Text("--upload-pack=x".into()))]].concat(), "from-git-ref"),
            (
                [clone_opts(), vec![("start-command", OptionValue::Text("pip install x && python app.py".into()))]].concat(),
                "start-command",
            ),
            ([clone_opts(), vec![("start-command", OptionValue::Text("python $(which app)".into()))]].concat(), "start-command"),
            ([clone_opts(), vec![("start-command", OptionValue::Text("  ".into()))]].concat(), "start-command"),
        ];
        for (options, option) in cases {
            let err = plan(&input(&options, false)).err().unwrap_or_else(|| panic!("{options:?} was accepted"));
            assert_eq!(err.option.as_deref(), Some(option), "{}", err.message);
        }
    }

    #[test]
    fn an_empty_title_falls_back_to_the_project_name() {
        let mut input = input(&[], false);
        input.title = " \n ".into();
        let out = plan(&input).unwrap().render_with(&TeraRenderer).unwrap();
        assert!(text(&out, "README.md").starts_with("---\ntitle: \"my-space\"\n"));
    }
}
