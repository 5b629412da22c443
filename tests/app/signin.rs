//! The real window, signing in: with a token an administrator handed out, through the browser
//! with a test user, and out again.

use anyhow::{ensure, Context, Result};
use e2e::{eventually, run, wait_for};
use fantoccini::Locator;

#[tokio::test]
async fn signing_in_to_a_central_api_syncs_that_account_and_shows_when_it_is_offline() {
    run("sign-in", |app| {
        Box::pin(async move {
            use program::contract::Role;
            let c = &app.client;
            let dir = tempfile::tempdir()?;
            let server = central_api_in(&dir).await?;
            let partner = server.store().partner_ids().await?[0];
            // A token an administrator handed out, five days from expiring.
            let token = server
                .store()
                .create_token_for("Pat Partner", Role::PartnerAdmin, &[partner], 5)
                .await?;

            // The cache now holds only that partner, synced from the server, and a partner's
            // own user lands on its page, not on a portfolio of one.
            let own_page = sign_in_as_partner(c, &server.base_url(), &token, partner).await?;

            // The window warns of the token's expiry and offers to sign in with a new one.
            let warning = wait_for(c, "[data-testid=token-expiry]").await?;
            let text = warning.text().await?;
            ensure!(
                text.contains("expires in 5 days"),
                "the warning says when: {text:?}"
            );
            app.save_screenshots_in_each_look("token-expiry").await?;
            wait_for(c, "[data-testid=token-sign-in]")
                .await?
                .click()
                .await?;
            // The dialog starts at the same central API, with the token form open.
            let url = wait_for(c, "[data-testid=sign-in-url]").await?;
            ensure!(
                url.prop("value").await?.as_deref() == Some(&format!("{}/", server.base_url())),
                "the address is the workspace's"
            );
            ensure!(
                wait_for(c, "[data-testid=sign-in-token]")
                    .await?
                    .is_displayed()
                    .await?,
                "the token field shows"
            );
            app.save_screenshot("token-expiry-sign-in").await?;
            wait_for(c, "[data-testid=sign-in-close]")
                .await?
                .click()
                .await?;
            wait_for(c, "[data-testid=nav-home]").await?;
            ensure!(
                c.find_all(Locator::Css("[data-testid=back]"))
                    .await?
                    .is_empty(),
                "no way back to a portfolio"
            );
            ensure!(
                !c.source().await?.contains(&token),
                "the token is not in the page"
            );

            // The server goes away: the app says it is offline and keeps the data.
            server.shutdown().await?;
            wait_for(c, "[data-testid=sync-now]").await?.click().await?;
            wait_for(c, "[data-testid=sync-offline]").await?;
            wait_for(c, "[data-testid=sync-problem][data-kind=offline]").await?;
            ensure!(
                !c.find_all(Locator::Css(&own_page)).await?.is_empty(),
                "the local copy is still shown"
            );
            app.save_screenshot("offline").await?;

            // Signing out (the account's data wiped) goes back to the demo workspace, and the
            // window shows the way back step by step, as at start.
            wait_for(c, "[data-testid=sign-out]").await?.click().await?;
            // The confirmation: WebKit's driver may have answered it already (its default prompt
            // behaviour accepts), in which case there is no dialog left to accept.
            let _ = c.accept_alert().await;
            let steps = eventually("the demo workspace back after signing out", || async {
                // The shell is away while the opening screen shows.
                let Some(shell) = c
                    .find_all(Locator::Css("[data-testid=shell]"))
                    .await?
                    .into_iter()
                    .next()
                else {
                    return Ok(None);
                };
                let steps = shell.attr("data-sign-out-steps").await?.unwrap_or_default();
                let demo = !c
                    .find_all(Locator::Css("[data-testid=portfolio-row]"))
                    .await?
                    .is_empty();
                Ok((demo && !steps.is_empty()).then_some(steps))
            })
            .await?;
            ensure!(
                steps.starts_with("opening_cache") && steps.ends_with("connecting"),
                "the sign-out showed its steps: {steps}"
            );
            Ok(())
        })
    })
    .await;
}

