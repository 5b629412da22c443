//! Harness of the end-to-end suite: launches the release app through tauri-driver (which drives
//! WebKitWebDriver), opens a WebDriver session on its window, and saves a screenshot when a
//! scenario fails. Needs a display: `make test` runs the suite under Xvfb.

use std::future::Future;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::{Client, ClientBuilder, Locator};

/// One scenario at a time: each launches its own app window.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Where failing scenarios (and the README's screenshot) are saved.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots")
}

/// The build tree's app: what `make app` builds.
pub fn build_tree_app() -> Result<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/partner-desk");
    if !path.exists() {
        bail!("{} is missing: build it with `make app`", path.display());
    }
    Ok(path.canonicalize()?)
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// tauri-driver, killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // tauri-driver leads its own process group; ending the group also ends the
        // WebKitWebDriver and app it started, which would otherwise outlive the test and hold
        // its output open.
        // Straight to killpg(2): procps `kill -KILL -<pgid>` reads a pgid such as -14600 as
        // the option -1 and sent SIGKILL to every process of the user, the test run included.
        if let Ok(pgid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: killpg takes plain integers; the group is the driver's own (it was
            // spawned with process_group(0)), so its leader's pid names it.
            unsafe {
                libc::killpg(pgid, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// tauri-driver, and through it WebKitWebDriver and the app, with `env` set (or, for
    /// `None`, unset).
    fn start(env: &[(&str, Option<&Path>)]) -> Result<Driver> {
        let port = free_port()?;
        let native_port = free_port()?;
        let mut command = Command::new("tauri-driver");
        command.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ]);
        for (key, value) in env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        let child = command
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("tauri-driver could not start (installed by `make test`)")?;
        let driver = Driver { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("tauri-driver did not listen on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }
}

/// The app under test: its window, its data folder and its driver.
pub struct App {
    pub client: Client,
    /// The folder the scenario gave the app: its data folder for the build tree's app, its
    /// home folder for an installed one.
    pub data_dir: tempfile::TempDir,
    /// Where the app keeps its data and logs.
    logs: PathBuf,
    _driver: Driver,
}

impl App {
    /// The build tree's app, its data in a folder of its own (`PARTNER_DESK_DATA_DIR`).
    pub async fn launch() -> Result<App> {
        App::launch_on(tempfile::tempdir()?).await
    }

    /// The build tree's app on `data_dir`, as a scenario prepared it.
    pub async fn launch_on(data_dir: tempfile::TempDir) -> Result<App> {
        App::launch_with(data_dir, &[]).await
    }

    /// The build tree's app on `data_dir`, with `env` set (or, for `None`, unset) too.
    pub async fn launch_with(
        data_dir: tempfile::TempDir,
        env: &[(&str, Option<&Path>)],
    ) -> Result<App> {
        std::fs::create_dir_all(data_dir.path().join("exports"))?;
        let exports = data_dir.path().join("exports");
        let mut all = vec![
            ("PARTNER_DESK_DATA_DIR", Some(data_dir.path())),
            ("PARTNER_DESK_EXPORT_DIR", Some(exports.as_path())),
        ];
        all.extend_from_slice(env);
        let driver = Driver::start(&all)?;
        let logs = data_dir.path().join("logs");
        App::connect(driver, &build_tree_app()?, data_dir, logs).await
    }

    /// The app at `binary` as a user who just installed it starts it: nothing set but a home
    /// folder of its own (a new temporary one), so the app chooses where its data goes.
    pub async fn launch_installed(binary: &Path) -> Result<App> {
        let home = tempfile::tempdir()?;
        let driver = Driver::start(&[
            ("HOME", Some(home.path())),
            ("XDG_DATA_HOME", None),
            ("XDG_CONFIG_HOME", None),
            ("XDG_CACHE_HOME", None),
            ("XDG_STATE_HOME", None),
            ("PARTNER_DESK_DATA_DIR", None),
            ("PARTNER_DESK_EXPORT_DIR", None),
        ])?;
        let logs = home
            .path()
            .join(".local/share/app.partnerdesk.desktop/logs");
        App::connect(driver, binary, home, logs).await
    }

    async fn connect(
        driver: Driver,
        binary: &Path,
        data_dir: tempfile::TempDir,
        logs: PathBuf,
    ) -> Result<App> {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": binary }),
        );
        caps.insert("browserName".into(), serde_json::json!("wry"));
        // tauri-driver listens before the WebKitWebDriver it forwards to does: a session asked
        // for in between finds the connection closed ("webdriver server did not respond": one
        // scenario of a full run failed so). Ask again for a few seconds.
        let mut attempt = 0;
        let client = loop {
            let asked = ClientBuilder::rustls()
                .context("TLS setup")?
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{}", driver.port))
                .await;
            match asked {
                Ok(client) => break client,
                Err(e) if attempt < 10 => {
                    eprintln!("no WebDriver session yet ({e}); asking again");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => return Err(e).context("no WebDriver session on the app"),
            }
        };
        Ok(App {
            client,
            data_dir,
            logs,
            _driver: driver,
        })
    }

    /// Waits until the first sync with the demo workspace has completed.
    pub async fn synced(&self) -> Result<()> {
        self.client
            .wait()
            .at_most(Duration::from_secs(90))
            .for_element(Locator::Css(
                "[data-testid=sync][data-phase=idle] [data-testid=sync-last]",
            ))
            .await
            .context("the first sync did not complete")?;
        Ok(())
    }

    /// Ends the app (its driver, WebKitWebDriver and the app's process) and hands back its data
    /// folder for a later start on it, once the ended app has let go of its cache.
    pub fn into_data_dir(self) -> Result<tempfile::TempDir> {
        let App {
            data_dir, _driver, ..
        } = self;
        drop(_driver);
        let lock = data_dir.path().join("partner-desk.sqlite3.lock");
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Ok(file) = std::fs::File::open(&lock) {
            if file.try_lock().is_ok() {
                break;
            }
            if Instant::now() > deadline {
                bail!("the ended app still holds its cache");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(data_dir)
    }

    /// The app's log so far, all its files in order.
    pub fn log(&self) -> String {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&self.logs)
            .into_iter()
            .flatten()
            .filter_map(|f| Some(f.ok()?.path()))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .collect()
    }

    /// Prints the end of the app's log (its data folder goes with the scenario) and keeps the
    /// whole of it beside the screenshots as `failed-<name>.log`.
    pub fn report_log(&self, name: &str) {
        let log = self.log();
        if log.is_empty() {
            eprintln!("{name}: the app wrote no log");
            return;
        }
        let kept = screenshot_dir().join(format!("failed-{name}.log"));
        if std::fs::write(&kept, &log).is_ok() {
            eprintln!("{name}: the app's log is kept in {}", kept.display());
        }
        let lines: Vec<&str> = log.lines().collect();
        eprintln!("{name}: the end of the app's log:");
        for line in &lines[lines.len().saturating_sub(40)..] {
            eprintln!("  {line}");
        }
    }

    /// Saves `<name>-<language>-<theme>.png` in English and Spanish, light and dark, through the
    /// window's own language and theme switches; leaves the window in English, light.
    pub async fn save_screenshots_in_each_look(&self, name: &str) -> Result<Vec<PathBuf>> {
        let mut saved = Vec::new();
        for locale in ["en", "es"] {
            for theme in ["light", "dark"] {
                for (select, value) in [("locale", locale), ("theme", theme)] {
                    wait_for(&self.client, &format!("[data-testid={select}]"))
                        .await?
                        .select_by_value(value)
                        .await?;
                }
                eventually("the language and theme applied", || async {
                    let root = self.client.find(Locator::Css("html")).await?;
                    let lang = self
                        .client
                        .find(Locator::Css("[data-testid=locale]"))
                        .await?;
                    let applied = root.attr("data-theme").await?.as_deref() == Some(theme)
                        && lang.prop("value").await?.as_deref() == Some(locale);
                    Ok(applied.then_some(()))
                })
                .await?;
                saved.push(
                    self.save_screenshot(&format!("{name}-{locale}-{theme}"))
                        .await?,
                );
            }
        }
        for (select, value) in [("locale", "en"), ("theme", "light")] {
            wait_for(&self.client, &format!("[data-testid={select}]"))
                .await?
                .select_by_value(value)
                .await?;
        }
        Ok(saved)
    }

    pub async fn save_screenshot(&self, name: &str) -> Result<PathBuf> {
        // Two animation frames: what the DOM says is painted before the picture is taken (a
        // language and theme switched at once showed the frame before them otherwise).
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 requestAnimationFrame(() => requestAnimationFrame(() => done()));",
                vec![],
            )
            .await?;
        let png = self.client.screenshot().await?;
        std::fs::create_dir_all(screenshot_dir())?;
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }
}

pub type Scenario = for<'a> fn(&'a App) -> Pin<Box<dyn Future<Output = Result<()>> + 'a>>;

/// A scenario's turn: one window at a time.
pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().await
}

/// Launches the app, runs `scenario`, saves `<name>.png` if it fails, and closes the window.
pub async fn run(name: &str, scenario: Scenario) {
    let _turn = one_at_a_time().await;
    let app = App::launch()
        .await
        .expect("the app launches under tauri-driver");
    let outcome = match app.synced().await {
        Ok(()) => scenario(&app).await,
        Err(e) => Err(e),
    };
    if let Err(e) = &outcome {
        match app.save_screenshot(&format!("failed-{name}")).await {
            Ok(path) => eprintln!("{name} failed; screenshot: {}", path.display()),
            Err(shot) => eprintln!("{name} failed; no screenshot: {shot:#}"),
        }
        eprintln!("{e:#}");
        app.report_log(name);
    }
    let _ = app.client.clone().close().await;
    if let Err(e) = outcome {
        panic!("{name}: {e:#}");
    }
}

/// Waits up to 15 s for an element matching `css`.
pub async fn wait_for(c: &Client, css: &str) -> Result<fantoccini::elements::Element> {
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("no element matches {css}"))
}

/// Whether `e` is WebDriver's "stale element reference": an element replaced since it was found.
fn is_stale(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<fantoccini::error::CmdError>()
            .is_some_and(fantoccini::error::CmdError::is_stale_element_reference)
    })
}

/// Polls `check` until it returns Some, for up to 10 s; a stale element counts as not yet.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match check().await {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            // The page re-rendered while it was read (a sync landed, a list reloaded): what was
            // found went stale. Look again.
            Err(e) if is_stale(&e) => {}
            Err(e) => return Err(e),
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
