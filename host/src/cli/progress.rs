//! Progress on stderr: indicatif bars and spinners on a terminal, one plain line per step elsewhere.
//!
//! - A terminal (stderr is a tty and `TERM` is not `dumb`): one bar or spinner at a time, redrawn in place;
//!   lines that stay (steps, build logs) are printed above it, and it is cleared before the result.
//! - `NO_COLOR` (non-empty): the same bars without colour. Redrawing needs cursor movement, which is not
//!   colour, so bars stay; no SGR (colour or bold) sequence is written.
//! - Not a terminal (CI, pipes) or `TERM=dumb`: no bar, no `\r`, no escape sequence; a line per step, and the
//!   LFS upload at each quarter of its bytes.
//! - `-q/--quiet`: nothing.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Bars redrawn in place, coloured or not.
    Bars { color: bool },
    /// One line per step.
    Lines,
    /// Nothing (`--quiet`).
    Off,
}

/// Whether colour may be used on stderr: a terminal that is not `dumb`, and no `NO_COLOR`.
pub fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && !dumb_term() && !no_color()
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

fn dumb_term() -> bool {
    std::env::var_os("TERM").is_some_and(|t| t == "dumb")
}

impl Mode {
    /// The mode for this process's stderr and environment.
    pub fn detect(quiet: bool) -> Mode {
        Mode::decide(quiet, std::io::stderr().is_terminal(), dumb_term(), no_color())
    }

