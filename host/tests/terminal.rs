//! What a person sees during `deploy`: the real binary in a real terminal (tmux) against an in-process hub
//! emulator, with one LFS file. The bar must draw and then vanish, leaving the steps and the result; with
//! NO_COLOR no SGR sequence may reach the terminal; stdout carries the result lines only. tmux renders the
//! screen as a person would see it (`capture-pane`), and `pipe-pane` records every byte written to it.
//! Without a terminal (pipes, CI), each step is one plain line.
//!
//! tmux is required, not optional: scripts/setup installs it, and these tests fail when it is missing.

mod util;

#[path = "../../tests/support/emulator_control.rs"]
mod emulator_control;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hub_emulator::{Config, Emulator};
use util::Dir;

const TOKEN: &str = "hf_alice_T3rminalSecretTokenXYZ";
const LFS_BYTES: usize = 3 << 20;

struct Hub {
    _emu: Emulator,
    url: String,
    dir: Dir,
}

impl Hub {
    /// An emulator that sends the LFS file in 1 MiB parts (so the bar moves), and a gradio project with a
    /// binary file, which goes through LFS.
    fn start() -> Hub {
        let mut c = Config::with_user("alice", TOKEN);
        c.tunables.build_seconds = 0.5;
        c.tunables.multipart_threshold = 1 << 20;
        c.tunables.multipart_chunk_size = 1 << 20;
        let emu = Emulator::spawn(c).expect("emulator starts");
        let hub = Hub { url: emu.url(), _emu: emu, dir: Dir::new() };
        hub.dir.cmd(&["new", "app", "--sdk", "gradio"]).expect(0);
        hub.write_model(1);
        hub
    }

    /// A binary file (it holds NUL bytes) of LFS_BYTES, different for each `seed`.
    fn write_model(&self, seed: u64) {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let bytes: Vec<u8> = (0..LFS_BYTES)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if i % 64 == 0 { 0 } else { x as u8 }
            })
            .collect();
        self.dir.write("app/model.bin", bytes);
    }

    /// The environment of a deploy: this Hub, alice's token and no other token source.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HF_ENDPOINT", self.url.clone()),
            ("HF_TOKEN", TOKEN.into()),
            ("HF_HOME", self.dir.join("hf-home").display().to_string()),
            ("SPACESMITH_CACHE_DIR", util::shared_cache().display().to_string()),
            ("SPACESMITH_DATA_DIR", self.dir.data_dir().display().to_string()),
        ]
    }

    fn sha(&self) -> String {
        emulator_control::repo(&self.url, "alice/app")["sha"].as_str().expect("the Space has a commit").to_string()
    }
}

/// tmux, or a failure that says how to get it: this test is never skipped.
fn tmux() -> PathBuf {
    let found =
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).map(|d| d.join("tmux")).find(|p| p.is_file());
    found.expect("tmux is not installed: run scripts/setup (it installs tmux), or `apt-get install -y tmux`")
}

/// A tmux server of its own (`-L`), one 120x50 window running `script` once `go` exists, so that
/// `pipe-pane` records from the first byte.
struct Terminal {
    tmux: PathBuf,
    socket: String,
    raw: PathBuf,
}

