//! Fuzzing the docker plugin's readers (Dockerfile, shell, listening ports) and its whole `check` on
//! structure-aware inputs: real instructions, flags, continuations, heredocs, exec forms, directives,
//! CRLF, unicode, huge lines. Properties: no panic, bounded output, line numbers inside the file,
//! CRLF-invariance, and round-trips where the format has one. `scripts/fuzz` runs it longer.

#[path = "../../../tests/support/fuzz.rs"]
mod fuzz_support;

use fuzz_support::fuzz;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use spacesmith_plugin_docker::dockerfile::{Dockerfile, Form, arg_pairs, env_pairs};
use spacesmith_plugin_docker::listen::{StartCommand, scan_start};
use spacesmith_plugin_docker::{check, shell};
use spacesmith_plugin_sdk::testing::project;
use spacesmith_plugin_sdk::{Value, json};

const CASES: u32 = 256;

/// Words that mean something to the Dockerfile, shell or port readers.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "python:3.12-slim", "AS", "as", "base", "--chown=user", "--chown=1000:1000", "--from=base", "--link",
    "--mount=type=secret,id=HF_TOKEN,mode=0444", "--mount=type=cache,target=/root/.cache", "--platform=$BUILDPLATFORM",
    "uvicorn", "app:app", "--host", "0.0.0.0", "127.0.0.1", "--port", "7860", "8000", "$PORT", "${PORT:-7860}",
    "${PORT:-${X:-8000}}", "${#PORT}", "$(get-port)", "gunicorn", "-b", "0.0.0.0:7860", "--bind=127.0.0.1:80",
    "streamlit", "run", "--server.port", "flask", "fastapi", "dev", "python", "python3.12", "-m", "http.server",
    "-c", "sh", "bash", "-lc", "start.sh", "./start.sh", "/app/start.sh", "exec", "env", "export", "nohup",
    "PORT=8000", "PORT=${PORT:-7860}", "GRADIO_SERVER_NAME=0.0.0.0", "HF_TOKEN=hf_x", "API_KEY", "nvidia-smi",
    "useradd", "-m", "-u", "1000", "user", "root", "&&", "||", ";", "|", "&", "#", "# c", "\\", "`", "\"", "'",
    "\"a b\"", "'c d'", "\\\"", "<<EOF", "<<-EOF", "<<'EOF'", "<<\"X\"", "2<<TWO", "<<<", "EOF", "\tEOF", "X",
    "[\"uvicorn\", \"app:app\"]", "[\"sh\", \"-c\", \"exec python app.py\"]", "[\"a\",", "[]", "[[[[", "{", "}",
    "é", "🐳", "\u{0}", "\u{feff}", "=", "==", "a=b", "\"$@\"",
];

/// A token, or noise.
fn token() -> BoxedStrategy<String> {
    prop_oneof![
        6 => prop::sample::select(TOKENS).prop_map(str::to_string),
        1 => "[ -~]{0,12}",
        1 => any::<String>().prop_map(|s| s.chars().take(12).collect()),
    ]
    .boxed()
}

#[rustfmt::skip]
const KEYWORDS: &[&str] = &[
    "FROM", "RUN", "CMD", "ENTRYPOINT", "COPY", "ADD", "ENV", "ARG", "EXPOSE", "USER", "WORKDIR", "LABEL",
    "HEALTHCHECK", "SHELL", "ONBUILD", "VOLUME", "STOPSIGNAL", "run", "From", "copy", "NOPE",
];

/// One physical line (or a continued group of them).
fn line() -> impl Strategy<Value = String> {
    let keyword = prop::sample::select(KEYWORDS);
    let words = prop::collection::vec(token(), 0..8).prop_map(|w| w.join(" ")).boxed();
    prop_oneof![
        8 => (keyword, words.clone()).prop_map(|(k, w)| format!("{k} {w}")),
        2 => words.clone(),
        1 => prop::sample::select(vec!["# escape=`", "# escape=\\", "#escape=x", "# syntax=docker/dockerfile:1", "# check=skip=all", "# comment", "", "   ", "EOF", "\tEOF", "TWO"]).prop_map(str::to_string),
        1 => (words.clone(), prop::sample::select(vec![" \\", "\\", "\\  ", " `", "\\\t"])).prop_map(|(w, c)| format!("{w}{c}")),
        1 => (1usize..40, token()).prop_map(|(n, t)| t.repeat(n * 50)),
    ]
}

fn dockerfile_text() -> impl Strategy<Value = String> {
    (prop::collection::vec((line(), any::<bool>()), 0..40), any::<bool>()).prop_map(|(lines, bom)| {
        let mut text = String::from(if bom { "\u{feff}" } else { "" });
        for (l, crlf) in lines {
            text.push_str(&l);
            text.push_str(if crlf { "\r\n" } else { "\n" });
        }
        text
    })
}

