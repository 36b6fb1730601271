//! Where the app listens: ports and bind addresses found in the start command, the scripts it runs, and
//! the Python files it runs, following the servers' documented flags, environment variables and defaults.
//!
//! Every finding carries the file and line it came from, so rules can point at it.

use std::collections::BTreeSet;

use spacesmith_plugin_sdk::text::{
    balanced, line_of, python_calls, python_code, python_imports, python_keyword, python_string_literal, python_value,
    split_top_level, top_level_chars,
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
    /// The environment variable the port was meant to come from, when the image leaves it unset and the
    /// app's fallback is used (`${PORT:-8000}`, `os.environ.get("PORT", 8000)`, `process.env.PORT || 3000`).
    pub unset: Option<String>,
}

/// Something the start command or the app writes when it starts (as UID 1000 on the Hub).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    /// Absolute and normalised.
    pub target: String,
    pub path: String,
    pub line: u32,
    /// What writes it, e.g. "mkdir -p outputs".
    pub how: String,
    /// Nothing is written when the target already exists (`mkdir -p`, `exist_ok=True`).
    pub if_missing: bool,
    /// A model or dataset download into the Hugging Face cache (nothing is written when the build
    /// already put it there).
    pub download: bool,
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
    /// Paths written at start; relative ones are resolved against `PWD` (the image's WORKDIR, then `cd`).
    pub writes: Vec<Write>,
    /// Ports taken from a variable the image leaves unset, with no fallback: the server gets nothing.
    pub unset_ports: Vec<UnsetPort>,
}

