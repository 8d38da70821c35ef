//! Progress of long sync runs for whoever watches the process: a progress bar on stderr when it
//! is a terminal, else an info log line every few seconds while a run lasts, and one when a run
//! that was reported ends. Reads the engine's [`Progress`]; never slows the engine down.

use std::io::{IsTerminal as _, Write as _};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::sync::status::progress_text;
use crate::sync::{Progress, ProgressSnapshot};

/// A bar appears only for runs longer than this: quick re-syncs do not flicker.
const SHOW_AFTER: Duration = Duration::from_millis(500);
/// At most ten redraws a second.
const REDRAW: Duration = Duration::from_millis(100);
/// Without a terminal: one log line per this much of a run.
const LOG_EVERY: Duration = Duration::from_secs(5);
const BAR_WIDTH: usize = 24;

/// Reports the runs of a [`Progress`] while it lives (a task ticks, at most ten times a second).
pub struct Reports {
    progress: Arc<Progress>,
    reporter: Arc<Mutex<Reporter>>,
    task: tokio::task::JoinHandle<()>,
}

impl Reports {
    pub fn start(progress: Arc<Progress>) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let reporter = Arc::new(Mutex::new(Reporter::new(terminal)));
        let task = {
            let (progress, reporter) = (progress.clone(), reporter.clone());
            tokio::spawn(async move {
                let period = if terminal { REDRAW } else { SHOW_AFTER };
                let mut tick = tokio::time::interval(period);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                loop {
                    tick.tick().await;
                    show(&reporter, &progress);
                }
            })
        };
        Reports {
            progress,
            reporter,
            task,
        }
    }

    /// Shows the current state at once: a run that just ended is finished on the terminal
    /// before whatever the caller prints next.
    pub fn flush(&self) {
        show(&self.reporter, &self.progress);
    }
}

impl Drop for Reports {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn show(reporter: &Mutex<Reporter>, progress: &Progress) {
    let mut reporter = reporter
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(output) = reporter.tick(&progress.snapshot()) {
        output.emit();
    }
}

/// What one tick shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Redraw the bar in place.
    Draw(String),
    /// The run ended: the bar's last state, on its own line.
    Finish(String),
    /// A log line for a run in progress.
    Log(ProgressSnapshot),
    /// A log line for a reported run that ended.
    Done(ProgressSnapshot),
}

impl Output {
    fn emit(&self) {
        let mut err = std::io::stderr().lock();
        // A closed stderr must not stop the process: write errors are ignored.
        let _ = match self {
            Output::Draw(line) => write!(err, "\r\x1b[2K{line}").and_then(|()| err.flush()),
            Output::Finish(line) => writeln!(err, "\r\x1b[2K{line}"),
            Output::Log(p) => {
                tracing::info!(
                    done = p.done,
                    total = p.total,
                    rate = p.rate() as u64,
                    "sync in progress: {}",
                    progress_text(p)
                );
                Ok(())
            }
            Output::Done(p) => {
                tracing::info!(
                    done = p.done,
                    total = p.total,
                    changed = p.changed,
                    rate = p.rate() as u64,
                    "sync run finished: {}",
                    progress_text(p)
                );
                Ok(())
            }
        };
    }
}

/// Decides, from successive snapshots, what to show: pure, so the decisions are tested without a
/// terminal or a clock.
#[derive(Debug)]
pub struct Reporter {
    terminal: bool,
    /// The current run has been shown (a bar drawn or a line logged).
    shown: bool,
    /// Without a terminal: the run time at which the next line is due.
    next_log: Duration,
    last_elapsed: Duration,
}

impl Reporter {
    pub fn new(terminal: bool) -> Self {
        Reporter {
            terminal,
            shown: false,
            next_log: LOG_EVERY,
            last_elapsed: Duration::ZERO,
        }
    }

    pub fn tick(&mut self, p: &ProgressSnapshot) -> Option<Output> {
        if p.running && p.elapsed < self.last_elapsed {
            // A new run began since the last tick.
            self.next_log = LOG_EVERY;
        }
        self.last_elapsed = p.elapsed;
        if !p.running {
            self.next_log = LOG_EVERY;
            if !std::mem::take(&mut self.shown) {
                return None;
            }
            return Some(if self.terminal {
                Output::Finish(bar_line(p))
            } else {
                Output::Done(*p)
            });
        }
        if self.terminal && p.elapsed >= SHOW_AFTER {
            self.shown = true;
            return Some(Output::Draw(bar_line(p)));
        }
        if !self.terminal && p.elapsed >= self.next_log {
            self.shown = true;
            while self.next_log <= p.elapsed {
                self.next_log += LOG_EVERY;
            }
            return Some(Output::Log(*p));
        }
        None
    }
}

