//! A small Dockerfile parser: enough structure for the Space rules, with the line of every instruction.
//!
//! Handled as BuildKit does: parser directives at the top (`# syntax=`, `# escape=`, `# check=`), comment
//! lines (also inside continued instructions), line continuations with the escape character (trailing
//! blanks allowed), empty continuation lines, heredocs on RUN/COPY/ADD (`<<EOF`, `<<-EOF`, quoted names,
//! several per line; their bodies are kept apart and never read as instructions), exec (JSON) vs shell
//! form, leading `--flags`, and stages (`FROM image AS name`, `FROM <earlier stage>`).

use crate::shell::{self, Vars};

/// A parsed Dockerfile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dockerfile {
    pub directives: Vec<Directive>,
    pub instructions: Vec<Instruction>,
}

/// A parser directive (`# name=value` before anything else).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// Lowercase.
    pub name: String,
    pub value: String,
    pub line: u32,
}

/// One instruction, continuation lines joined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// Uppercase (`RUN`, `COPY`, ...).
    pub keyword: String,
    /// First line, 1-based.
    pub line: u32,
    /// Last line, heredoc bodies included.
    pub end_line: u32,
    /// Leading `--name[=value]` flags (RUN, COPY, ADD, FROM only).
    pub flags: Vec<Flag>,
    /// The arguments after the flags, trimmed.
    pub args: String,
    pub heredocs: Vec<Heredoc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
}

/// A heredoc body (`RUN <<EOF ... EOF`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heredoc {
    pub name: String,
    pub body: String,
    /// First body line, 1-based.
    pub line: u32,
}

/// How a RUN, CMD or ENTRYPOINT gives its command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Form<'a> {
    /// JSON array: run directly, no shell.
    Exec(Vec<String>),
    /// Run through `/bin/sh -c`.
    Shell(&'a str),
}

/// What the final image starts with, as its configuration records it after the build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageStart<'a> {
    /// The CMD in effect. As in Docker, an ENTRYPOINT drops the CMD in effect unless its own stage set
    /// that CMD before it.
    pub cmd: Option<&'a Instruction>,
    /// The ENTRYPOINT in effect (`ENTRYPOINT []` clears one).
    pub entrypoint: Option<&'a Instruction>,
    /// The working directory, `$VARS` expanded with the ARG and ENV values in effect; `/` when no
    /// WORKDIR is set (an external base image's own WORKDIR is unknown here).
    pub workdir: String,
    /// The ENV values the container starts with (ARG values are build-time only).
    pub env: Vars,
}

/// The variables at the end of a walk of the final image ([`Dockerfile::walk_final`]).
pub struct FinalVars {
    /// The ENV values the container starts with (ARG values are build-time only).
    pub env: Vars,
    /// Every variable in scope at the end of the last stage, its ARG values included.
    pub in_scope: Vars,
}

/// One build stage: its FROM and the instructions up to the next FROM.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage<'a> {
    pub index: usize,
    pub from: &'a Instruction,
    /// The image reference as written (may contain `$VARS`).
    pub image: &'a str,
    /// `AS name`, lowercased.
    pub name: Option<String>,
    pub body: &'a [Instruction],
}

const FLAGGED: [&str; 4] = ["RUN", "COPY", "ADD", "FROM"];
const HEREDOC_KEYWORDS: [&str; 3] = ["RUN", "COPY", "ADD"];
const KNOWN_DIRECTIVES: [&str; 3] = ["syntax", "escape", "check"];