/// A port read from an unset variable without a fallback (`--port $PORT`, `os.environ["PORT"]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsetPort {
    pub var: String,
    pub path: String,
    pub line: u32,
    /// What happens then, e.g. "uvicorn --port $PORT gets an empty port".
    pub how: String,
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
        self.redirections(rest, at, vars);
        if PROXIES.contains(&program) {
            self.found.proxied = true;
            return;
        }
        self.file_writes(program, args, at, vars);
        match program {
            "cd" => self.cd(args, vars),
            "sh" | "bash" | "dash" | "ash" | "zsh" => self.shell_program(args, at, vars, depth),
            p if is_python(p) => self.python_program(args, at, vars, depth),
            p if p.ends_with(".sh") => self.run_script(&rest[0], args, vars, depth),
            "node" | "nodejs" | "bun" | "tsx" | "ts-node" | "pm2" | "pm2-runtime" => {
                self.node_program(program, args, vars, depth)
            }
            "npm" | "yarn" | "pnpm" => self.package_script(program, args, vars, depth),
            _ => self.server(program, args, at, vars),
        }
    }

    /// `cd DIR`: later relative paths resolve against it (unknown when it cannot be expanded).
    fn cd(&mut self, args: &[String], vars: &mut Vars) {
        let dir = args.iter().find(|a| !a.starts_with('-')).map_or("~", String::as_str);
        match resolve_path(dir, vars) {
            Some(dir) => vars.insert("PWD".into(), dir),
            None => vars.remove("PWD"),
        };
    }

    /// `> file`, `>> file`, `2> file`, `&> file`, `>file`: the file is written (`/dev/*` aside).
    fn redirections(&mut self, words: &[String], at: At<'_>, vars: &Vars) {
        for (i, word) in words.iter().enumerate() {
            let op = word.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&');
            if op.len() == word.len() && !word.starts_with('>') {
                continue;
            }
            let Some(rest) = op.strip_prefix(">>").or_else(|| op.strip_prefix('>')) else { continue };
            let target = if rest.is_empty() { words.get(i + 1).map(String::as_str) } else { Some(rest) };
            if let Some(target) = target.filter(|t| !t.starts_with(['&', '|']) && !t.starts_with("/dev/")) {
                let how = if rest.is_empty() { format!("{word} {target}") } else { word.clone() };
                self.write(target, at, vars, how, false);
            }
        }
    }

    /// Commands that create or write files: mkdir, touch, tee, cp/mv, git clone, wget, curl, and the Hub's
    /// CLI downloading into a folder.
    fn file_writes(&mut self, program: &str, args: &[String], at: At<'_>, vars: &Vars) {
        let flags = Flags(args);
        match program {
            "mkdir" => {
                let parents =
                    args.iter().any(|a| a == "--parents" || (a.starts_with('-') && !a.starts_with("--") && a.contains('p')));
                for target in operands(args, &["-m", "--mode"]) {
                    self.write(target, at, vars, format!("mkdir {}{target}", if parents { "-p " } else { "" }), parents);
                }
            }
            "touch" | "tee" => {
                for target in operands(args, &["-d", "-r", "-t", "--date", "--reference"]) {
                    self.write(target, at, vars, format!("{program} {target}"), false);
                }
            }
            "cp" | "mv" => {
                let target = flags.value(&["-t", "--target-directory"]);
                let ops = operands(args, &["-t", "--target-directory", "-S", "--suffix"]);
                if let Some(target) = target.as_deref().or_else(|| (ops.len() >= 2).then(|| ops[ops.len() - 1].as_str())) {
                    self.write(target, at, vars, format!("{program} ... {target}"), false);
                }
            }
            "git" if args.first().is_some_and(|a| a == "clone") => {
                let value_flags = ["-b", "--branch", "--depth", "-c", "--config", "-o", "--origin", "--reference", "--filter"];
                let ops = operands(&args[1..], &value_flags);
                let dir = match ops.as_slice() {
                    [url] => basename(url.trim_end_matches('/')).trim_end_matches(".git"),
                    [_, dir, ..] => dir.as_str(),
                    [] => return,
                };
                self.write(dir, at, vars, format!("git clone into {dir}"), false);
            }
            "wget" => {
                let url = operands(args, &["-O", "--output-document", "-P", "--directory-prefix", "-o", "-a", "-U", "-t", "-T"]);
                let file = url.first().map(|u| basename(u.split(['?', '#']).next().unwrap_or(u)).to_string());
                let target = match (flags.value(&["-O", "--output-document"]), flags.value(&["-P", "--directory-prefix"]), file) {
                    (Some(out), _, _) if out != "-" => out,
                    (Some(_), _, _) => return,
                    (None, Some(dir), Some(file)) if !file.is_empty() => format!("{dir}/{file}"),
                    (None, None, Some(file)) if !file.is_empty() => file,
                    _ => return,
                };
                self.write(&target, at, vars, format!("wget into {target}"), false);
            }
            "curl" => {
                let target = match flags.value(&["-o", "--output"]) {
                    Some(out) if out != "-" => Some(out),
                    Some(_) => None,
                    None if args.iter().any(|a| a == "-O" || a == "--remote-name") => operands(args, CURL_VALUE_FLAGS)
                        .first()
                        .map(|u| basename(u.split(['?', '#']).next().unwrap_or(u)).to_string())
                        .filter(|f| !f.is_empty()),
                    None => None,
                };
                if let Some(target) = target {
                    self.write(&target, at, vars, format!("curl into {target}"), false);
                }
            }
            "huggingface-cli" | "hf" if args.first().is_some_and(|a| a == "download") => {
                if let Some(dir) = flags.value(&["--local-dir"]) {
                    self.write(&dir, at, vars, format!("{program} download --local-dir {dir}"), true);
                }
            }
            _ => {}
        }
    }

    /// Records a write of `word` (a path as written); whether it was recorded.
    fn write(&mut self, word: &str, at: At<'_>, vars: &Vars, how: String, if_missing: bool) -> bool {
        // A path taken from an unset variable's fallback may be set as a Space variable: no evidence.
        if unset_default(word, vars).is_some() {
            return false;
        }
        let Some(target) = resolve_path(word, vars) else { return false };
        self.found.writes.push(Write { target, path: at.path.to_string(), line: at.line, how, if_missing, download: false });
        true
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
            self.fallback_port(port, at, format!("{name}={value}"), unset_default(value, vars));
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

    /// `node app.js`, `bun server.ts`, `pm2 start app.js`, `pm2-runtime app.js`: the script file's ports.
    fn node_program(&mut self, program: &str, args: &[String], vars: &Vars, depth: usize) {
        let args = match program {
            "pm2" if args.first().is_some_and(|a| a == "start") => &args[1..],
            "pm2" => return,
            "bun" if args.first().is_some_and(|a| a == "run") => &args[1..],
            _ => args,
        };
        let Some(script) = args.iter().find(|a| !a.starts_with('-')) else { return };
        if let Some(file) = self.project.resolve_reference(script)
            && depth < MAX_DEPTH
            && self.visited.insert(file.path.clone())
        {
            self.js_file(file, vars);
        }
    }

    /// `npm start`, `npm run NAME`, `yarn NAME`, `pnpm run NAME`: the package.json script runs (npm's
    /// default start is `node server.js`).
    fn package_script(&mut self, program: &str, args: &[String], vars: &mut Vars, depth: usize) {
        let name = match args {
            [cmd, ..] if cmd == "start" => "start",
            [cmd, name, ..] if cmd == "run" || cmd == "run-script" => name.as_str(),
            [name, ..] if program != "npm" && !name.starts_with('-') => name.as_str(),
            _ => return,
        };
        if depth >= MAX_DEPTH || !self.visited.insert(format!("package.json#{name}")) {
            return;
        }
        let Some(text) = self.project.text("package.json") else { return };
        let package: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let script = match package["scripts"][name].as_str() {
            Some(script) => script.to_string(),
            None if name == "start" => "node server.js".to_string(),
            None => return,
        };
        let key = format!("\"{name}\"");
        let line = text.find(&key).map_or(1, |at| line_of(text, at));
        self.shell_line(&script, At { path: "package.json", line }, &mut vars.clone(), depth + 1);
    }

    /// A JavaScript/TypeScript file: `process.env.PORT || N` (and `??`), and `.listen(N[, host])`.
    fn js_file(&mut self, file: &ProjectFile, vars: &Vars) {
        let Some(source) = file.text() else { return };
        for (i, raw) in source.lines().enumerate() {
            let code = js_code(raw);
            let at = At { path: &file.path, line: u32::try_from(i + 1).unwrap_or(u32::MAX) };
            for (pos, _) in code.match_indices("process.env") {
                let Some((name, rest)) = js_env_name(&code[pos + "process.env".len()..]) else { continue };
                if !is_port_variable(name) {
                    continue;
                }
                let rest = rest.trim_start_matches([')', ' ']);
                let fallback = rest.strip_prefix("||").or_else(|| rest.strip_prefix("??")).and_then(js_number);
                match (vars.get(name).and_then(|v| v.parse().ok()), fallback) {
                    (Some(port), _) => self.port(port, at, format!("process.env.{name} = {port}")),
                    (None, Some(port)) => {
                        self.fallback_port(port, at, format!("process.env.{name} || {port}"), Some(name.to_string()));
                    }
                    (None, None) if code[..pos].contains("listen(") => {
                        let how = format!("listen(process.env.{name}) without a fallback listens on a random port");
                        self.found.unset_ports.push(UnsetPort {
                            var: name.to_string(),
                            path: at.path.to_string(),
                            line: at.line,
                            how,
                        });
                    }
                    (None, None) => {}
                }
            }
            for (pos, _) in code.match_indices(".listen(") {
                let args = &code[pos + ".listen(".len()..];
                let Some(port) = js_number(args) else { continue };
                self.port(port, at, format!(".listen({port})"));
                let host = args.split_once(',').map(|(_, h)| h.trim().trim_start_matches(['"', '\'', '`']));
                if let Some(host) = host.and_then(|h| h.split(['"', '\'', '`']).next()).filter(|h| is_loopback(h)) {
                    self.loopback(at, format!(".listen({port}, \"{host}\")"));
                }
            }
        }
    }

    /// The Python file a server imports or runs (`main:app`, `app.main:app`, `main.py`): only what it
    /// writes when loaded is read (its `__main__` block runs only when `as_main`).
    fn loaded_module(&mut self, spec: &str, vars: &Vars, as_main: bool) {
        let module = spec.split(':').next().unwrap_or(spec);
        let candidates = if module.ends_with(".py") {
            vec![module.to_string()]
        } else {
            let path = module.replace('.', "/");
            vec![format!("{path}.py"), format!("{path}/__init__.py")]
        };
        let project = self.project;
        let Some(file) = candidates.iter().find_map(|c| project.resolve_reference(c)) else { return };
        if self.visited.insert(format!("{}#loaded", file.path))
            && let Some(source) = file.text()
        {
            self.python_writes(source, &file.path, vars, as_main);
        }
    }

    /// A server started by name: uvicorn, gunicorn, hypercorn, streamlit, flask, fastapi.
    fn server(&mut self, program: &str, args: &[String], at: At<'_>, vars: &Vars) {
        let flags = Flags(args);
        let value_flags =
            ["--port", "--host", "--bind", "-b", "-w", "--workers", "-k", "--worker-class", "-c", "--config", "--app-dir"];
        match program {
            "uvicorn" | "gunicorn" | "hypercorn" | "fastapi" => {
                let ops = operands(args, &value_flags);
                let spec = if program == "fastapi" { ops.get(1) } else { ops.first() };
                if let Some(spec) = spec {
                    self.loaded_module(spec, vars, false);
                }
            }
            "streamlit" => {
                if let Some(script) = operands(args, &[]).get(1) {
                    self.loaded_module(script, vars, true);
                }
            }
            _ => {}
        }
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
                    let Some(bind) = shell::expand(&bind, vars) else {
                        let how = format!("{program} --bind {bind} gets no port and does not start");
                        self.unset_port(&bind, vars, at, how);
                        continue;
                    };
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
            "next" if args.first().is_some_and(|a| a == "start" || a == "dev") => {
                // next reads PORT when -p is not given, then defaults to 3000.
                match flags.value(&["-p", "--port"]) {
                    Some(value) => self.server_port(Some(value), 3000, "next", "--port", at, vars),
                    None => match vars.get("PORT").and_then(|p| p.parse().ok()) {
                        Some(port) => self.port(port, at, format!("next {} with PORT={port}", args[0])),
                        None => self.fallback_port(3000, at, format!("next {} without -p (3000)", args[0]), Some("PORT".into())),
                    },
                }
            }
            "serve" => {
                let listen = flags.value(&["-l", "--listen"]);
                let port =
                    listen.as_deref().and_then(|l| shell::expand(l, vars)).and_then(|l| l.rsplit(':').next()?.parse().ok());
                match (listen, port) {
                    (Some(l), Some(port)) => self.port(port, at, format!("serve --listen {l}")),
                    (Some(_), None) => {}
                    (None, _) => self.port(3000, at, "serve without --listen (its default 3000)".into()),
                }
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
            Some(value) => match shell::expand(&value, vars) {
                Some(v) => {
                    if let Ok(port) = v.parse() {
                        self.fallback_port(port, at, format!("{program} {flag} {value}"), unset_default(&value, vars));
                    }
                }
                None => self.unset_port(&value, vars, at, format!("{program} {flag} {value} gets no port and does not start")),
            },
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
        self.python_writes(source, path, vars, true);
        let mut served = false;
        if python_imports(source, "gradio") {
            for (line, args) in python_calls(source, ".launch(") {
                served = true;
                let at = At { path, line };
                match python_keyword(args, "server_port") {
                    Some(expr) => match python_eval(expr, source, vars, 0) {
                        Some((v, unset)) => self.port_text(&v, at, &format!("gradio launch(server_port={expr})"), unset),
                        None => self.python_unset_port(expr, source, vars, at, "gradio launch(server_port=...)"),
                    },
                    None => {
                        let port = vars.get("GRADIO_SERVER_PORT").and_then(|p| p.parse().ok()).unwrap_or(7860);
                        self.port(port, at, format!("gradio launch() without server_port ({port})"));
                    }
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
                Some(expr) => match python_eval(expr, source, vars, 0) {
                    Some((v, unset)) => self.port_text(&v, at, &format!("{program}(port={expr})"), unset),
                    None => self.python_unset_port(expr, source, vars, at, &format!("{program}(port=...)")),
                },
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
                    let Some((port, unset)) = python_env_lookup(&code[start..], vars, "PORT") else { continue };
                    let at = At { path, line: u32::try_from(i + 1).unwrap_or(u32::MAX) };
                    self.port_text(&port, at, "os.environ.get(\"PORT\", ...)", unset);
                }
            }
        }
    }

    fn port_text(&mut self, value: &str, at: At<'_>, how: &str, unset: Option<String>) {
        if let Ok(port) = value.parse() {
            self.fallback_port(port, at, format!("{how} = {value}"), unset);
        }
    }

    /// What a Python file writes when it is run: module-level `os.makedirs`/`os.mkdir`/`Path(...).mkdir`,
    /// `open(..., "w")`, and model or dataset downloads into the Hugging Face cache (`from_pretrained`,
    /// `pipeline`, `hf_hub_download`, ...). Code inside functions runs later, if at all: not read.
    fn python_writes(&mut self, source: &str, path: &str, vars: &Vars, as_main: bool) {
        let top = top_level_lines(source, as_main);
        let calls = |callee: &str| -> Vec<(u32, &str, &str)> {
            let method = callee == "from_pretrained(";
            word_calls(source, callee, method).into_iter().filter(|(line, _, _)| top.contains(line)).collect()
        };
        for callee in ["os.makedirs(", "makedirs(", "os.mkdir("] {
            for (line, args, _) in calls(callee) {
                let exist_ok = python_keyword(args, "exist_ok").is_some_and(|v| v == "True");
                let first = split_top_level(args)[0];
                // A path taken from an unset variable's fallback may be set as a Space variable: no evidence.
                if let Some((target, None)) = python_eval(first, source, vars, 0) {
                    let how = format!("{}({first})", callee.trim_end_matches('('));
                    self.write(&target, At { path, line }, vars, how, exist_ok);
                }
            }
        }
        for callee in ["Path(", "pathlib.Path("] {
            for (line, args, after) in calls(callee) {
                let first = split_top_level(args)[0];
                let Some(method) =
                    [".mkdir(", ".write_text(", ".write_bytes(", ".touch("].into_iter().find(|m| after.starts_with(m))
                else {
                    continue;
                };
                let exist_ok = method == ".mkdir(" && after.lines().next().is_some_and(|l| l.contains("exist_ok=True"));
                // A path taken from an unset variable's fallback may be set as a Space variable: no evidence.
                if let Some((target, None)) = python_eval(first, source, vars, 0) {
                    let how = format!("Path({first}){}...)", method);
                    self.write(&target, At { path, line }, vars, how, exist_ok);
                }
            }
        }
        for (line, args, _) in calls("open(") {
            let parts = split_top_level(args);
            let mode = python_keyword(args, "mode").or_else(|| parts.get(1).copied().filter(|p| !p.contains('=')));
            let writes = mode.and_then(python_string_literal).is_some_and(|m| m.contains(['w', 'a', 'x', '+']));
            if writes && let Some((target, None)) = python_eval(parts[0], source, vars, 0) {
                self.write(
                    &target,
                    At { path, line },
                    vars,
                    format!("open({}, {})", parts[0].trim(), mode.unwrap_or_default()),
                    false,
                );
            }
        }
        // Downloads from the Hub land in its cache, under HOME unless told otherwise.
        let downloads: [(&str, &[&str]); 4] = [
            ("from_pretrained(", &["transformers", "diffusers", "sentence_transformers", "peft", "timm"]),
            ("pipeline(", &["transformers"]),
            ("hf_hub_download(", &["huggingface_hub"]),
            ("snapshot_download(", &["huggingface_hub"]),
        ];
        for (callee, modules) in downloads {
            if !modules.iter().any(|m| python_imports(source, m)) {
                continue;
            }
            for (line, args, _) in calls(callee) {
                // A local directory (a path, or a folder of the repository) is read, not downloaded.
                let local =
                    |name: &str| name.starts_with(['.', '/']) || self.project.paths().any(|p| p.starts_with(&format!("{name}/")));
                let reads_local = [Some(split_top_level(args)[0]), python_keyword(args, "model")]
                    .into_iter()
                    .flatten()
                    .any(|expr| python_eval(expr, source, vars, 0).is_some_and(|(name, _)| local(&name)));
                if reads_local {
                    continue;
                }
                let target = match python_keyword(args, "cache_dir").or_else(|| python_keyword(args, "local_dir")) {
                    Some(dir) => python_eval(dir, source, vars, 0).and_then(|(d, unset)| unset.is_none().then_some(d)),
                    None => hub_cache(vars),
                };
                if let Some(target) = target {
                    let how = format!("{callee}...)");
                    if self.write(&target, At { path, line }, vars, how, true)
                        && let Some(last) = self.found.writes.last_mut()
                    {
                        last.download = true;
                    }
                }
            }
        }
    }

    /// A port word that did not expand: when it names an unset port variable (`$PORT`, `${PORT}`), the
    /// server gets an empty port.
    fn unset_port(&mut self, word: &str, vars: &Vars, at: At<'_>, how: String) {
        let Some(var) = referenced_variables(word).into_iter().find(|v| is_port_variable(v) && !vars.contains_key(v.as_str()))
        else {
            return;
        };
        self.found.unset_ports.push(UnsetPort { var, path: at.path.to_string(), line: at.line, how });
    }

    /// A Python port expression that reads an unset variable without a default (`os.environ["PORT"]`,
    /// `int(os.getenv("PORT"))`): it raises before the server starts.
    fn python_unset_port(&mut self, expr: &str, source: &str, vars: &Vars, at: At<'_>, how: &str) {
        let mut expr = expr.trim();
        for _ in 0..MAX_PYTHON_DEPTH {
            if let Some(inner) = expr.strip_prefix("int(").and_then(|e| e.strip_suffix(')')) {
                expr = inner.trim();
            } else if let Some(value) =
                expr.chars().all(|c| c.is_alphanumeric() || c == '_').then(|| python_assignment(source, expr)).flatten()
            {
                expr = value;
            } else {
                break;
            }
        }
        if let Some((name, None)) = env_call(expr)
            && is_port_variable(name)
            && !vars.contains_key(name)
        {
            let how = format!("{how} reads {name} with no default and fails before listening");
            self.found.unset_ports.push(UnsetPort { var: name.to_string(), path: at.path.to_string(), line: at.line, how });
        }
    }

    fn port(&mut self, port: u16, at: At<'_>, how: String) {
        self.fallback_port(port, at, how, None);
    }

    /// A port that is `unset`'s fallback, when that variable is left unset.
    fn fallback_port(&mut self, port: u16, at: At<'_>, how: String, unset: Option<String>) {
        self.found.ports.push(Port { port, path: at.path.to_string(), line: at.line, how, unset });
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

/// `environ.get("PORT", d)` / `getenv("PORT", d)` at the start of `code`: the port it yields, and `name`
/// when that is the fallback of an unset variable.
fn python_env_lookup(code: &str, vars: &Vars, name: &str) -> Option<(String, Option<String>)> {
    let open = code.find('(')? + 1;
    let args = &code[open..open + balanced(&code[open..])?];
    let parts = split_top_level(args);
    if python_string_literal(parts.first()?)? != name {
        return None;
    }
    match vars.get(name) {
        Some(v) => Some((v.clone(), None)),
        None => python_value(parts.get(1).copied(), vars).map(|v| (v, Some(name.to_string()))),
    }
}

/// How deep names assigned to names are followed in Python.
const MAX_PYTHON_DEPTH: usize = 4;

/// A Python expression's value as far as a port or a path goes: string and number literals, `int()`,
/// `str()` or `Path()` of one, environment lookups (`os.environ.get("X", d)`, `os.getenv("X", d)`,
/// `os.environ["X"]`, `os.getenv("X") or d`), `os.path.join(...)`, and names assigned in `source`. With
/// the variable whose fallback gave the value, when the image leaves it unset.
fn python_eval(expr: &str, source: &str, vars: &Vars, depth: usize) -> Option<(String, Option<String>)> {
    if depth > MAX_PYTHON_DEPTH {
        return None;
    }
    let expr = expr.trim();
    if let Some((left, right)) = split_or(expr) {
        return match env_call(left) {
            Some((name, None)) => match vars.get(name) {
                Some(v) if !v.is_empty() => Some((v.clone(), None)),
                _ => python_eval(right, source, vars, depth + 1).map(|(v, _)| (v, Some(name.to_string()))),
            },
            _ => python_eval(left, source, vars, depth + 1).or_else(|| python_eval(right, source, vars, depth + 1)),
        };
    }
    for wrapper in ["int(", "str(", "float(", "Path(", "pathlib.Path(", "os.path.abspath("] {
        if let Some(inner) = expr.strip_prefix(wrapper)
            && let Some(len) = balanced(inner)
            && inner[len + 1..].trim().is_empty()
        {
            return python_eval(split_top_level(&inner[..len])[0], source, vars, depth + 1);
        }
    }
    if let Some(s) = python_string_literal(expr) {
        return Some((s.to_string(), None));
    }
    if !expr.is_empty() && expr.chars().all(|c| c.is_ascii_digit()) {
        return Some((expr.to_string(), None));
    }
    if let Some((name, default)) = env_call(expr) {
        return match (vars.get(name), default) {
            (Some(v), _) => Some((v.clone(), None)),
            (None, Some(default)) => python_eval(default, source, vars, depth + 1).map(|(v, _)| (v, Some(name.to_string()))),
            (None, None) => None,
        };
    }
    if let Some(inner) = expr.strip_prefix("os.path.join(")
        && let Some(len) = balanced(inner)
        && inner[len + 1..].trim().is_empty()
    {
        let mut joined = String::new();
        for part in split_top_level(&inner[..len]) {
            let (value, _) = python_eval(part, source, vars, depth + 1)?;
            joined = if value.starts_with('/') || joined.is_empty() { value } else { format!("{joined}/{value}") };
        }
        return Some((joined, None));
    }
    let is_name =
        expr.starts_with(|c: char| c.is_alphabetic() || c == '_') && expr.chars().all(|c| c.is_alphanumeric() || c == '_');
    if is_name && !matches!(expr, "True" | "False" | "None") {
        return python_eval(python_assignment(source, expr)?, source, vars, depth + 1);
    }
    None
}

/// `a or b` at the top level of a Python expression (outside brackets and strings), in one pass.
fn split_or(expr: &str) -> Option<(&str, &str)> {
    let (i, _) = top_level_chars(expr).find(|&(i, c)| c == ' ' && expr[i..].starts_with(" or "))?;
    Some((&expr[..i], &expr[i + " or ".len()..]))
}

/// An environment lookup: its variable name and default expression, if any.
fn env_call(expr: &str) -> Option<(&str, Option<&str>)> {
    if let Some(inner) = expr.strip_prefix("os.environ[").and_then(|e| e.strip_suffix(']')) {
        return Some((python_string_literal(inner)?, None));
    }
    let rest = ["os.environ.get(", "environ.get(", "os.getenv(", "getenv("].into_iter().find_map(|p| expr.strip_prefix(p))?;
    let len = balanced(rest)?;
    if !rest[len + 1..].trim().is_empty() {
        return None;
    }
    let parts = split_top_level(&rest[..len]);
    Some((python_string_literal(parts[0])?, parts.get(1).map(|d| d.trim())))
}

/// The expression first assigned to `name` at the smallest indentation (`NAME = ...`, `NAME: int = ...`).
fn python_assignment<'a>(source: &'a str, name: &str) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for raw in source.lines() {
        let code = python_code(raw);
        let indent = code.len() - code.trim_start().len();
        let Some(rest) = code.trim_start().strip_prefix(name) else { continue };
        let rest = match rest.trim_start().strip_prefix(':') {
            Some(annotated) => annotated.split_once('=').map(|(_, v)| v),
            None => rest.trim_start().strip_prefix('='),
        };
        if let Some(value) = rest.filter(|v| !v.starts_with('='))
            && best.is_none_or(|(i, _)| indent < i)
        {
            best = Some((indent, value.trim()));
        }
    }
    best.map(|(_, v)| v)
}

/// 1-based numbers of the lines of Python `source` that run when the file runs: outside `def` and
/// `class` bodies (and their decorators).
/// `as_main`: the file is run as a script, so its `if __name__ == "__main__":` block runs too (not when a
/// server imports it as a module).
fn top_level_lines(source: &str, as_main: bool) -> BTreeSet<u32> {
    let mut lines = BTreeSet::new();
    let mut in_def = false;
    for (i, raw) in source.lines().enumerate() {
        let code = python_code(raw);
        if code.trim().is_empty() {
            continue;
        }
        if !code.starts_with([' ', '\t']) {
            in_def = ["def ", "async def ", "class ", "@"].iter().any(|p| code.starts_with(p))
                || (!as_main && code.starts_with("if __name__"));
        }
        if !in_def {
            lines.insert(u32::try_from(i + 1).unwrap_or(u32::MAX));
        }
    }
    lines
}

/// Calls of `callee` (e.g. `open(`) as a whole word (`method`: as `.callee(`), comments ignored: the
/// 1-based line, the argument text and the text after the closing parenthesis.
fn word_calls<'a>(source: &'a str, callee: &str, method: bool) -> Vec<(u32, &'a str, &'a str)> {
    // An app has a few such calls; the bound keeps the scan linear.
    const MAX_CALLS: usize = 64;
    let mut calls = Vec::new();
    let mut offset = 0;
    for (i, line) in source.split_inclusive('\n').enumerate() {
        let code = python_code(line);
        for (pos, _) in code.match_indices(callee) {
            let ok = match code[..pos].chars().next_back() {
                Some(c) if c.is_alphanumeric() || c == '_' => false,
                Some('.') => method,
                _ => !method,
            };
            let open = offset + pos + callee.len();
            if let Some(len) = balanced(&source[open..]).filter(|_| ok) {
                calls.push((u32::try_from(i + 1).unwrap_or(u32::MAX), &source[open..open + len], &source[open + len + 1..]));
                if calls.len() >= MAX_CALLS {
                    return calls;
                }
            }
        }
        offset += line.len();
    }
    calls
}

