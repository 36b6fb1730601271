//! Where the app listens: ports and bind addresses found in the start command, the scripts it runs, and
//! the Python files it runs, following the servers' documented flags, environment variables and defaults.
//!
//! Every finding carries the file and line it came from, so rules can point at it.

use std::collections::BTreeSet;

use spacesmith_plugin_sdk::text::{
    balanced, line_of, python_calls, python_code, python_imports, python_keyword, python_string_literal, python_value,
    split_top_level,
};
use spacesmith_plugin_sdk::{Project, ProjectFile};

use crate::shell::{self, Vars, basename};

/// A port the app (or a server it starts) listens on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub port: u16,
    pub path: String,
    pub line: u32,
    /// How it was found, e.g. "uvicorn --port 8000".
    pub how: String,
}

/// A server bound to the loopback interface only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loopback {
    pub path: String,
    pub line: u32,
    pub how: String,
}

/// What a start command reveals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listening {
    pub ports: Vec<Port>,
    pub loopback: Vec<Loopback>,
    /// A reverse proxy or process manager is started (nginx, supervisord, ...): it decides which port is
    /// public, so the ports of the servers behind it say nothing about app_port.
    pub proxied: bool,
}

/// Where a command or file being scanned sits.
#[derive(Clone, Copy)]
struct At<'a> {
    path: &'a str,
    line: u32,
}

/// Programs that front other servers.
const PROXIES: [&str; 7] = ["nginx", "caddy", "traefik", "haproxy", "supervisord", "envoy", "httpd"];

/// How deep scripts calling scripts are followed.
const MAX_DEPTH: usize = 4;

struct Scanner<'p> {
    project: &'p Project,
    found: Listening,
    visited: BTreeSet<String>,
}

/// Scans a start command (the words of an exec-form CMD/ENTRYPOINT, or shell text) at `path:line` with the
/// image's variables `vars`.
pub fn scan_start(project: &Project, command: StartCommand<'_>, path: &str, line: u32, vars: &Vars) -> Listening {
    let mut scanner = Scanner { project, found: Listening::default(), visited: BTreeSet::new() };
    let at = At { path, line };
    match command {
        StartCommand::Exec(words) => scanner.command(words, at, &mut vars.clone(), 0),
        StartCommand::Shell(text) => scanner.shell_line(text, at, &mut vars.clone(), 0),
    }
    scanner.found
}