impl Dockerfile {
    pub fn parse(text: &str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
        let mut file = Dockerfile::default();
        let mut escape = '\\';
        let mut i = 0;

        // Directives: only before the first comment, blank line or instruction.
        while i < lines.len() {
            match directive(lines[i]) {
                Some((name, value)) if !file.directives.iter().any(|d| d.name == name) => {
                    if name == "escape" && (value == "`" || value == "\\") {
                        escape = value.chars().next().unwrap_or('\\');
                    }
                    file.directives.push(Directive { name, value, line: line_no(i) });
                    i += 1;
                }
                _ => break,
            }
        }

        while i < lines.len() {
            let trimmed = lines[i].trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                i += 1;
                continue;
            }
            let start = i;
            let mut joined = String::new();
            loop {
                let (content, continues) = strip_continuation(lines[i], escape);
                joined.push_str(content);
                i += 1;
                if !continues {
                    break;
                }
                while i < lines.len() && is_skipped_in_continuation(lines[i]) {
                    i += 1;
                }
                if i >= lines.len() {
                    break;
                }
            }
            let mut instruction = instruction(&joined, line_no(start));
            instruction.end_line = u32::try_from(i).unwrap_or(u32::MAX);
            if HEREDOC_KEYWORDS.contains(&instruction.keyword.as_str()) {
                for (name, strip_tabs) in heredoc_markers(&instruction.args) {
                    let body_start = i;
                    let mut body = Vec::new();
                    while i < lines.len() {
                        let line = if strip_tabs { lines[i].trim_start_matches('\t') } else { lines[i] };
                        i += 1;
                        if line == name {
                            break;
                        }
                        body.push(line);
                    }
                    instruction.heredocs.push(Heredoc { name, body: body.join("\n"), line: line_no(body_start) });
                    instruction.end_line = u32::try_from(i).unwrap_or(u32::MAX);
                }
            }
            file.instructions.push(instruction);
        }
        file
    }

    /// The value of a parser directive (`syntax`, `escape`, `check`).
    pub fn directive(&self, name: &str) -> Option<&str> {
        self.directives.iter().find(|d| d.name == name).map(|d| d.value.as_str())
    }

    /// The build stages, in order.
    pub fn stages(&self) -> Vec<Stage<'_>> {
        let froms: Vec<usize> =
            self.instructions.iter().enumerate().filter(|(_, ins)| ins.keyword == "FROM").map(|(i, _)| i).collect();
        froms
            .iter()
            .enumerate()
            .map(|(index, &at)| {
                let end = froms.get(index + 1).copied().unwrap_or(self.instructions.len());
                let from = &self.instructions[at];
                let words: Vec<&str> = from.args.split_whitespace().collect();
                let name = match words.as_slice() {
                    [_, as_, name, ..] if as_.eq_ignore_ascii_case("as") => Some(name.to_ascii_lowercase()),
                    _ => None,
                };
                Stage {
                    index,
                    from,
                    image: words.first().copied().unwrap_or_default(),
                    name,
                    body: &self.instructions[at + 1..end],
                }
            })
            .collect()
    }

    /// ARG defaults declared before the first FROM (usable in FROM lines, and in stages that redeclare them).
    pub fn global_args(&self) -> Vars {
        let mut vars = Vars::new();
        for ins in self.instructions.iter().take_while(|i| i.keyword != "FROM").filter(|i| i.keyword == "ARG") {
            for (name, value) in arg_pairs(&ins.args) {
                if let Some(value) = value {
                    vars.insert(name, value);
                }
            }
        }
        vars
    }

    /// The stages that make the final image: the last stage and, when it starts `FROM` an earlier stage,
    /// that stage and its own ancestors. Root first.
    pub fn final_chain(&self) -> Vec<Stage<'_>> {
        let stages = self.stages();
        let mut chain = Vec::new();
        let mut current = stages.last().cloned();
        while let Some(stage) = current {
            let parent = stage.image.to_ascii_lowercase();
            current = stages[..stage.index].iter().rev().find(|s| s.name.as_deref() == Some(parent.as_str())).cloned();
            chain.push(stage);
        }
        chain.reverse();
        chain
    }

    /// Visits the instructions of the final image (see [`Dockerfile::final_chain`]), root first, each with
    /// its stage and the variables in scope after it: the stage's ARG values and the ENV values carried
    /// over from the stages it is built on. An ENV whose value cannot be expanded is unknown, so it is
    /// dropped rather than kept as raw `$TEXT`.
    pub fn walk_final<'a>(&'a self, mut visit: impl FnMut(&Stage<'a>, &'a Instruction, &Vars)) -> FinalVars {
        let globals = self.global_args();
        let mut runtime = Vars::new();
        let mut vars = Vars::new();
        for stage in &self.final_chain() {
            // ARG values belong to their stage; ENV values carry over to the stages built on it.
            vars = runtime.clone();
            for ins in stage.body {
                match ins.keyword.as_str() {
                    "ARG" => {
                        for (name, value) in arg_pairs(&ins.args) {
                            let value = value.and_then(|v| shell::expand(&v, &vars)).or_else(|| globals.get(&name).cloned());
                            if let Some(value) = value {
                                vars.insert(name, value);
                            }
                        }
                    }
                    "ENV" => {
                        for (name, value) in env_pairs(&ins.args) {
                            match shell::expand(&value, &vars) {
                                Some(v) => {
                                    vars.insert(name.clone(), v.clone());
                                    runtime.insert(name, v);
                                }
                                None => {
                                    vars.remove(&name);
                                    runtime.remove(&name);
                                }
                            }
                        }
                    }
                    _ => {}
                }
                visit(stage, ins, &vars);
            }
        }
        FinalVars { env: runtime, in_scope: vars }
    }

    /// The start command and working directory of the final image: the last stage and the stages it is
    /// built FROM (see [`Dockerfile::final_chain`]); `None` without a FROM.
    pub fn image_start(&self) -> Option<ImageStart<'_>> {
        self.final_chain().last()?;
        let (mut cmd, mut entrypoint, mut workdir) = (None, None, String::from("/"));
        // The stage whose CMD is in effect: an ENTRYPOINT drops a CMD inherited from an earlier stage.
        let mut cmd_stage = None;
        let env = self
            .walk_final(|stage, ins, vars| match ins.keyword.as_str() {
                "WORKDIR" => {
                    let raw = shell::words(&ins.args).join(" ");
                    let dir = shell::expand(&raw, vars).unwrap_or(raw);
                    workdir = join_path(&workdir, &dir);
                }
                "CMD" => {
                    cmd = Some(ins);
                    cmd_stage = Some(stage.index);
                }
                "ENTRYPOINT" => {
                    let cleared = match ins.form() {
                        Form::Exec(words) => words.is_empty(),
                        Form::Shell(text) => text.is_empty(),
                    };
                    entrypoint = (!cleared).then_some(ins);
                    if cmd_stage != Some(stage.index) {
                        cmd = None;
                    }
                }
                _ => {}
            })
            .env;
        Some(ImageStart { cmd, entrypoint, workdir, env })
    }

    /// Whether `image` (a FROM argument) names an earlier stage rather than an image.
    pub fn is_stage_name(stages: &[Stage<'_>], before: usize, image: &str) -> bool {
        stages[..before].iter().any(|s| s.name.as_deref() == Some(image.to_ascii_lowercase().as_str()))
    }
}