impl Terminal {
    fn run(dir: &Path, name: &str, script: &str) -> Terminal {
        let tmux = tmux();
        let socket = format!("spacesmith-test-{}-{name}", std::process::id());
        let go = dir.join(format!("{name}.go"));
        let raw = dir.join(format!("{name}.raw"));
        let script_path = dir.join(format!("{name}.sh"));
        let body = format!("while [ ! -e '{}' ]; do sleep 0.05; done\n{script}\nexec sleep 600\n", go.display());
        std::fs::write(&script_path, body).unwrap();
        let t = Terminal { tmux, socket, raw };
        let shell = format!("sh '{}'", script_path.display());
        t.tmux(&["-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "50", "-s", "t", &shell]);
        t.tmux(&["pipe-pane", "-o", "-t", "t", &format!("cat > '{}'", t.raw.display())]);
        std::fs::write(go, "").unwrap();
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new(&self.tmux).arg("-L").arg(&self.socket).args(args).output().expect("tmux runs");
        assert!(out.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Everything the window shows, history included, wrapped lines joined; `-e` keeps the SGR attributes.
    fn screen(&self, escapes: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-J", "-S", "-", "-t", "t"];
        if escapes {
            args.push("-e");
        }
        self.tmux(&args)
    }

    /// Waits for `file` (written by the script when the command ended); a guard against a hang, not a
    /// measure of speed.
    fn wait_for(&self, file: &Path) {
        let deadline = Instant::now() + Duration::from_secs(300);
        while !file.exists() {
            assert!(Instant::now() < deadline, "the command did not end; the screen:\n{}", self.screen(false));
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The bytes written to the terminal so far.
    fn raw(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.raw).unwrap_or_default()).into_owned()
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = Command::new(&self.tmux).arg("-L").arg(&self.socket).arg("kill-server").output();
    }
}

/// `ESC [ params m`: a Select Graphic Rendition (colour, bold) sequence, if `text` holds one.
fn sgr(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(i) = rest.find("\x1b[") {
        let after = &rest[i + 2..];
        let end = after.find(|c: char| !(c.is_ascii_digit() || c == ';')).unwrap_or(after.len());
        if after[end..].starts_with('m') {
            return Some(format!("{:?}", &rest[i..i + 3 + end]));
        }
        rest = after;
    }
    None
}

fn shell_env(env: &[(&str, String)]) -> String {
    let unset = "unset HUGGING_FACE_HUB_TOKEN HF_TOKEN_PATH HUGGINGFACE_CO_STAGING HF_OIDC_RESOURCE CLICOLOR_FORCE\n";
    let set: String = env.iter().map(|(k, v)| format!("export {k}='{v}'\n")).collect();
    format!("{unset}{set}")
}

/// The result lines `deploy` must print on stdout, and nothing else.
fn expected_result(hub: &Hub) -> Vec<String> {
    let sha = hub.sha();
    vec![
        format!("✓ alice/app is running: {}/spaces/alice/app", hub.url),
        format!("  commit {} {}/spaces/alice/app/commit/{sha}", &sha[..7], hub.url),
    ]
}

#[test]
fn a_deploy_in_a_terminal_draws_a_bar_that_ends_cleanly_and_no_colour_with_no_color() {
    let hub = Hub::start();
    let dir = &hub.dir.path;
    let bin = env!("CARGO_BIN_EXE_spacesmith");
    // stdout through tee: a file gets exactly stdout, and the screen shows it as a person would.
    let script = format!(
        "{}export NO_COLOR=1\ncd '{}'\n{{ '{bin}' deploy app --space alice/app; echo $? > code; }} | tee out.txt\ntouch finished",
        shell_env(&hub.env()),
        dir.display()
    );
    let term = Terminal::run(dir, "nocolor", &script);
    term.wait_for(&dir.join("finished"));
    let screen = term.screen(false);
    assert_eq!(std::fs::read_to_string(dir.join("code")).unwrap().trim(), "0", "{screen}");

    // stdout: the result, nothing else.
    let expected = expected_result(&hub);
    let stdout = std::fs::read_to_string(dir.join("out.txt")).unwrap();
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected, "stdout:\n{stdout}");

    // The bar and the spinner were drawn...
    let raw = term.raw();
    assert!(raw.contains("Uploading LFS ["), "no upload bar was drawn:\n{raw:?}");
    assert!(raw.contains("3.00 MiB/3.00 MiB"), "the bar did not reach the end:\n{raw:?}");
    assert!(raw.contains("Waiting for the Space to build and start"), "no wait spinner:\n{raw:?}");
    // ...without a single colour or bold sequence, on the wire or on the screen.
    assert_eq!(sgr(&raw), None, "an SGR sequence reached the terminal with NO_COLOR=1");
    assert_eq!(sgr(&term.screen(true)), None, "the screen has colour or bold cells with NO_COLOR=1");

    // The screen: the steps and build logs stayed, the bar and spinner are gone, the result is last.
    let lines: Vec<&str> = screen.lines().map(str::trim_end).filter(|l| !l.is_empty()).collect();
    assert!(lines.iter().any(|l| l.starts_with("Committed ")), "{screen}");
    assert!(lines.iter().any(|l| l.starts_with("[build] ")), "build logs print above the spinner: {screen}");
    assert!(lines.contains(&"── RUNNING ──"), "{screen}");
    for l in &lines {
        assert!(!l.contains("Uploading LFS") && !l.contains("Waiting for the Space"), "a bar was left drawn: {l:?}\n{screen}");
        assert!(!l.chars().any(|c| ('\u{2800}'..='\u{28ff}').contains(&c)), "a spinner was left drawn: {l:?}\n{screen}");
    }
    assert_eq!(lines[lines.len() - 2..], expected.iter().map(String::as_str).collect::<Vec<_>>()[..], "{screen}");
    assert!(!screen.contains(TOKEN) && !raw.contains(TOKEN));
}

#[test]
fn with_term_dumb_a_terminal_gets_plain_lines_only() {
    let hub = Hub::start();
    let dir = &hub.dir.path;
    let bin = env!("CARGO_BIN_EXE_spacesmith");
    let script = format!(
        "{}export TERM=dumb\nunset NO_COLOR\ncd '{}'\n'{bin}' deploy app --space alice/app > out.txt; echo $? > code\ntouch finished",
        shell_env(&hub.env()),
        dir.display()
    );
    let term = Terminal::run(dir, "dumb", &script);
    term.wait_for(&dir.join("finished"));
    let screen = term.screen(false);
    assert_eq!(std::fs::read_to_string(dir.join("code")).unwrap().trim(), "0", "{screen}");
    let raw = term.raw();
    assert!(!raw.contains('\x1b'), "an escape sequence with TERM=dumb:\n{raw:?}");
    // The terminal turns each \n into \r\n; a \r alone would be a redrawn line.
    assert!(!raw.replace("\r\n", "\n").contains('\r'), "a carriage return with TERM=dumb:\n{raw:?}");
    assert!(raw.contains("Uploading LFS: 3.0 MiB of 3.0 MiB (100%)"), "{raw}");
    assert!(raw.contains("Waiting for the Space to build and start"), "{raw}");
    let stdout = std::fs::read_to_string(dir.join("out.txt")).unwrap();
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected_result(&hub), "stdout:\n{stdout}");
}

#[test]
fn without_a_terminal_each_step_is_one_plain_line_and_stdout_is_the_result() {
    let hub = Hub::start();
    let mut cmd = hub.dir.cmd(&["deploy", "app", "--space", "alice/app"]);
    for k in ["HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HUGGINGFACE_CO_STAGING", "HF_OIDC_RESOURCE", "NO_COLOR"] {
        cmd.cmd.env_remove(k);
    }
    for (k, v) in hub.env() {
        cmd = cmd.env(k, v);
    }
    let run = cmd.expect(0);
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), expected_result(&hub), "stderr:\n{}", run.stderr);
    assert!(!run.stderr.contains('\r') && !run.stderr.contains('\x1b'), "{:?}", run.stderr);
    let has = |prefix: &str| run.stderr.lines().filter(|l| l.starts_with(prefix)).count();
    for step in ["Validated: ", "Created private Space ", "Plan: ", "Uploading ", "Committing ", "Committed ", "── RUNNING ──"]
    {
        assert!(has(step) >= 1, "no {step:?} line:\n{}", run.stderr);
    }
    // The LFS bytes at quarters (1 MiB parts of 3 MiB), never one line per part or percent; parts finish in
    // any order, so an earlier quarter may be passed over, but the count only grows and ends at 100%.
    let lfs: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("Uploading LFS: ")).collect();
    assert!((1..=3).contains(&lfs.len()), "{}", run.stderr);
    assert_eq!(lfs.last().copied(), Some("Uploading LFS: 3.0 MiB of 3.0 MiB (100%)"), "{}", run.stderr);
    let pct: Vec<u64> = lfs.iter().map(|l| l.rsplit_once('(').unwrap().1.trim_end_matches("%)").parse().unwrap()).collect();
    assert!(pct.windows(2).all(|w| w[0] < w[1]), "{lfs:?}");
    assert!(!run.stderr.contains(TOKEN) && !run.stdout.contains(TOKEN));

    // -q: the result only; no step and no progress.
    hub.write_model(2);
    let mut cmd = hub.dir.cmd(&["-q", "deploy", "app", "--space", "alice/app"]);
    for (k, v) in hub.env() {
        cmd = cmd.env(k, v);
    }
    let run = cmd.expect(0);
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), expected_result(&hub), "stderr:\n{}", run.stderr);
    assert_eq!(run.stderr, "", "-q prints no step");
}