/// A start command as the Dockerfile gives it.
#[derive(Clone, Copy, Debug)]
pub enum StartCommand<'a> {
    Exec(&'a [String]),
    Shell(&'a str),
}

impl Scanner<'_> {
    /// One line of shell (a CMD in shell form, a `sh -c` argument), all of it at one line number.
    fn shell_line(&mut self, text: &str, at: At<'_>, vars: &mut Vars, depth: usize) {
        for words in shell::commands(text) {
            self.command(&words, at, vars, depth);
        }
    }

    /// A script file: every command, with its own line, assignments carried forward.
    fn script(&mut self, file: &ProjectFile, vars: &mut Vars, depth: usize) {
        let Some(text) = file.text() else { return };
        for (line, logical) in logical_lines(text) {
            self.shell_line(logical, At { path: &file.path, line }, vars, depth);
        }
    }

    fn command(&mut self, words: &[String], at: At<'_>, vars: &mut Vars, depth: usize) {
        let mut rest = words;
        // Prefixes that run the real command: assignments, exec, env, nohup, ...; `export` only assigns.
        let mut exporting = false;
        while let Some((first, tail)) = rest.split_first() {
            if let Some((name, value)) = shell::assignment(first) {
                self.assign(name, value, at, vars);
            } else {
                match first.as_str() {
                    "exec" | "nohup" | "env" | "time" | "command" => {}
                    "export" | "readonly" | "local" => exporting = true,
                    "uv" | "poetry" | "pipenv" | "pdm" if tail.first().is_some_and(|w| w == "run") => {
                        rest = &tail[1..];
                        continue;
                    }
                    _ => break,
                }
            }
            rest = tail;
        }
        if exporting {
            for word in rest {
                if let Some((name, value)) = shell::assignment(word) {
                    self.assign(name, value, at, vars);
                }
            }
            return;
        }
        let Some((program, args)) = rest.split_first() else { return };
        let program = basename(program);
        if PROXIES.contains(&program) {
            self.found.proxied = true;
            return;
        }
        match program {
            "sh" | "bash" | "dash" | "ash" | "zsh" => self.shell_program(args, at, vars, depth),
            p if is_python(p) => self.python_program(args, at, vars, depth),
            p if p.ends_with(".sh") => self.run_script(&rest[0], args, vars, depth),
            _ => self.server(program, args, at, vars),
        }
    }

    /// `NAME=value`: remembered for later expansion; a port variable (`PORT`, `*_SERVER_PORT`) given a
    /// default with `${PORT:-N}` is where the app's port is chosen.
    fn assign(&mut self, name: &str, value: &str, at: At<'_>, vars: &mut Vars) {
        let Some(expanded) = shell::expand(value, vars) else {
            vars.remove(name);
            return;
        };
        if is_port_variable(name)
            && value.contains("${")
            && let Ok(port) = expanded.parse::<u16>()
        {
            self.port(port, at, format!("{name}={value}"));
        }
        vars.insert(name.to_string(), expanded);
    }

    fn shell_program(&mut self, args: &[String], at: At<'_>, vars: &mut Vars, depth: usize) {
        // `-c`, also within combined flags (`bash -lc '...'`), makes the next argument the script text.
        let runs_text = |a: &str| a.starts_with('-') && !a.starts_with("--") && a.contains('c');
        let mut args = args.iter().skip_while(|a| a.starts_with('-') && !runs_text(a));
        match args.next() {
            Some(flag) if runs_text(flag) => {
                if let Some(script) = args.next() {
                    self.shell_line(script, at, vars, depth);
                }
            }
            Some(script) => {
                let script_args: Vec<String> = args.cloned().collect();
                self.run_script(script, &script_args, vars, depth);
            }
            None => {}
        }
    }

    /// A script run with `args`. An entrypoint script that ends with `exec "$@"` runs its arguments (the
    /// CMD) next, with what it exported.
    fn run_script(&mut self, reference: &str, args: &[String], vars: &Vars, depth: usize) {
        let project = self.project;
        let Some(file) = project.resolve_reference(reference) else { return };
        if depth >= MAX_DEPTH || !self.visited.insert(file.path.clone()) {
            return;
        }
        // The script runs in a child shell: its assignments do not flow back.
        let mut script_vars = vars.clone();
        self.script(file, &mut script_vars, depth + 1);
        if !args.is_empty()
            && let Some(text) = file.text()
            && let Some(at) = text.find("\"$@\"")
        {
            self.command(args, At { path: &file.path, line: line_of(text, at) }, &mut script_vars, depth + 1);
        }
    }

    fn python_program(&mut self, args: &[String], at: At<'_>, vars: &mut Vars, depth: usize) {
        let mut i = 0;
        while i < args.len() {
            let arg = args[i].as_str();
            if arg == "-m" {
                if let Some(module) = args.get(i + 1) {
                    let module = module.as_str();
                    if module == "http.server" {
                        self.http_server(&args[i + 2..], at);
                    } else {
                        self.server(module, &args[i + 2..], at, vars);
                    }
                }
                return;
            }
            if arg == "-c" {
                return;
            }
            if !arg.starts_with('-') {
                if let Some(file) = self.project.resolve_reference(arg)
                    && depth < MAX_DEPTH
                    && self.visited.insert(file.path.clone())
                {
                    self.python_file(file, vars);
                }
                return;
            }
            i += 1;
        }
    }

    /// A server started by name: uvicorn, gunicorn, hypercorn, streamlit, flask, fastapi.
    fn server(&mut self, program: &str, args: &[String], at: At<'_>, vars: &Vars) {
        let flags = Flags(args);
        match program {
            "uvicorn" => {
                let port = flags.value(&["--port"]).or_else(|| vars.get("UVICORN_PORT").cloned());
                let host = flags.value(&["--host"]).or_else(|| vars.get("UVICORN_HOST").cloned());
                if flags.value(&["--uds", "--fd"]).is_none() {
                    self.server_port(port, 8000, "uvicorn", "--port", at, vars);
                    self.server_host(host, "uvicorn", "--host", at, vars);
                }
            }
            "gunicorn" | "hypercorn" => {
                let binds: Vec<String> = flags.values(&["--bind", "-b"]);
                let configured = flags.value(&["-c", "--config"]).is_some() || vars.contains_key("GUNICORN_CMD_ARGS");
                if binds.is_empty() && !configured {
                    // gunicorn binds 0.0.0.0:$PORT when PORT is set, else 127.0.0.1:8000 (hypercorn: the latter).
                    match vars.get("PORT").filter(|_| program == "gunicorn").and_then(|p| p.parse().ok()) {
                        Some(port) => self.port(port, at, format!("{program} without --bind (0.0.0.0:$PORT)")),
                        None => {
                            self.port(8000, at, format!("{program} without --bind (its default 127.0.0.1:8000)"));
                            self.loopback(at, format!("{program} without --bind binds 127.0.0.1"));
                        }
                    }
                }
                for bind in binds {
                    let Some(bind) = shell::expand(&bind, vars) else { continue };
                    if bind.starts_with("unix:") || bind.starts_with("fd://") {
                        continue;
                    }
                    let (host, port) = bind.rsplit_once(':').unwrap_or((bind.as_str(), "8000"));
                    if let Ok(port) = port.parse() {
                        self.port(port, at, format!("{program} --bind {bind}"));
                    }
                    if is_loopback(host) {
                        self.loopback(at, format!("{program} --bind {bind}"));
                    }
                }
            }
            "streamlit" if args.first().is_some_and(|a| a == "run") => {
                let port = flags
                    .value(&["--server.port"])
                    .or_else(|| vars.get("STREAMLIT_SERVER_PORT").cloned())
                    .or_else(|| self.streamlit_config("port"));
                let host = flags
                    .value(&["--server.address"])
                    .or_else(|| vars.get("STREAMLIT_SERVER_ADDRESS").cloned())
                    .or_else(|| self.streamlit_config("address"));
                self.server_port(port, 8501, "streamlit", "--server.port", at, vars);
                if let Some(host) = host.and_then(|h| shell::expand(&h, vars)).filter(|h| is_loopback(h)) {
                    self.loopback(at, format!("streamlit --server.address {host}"));
                }
            }
            "flask" if args.first().is_some_and(|a| a == "run") => {
                let port = flags.value(&["--port", "-p"]).or_else(|| vars.get("FLASK_RUN_PORT").cloned());
                let host = flags.value(&["--host", "-h"]).or_else(|| vars.get("FLASK_RUN_HOST").cloned());
                self.server_port(port, 5000, "flask run", "--port", at, vars);
                self.server_host(host, "flask run", "--host", at, vars);
            }
            "fastapi" if args.first().is_some_and(|a| a == "run" || a == "dev") => {
                let port = flags.value(&["--port"]);
                let host = flags.value(&["--host"]);
                self.server_port(port, 8000, "fastapi", "--port", at, vars);
                if args[0] == "dev" {
                    self.server_host(host, "fastapi dev", "--host", at, vars);
                } else if let Some(host) = host.and_then(|h| shell::expand(&h, vars)).filter(|h| is_loopback(h)) {
                    self.loopback(at, format!("fastapi --host {host}"));
                }
            }
            _ => {}
        }
    }

    /// A port from a flag (or an environment variable standing in for it), or the server's default.
    fn server_port(&mut self, value: Option<String>, default: u16, program: &str, flag: &str, at: At<'_>, vars: &Vars) {
        match value {
            Some(value) => {
                if let Some(port) = shell::expand(&value, vars).and_then(|v| v.parse().ok()) {
                    self.port(port, at, format!("{program} {flag} {value}"));
                }
            }
            None => self.port(default, at, format!("{program} without {flag} (its default {default})")),
        }
    }

    /// A bind address from a flag, or the server's loopback default.
    fn server_host(&mut self, value: Option<String>, program: &str, flag: &str, at: At<'_>, vars: &Vars) {
        match value {
            Some(value) => {
                if shell::expand(&value, vars).is_some_and(|h| is_loopback(&h)) {
                    self.loopback(at, format!("{program} {flag} {value}"));
                }
            }
            None => self.loopback(at, format!("{program} without {flag} binds 127.0.0.1")),
        }
    }

    /// `python -m http.server [port] [--bind addr]`: all interfaces on 8000 unless told otherwise.
    fn http_server(&mut self, args: &[String], at: At<'_>) {
        let flags = Flags(args);
        let port = args.iter().find(|a| a.parse::<u16>().is_ok()).and_then(|a| a.parse().ok());
        match port {
            Some(port) => self.port(port, at, format!("python -m http.server {port}")),
            None => self.port(8000, at, "python -m http.server without a port (its default 8000)".into()),
        }
        if let Some(bind) = flags.value(&["--bind", "-b"]).filter(|b| is_loopback(b)) {
            self.loopback(at, format!("python -m http.server --bind {bind}"));
        }
    }

    /// `server.<key>` of `.streamlit/config.toml`, which streamlit reads from the working directory.
    fn streamlit_config(&self, key: &str) -> Option<String> {
        let text = self.project.text(".streamlit/config.toml")?;
        spacesmith_plugin_sdk::text::toml_value(text, "server", key).map(|(_, v)| v)
    }

    /// A Python file: Gradio's `launch(...)`, `uvicorn.run(...)`, Flask's `app.run(...)`, and
    /// `os.environ.get("PORT", N)`.
    fn python_file(&mut self, file: &ProjectFile, vars: &Vars) {
        let Some(source) = file.text() else { return };
        let path = file.path.as_str();
        let mut served = false;
        if python_imports(source, "gradio") {
            for (line, args) in python_calls(source, ".launch(") {
                served = true;
                let at = At { path, line };
                match python_value(python_keyword(args, "server_port"), vars) {
                    Some(v) => self.port_text(&v, at, "gradio launch(server_port=...)"),
                    None if python_keyword(args, "server_port").is_none() => {
                        let port = vars.get("GRADIO_SERVER_PORT").and_then(|p| p.parse().ok()).unwrap_or(7860);
                        self.port(port, at, format!("gradio launch() without server_port ({port})"));
                    }
                    None => {}
                }
                match python_keyword(args, "server_name") {
                    Some(v) => {
                        if python_value(Some(v), vars).is_some_and(|h| is_loopback(&h)) {
                            self.loopback(at, format!("gradio launch(server_name={v})"));
                        }
                    }
                    None => match vars.get("GRADIO_SERVER_NAME") {
                        Some(h) if !is_loopback(h) => {}
                        _ => self.loopback(
                            at,
                            "gradio launch() without server_name binds 127.0.0.1 (set GRADIO_SERVER_NAME=0.0.0.0)".into(),
                        ),
                    },
                }
            }
        }
        let flask_apps = flask_apps(source);
        let mut calls: Vec<(u32, &str, &str, u16)> =
            python_calls(source, "uvicorn.run(").into_iter().map(|(line, args)| (line, args, "uvicorn.run", 8000)).collect();
        for app in &flask_apps {
            calls.extend(
                python_calls(source, &format!("{app}.run(")).into_iter().map(|(line, args)| (line, args, "app.run", 5000)),
            );
        }
        for (line, args, program, default_port) in calls {
            served = true;
            let at = At { path, line };
            match python_keyword(args, "port") {
                Some(v) => {
                    if let Some(v) = python_value(Some(v), vars) {
                        self.port_text(&v, at, &format!("{program}(port=...)"));
                    }
                }
                None => self.port(default_port, at, format!("{program}() without port (its default {default_port})")),
            }
            match python_keyword(args, "host") {
                Some(v) => {
                    if python_value(Some(v), vars).is_some_and(|h| is_loopback(&h)) {
                        self.loopback(at, format!("{program}(host={v})"));
                    }
                }
                None => self.loopback(at, format!("{program}() without host binds 127.0.0.1")),
            }
        }
        if served {
            return;
        }
        // No server call we know: the port the app reads from PORT (a stdlib server, for one).
        for (i, raw) in source.lines().enumerate() {
            let code = python_code(raw);
            for call in ["environ.get(", "getenv("] {
                let mut from = 0;
                while let Some(pos) = code[from..].find(call) {
                    let start = from + pos;
                    from = start + call.len();
                    let Some(port) = python_env_lookup(&code[start..], vars, "PORT") else { continue };
                    let at = At { path, line: u32::try_from(i + 1).unwrap_or(u32::MAX) };
                    self.port_text(&port, at, "os.environ.get(\"PORT\", ...)");
                }
            }
        }
    }

    fn port_text(&mut self, value: &str, at: At<'_>, how: &str) {
        if let Ok(port) = value.parse() {
            self.port(port, at, format!("{how} = {value}"));
        }
    }

    fn port(&mut self, port: u16, at: At<'_>, how: String) {
        self.found.ports.push(Port { port, path: at.path.to_string(), line: at.line, how });
    }

    fn loopback(&mut self, at: At<'_>, how: String) {
        self.found.loopback.push(Loopback { path: at.path.to_string(), line: at.line, how });
    }
}

