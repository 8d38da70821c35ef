//! The report: every figure next to its target, echoed to stderr as it comes in and printed as a
//! table on stdout at the end; and the formatting of durations, sizes and counts.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Met,
    Missed,
    Info,
    Failed,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Met => "ok",
            Status::Missed => "MISSED",
            Status::Info => "",
            Status::Failed => "FAILED",
        }
    }
}

struct Row {
    metric: String,
    figure: String,
    target: String,
    status: Status,
}

#[derive(Default)]
pub struct Report {
    rows: Vec<Row>,
    notes: Vec<String>,
}

impl Report {
    pub fn push(&mut self, metric: &str, figure: String, target: &str, status: Status) {
        let label = status.label();
        eprintln!("  {metric}: {figure}  {target} {label}");
        self.rows.push(Row {
            metric: metric.to_string(),
            figure,
            target: target.to_string(),
            status,
        });
    }

    pub fn check(&mut self, metric: &str, figure: String, target: &str, met: bool) {
        let status = if met { Status::Met } else { Status::Missed };
        self.push(metric, figure, target, status);
    }

    pub fn info(&mut self, metric: &str, figure: String) {
        self.push(metric, figure, "", Status::Info);
    }

    pub fn failed(&mut self, metric: &str, target: &str, err: &anyhow::Error) {
        let text = format!("{err:#}").replace('\n', " ");
        self.push(metric, text, target, Status::Failed);
    }

    pub fn note(&mut self, text: String) {
        eprintln!("  note: {text}");
        self.notes.push(text);
    }

    pub fn print(&self, header: &str) {
        let w0 = self.width(|r| &r.metric);
        let w1 = self.width(|r| &r.figure);
        let w2 = self.width(|r| &r.target);
        let mut out = String::new();
        let _ = writeln!(out, "\n{header}\n");
        let _ = writeln!(
            out,
            "| {:<w0$} | {:>w1$} | {:<w2$} | result |",
            "metric", "figure", "target"
        );
        let _ = writeln!(
            out,
            "|{}|{}|{}|--------|",
            "-".repeat(w0 + 2),
            "-".repeat(w1 + 2),
            "-".repeat(w2 + 2)
        );
        for r in &self.rows {
            let _ = writeln!(
                out,
                "| {:<w0$} | {:>w1$} | {:<w2$} | {:<6} |",
                r.metric,
                r.figure,
                r.target,
                r.status.label()
            );
        }
        for n in &self.notes {
            let _ = writeln!(out, "\n- {n}");
        }
        let missed = self.count(Status::Missed);
        let failed = self.count(Status::Failed);
        let met = self.count(Status::Met);
        let _ = writeln!(out, "\n{met} targets met, {missed} missed, {failed} failed");
        print!("{out}");
        let _ = std::io::stdout().flush();
    }

    /// The width of a column: its longest cell, at least 6 characters.
    fn width(&self, cell: impl Fn(&Row) -> &String) -> usize {
        self.rows
            .iter()
            .map(|r| cell(r).chars().count())
            .max()
            .unwrap_or(6)
            .max(6)
    }

    fn count(&self, status: Status) -> usize {
        self.rows.iter().filter(|r| r.status == status).count()
    }
}

pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.3} ms")
    }
}

pub fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

pub fn mib(kb: u64) -> String {
    format!("{:.1} MiB", kb as f64 / 1024.0)
}

pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Milliseconds under a second, seconds above.
pub fn took(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        ms(d)
    } else {
        secs(d)
    }
}