#[tokio::test]
async fn signing_in_through_the_browser_with_a_test_user_syncs_their_account() {
    run("browser-sign-in", |app| {
        Box::pin(async move {
            use program::contract::Role;
            let c = &app.client;
            let dir = tempfile::tempdir()?;
            let server = central_api_in(&dir).await?;
            let partners = server.store().partner_ids().await?;
            let scope = &partners[..4];
            server
                .create_user(
                    "lucia",
                    "lucia's long password",
                    Role::PlatformAccountManager,
                    scope,
                )
                .await?;

            // Cancel while the browser is out: back to the address, nothing signed in.
            open_sign_in(c, &server.base_url()).await?;
            wait_for(c, "[data-testid=sign-in-browser]")
                .await?
                .click()
                .await?;
            wait_for(c, "[data-testid=sign-in-waiting]").await?;
            wait_for(c, "[data-testid=sign-in-cancel]")
                .await?
                .click()
                .await?;
            wait_for(c, "[data-testid=sign-in-browser]").await?;

            // Denied on the login page: its own sentence, and a way to try again.
            wait_for(c, "[data-testid=sign-in-browser]")
                .await?
                .click()
                .await?;
            let link = sign_in_link(c).await?;
            browser(&link, "", "", "deny").await?;
            wait_for(c, "[data-testid=error][data-code=sign_in_denied]").await?;
            app.save_screenshot("sign-in-denied").await?;

            // Try again, and sign in.
            wait_for(c, "[data-testid=sign-in-retry]")
                .await?
                .click()
                .await?;
            let link = sign_in_link(c).await?;
            ensure!(link.contains("code_challenge="), "PKCE in {link}");
            app.save_screenshot("sign-in-waiting").await?;
            let shown = browser(&link, "lucia", "lucia's long password", "allow").await?;
            ensure!(
                shown.contains("You are signed in"),
                "the browser's page: {shown}"
            );
            let rows = || async {
                let rows = c
                    .find_all(Locator::Css("[data-testid=portfolio-row]"))
                    .await?;
                let last = c.find_all(Locator::Css("[data-testid=sync-last]")).await?;
                Ok((rows.len() == scope.len() && !last.is_empty()).then_some(()))
            };
            eventually("the signed-in user's four partners, synced", rows).await?;
            ensure!(
                c.find_all(Locator::Css("[data-testid=sign-in]"))
                    .await?
                    .is_empty(),
                "the dialog closed"
            );
            ensure!(!c.source().await?.contains("pdk_"), "no token in the page");
            Ok(())
        })
    })
    .await;
}

/// The login page's link the waiting dialog shows.
async fn sign_in_link(c: &fantoccini::Client) -> Result<String> {
    wait_for(c, "[data-testid=sign-in-waiting]").await?;
    let link = wait_for(c, "[data-testid=sign-in-link]")
        .await?
        .prop("value")
        .await?
        .context("the link has a value")?;
    ensure!(
        link.contains("/oauth/authorize?"),
        "a login page link: {link}"
    );
    Ok(link)
}

/// The system browser, played by the test: opens the login page, submits it with `decision`, and
/// follows the redirect back to the app. Returns the page the app showed in the browser.
async fn browser(link: &str, login: &str, password: &str, decision: &str) -> Result<String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = http.get(link).send().await?;
    ensure!(
        page.status().is_success(),
        "the login page: {}",
        page.status()
    );
    let url = url::Url::parse(link)?;
    let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    form.extend([
        ("login".to_string(), login.to_string()),
        ("password".to_string(), password.to_string()),
        ("decision".to_string(), decision.to_string()),
    ]);
    let submitted = http
        .post(url.join("/oauth/authorize")?)
        .form(&form)
        .send()
        .await?;
    let back = submitted
        .headers()
        .get(reqwest::header::LOCATION)
        .context("the login page sends the browser back to the app")?
        .to_str()?
        .to_string();
    Ok(http.get(back).send().await?.text().await?)
}

/// A reference central API with 2,000 deployments of today, its database in `dir`.
async fn central_api_in(dir: &tempfile::TempDir) -> Result<central_api::server::RunningServer> {
    use central_api::server::{self, ServerConfig};
    let config = ServerConfig {
        deployments: 2_000,
        ..ServerConfig::demo(
            dir.path().join("central.sqlite3"),
            chrono::Utc::now().date_naive(),
        )
    };
    Ok(server::start(config).await?)
}

/// Opens the sign-in dialog and types the central API's address.
async fn open_sign_in(c: &fantoccini::Client, base: &str) -> Result<()> {
    wait_for(c, "[data-testid=open-sign-in]")
        .await?
        .click()
        .await?;
    let url = wait_for(c, "[data-testid=sign-in-url]").await?;
    url.clear().await?;
    url.send_keys(base).await?;
    Ok(())
}

/// Signs in the advanced way, with an administrator's `token`.
pub(crate) async fn sign_in_with_token(
    c: &fantoccini::Client,
    base: &str,
    token: &str,
) -> Result<()> {
    open_sign_in(c, base).await?;
    wait_for(c, "[data-testid=sign-in-advanced] summary")
        .await?
        .click()
        .await?;
    wait_for(c, "[data-testid=sign-in-token]")
        .await?
        .send_keys(token)
        .await?;
    wait_for(c, "[data-testid=sign-in-submit]")
        .await?
        .click()
        .await?;
    Ok(())
}

/// Signs in to the central API at `base` with a partner user's `token`, and waits until that
/// partner's own page shows, synced. Returns the page's selector.
pub(crate) async fn sign_in_as_partner(
    c: &fantoccini::Client,
    base: &str,
    token: &str,
    partner: program::contract::PartnerId,
) -> Result<String> {
    sign_in_with_token(c, base, token).await?;
    let own_page = format!("[data-testid=partner-page][data-id='{partner}']");
    eventually("the signed-in partner's own page, synced", || async {
        let page = c.find_all(Locator::Css(&own_page)).await?;
        let last = c.find_all(Locator::Css("[data-testid=sync-last]")).await?;
        Ok((!page.is_empty() && !last.is_empty()).then_some(()))
    })
    .await?;
    Ok(own_page)
}