fn line_count(text: &str) -> u32 {
    text.split('\n').count() as u32
}

fn exercise(df: &Dockerfile, text: &str) -> Result<(), TestCaseError> {
    let lines = line_count(text);
    let mut previous = 0;
    for ins in &df.instructions {
        prop_assert!(ins.line > previous && ins.line <= ins.end_line && ins.end_line <= lines, "{ins:?} in {lines} lines");
        previous = ins.end_line;
        prop_assert!(!ins.keyword.contains(char::is_whitespace));
        prop_assert!(ins.args.len() <= text.len());
        for h in &ins.heredocs {
            prop_assert!(h.line >= ins.line && h.line <= lines + 1);
        }
        let run = ins.run_text();
        prop_assert!(run.len() <= 2 * text.len() + 1);
        if let Form::Exec(words) = ins.form() {
            prop_assert!(words.iter().map(String::len).sum::<usize>() <= ins.args.len());
        }
        let _ = (arg_pairs(&ins.args), env_pairs(&ins.args));
    }
    let stages = df.stages();
    let chain = df.final_chain();
    prop_assert!(chain.len() <= stages.len());
    let _ = df.global_args();
    Ok(())
}

#[test]
fn dockerfile_parser() {
    fuzz("docker/dockerfile", regressions!(), CASES, dockerfile_text(), |text| {
        let df = Dockerfile::parse(&text);
        exercise(&df, &text)?;
        // CRLF and LF files parse the same (a lone `\r` elsewhere is content, so leave those out).
        let lf = text.replace("\r\n", "\n");
        if !lf.contains('\r') {
            prop_assert_eq!(Dockerfile::parse(&lf), Dockerfile::parse(&lf.replace('\n', "\r\n")));
        }
        Ok(())
    });
}

#[test]
fn dockerfile_parser_on_arbitrary_text() {
    fuzz("docker/dockerfile-bytes", regressions!(), CASES, any::<String>(), |text| exercise(&Dockerfile::parse(&text), &text));
}

fn shell_text() -> BoxedStrategy<String> {
    prop::collection::vec((token(), prop::sample::select(vec![" ", " ", "\n", "\\\n", "", "\t"])), 0..30)
        .prop_map(|parts| parts.into_iter().map(|(t, sep)| format!("{t}{sep}")).collect())
        .boxed()
}

#[test]
fn shell_reader() {
    fuzz("docker/shell", regressions!(), CASES, shell_text(), |text| {
        let commands = shell::commands(&text);
        let chars: usize = commands.iter().flatten().map(|w| w.chars().count()).sum();
        prop_assert!(chars <= text.chars().count(), "words are never longer than the text");
        let vars: shell::Vars =
            [("PORT", "8000"), ("EMPTY", ""), ("X", "${PORT}")].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        for word in commands.iter().flatten() {
            if let Some(out) = shell::expand(word, &vars) {
                // Each `$X` adds at most the longest value; defaults come from the word itself.
                prop_assert!(out.len() <= word.len() * 8 + 16, "{word:?} -> {out:?}");
            }
            let _ = (shell::assignment(word), shell::basename(word));
        }
        let _ = shell::words(&text);
        Ok(())
    });
}

#[test]
fn shell_single_quotes_round_trip() {
    let word = "[^'\n]{0,10}";
    fuzz("docker/shell-quote-round-trip", regressions!(), CASES, prop::collection::vec(word, 0..10), |words| {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        prop_assert_eq!(shell::words(&quoted.join(" ")), words);
        Ok(())
    });
}