    fn decide(quiet: bool, tty: bool, dumb: bool, no_color: bool) -> Mode {
        match (quiet, tty && !dumb) {
            (true, _) => Mode::Off,
            (false, true) => Mode::Bars { color: !no_color },
            (false, false) => Mode::Lines,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Step,
    Bytes,
    Wait,
}

#[derive(Default)]
struct State {
    bar: Option<(Kind, ProgressBar)>,
    /// Highest LFS byte count seen: reports come from worker threads and may arrive out of order.
    bytes_done: u64,
    /// Quarters of the LFS bytes already reported as lines.
    quarters: u64,
}

/// The progress of one command; `Sync`, since uploads report from worker threads.
pub struct Progress {
    mode: Mode,
    state: Mutex<State>,
}

const TICK: Duration = Duration::from_millis(120);

/// The bar on the screen, for lines printed by code that has no [`Progress`] (retry notices).
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn set_active(bar: Option<&ProgressBar>) {
    *ACTIVE.lock().unwrap_or_else(|p| p.into_inner()) = bar.cloned();
}

/// Runs `print` with the bar (if one is drawn) lifted, so its line does not land inside the bar.
pub fn above(print: impl FnOnce()) {
    let active = ACTIVE.lock().unwrap_or_else(|p| p.into_inner()).clone();
    match active {
        Some(bar) => bar.suspend(print),
        None => print(),
    }
}

impl Progress {
    pub fn new(mode: Mode) -> Progress {
        Progress { mode, state: Mutex::new(State::default()) }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn color(&self) -> bool {
        matches!(self.mode, Mode::Bars { color: true })
    }

    /// A line that stays (a finished step, a log line), printed above the bar if one is drawn.
    pub fn line(&self, text: &str) {
        if self.mode == Mode::Off {
            return;
        }
        self.print(text);
    }

    /// A line printed even under `--quiet` (what explains a failure), above the bar if one is drawn.
    pub fn print(&self, text: &str) {
        let st = self.state();
        match &st.bar {
            Some((_, bar)) => bar.suspend(|| stderr_line(text)),
            None => stderr_line(text),
        }
    }

    /// A step under way ("Committing 3 changes…"): a spinner on a terminal, a line elsewhere.
    pub fn step(&self, text: &str) {
        match self.mode {
            Mode::Off => {}
            Mode::Lines => stderr_line(text),
            Mode::Bars { .. } => {
                let template = if self.color() { "{spinner:.cyan} {msg}" } else { "{spinner} {msg}" };
                self.show(&mut self.state(), Kind::Step, template, None, text.to_string());
            }
        }
    }

    /// LFS bytes sent so far: a bar with rate and ETA on a terminal, a line at each quarter elsewhere.
    pub fn bytes(&self, done: u64, total: u64) {
        let mut st = self.state();
        if done < st.bytes_done {
            return;
        }
        st.bytes_done = done;
        match self.mode {
            Mode::Off => {}
            Mode::Lines => {
                let quarter = done.saturating_mul(4).checked_div(total).map_or(4, |q| q.min(4));
                if quarter > st.quarters {
                    st.quarters = quarter;
                    let pct = done.saturating_mul(100).checked_div(total).unwrap_or(100);
                    stderr_line(&format!("Uploading LFS: {} of {} ({pct}%)", human_bytes(done), human_bytes(total)));
                }
            }
            Mode::Bars { .. } => {
                if let Some((Kind::Bytes, bar)) = &st.bar {
                    bar.set_position(done);
                    // Under the steady tick set_position only stores; set_length draws now, so a short
                    // upload's last frames are not lost between two ticks.
                    bar.set_length(total);
                    return;
                }
                let template = if self.color() {
                    "{spinner:.cyan} Uploading LFS [{bar:30.cyan/blue}] {binary_bytes}/{binary_total_bytes} \
                     {binary_bytes_per_sec}, ETA {eta}"
                } else {
                    "{spinner} Uploading LFS [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec}, ETA {eta}"
                };
                self.show(&mut st, Kind::Bytes, template, Some((done, total)), String::new());
            }
        }
    }

    /// The wait after the commit: a spinner with the elapsed time and `stage` on a terminal; elsewhere the
    /// caller's own line says it.
    pub fn wait(&self, what: &str, stage: &str) {
        if !matches!(self.mode, Mode::Bars { .. }) {
            return;
        }
        let mut st = self.state();
        if let Some((Kind::Wait, bar)) = &st.bar {
            bar.set_message(stage.to_string());
            return;
        }
        let what = what.replace('{', "{{").replace('}', "}}");
        let template = if self.color() {
            format!("{{spinner:.cyan}} {what} [{{elapsed}}]: {{msg:.bold}}")
        } else {
            format!("{{spinner}} {what} [{{elapsed}}]: {{msg}}")
        };
        self.show(&mut st, Kind::Wait, &template, None, stage.to_string());
    }

    /// Removes the bar, leaving the screen as if it had never been drawn.
    pub fn clear(&self) {
        if let Some((_, bar)) = self.state().bar.take() {
            set_active(None);
            bar.finish_and_clear();
        }
    }

    /// Replaces the bar (under the state lock, so two threads never draw two).
    fn show(&self, st: &mut State, kind: Kind, template: &str, len: Option<(u64, u64)>, msg: String) {
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .progress_chars("=> ")
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ");
        if let Some((_, old)) = st.bar.take() {
            old.finish_and_clear();
        }
        let bar = ProgressBar::with_draw_target(len.map(|(_, total)| total), ProgressDrawTarget::stderr());
        bar.set_style(style);
        bar.set_message(msg);
        if let Some((done, _)) = len {
            bar.set_position(done);
        }
        bar.enable_steady_tick(TICK);
        set_active(Some(&bar));
        st.bar = Some((kind, bar));
    }
}

impl Drop for Progress {
    /// An error ends the command between two events: the bar must not stay half-drawn above it.
    fn drop(&mut self) {
        self.clear();
    }
}

/// A closed stderr (`2>&-`, a dead pipe) is no reason to panic.
fn stderr_line(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// `1.5 MiB` (binary prefixes), as the step lines write sizes.
pub fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_only_on_a_terminal_that_is_not_dumb_and_never_when_quiet() {
        assert_eq!(Mode::decide(false, true, false, false), Mode::Bars { color: true });
        assert_eq!(Mode::decide(false, true, false, true), Mode::Bars { color: false });
        assert_eq!(Mode::decide(false, true, true, false), Mode::Lines);
        assert_eq!(Mode::decide(false, false, false, false), Mode::Lines);
        assert_eq!(Mode::decide(true, true, false, false), Mode::Off);
        assert_eq!(Mode::decide(true, false, false, false), Mode::Off);
    }

    #[test]
    fn lfs_lines_come_at_quarters_and_never_go_back() {
        let p = Progress::new(Mode::Lines);
        let mut seen = Vec::new();
        for done in [10, 30, 20, 60, 100, 100] {
            let before = p.state().quarters;
            p.bytes(done, 100);
            let after = p.state().quarters;
            if after != before {
                seen.push(after);
            }
        }
        assert_eq!(seen, [1, 2, 4]);
        assert_eq!(p.state().bytes_done, 100);
    }
}