impl Instruction {
    pub fn is(&self, keyword: &str) -> bool {
        self.keyword == keyword
    }

    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// Exec form when the arguments are a JSON array of strings (as Docker decides), else shell form.
    pub fn form(&self) -> Form<'_> {
        if self.args.starts_with('[')
            && let Some(words) = crate::json::string_array(&self.args)
        {
            return Form::Exec(words);
        }
        Form::Shell(&self.args)
    }

    /// The shell text this instruction runs at build time: a shell-form RUN's command plus its heredoc
    /// bodies (scripts), or an exec-form RUN's words.
    pub fn run_text(&self) -> String {
        let mut text = match self.form() {
            Form::Exec(words) => words.join(" "),
            Form::Shell(s) => s.to_string(),
        };
        for heredoc in &self.heredocs {
            text.push('\n');
            text.push_str(&heredoc.body);
        }
        text
    }
}

/// ARG arguments: `NAME` or `NAME=default`, several per line.
pub fn arg_pairs(args: &str) -> Vec<(String, Option<String>)> {
    shell::words(args)
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((name, value)) => (name.to_string(), Some(value.to_string())),
            None => (w, None),
        })
        .collect()
}

/// ENV arguments: `NAME=value ...`, or the legacy `NAME value with spaces`.
pub fn env_pairs(args: &str) -> Vec<(String, String)> {
    let words = shell::words(args);
    match words.first() {
        Some(first) if !first.contains('=') => {
            // The raw text after the name: `first` lost its quotes and escapes, so its length is no offset.
            let value = args.trim_start().split_once(char::is_whitespace).map_or("", |(_, v)| v).trim();
            vec![(first.clone(), shell::words(value).join(" "))]
        }
        _ => words.into_iter().filter_map(|w| w.split_once('=').map(|(n, v)| (n.to_string(), v.to_string()))).collect(),
    }
}

/// `dir` (a WORKDIR argument) from `base`: absolute, or joined to it; `.` and `..` resolved, no trailing `/`.
fn join_path(base: &str, dir: &str) -> String {
    let mut parts: Vec<&str> = if dir.starts_with('/') { Vec::new() } else { base.split('/').collect() };
    for part in dir.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    let joined: Vec<&str> = parts.into_iter().filter(|p| !p.is_empty()).collect();
    format!("/{}", joined.join("/"))
}

