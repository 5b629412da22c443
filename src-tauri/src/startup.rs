//! The start as the window sees it: the data opens in the background while the window shows
//! which step it is at (`startup-progress` events, and `startup_progress` for a window that
//! asks late), and `startup_problem` answers once the start is over.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use desk::error::IpcError;
use desk::views::{StartupProgress, StartupStep};
use serde::Deserialize;
use tauri::{AppHandle, Emitter};
use tokio::sync::watch;

/// When the process started: the window's first paints are timed from it.
static STARTED: OnceLock<Instant> = OnceLock::new();

/// Notes the process's start; called first thing in `main`.
pub fn process_started() {
    STARTED.get_or_init(Instant::now);
}

/// What the window painted: anything at all (the start's steps), then the portfolio with data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Painted {
    Window,
    Data,
}

/// Logs, once each, how long after the process started the window first painted `what`: the
/// start as its user sees it, for support and for `make bench` (`painted what=window ms=…`).
pub fn painted(what: Painted) {
    static SEEN: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];
    let (seen, name) = match what {
        Painted::Window => (&SEEN[0], "window"),
        Painted::Data => (&SEEN[1], "data"),
    };
    if seen.swap(true, Ordering::Relaxed) {
        return;
    }
    let ms = STARTED.get().map_or(0, |s| s.elapsed().as_millis());
    tracing::info!(what = %name, ms, "painted");
}

/// The event carrying `StartupProgress` to the window at each step.
const STARTUP_EVENT: &str = "startup-progress";

#[derive(Debug, Clone)]
enum State {
    Opening(StartupProgress),
    /// Over: the data is open (`None`), or why it could not be.
    Over(Option<IpcError>),
}

/// Tells the window where the data's opening is: at start, and when a sign-out goes back to the
/// demo workspace.
pub fn announce(app: &AppHandle, progress: StartupProgress) {
    if let Err(e) = app.emit(STARTUP_EVENT, progress) {
        tracing::warn!(error = %e, "could not send the progress to the window");
    }
}

/// Managed from the first moment of the app, before its data is open.
pub struct Startup(watch::Sender<State>);

impl Startup {
    pub fn new() -> Startup {
        Startup(watch::Sender::new(State::Opening(StartupProgress::at(
            StartupStep::OpeningCache,
        ))))
    }

    /// The start reached `step`: tells the window.
    pub fn step(&self, app: &AppHandle, step: StartupStep) {
        tracing::info!(?step, "starting");
        let progress = StartupProgress::at(step);
        self.0.send_replace(State::Opening(progress.clone()));
        announce(app, progress);
    }

    /// The start is over, with `problem` if the data could not be opened.
    pub fn finish(&self, app: &AppHandle, problem: Option<IpcError>) {
        self.0.send_replace(State::Over(problem));
        announce(app, StartupProgress::done());
    }

    pub fn progress(&self) -> StartupProgress {
        match &*self.0.borrow() {
            State::Opening(progress) => progress.clone(),
            State::Over(_) => StartupProgress::done(),
        }
    }

    /// Waits for the start to be over; then why the data could not be opened, if it could not.
    pub async fn problem(&self) -> Option<IpcError> {
        let mut state = self.0.subscribe();
        loop {
            if let State::Over(problem) = &*state.borrow_and_update() {
                return problem.clone();
            }
            if state.changed().await.is_err() {
                return None;
            }
        }
    }

    /// The problem the start ended with, without waiting (`None` while it runs).
    pub fn ended_with(&self) -> Option<IpcError> {
        match &*self.0.borrow() {
            State::Over(problem) => problem.clone(),
            State::Opening(_) => None,
        }
    }
}