#[test]
fn listening_ports_of_scripts_and_python() {
    let script = shell_text();
    let python = prop::collection::vec(
        prop_oneof![
            prop::sample::select(vec![
                "import gradio as gr",
                "from flask import Flask",
                "import uvicorn",
                "app = Flask(__name__)",
                "import os",
                "demo.launch(server_name=\"0.0.0.0\", server_port=int(os.environ.get(\"PORT\", 7860)))",
                "uvicorn.run(app, host='127.0.0.1', port=8000)",
                "app.run(",
                "port=os.getenv(\"PORT\", os.getenv(\"X\", 1))",
                ")",
                "# .launch(",
                "s = \".launch(\"",
                "demo.launch(",
                "\"\"\"",
                "(((((",
                "environ.get(\"PORT\", \"80\")",
            ])
            .prop_map(str::to_string),
            token(),
        ],
        0..20,
    )
    .prop_map(|l| l.join("\n"));
    fuzz("docker/listen", regressions!(), CASES, (script.clone(), script, python), |(cmd, start_sh, app_py)| {
        let p = project(&[("start.sh", &start_sh), ("app.py", &app_py), ("run.sh", "exec \"$@\"\n")], None);
        let vars = shell::Vars::new();
        let words = shell::words(&cmd);
        for found in [
            scan_start(&p, StartCommand::Shell(&cmd), "Dockerfile", 3, &vars),
            scan_start(&p, StartCommand::Exec(&words), "Dockerfile", 3, &vars),
        ] {
            for port in &found.ports {
                let limit = match port.path.as_str() {
                    "start.sh" => line_count(&start_sh),
                    "app.py" => line_count(&app_py),
                    "run.sh" => 2,
                    _ => 3,
                };
                prop_assert!(port.line >= 1 && port.line <= limit, "{port:?}");
            }
            prop_assert!(found.ports.len() + found.loopback.len() <= 8 * (cmd.len() + start_sh.len() + app_py.len()) + 16);
        }
        Ok(())
    });
}

fn front_matter() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        1 => Just(None),
        4 => (prop::option::of(prop_oneof![Just(json!(7860)), Just(json!(8000)), Just(json!("7860")), Just(json!(0)), Just(json!(70000)), Just(json!(null))]))
            .prop_map(|port| {
                let mut fm = json!({"sdk": "docker", "title": "t"});
                if let Some(p) = port {
                    fm["app_port"] = p;
                }
                Some(fm)
            }),
    ]
}

#[test]
fn whole_check_on_generated_projects() {
    fuzz(
        "docker/check",
        regressions!(),
        CASES,
        (dockerfile_text(), shell_text(), front_matter()),
        |(dockerfile, start_sh, fm)| {
            let p = project(&[("Dockerfile", &dockerfile), ("start.sh", &start_sh), ("requirements.txt", "fastapi==0.1\n")], fm);
            let findings = check::check(&p);
            let lines = line_count(&dockerfile).max(line_count(&start_sh));
            for f in &findings {
                if let Some(line) = f.line {
                    prop_assert!(line >= 1 && line <= lines + 1, "{f:?}");
                }
            }
            // Bounded output: a few findings per instruction at most.
            prop_assert!(findings.len() <= 4 * lines as usize + 32, "{} findings", findings.len());
            Ok(())
        },
    );
}

/// Deep nesting must not overflow the stack, and long inputs must stay linear.
#[test]
fn deep_nesting_and_huge_inputs() {
    let depth = 100_000;
    let vars = shell::Vars::new();
    let nested = format!("{}7860{}", "${X:-".repeat(depth), "}".repeat(depth));
    assert_eq!(shell::expand(&nested, &vars), None, "defaults nest at most a few levels");
    let df = Dockerfile::parse(&format!("FROM x\nCMD {}{}\n", "[".repeat(depth), "]".repeat(depth)));
    assert!(matches!(df.instructions[1].form(), Form::Shell(_)), "JSON too deep for an exec form is shell form");
    let continued = format!("FROM x\nRUN {}b\n", "a \\\n".repeat(depth));
    assert_eq!(Dockerfile::parse(&continued).instructions[1].end_line, depth as u32 + 2);
    let heredocs = format!("FROM x\nRUN {}\n", "<<A ".repeat(depth));
    assert_eq!(Dockerfile::parse(&heredocs).instructions[1].heredocs.len(), depth);
    let quotes = "\"".repeat(depth) + &"'".repeat(depth) + &"\\".repeat(depth);
    assert!(shell::commands(&quotes).len() <= 1);
    let p = project(&[("Dockerfile", &format!("FROM x\nCMD {}\n", "sh -c ".repeat(depth)))], None);
    let _ = check::check(&p);
}

/// Inputs that once broke a reader, kept as plain tests.
#[test]
fn regressions() {
    // env_pairs sliced the arguments at the length of the unquoted first word, which is not a char
    // boundary when an escape or quote came before a multi-byte character.
    assert_eq!(env_pairs("\\é value"), vec![("é".to_string(), "value".to_string())]);
    assert_eq!(env_pairs("'a'é b c"), vec![("aé".to_string(), "b c".to_string())]);
    // The shrunk inputs the fuzzer found it with (seeds in proptest-regressions/fuzz.txt).
    for text in ["FROM \\𞋀|\n", "a\u{2000}\"𝒢", "From \nENV $🂱aA\\ ￼🌀\\🌀ᏸA\n"] {
        for ins in Dockerfile::parse(text).instructions {
            let _ = env_pairs(&ins.args);
        }
    }
}