/// Where the Hugging Face libraries cache downloads, from the environment (HOME last).
fn hub_cache(vars: &Vars) -> Option<String> {
    if let Some(dir) = ["HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE"].iter().find_map(|n| vars.get(*n)) {
        return Some(dir.clone());
    }
    if let Some(home) = vars.get("HF_HOME") {
        return Some(format!("{home}/hub"));
    }
    if let Some(cache) = vars.get("XDG_CACHE_HOME") {
        return Some(format!("{cache}/huggingface/hub"));
    }
    vars.get("HOME").map(|home| format!("{home}/.cache/huggingface/hub"))
}

/// Flags of curl that take a value.
const CURL_VALUE_FLAGS: &[&str] =
    &["-o", "--output", "-H", "--header", "-d", "--data", "-X", "--request", "-u", "--user", "-A", "-e", "-m", "-w", "--retry"];

/// The operands of a command (not its flags, the values of `value_flags`, or redirections).
fn operands<'a>(args: &'a [String], value_flags: &[&str]) -> Vec<&'a String> {
    let mut ops = Vec::new();
    let mut options = true;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let op = arg.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&');
        if op.starts_with(['>', '<']) {
            if op.trim_start_matches(['>', '<']).is_empty() {
                iter.next();
            }
            continue;
        }
        if options && arg == "--" {
            options = false;
        } else if options && arg.starts_with('-') && arg.len() > 1 {
            if value_flags.contains(&arg.as_str()) {
                iter.next();
            }
        } else {
            ops.push(arg);
        }
    }
    ops
}