/// One line of the bar: `sync [=====>      ]  42%  420/1000 items  84 items/s  5.0 s`, or
/// without a known total `sync  420 items  84 items/s  5.0 s`.
pub fn bar_line(p: &ProgressSnapshot) -> String {
    let tail = format!("{:.0} items/s  {:.1} s", p.rate(), p.elapsed.as_secs_f64());
    let Some(total) = p.total.filter(|t| *t > 0) else {
        return format!("sync  {} items  {tail}", p.done);
    };
    let fraction = (p.done as f64 / total as f64).clamp(0.0, 1.0);
    let filled = (fraction * BAR_WIDTH as f64).floor() as usize;
    let mut bar = "=".repeat(filled);
    if filled < BAR_WIDTH {
        bar.push('>');
        bar.push_str(&" ".repeat(BAR_WIDTH - filled - 1));
    }
    format!(
        "sync [{bar}] {:>3.0}%  {}/{total} items  {tail}",
        fraction * 100.0,
        p.done
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(running: bool, done: u64, total: Option<u64>, millis: u64) -> ProgressSnapshot {
        ProgressSnapshot {
            running,
            done,
            total,
            changed: done,
            elapsed: Duration::from_millis(millis),
        }
    }

    #[test]
    fn the_bar_shows_done_total_percent_rate_and_time() {
        assert_eq!(
            bar_line(&at(true, 500, Some(1000), 2000)),
            "sync [============>           ]  50%  500/1000 items  250 items/s  2.0 s"
        );
        assert_eq!(
            bar_line(&at(false, 1000, Some(1000), 4000)),
            "sync [========================] 100%  1000/1000 items  250 items/s  4.0 s"
        );
        assert_eq!(
            bar_line(&at(true, 0, Some(1000), 0)),
            "sync [>                       ]   0%  0/1000 items  0 items/s  0.0 s"
        );
        assert_eq!(
            bar_line(&at(true, 420, None, 5000)),
            "sync  420 items  84 items/s  5.0 s"
        );
        // More done than announced (a source that grew) stays a full bar.
        assert!(bar_line(&at(true, 1500, Some(1000), 1000)).contains("] 100%"));
    }

    #[test]
    fn a_terminal_gets_a_bar_for_long_runs_and_its_last_state_at_the_end() {
        let mut r = Reporter::new(true);
        assert_eq!(r.tick(&at(false, 0, None, 0)), None);
        assert_eq!(
            r.tick(&at(true, 10, Some(100), 100)),
            None,
            "not yet: short"
        );
        assert!(matches!(
            r.tick(&at(true, 50, Some(100), 600)),
            Some(Output::Draw(_))
        ));
        let Some(Output::Finish(line)) = r.tick(&at(false, 100, Some(100), 900)) else {
            panic!("the bar is finished");
        };
        assert!(line.contains("100/100 items"), "{line}");
        assert_eq!(r.tick(&at(false, 100, Some(100), 900)), None);
        // A run too short to show is never finished either.
        assert_eq!(r.tick(&at(true, 1, None, 10)), None);
        assert_eq!(r.tick(&at(false, 5, Some(5), 20)), None);
    }

    #[test]
    fn without_a_terminal_a_long_run_logs_every_five_seconds_and_its_end() {
        let mut r = Reporter::new(false);
        let ticks: Vec<Option<Output>> = [1_000, 4_900, 5_000, 7_000, 10_400, 21_000]
            .iter()
            .map(|ms| r.tick(&at(true, ms / 10, Some(10_000), *ms)))
            .collect();
        let logged: Vec<bool> = ticks.iter().map(Option::is_some).collect();
        assert_eq!(logged, [false, false, true, false, true, true]);
        assert!(matches!(ticks[2], Some(Output::Log(p)) if p.done == 500));
        assert!(matches!(
            r.tick(&at(false, 10_000, Some(10_000), 22_000)),
            Some(Output::Done(p)) if p.done == 10_000
        ));
        // The next run starts counting again; a short one logs nothing.
        assert_eq!(r.tick(&at(true, 5, None, 1_000)), None);
        assert_eq!(r.tick(&at(false, 9, Some(9), 1_200)), None);
        assert!(r.tick(&at(true, 5, None, 6_000)).is_some());
    }
}