/// Flag values in an argument list: `--flag value` or `--flag=value`.
struct Flags<'a>(&'a [String]);

impl Flags<'_> {
    fn values(&self, names: &[&str]) -> Vec<String> {
        let mut values = Vec::new();
        let mut args = self.0.iter();
        while let Some(arg) = args.next() {
            for name in names {
                if arg == name {
                    if let Some(v) = args.clone().next() {
                        values.push(v.clone());
                    }
                } else if let Some(v) = arg.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
                    values.push(v.to_string());
                }
            }
        }
        values
    }

    fn value(&self, names: &[&str]) -> Option<String> {
        self.values(names).pop()
    }
}

/// Names bound to a Flask app (`app = Flask(__name__)`), when the file imports flask.
fn flask_apps(source: &str) -> Vec<&str> {
    if !python_imports(source, "flask") {
        return Vec::new();
    }
    source
        .lines()
        .filter_map(|line| {
            let (name, value) = python_code(line).split_once('=')?;
            let name = name.trim();
            let is_name = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
            (is_name && value.trim_start().starts_with("Flask(")).then_some(name)
        })
        // An app has one Flask object, rarely a few; each name costs a scan of the file.
        .take(8)
        .collect()
}

fn is_python(program: &str) -> bool {
    program == "python" || program.strip_prefix("python").is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn is_port_variable(name: &str) -> bool {
    name == "PORT" || name.ends_with("_SERVER_PORT")
}

pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_matches(|c| c == '[' || c == ']');
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// Logical lines of a script (a line ending in `\` continues on the next), each with its first line's
/// 1-based number.
fn logical_lines(text: &str) -> Vec<(u32, &str)> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut start_line = 1u32;
    let mut line = 1u32;
    let bytes = text.as_bytes();
    for (i, byte) in bytes.iter().enumerate() {
        if *byte != b'\n' {
            continue;
        }
        if !(i > 0 && bytes[i - 1] == b'\\') {
            lines.push((start_line, &text[start..i]));
            start = i + 1;
            start_line = line.saturating_add(1);
        }
        line = line.saturating_add(1);
    }
    if start < text.len() {
        lines.push((start_line, &text[start..]));
    }
    lines
}