fn line_no(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// `# name=value` with a known directive name.
fn directive(line: &str) -> Option<(String, String)> {
    let body = line.trim().strip_prefix('#')?;
    let (name, value) = body.split_once('=')?;
    let name = name.trim().to_ascii_lowercase();
    KNOWN_DIRECTIVES.contains(&name.as_str()).then(|| (name, value.trim().to_string()))
}

/// The line without a trailing escape character (plus blanks), and whether it continues.
fn strip_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(content) => (content, true),
        None => (line, false),
    }
}

/// Comment and empty lines inside a continued instruction are dropped.
fn is_skipped_in_continuation(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.is_empty() || trimmed.starts_with('#')
}

fn instruction(joined: &str, line: u32) -> Instruction {
    let joined = joined.trim();
    let (keyword, rest) = joined.split_once(char::is_whitespace).unwrap_or((joined, ""));
    let keyword = keyword.to_ascii_uppercase();
    let mut rest = rest.trim_start();
    let mut flags = Vec::new();
    if FLAGGED.contains(&keyword.as_str()) {
        while let Some(flag) = rest.strip_prefix("--") {
            let end = flag.find(char::is_whitespace).unwrap_or(flag.len());
            let (name, value) = match flag[..end].split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (flag[..end].to_string(), None),
            };
            flags.push(Flag { name, value });
            rest = flag[end..].trim_start();
        }
    }
    Instruction { keyword, line, end_line: line, flags, args: rest.trim_end().to_string(), heredocs: Vec::new() }
}