/// A path word as the shell would see it: `~` and variables expanded, relative to `PWD`, normalised.
/// `None` when it cannot be known (an unknown variable, a glob, no known working directory).
pub fn resolve_path(word: &str, vars: &Vars) -> Option<String> {
    let word = match word.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("$HOME{rest}"),
        _ => word.to_string(),
    };
    let expanded = shell::expand(&word, vars)?;
    if expanded.is_empty() || expanded.contains(['*', '?', '[', '`', '$']) {
        return None;
    }
    let path = if expanded.starts_with('/') { expanded } else { format!("{}/{expanded}", vars.get("PWD")?) };
    Some(normalize_path(&path))
}

/// `/a/./b/../c/` → `/a/c`.
pub fn normalize_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The names of the variables a word expands (`$NAME`, `${NAME}`, `${NAME:-x}`).
fn referenced_variables(word: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = word;
    while let Some(at) = rest.find('$') {
        let after = rest[at + 1..].strip_prefix('{').unwrap_or(&rest[at + 1..]);
        let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
        if end > 0 {
            names.push(after[..end].to_string());
        }
        rest = &rest[at + 1..];
    }
    names
}

/// The variable of the first `${NAME:-default}` (or `-`, `:=`, `=`) in `word` whose default is used
/// because `vars` leaves NAME unset (or empty, for the `:` forms).
fn unset_default(word: &str, vars: &Vars) -> Option<String> {
    let mut rest = word;
    while let Some(at) = rest.find("${") {
        let inner = &rest[at + 2..];
        let end = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(inner.len());
        let (name, op) = inner.split_at(end);
        let colon = op.starts_with(":-") || op.starts_with(":=");
        if !name.is_empty() && (colon || op.starts_with(['-', '='])) {
            match vars.get(name) {
                None => return Some(name.to_string()),
                Some(v) if v.is_empty() && colon => return Some(name.to_string()),
                Some(_) => {}
            }
        }
        rest = inner;
    }
    None
}

