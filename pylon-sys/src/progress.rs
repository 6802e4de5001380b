//! Progress for long steps, and external commands whose output goes to a kept log.
//!
//! On a terminal each step is a spinner showing the command's latest line; elsewhere (CI,
//! pipes) each step prints one line when it starts and one when it ends, so logs stay
//! readable. A failing command's error carries the tail of its output and the log path.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

const TAIL_LINES: usize = 40;

pub struct Step {
    bar: ProgressBar,
    label: String,
    started: Instant,
    log: Option<(PathBuf, Arc<Mutex<File>>)>,
}

impl Step {
    pub fn start(label: impl Into<String>) -> Self {
        let label = label.into();
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner:.cyan} {prefix:.bold} [{elapsed}] {wide_msg:.dim}",
            )
            .expect("valid template"),
        );
        bar.set_prefix(label.clone());
        bar.enable_steady_tick(Duration::from_millis(120));
        if bar.is_hidden() {
            eprintln!("pylon: {label} ...");
        }
        Self {
            bar,
            label,
            started: Instant::now(),
            log: None,
        }
    }

    /// Send the output of every command this step runs to `path` (appended).
    pub fn log_to(mut self, path: &Path) -> Result<Self> {
        let file = File::options()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the build log {}", path.display()))?;
        self.log = Some((path.to_path_buf(), Arc::new(Mutex::new(file))));
        Ok(self)
    }

    pub fn message(&self, msg: &str) {
        self.bar.set_message(msg.to_string());
    }

    /// End the step; returns how long it took, in seconds.
    pub fn finish(self) -> f64 {
        let secs = self.started.elapsed().as_secs_f64();
        self.bar.finish_and_clear();
        eprintln!("{:>12} {} in {secs:.1}s", "done", self.label);
        secs
    }

    /// Run `cmd` to completion, its output going to the log and the spinner.
    pub fn run(&self, cmd: &mut Command) -> Result<()> {
        let shown = shown(cmd);
        if let Some((_, file)) = &self.log {
            let mut file = file.lock().expect("log lock");
            writeln!(file, "\n$ {shown}").context("cannot write the build log")?;
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {shown}; is it installed and on PATH?"))?;
        let tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL_LINES)));
        let readers = [
            self.pump(Box::new(child.stdout.take().expect("piped")), &tail),
            self.pump(Box::new(child.stderr.take().expect("piped")), &tail),
        ];
        let status = child
            .wait()
            .with_context(|| format!("waiting for {shown}"))?;
        for reader in readers {
            let _ = reader.join();
        }
        if status.success() {
            return Ok(());
        }
        let lines: Vec<String> = tail.lock().expect("tail lock").iter().cloned().collect();
        let log = match &self.log {
            Some((path, _)) => format!("\nfull log: {}", path.display()),
            None => String::new(),
        };
        bail!(
            "{} failed ({status})\n--- last lines of output ---\n{}{log}",
            abbreviated(&shown),
            lines.join("\n")
        )
    }

    fn pump(
        &self,
        stream: Box<dyn Read + Send>,
        tail: &Arc<Mutex<VecDeque<String>>>,
    ) -> std::thread::JoinHandle<()> {
        let bar = self.bar.clone();
        let log = self.log.as_ref().map(|(_, f)| f.clone());
        let tail = tail.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Some(file) = &log {
                    let _ = writeln!(file.lock().expect("log lock"), "{line}");
                }
                bar.set_message(line.chars().take(100).collect::<String>());
                let mut tail = tail.lock().expect("tail lock");
                if tail.len() == TAIL_LINES {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        })
    }
}

/// `program args... (in dir)`, without the environment `{cmd:?}` would print.
fn shown(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    if let Some(dir) = cmd.get_current_dir() {
        text.push_str(&format!(" (in {})", dir.display()));
    }
    text
}

/// Long command lines (a link of hundreds of objects) are cut in messages; logs keep them whole.
fn abbreviated(shown: &str) -> String {
    const MAX: usize = 300;
    match shown.char_indices().nth(MAX) {
        Some((at, _)) => format!("{} ... (full command in the log)", &shown[..at]),
        None => shown.to_string(),
    }
}