/// `environ.get("PORT", d)` / `getenv("PORT", d)` at the start of `code`: the port it yields.
fn python_env_lookup(code: &str, vars: &Vars, name: &str) -> Option<String> {
    let open = code.find('(')? + 1;
    let args = &code[open..open + balanced(&code[open..])?];
    let parts = split_top_level(args);
    if python_string_literal(parts.first()?)? != name {
        return None;
    }
    match vars.get(name) {
        Some(v) => Some(v.clone()),
        None => python_value(parts.get(1).copied(), vars),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spacesmith_plugin_sdk::testing::project;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn shell(files: &[(&str, &str)], cmd: &str, v: &[(&str, &str)]) -> Listening {
        scan_start(&project(files, None), StartCommand::Shell(cmd), "Dockerfile", 9, &vars(v))
    }

    fn exec(files: &[(&str, &str)], words: &[&str]) -> Listening {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        scan_start(&project(files, None), StartCommand::Exec(&words), "Dockerfile", 9, &Vars::new())
    }

    fn ports(l: &Listening) -> Vec<(u16, &str, u32)> {
        l.ports.iter().map(|p| (p.port, p.path.as_str(), p.line)).collect()
    }

    #[test]
    fn uvicorn_flags_env_and_defaults() {
        let l = shell(&[], "uvicorn app:app --host 0.0.0.0 --port 7860", &[]);
        assert_eq!(ports(&l), [(7860, "Dockerfile", 9)]);
        assert!(l.loopback.is_empty());
        let l = shell(&[], "uvicorn app:app --host=127.0.0.1 --port=${PORT:-8000}", &[("PORT", "7860")]);
        assert_eq!(ports(&l), [(7860, "Dockerfile", 9)]);
        assert_eq!(l.loopback.len(), 1);
        let l = shell(&[], "exec python -m uvicorn app:app", &[]);
        assert_eq!(ports(&l), [(8000, "Dockerfile", 9)]);
        assert!(l.loopback[0].how.contains("without --host"), "{:?}", l.loopback);
        let l = shell(&[], "uvicorn app:app", &[("UVICORN_HOST", "0.0.0.0"), ("UVICORN_PORT", "7860")]);
        assert_eq!(ports(&l), [(7860, "Dockerfile", 9)]);
        assert!(l.loopback.is_empty());
        let l = shell(&[], "uvicorn app:app --host 0.0.0.0 --port $UNKNOWN", &[]);
        assert!(l.ports.is_empty());
    }

    #[test]
    fn gunicorn_streamlit_flask_fastapi_http_server() {
        assert_eq!(ports(&shell(&[], "gunicorn -b 0.0.0.0:7860 app:app", &[])), [(7860, "Dockerfile", 9)]);
        assert_eq!(ports(&shell(&[], "gunicorn --bind=unix:/tmp/s app:app", &[])), []);
        assert_eq!(ports(&shell(&[], "gunicorn app:app", &[("PORT", "7860")])), [(7860, "Dockerfile", 9)]);
        let l = shell(&[], "gunicorn app:app", &[]);
        assert_eq!((ports(&l), l.loopback.len()), (vec![(8000, "Dockerfile", 9)], 1));
        assert!(shell(&[], "gunicorn -c conf.py app:app", &[]).ports.is_empty());
        assert_eq!(ports(&shell(&[], "streamlit run app.py --server.port=8501", &[])), [(8501, "Dockerfile", 9)]);
        assert_eq!(ports(&shell(&[], "streamlit run app.py", &[])), [(8501, "Dockerfile", 9)]);
        let toml = [(".streamlit/config.toml", "[server]\nport = 8080\naddress = \"localhost\"\n")];
        let l = shell(&toml, "streamlit run app.py", &[]);
        assert_eq!((ports(&l), l.loopback.len()), (vec![(8080, "Dockerfile", 9)], 1));
        assert_eq!(ports(&shell(&[], "flask run -p 7860 -h 0.0.0.0", &[])), [(7860, "Dockerfile", 9)]);
        assert_eq!(shell(&[], "flask run", &[]).loopback.len(), 1);
        let l = shell(&[], "fastapi run main.py", &[]);
        assert_eq!((ports(&l), l.loopback.len()), (vec![(8000, "Dockerfile", 9)], 0));
        assert_eq!(ports(&shell(&[], "python3 -m http.server 7860", &[])), [(7860, "Dockerfile", 9)]);
    }

    #[test]
    fn exec_form_sh_c_and_scripts() {
        let script = "#!/bin/sh\nset -eu\n# comment --port 1\nPORT=\"${PORT:-7860}\"\nexec uvicorn app:app \\\n  --host 0.0.0.0 \\\n  --port \"$PORT\"\n";
        let files = [("start.sh", script)];
        let l = exec(&files, &["sh", "/app/start.sh"]);
        assert_eq!(ports(&l), [(7860, "start.sh", 4), (7860, "start.sh", 5)]);
        assert!(l.loopback.is_empty());
        assert_eq!(ports(&exec(&files, &["./start.sh"])), [(7860, "start.sh", 4), (7860, "start.sh", 5)]);
        assert_eq!(ports(&exec(&[], &["/bin/sh", "-c", "uvicorn a:b --host 0.0.0.0 --port 9000"])), [(9000, "Dockerfile", 9)]);
        assert_eq!(
            ports(&exec(&[], &["bash", "-e", "-lc", "uvicorn a:b --host 0.0.0.0 --port 9001"])),
            [(9001, "Dockerfile", 9)]
        );
        // `export` assignments flow into later commands of the same script.
        let files = [("run.sh", "export PORT=${PORT:-7000}\nexec gunicorn app:app\n")];
        assert_eq!(ports(&exec(&files, &["bash", "run.sh"])), [(7000, "run.sh", 1), (7000, "run.sh", 2)]);
    }

    #[test]
    fn entrypoint_scripts_run_their_arguments() {
        let entry = "#!/bin/sh\nset -e\nexport UVICORN_HOST=0.0.0.0\nexec \"$@\"\n";
        let l = exec(&[("entrypoint.sh", entry)], &["/entrypoint.sh", "uvicorn", "app:app", "--port", "7860"]);
        assert_eq!(ports(&l), [(7860, "entrypoint.sh", 4)]);
        assert!(l.loopback.is_empty(), "{:?}", l.loopback);
        let plain = "#!/bin/sh\necho hi\n";
        assert!(exec(&[("run.sh", plain)], &["./run.sh", "uvicorn", "app:app"]).ports.is_empty());
    }

    #[test]
    fn logical_lines_keep_their_first_line_number() {
        assert_eq!(logical_lines("a\nb \\\n c\n\nd"), [(1, "a"), (2, "b \\\n c"), (4, ""), (5, "d")]);
    }

    #[test]
    fn scripts_calling_themselves_terminate() {
        let files = [("a.sh", "sh b.sh\n"), ("b.sh", "sh a.sh\nuvicorn x:y --host 0.0.0.0 --port 1234\n")];
        assert_eq!(ports(&exec(&files, &["sh", "a.sh"])), [(1234, "b.sh", 2)]);
    }

    #[test]
    fn proxies_are_noticed() {
        let l = shell(&[], "nginx && uvicorn a:b --port 8000 --host 127.0.0.1", &[]);
        assert!(l.proxied);
    }

    #[test]
    fn python_gradio_launch() {
        let app = "import gradio as gr\ndemo = gr.Interface(f, 'text', 'text')\ndemo.launch(\n    server_name=\"0.0.0.0\",\n    server_port=int(os.getenv('PORT', '8080')),\n)\n";
        let l = exec(&[("app.py", app)], &["python", "app.py"]);
        assert_eq!(ports(&l), [(8080, "app.py", 3)]);
        assert!(l.loopback.is_empty());
        let l = exec(&[("app.py", "import gradio as gr\ngr.Blocks().launch()\n")], &["python", "-u", "app.py"]);
        assert_eq!(ports(&l), [(7860, "app.py", 2)]);
        assert_eq!(l.loopback.len(), 1);
        let words: Vec<String> = ["python", "app.py"].iter().map(|w| w.to_string()).collect();
        let l = scan_start(
            &project(&[("app.py", "import gradio as gr\ngr.Blocks().launch()\n")], None),
            StartCommand::Exec(&words),
            "Dockerfile",
            1,
            &vars(&[("GRADIO_SERVER_NAME", "0.0.0.0"), ("GRADIO_SERVER_PORT", "7861")]),
        );
        assert_eq!((ports(&l), l.loopback.len()), (vec![(7861, "app.py", 2)], 0));
    }

    #[test]
    fn python_uvicorn_flask_and_environ() {
        let app = "import uvicorn\nif __name__ == '__main__':\n    uvicorn.run(app, host='0.0.0.0', port=7860)\n";
        assert_eq!(ports(&exec(&[("main.py", app)], &["python", "main.py"])), [(7860, "main.py", 3)]);
        let flask = "from flask import Flask\napp = Flask(__name__)\napp.run()\n";
        let l = exec(&[("app.py", flask)], &["python", "app.py"]);
        assert_eq!((ports(&l), l.loopback.len()), (vec![(5000, "app.py", 3)], 1));
        let stdlib = "import os\nPORT = int(os.environ.get(\"PORT\", \"7860\"))\nREDIS = os.environ.get('REDIS_PORT', 6379)\n";
        assert_eq!(ports(&exec(&[("app.py", stdlib)], &["python", "app.py"])), [(7860, "app.py", 2)]);
    }

    #[test]
    fn loopback_addresses() {
        for h in ["127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["0.0.0.0", "::", "10.0.0.1"] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