/// Heredoc markers in an instruction's arguments, in order: (terminator, strip leading tabs).
fn heredoc_markers(args: &str) -> Vec<(String, bool)> {
    args.split_whitespace()
        .filter_map(|word| {
            let word = word.trim_start_matches(|c: char| c.is_ascii_digit());
            let rest = word.strip_prefix("<<")?;
            if rest.starts_with('<') {
                return None; // a here-string (<<<)
            }
            let (rest, strip_tabs) = match rest.strip_prefix('-') {
                Some(r) => (r, true),
                None => (rest, false),
            };
            let name = rest.trim_matches(|c| c == '"' || c == '\'');
            let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
            valid.then(|| (name.to_string(), strip_tabs))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw_lines(df: &Dockerfile) -> Vec<(String, u32, u32)> {
        df.instructions.iter().map(|i| (i.keyword.clone(), i.line, i.end_line)).collect()
    }

    #[test]
    fn directives_only_at_the_top() {
        let df = Dockerfile::parse("# syntax=docker/dockerfile:1\n#escape=\\\n# check=skip=all\nFROM x\n# syntax=ignored\n");
        assert_eq!(df.directive("syntax"), Some("docker/dockerfile:1"));
        assert_eq!(df.directive("check"), Some("skip=all"));
        assert_eq!(df.directives.len(), 3);
        let df = Dockerfile::parse("# a comment\n# syntax=docker/dockerfile:1\nFROM x\n");
        assert!(df.directives.is_empty());
        let df = Dockerfile::parse("# unknown=1\n# syntax=x\nFROM x\n");
        assert!(df.directives.is_empty(), "an unknown directive is a comment and ends the directives");
    }

    #[test]
    fn continuations_comments_and_blank_lines() {
        let text = "FROM python:3.12-slim\n\n# comment\nRUN apt-get update \\\n  # inner comment\n\n    && apt-get install -y git \\  \n    && rm -rf /var/lib/apt/lists/*\nrun echo lower\n";
        let df = Dockerfile::parse(text);
        assert_eq!(kw_lines(&df), vec![("FROM".into(), 1, 1), ("RUN".into(), 4, 8), ("RUN".into(), 9, 9)]);
        assert_eq!(df.instructions[1].args, "apt-get update     && apt-get install -y git     && rm -rf /var/lib/apt/lists/*");
    }

    #[test]
    fn escape_directive_changes_the_continuation_character() {
        let df = Dockerfile::parse("# escape=`\nFROM windows\nRUN dir c:\\ `\n  && echo hi\n");
        assert_eq!(df.instructions[1].args, "dir c:\\   && echo hi");
        assert_eq!(df.instructions[1].end_line, 4);
    }

    #[test]
    fn crlf_and_bom() {
        let df = Dockerfile::parse("\u{feff}FROM x\r\nUSER user\r\n");
        assert_eq!(kw_lines(&df), vec![("FROM".into(), 1, 1), ("USER".into(), 2, 2)]);
        assert_eq!(df.instructions[1].args, "user");
    }

    #[test]
    fn heredoc_bodies_are_not_instructions() {
        let text = "FROM x\nRUN <<EOF\nUSER root\nnvidia-smi\nEOF\nCOPY <<-\"CONF\" 2<<'TWO' /etc/app.conf\n\tEXPOSE 1\n\tCONF\nCMD x\nTWO\nUSER user\n";
        let df = Dockerfile::parse(text);
        assert_eq!(
            kw_lines(&df),
            vec![("FROM".into(), 1, 1), ("RUN".into(), 2, 5), ("COPY".into(), 6, 10), ("USER".into(), 11, 11)]
        );
        let run = &df.instructions[1];
        assert_eq!(run.heredocs, vec![Heredoc { name: "EOF".into(), body: "USER root\nnvidia-smi".into(), line: 3 }]);
        assert!(run.run_text().contains("nvidia-smi"));
        let copy = &df.instructions[2];
        assert_eq!(
            copy.heredocs.iter().map(|h| (h.name.as_str(), h.body.as_str())).collect::<Vec<_>>(),
            [("CONF", "EXPOSE 1"), ("TWO", "CMD x")]
        );
    }

    #[test]
    fn here_strings_and_unterminated_heredocs() {
        let df = Dockerfile::parse("FROM x\nRUN cat <<< hi\nUSER a\n");
        assert_eq!(df.instructions.len(), 3);
        let df = Dockerfile::parse("FROM x\nRUN <<EOF\necho\n");
        assert_eq!(df.instructions[1].heredocs[0].body, "echo\n");
        assert_eq!(df.instructions.len(), 2);
    }

    #[test]
    fn flags_and_forms() {
        let df = Dockerfile::parse(
            "FROM --platform=$BUILDPLATFORM python:3.12 AS build\nCOPY --chown=user --link . /app\nRUN --mount=type=secret,id=T,mode=0444 cat /run/secrets/T\nCMD [\"uvicorn\", \"app:app\"]\nCMD uvicorn app:app\nCMD [not json]\nENV --not-a-flag=1\n",
        );
        let [from, copy, run, exec, shell, broken, env] = df.instructions.as_slice() else { panic!() };
        assert_eq!(from.flag("platform").and_then(|f| f.value.as_deref()), Some("$BUILDPLATFORM"));
        assert_eq!(from.args, "python:3.12 AS build");
        assert_eq!(copy.flag("chown").and_then(|f| f.value.as_deref()), Some("user"));
        assert_eq!(copy.flag("link").map(|f| f.value.is_none()), Some(true));
        assert_eq!(copy.args, ". /app");
        assert_eq!(run.flag("mount").and_then(|f| f.value.as_deref()), Some("type=secret,id=T,mode=0444"));
        assert_eq!(exec.form(), Form::Exec(vec!["uvicorn".into(), "app:app".into()]));
        assert_eq!(shell.form(), Form::Shell("uvicorn app:app"));
        assert_eq!(broken.form(), Form::Shell("[not json]"));
        assert!(env.flags.is_empty() && env.args == "--not-a-flag=1");
    }

    #[test]
    fn stages_and_the_final_chain() {
        let text = "ARG PY=3.12\nFROM python:${PY} AS Base\nRUN useradd -m -u 1000 user\nFROM node:20 AS web\nRUN npm ci\nFROM base AS final\nCOPY --from=web /out /app\n";
        let df = Dockerfile::parse(text);
        let stages = df.stages();
        assert_eq!(stages.len(), 3);
        assert_eq!(stages[0].name.as_deref(), Some("base"));
        assert_eq!(stages[0].image, "python:${PY}");
        assert_eq!(stages[0].body.len(), 1);
        assert_eq!(df.global_args().get("PY").map(String::as_str), Some("3.12"));
        let chain: Vec<usize> = df.final_chain().iter().map(|s| s.index).collect();
        assert_eq!(chain, [0, 2]);
        assert!(Dockerfile::is_stage_name(&stages, 2, "BASE"));
        assert!(!Dockerfile::is_stage_name(&stages, 0, "base"));
        assert!(Dockerfile::parse("# nothing\n").final_chain().is_empty());
    }

    #[test]
    fn arg_and_env_arguments() {
        assert_eq!(
            arg_pairs("A B=1 C=\"x y\""),
            vec![("A".into(), None), ("B".into(), Some("1".into())), ("C".into(), Some("x y".into()))]
        );
        assert_eq!(env_pairs("A=1 B=\"two words\""), vec![("A".into(), "1".into()), ("B".into(), "two words".into())]);
        assert_eq!(env_pairs("LEGACY some value"), vec![("LEGACY".into(), "some value".into())]);
    }

    fn start_of(df: &Dockerfile) -> (Option<Form<'_>>, Option<u32>, String, Vars) {
        let start = df.image_start().unwrap();
        (start.cmd.map(Instruction::form), start.entrypoint.map(|i| i.line), start.workdir, start.env)
    }

    fn exec(words: &[&str]) -> Option<Form<'static>> {
        Some(Form::Exec(words.iter().map(|w| w.to_string()).collect()))
    }

    #[test]
    fn the_image_starts_with_the_final_stage_cmd_in_its_workdir() {
        let text = "FROM python AS build\nCMD [\"node\"]\nFROM python:3.12\nENV HOME=/home/user \\\n    PATH=/x\n\
                    WORKDIR $HOME/app\n# a comment\nCMD [\"sh\", \"/home/user/app/start.sh\"]\n";
        let df = Dockerfile::parse(text);
        let (cmd, entrypoint, workdir, env) = start_of(&df);
        assert_eq!((cmd, entrypoint, workdir.as_str()), (exec(&["sh", "/home/user/app/start.sh"]), None, "/home/user/app"));
        assert_eq!(env.get("PATH").map(String::as_str), Some("/x"));
        let shell = Dockerfile::parse("FROM x\nCMD python app.py\n");
        assert_eq!(start_of(&shell).0, Some(Form::Shell("python app.py")));
        let fresh = Dockerfile::parse("FROM x\nCMD [\"a\"]\nFROM y\n");
        assert_eq!(start_of(&fresh).0, None, "a new image has no CMD of ours");
        assert!(Dockerfile::parse("# no stage\n").image_start().is_none());
    }

    #[test]
    fn stages_built_on_earlier_ones_inherit_their_start() {
        let text = "ARG BASE=/srv\nFROM python AS base\nARG BASE\nWORKDIR ${BASE}\nWORKDIR app\nCMD [\"python\", \"main.py\"]\n\
                    FROM base\nWORKDIR ./web/../api\n";
        let df = Dockerfile::parse(text);
        let (cmd, _, workdir, env) = start_of(&df);
        assert_eq!((cmd, workdir.as_str()), (exec(&["python", "main.py"]), "/srv/app/api"));
        assert!(env.is_empty(), "ARG values are not the container's environment");
        assert_eq!(start_of(&Dockerfile::parse("FROM x\nWORKDIR \"/a b\"\nWORKDIR /\n")).2, "/");
    }

    #[test]
    fn an_env_value_that_cannot_be_expanded_is_unknown() {
        let df = Dockerfile::parse("FROM x AS a\nENV KEEP=1 GONE=$(date)\nFROM a\nARG STAGE=s\nENV FROM_ARG=$STAGE\n");
        let walked = df.walk_final(|_, _, _| {});
        let env: Vec<(&str, &str)> = walked.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(env, [("FROM_ARG", "s"), ("KEEP", "1")], "an unknown value is dropped, not kept as raw text");
        assert_eq!(walked.in_scope.get("STAGE").map(String::as_str), Some("s"), "the last stage's ARG is in scope");
        assert_eq!(start_of(&df).3, walked.env);
    }

    #[test]
    fn an_entrypoint_drops_an_inherited_cmd_as_docker_does() {
        let df = Dockerfile::parse("FROM x AS a\nCMD [\"a\"]\nFROM a\nENTRYPOINT [\"e\"]\n");
        let (cmd, entrypoint, ..) = start_of(&df);
        assert_eq!((cmd, entrypoint), (None, Some(4)));
        let df = Dockerfile::parse("FROM x\nCMD [\"a\"]\nENTRYPOINT [\"e\"]\n");
        let (cmd, entrypoint, ..) = start_of(&df);
        assert_eq!((cmd, entrypoint), (exec(&["a"]), Some(3)), "set in the same stage, the CMD stays");
        let df = Dockerfile::parse("FROM x\nENTRYPOINT [\"e\"]\nCMD [\"a\"]\nENTRYPOINT []\n");
        let (cmd, entrypoint, ..) = start_of(&df);
        assert_eq!((cmd, entrypoint), (exec(&["a"]), None));
    }

    #[test]
    fn workdir_paths_join_like_docker() {
        assert_eq!(join_path("/", "app"), "/app");
        assert_eq!(join_path("/app", "src/"), "/app/src");
        assert_eq!(join_path("/app", "/srv//x/."), "/srv/x");
        assert_eq!(join_path("/app", "../.."), "/");
    }
}
