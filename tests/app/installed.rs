//! The app as a user gets it: the `.deb` that `make package` built, installed by apt the way a
//! user installs it, started from `/usr/bin` under Xvfb through WebDriver, then removed.
//!
//! It installs and removes a system package: `make test` runs it after `make package` (CI runs as
//! root on a throwaway machine); elsewhere it asks `sudo -n`, and says so when that is refused.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use e2e::{eventually, wait_for, App};
use fantoccini::Locator;

const PACKAGE: &str = "partner-desk";
const INSTALLED: &str = "/usr/bin/partner-desk";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The one `.deb` in the build tree.
fn deb() -> Result<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/bundle/deb");
    let debs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("{} is missing: run `make package`", dir.display()))?
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    match debs.as_slice() {
        [one] => Ok(one.canonicalize()?),
        _ => bail!("expected one .deb in {}, found {debs:?}", dir.display()),
    }
}

/// Runs `args` as root: directly when this is root, else through `sudo -n`.
fn as_root(args: &[&str]) -> Result<String> {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let mut command = if root {
        Command::new(args[0])
    } else {
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", args[0]]);
        sudo
    };
    let out = command
        .args(&args[1..])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .with_context(|| format!("could not run {args:?}"))?;
    ensure!(
        out.status.success(),
        "{args:?} failed (root, or sudo without a password, is needed): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What dpkg says of the package: its status and version, or None when it knows none.
fn dpkg_status() -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f", "${Status} ${Version}", PACKAGE])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// Purges the package when the scenario ends, however it ends.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        if dpkg_status().is_some_and(|s| s.starts_with("install ")) {
            let _ = as_root(&["apt-get", "purge", "-y", "-q", PACKAGE]);
        }
    }
}

/// Regular files under `roots` changed after `stamp` was written.
fn written_after(stamp: &Path, roots: &[&str]) -> Result<Vec<String>> {
    let out = Command::new("find")
        .args(roots)
        .args(["-xdev", "-type", "f", "-newer"])
        .arg(stamp)
        .output()?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

#[tokio::test]
async fn the_installed_package_opens_on_the_demo_workspace_keeps_its_data_in_the_users_folder_and_removes_cleanly(
) {
    if let Err(e) = scenario().await {
        panic!("the installed package: {e:#}");
    }
}

async fn scenario() -> Result<()> {
    let _turn = e2e::one_at_a_time().await;
    let deb = deb()?;
    ensure!(
        dpkg_status().is_none_or(|s| !s.starts_with("install ")),
        "{PACKAGE} is already installed here; this scenario installs and removes its own"
    );

    // Installed as a user installs it: apt reads the package's dependencies and pulls them.
    as_root(&[
        "apt-get",
        "install",
        "-y",
        "-q",
        "--no-install-recommends",
        deb.to_str().context("a .deb path in UTF-8")?,
    ])?;
    let _installed = Installed;
    ensure!(
        dpkg_status().as_deref() == Some(&format!("install ok installed {VERSION}")),
        "dpkg says {:?}",
        dpkg_status()
    );
    let files: Vec<String> = String::from_utf8(
        Command::new("dpkg-query")
            .args(["-L", PACKAGE])
            .output()?
            .stdout,
    )?
    .lines()
    .filter(|f| Path::new(f).is_file())
    .map(str::to_string)
    .collect();
    for expected in [
        INSTALLED,
        "/usr/share/applications/Partner Desk.desktop",
        "/usr/share/icons/hicolor/128x128/apps/partner-desk.png",
        "/usr/share/doc/partner-desk/changelog.gz",
    ] {
        ensure!(
            files.iter().any(|f| f == expected),
            "the package has no {expected}: {files:?}"
        );
    }
    let version = Command::new(INSTALLED).arg("--version").output()?;
    ensure!(
        String::from_utf8_lossy(&version.stdout).trim() == format!("partner-desk {VERSION}"),
        "--version printed {:?}",
        String::from_utf8_lossy(&version.stdout)
    );

    // Started as a user who just installed it starts it, from /usr/bin with only a home folder.
    let stamp = tempfile::NamedTempFile::new()?;
    std::thread::sleep(Duration::from_millis(1_100)); // mtimes are compared by the second
    let app = App::launch_installed(Path::new(INSTALLED)).await?;
    let seen = first_screen(&app).await;
    if let Err(e) = &seen {
        let _ = app.save_screenshot("failed-installed").await;
        app.report_log("installed");
        eprintln!("{e:#}");
    }
    let home = app.data_dir.path().to_path_buf();
    let _ = app.client.clone().close().await;
    seen?;

    // Its data went to the user's data folder, and nothing was written where it is installed.
    let data = home.join(".local/share/app.partnerdesk.desktop");
    let demo_db = format!("demo-central-api-{}.sqlite3", central_api::demo::GENERATION);
    for file in ["partner-desk.sqlite3", &demo_db, "webview", "logs"] {
        ensure!(data.join(file).exists(), "no {file} in {}", data.display());
    }
    let written = written_after(stamp.path(), &["/usr", "/opt"])?;
    ensure!(
        written.is_empty(),
        "the app wrote in the install folders: {written:?}"
    );

    // Removed cleanly: every file it brought is gone, and the user's data is left alone.
    as_root(&["apt-get", "purge", "-y", "-q", PACKAGE])?;
    ensure!(
        dpkg_status().is_none_or(|s| !s.starts_with("install ")),
        "dpkg still says {:?}",
        dpkg_status()
    );
    let left: Vec<&String> = files.iter().filter(|f| Path::new(f).exists()).collect();
    ensure!(left.is_empty(), "the removal left {left:?}");
    ensure!(
        data.join("partner-desk.sqlite3").exists(),
        "the removal took the user's data"
    );
    Ok(())
}

/// The demo workspace's first screen: its partners listed, marked as the demo, with the way to
/// sign in to an organization's central API, and the version at the foot.
async fn first_screen(app: &App) -> Result<()> {
    app.synced().await?;
    eventually("the demo's partners listed", || async {
        let rows = app
            .client
            .find_all(Locator::Css("[data-testid=portfolio-row]"))
            .await?;
        Ok((rows.len() >= 10).then_some(()))
    })
    .await?;
    let banner = wait_for(&app.client, "[data-testid=demo-banner]")
        .await?
        .text()
        .await?;
    ensure!(
        banner.contains("demo workspace"),
        "the banner says {banner:?}"
    );
    wait_for(&app.client, "[data-testid=demo-sign-in]").await?;
    let version = wait_for(&app.client, "[data-testid=app-version]")
        .await?
        .text()
        .await?;
    ensure!(
        version == format!("Version {VERSION}"),
        "the window shows {version:?}"
    );
    app.save_screenshot("installed").await?;
    Ok(())
}