/// A line of JavaScript without a `//` comment (a line-local approximation).
fn js_code(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") || trimmed.starts_with("/*") || trimmed.starts_with('*') {
        return "";
    }
    line.find(" //").map_or(line, |i| &line[..i])
}

/// After `process.env`: `.NAME` or `["NAME"]`, and the text after it.
fn js_env_name(rest: &str) -> Option<(&str, &str)> {
    if let Some(r) = rest.strip_prefix('.') {
        let end = r.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(r.len());
        return (end > 0).then(|| r.split_at(end));
    }
    let r = rest.strip_prefix('[')?.trim_start();
    let quote = r.chars().next().filter(|c| matches!(c, '"' | '\'' | '`'))?;
    let r = &r[1..];
    let end = r.find(quote)?;
    Some((&r[..end], r[end + 1..].trim_start().strip_prefix(']')?))
}

/// A port number at the start of JavaScript text (`3000`, `"3000"`).
fn js_number(text: &str) -> Option<u16> {
    let t = text.trim_start().trim_start_matches(['"', '\'', '`']);
    let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    t[..end].parse().ok()
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

    fn writes(l: &Listening) -> Vec<(&str, &str, u32, bool)> {
        l.writes.iter().map(|w| (w.target.as_str(), w.path.as_str(), w.line, w.if_missing)).collect()
    }

    #[test]
    fn fallbacks_of_unset_variables_are_marked() {
        let l = shell(&[], "uvicorn app:app --host 0.0.0.0 --port ${PORT:-8000}", &[]);
        assert_eq!(l.ports[0].unset.as_deref(), Some("PORT"));
        let l = shell(&[], "uvicorn app:app --host 0.0.0.0 --port ${PORT:-8000}", &[("PORT", "7860")]);
        assert_eq!((l.ports[0].port, l.ports[0].unset.as_deref()), (7860, None));
        let l = shell(&[], "uvicorn app:app --host 0.0.0.0 --port 8000", &[]);
        assert_eq!(l.ports[0].unset, None);
        let app = "import os\nimport uvicorn\nPORT: int = int(os.getenv('PORT', '9000'))\nuvicorn.run(app, host='0.0.0.0', port=PORT)\n";
        let l = exec(&[("main.py", app)], &["python", "main.py"]);
        assert_eq!((ports(&l), l.ports[0].unset.as_deref()), (vec![(9000, "main.py", 4)], Some("PORT")));
        assert_eq!(unset_default("${A:-1}${B:-2}", &vars(&[("A", "x")])).as_deref(), Some("B"));
        assert_eq!(unset_default("${A:-1}", &vars(&[("A", "")])).as_deref(), Some("A"));
        assert_eq!(unset_default("${A-1}", &vars(&[("A", "")])), None);
    }

    #[test]
    fn node_servers() {
        let js = "const port = process.env['PORT'] || '3000'; // default\nserver.listen(port);\n";
        let l = exec(&[("server.js", js)], &["node", "server.js"]);
        assert_eq!((ports(&l), l.ports[0].unset.as_deref()), (vec![(3000, "server.js", 1)], Some("PORT")));
        let l = exec(&[("app.js", "app.listen(8080, 'localhost')\n")], &["pm2-runtime", "app.js"]);
        assert_eq!((ports(&l), l.loopback.len()), (vec![(8080, "app.js", 1)], 1));
        let pkg = [("package.json", "{\"scripts\": {\"serve\": \"next start -p 7860\"}}")];
        assert_eq!(ports(&exec(&pkg, &["yarn", "serve"])), [(7860, "package.json", 1)]);
        let l = exec(&[("package.json", "{\"scripts\": {\"start\": \"next start\"}}")], &["npm", "start"]);
        assert_eq!((ports(&l), l.ports[0].unset.as_deref()), (vec![(3000, "package.json", 1)], Some("PORT")));
        assert_eq!(ports(&exec(&[], &["serve", "-s", "build", "-l", "7860"])), [(7860, "Dockerfile", 9)]);
    }

    #[test]
    fn shell_writes_resolve_against_the_working_directory() {
        let script = "mkdir -p out cache/x\necho hi > log.txt 2>&1\ncd /srv && touch a\ncp a.txt b.txt\ngit clone https://h/x/repo.git\nwget -q https://h/m.bin\ncurl -sL -o /opt/x.bin https://h/x\nhf download org/m --local-dir ./models\necho x > /dev/null\n";
        let l = shell(&[("run.sh", script)], "bash run.sh", &[("PWD", "/app")]);
        assert_eq!(
            writes(&l),
            [
                ("/app/out", "run.sh", 1, true),
                ("/app/cache/x", "run.sh", 1, true),
                ("/app/log.txt", "run.sh", 2, false),
                ("/srv/a", "run.sh", 3, false),
                ("/srv/b.txt", "run.sh", 4, false),
                ("/srv/repo", "run.sh", 5, false),
                ("/srv/m.bin", "run.sh", 6, false),
                ("/opt/x.bin", "run.sh", 7, false),
                ("/srv/models", "run.sh", 8, true),
            ]
        );
        // No working directory known: relative paths are not guessed.
        assert!(shell(&[], "mkdir out", &[]).writes.is_empty());
        assert_eq!(
            writes(&shell(&[], "mkdir ~/.cache", &[("HOME", "/home/user")])),
            [("/home/user/.cache", "Dockerfile", 9, false)]
        );
    }

    #[test]
    fn python_writes_at_import_time() {
        let app = "import os\nfrom pathlib import Path\nfrom huggingface_hub import hf_hub_download\nOUT = os.path.join('/app', 'out')\nos.makedirs(OUT, exist_ok=True)\nPath('cache').mkdir(parents=True, exist_ok=True)\nopen('log.txt', 'a').close()\nopen('config.json').read()\nhf_hub_download('org/m', 'w.bin')\nhf_hub_download('org/m', 'w.bin', local_dir='/tmp/m')\n\ndef later():\n    os.makedirs('never')\n\nif __name__ == '__main__':\n    os.mkdir('main-only')\n";
        let v = vars(&[("PWD", "/app"), ("HOME", "/")]);
        let run = scan_start(
            &project(&[("app.py", app)], None),
            StartCommand::Exec(&["python".into(), "app.py".into()]),
            "Dockerfile",
            1,
            &v,
        );
        assert_eq!(
            writes(&run),
            [
                ("/app/out", "app.py", 5, true),
                ("/app/main-only", "app.py", 16, false),
                ("/app/cache", "app.py", 6, true),
                ("/app/log.txt", "app.py", 7, false),
                ("/.cache/huggingface/hub", "app.py", 9, true),
                ("/tmp/m", "app.py", 10, true),
            ]
        );
        // Imported by uvicorn, the `__main__` block does not run.
        let words: Vec<String> = ["uvicorn", "app:app", "--host", "0.0.0.0"].iter().map(|w| w.to_string()).collect();
        let imported = scan_start(&project(&[("app.py", app)], None), StartCommand::Exec(&words), "Dockerfile", 1, &v);
        assert!(!writes(&imported).iter().any(|w| w.0 == "/app/main-only"), "{:?}", writes(&imported));
    }

    #[test]
    fn python_expressions() {
        let source = "BASE = '/data'\nSUB = os.path.join(BASE, 'x')\nPORT = os.environ.get('PORT') or 7000\n";
        let eval = |e: &str, v: &[(&str, &str)]| python_eval(e, source, &vars(v), 0);
        assert_eq!(eval("SUB", &[]), Some(("/data/x".into(), None)));
        assert_eq!(eval("int(PORT)", &[]), Some(("7000".into(), Some("PORT".into()))));
        assert_eq!(eval("PORT", &[("PORT", "7860")]), Some(("7860".into(), None)));
        assert_eq!(eval("str(Path('a'))", &[]), Some(("a".into(), None)));
        assert_eq!(eval("os.environ['PORT']", &[]), None);
        assert_eq!(eval("UNKNOWN", &[]), None);
        assert_eq!(python_eval("A", "A = B\nB = A\n", &Vars::new(), 0), None, "cycles end");
    }

    #[test]
    fn paths_normalise() {
        assert_eq!(normalize_path("/a/./b/../c/"), "/a/c");
        assert_eq!(normalize_path("/.."), "/");
        assert_eq!(resolve_path("x/../y", &vars(&[("PWD", "/app")])).as_deref(), Some("/app/y"));
        assert_eq!(resolve_path("*.log", &vars(&[("PWD", "/app")])), None);
        assert_eq!(resolve_path("$NOPE/x", &Vars::new()), None);
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
