//! The real app window, driven over WebDriver: what a person sees on the demo workspace.

use std::collections::BTreeSet;

use anyhow::{ensure, Context, Result};
use central_api::demo::{generate, DemoConfig};
use e2e::{eventually, run, wait_for, App};
use fantoccini::Locator;
use program::benefits::benefits_of;
use program::Tier;

fn wire<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

/// An element's text as the DOM holds it. WebDriver's own text is the rendered text, which
/// WebKitWebDriver gives as empty for cells of a fixed-layout table that clip their overflow.
async fn text_content(element: &fantoccini::elements::Element) -> Result<String> {
    Ok(element.prop("textContent").await?.unwrap_or_default())
}

async fn portfolio_names(app: &App) -> Result<Vec<String>> {
    wait_for(&app.client, "[data-testid=portfolio-row]").await?;
    let mut names = Vec::new();
    for cell in app
        .client
        .find_all(Locator::Css(
            "[data-testid=portfolio-row] [data-col=name] button",
        ))
        .await?
    {
        names.push(text_content(&cell).await?.trim().to_string());
    }
    Ok(names)
}

#[tokio::test]
async fn app_starts_on_the_demo_workspace_and_lists_the_generated_partners() {
    run("portfolio", |app| {
        Box::pin(async move {
            let expected: BTreeSet<String> =
                generate(&DemoConfig::small(chrono::Utc::now().date_naive()))
                    .partners
                    .into_iter()
                    .map(|p| p.name)
                    .collect();
            // The list settles once the first sync's figures are in.
            let listed = eventually("the generated partners listed", || async {
                let shown = portfolio_names(app).await?;
                let set: BTreeSet<String> = shown.iter().cloned().collect();
                Ok((shown.len() == expected.len() && set == expected).then_some(()))
            })
            .await;
            match listed {
                Ok(()) => {}
                Err(e) => {
                    let shown: BTreeSet<String> = portfolio_names(app).await?.into_iter().collect();
                    anyhow::bail!(
                        "{e}: shown but not generated {:?}; generated but not shown {:?}",
                        shown.difference(&expected).collect::<Vec<_>>(),
                        expected.difference(&shown).collect::<Vec<_>>()
                    );
                }
            }
            let title = wait_for(&app.client, "[data-testid=page-title]")
                .await?
                .text()
                .await?;
            ensure!(title.contains("Portfolio"), "page title is {title:?}");
            app.save_screenshot("portfolio").await?;
            Ok(())
        })
    })
    .await;
}

#[tokio::test]
async fn partner_page_shows_the_benefits_of_its_tier_from_the_program_table() {
    run("partner-benefits", |app| {
        Box::pin(async move {
            let c = &app.client;
            for tier in Tier::ALL {
                let row = wait_for(
                    c,
                    &format!("[data-testid=portfolio-row] [data-tier={}]", wire(tier)),
                )
                .await?;
                row.click().await?;
                wait_for(c, "[data-testid=partner-page]").await?;
                let shown_tier = wait_for(c, "[data-testid=partner-tier]")
                    .await?
                    .attr("data-tier")
                    .await?;
                ensure!(
                    shown_tier.as_deref() == Some(wire(tier).as_str()),
                    "tier shown {shown_tier:?} for {tier}"
                );
                let mut cells = Vec::new();
                for li in c
                    .find_all(Locator::Css("[data-testid=benefit-row]"))
                    .await?
                {
                    let benefit = li.attr("data-benefit").await?.context("data-benefit")?;
                    let entitlement = li
                        .attr("data-entitlement")
                        .await?
                        .context("data-entitlement")?;
                    ensure!(
                        !li.text().await?.trim().is_empty(),
                        "benefit {benefit} has no label"
                    );
                    cells.push((benefit, entitlement));
                }
                let expected: Vec<_> = benefits_of(tier)
                    .into_iter()
                    .map(|(b, e)| (wire(b), wire(e)))
                    .collect();
                ensure!(
                    cells == expected,
                    "benefits for {tier}: shown {cells:?}, program {expected:?}"
                );
                // Its tier history: the demo's partners climbed from Authorized, one tier at a time.
                let mut path = Vec::new();
                for li in c
                    .find_all(Locator::Css("[data-testid=tier-history] li"))
                    .await?
                {
                    path.push(li.attr("data-tier").await?.context("data-tier")?);
                }
                let climbed: Vec<_> = Tier::ALL
                    .into_iter()
                    .filter(|t| *t <= tier)
                    .map(wire)
                    .collect();
                ensure!(path == climbed, "tier history of a {tier}: {path:?}");
                if tier == Tier::Strategic {
                    app.save_screenshot("partner-strategic").await?;
                }
                wait_for(c, "[data-testid=back]").await?.click().await?;
            }
            Ok(())
        })
    })
    .await;
}

#[tokio::test]
async fn switching_to_spanish_changes_the_text_and_the_money_format() {
    run("spanish", |app| {
        Box::pin(async move {
            let c = &app.client;
            wait_for(c, "[data-testid=portfolio-row]").await?;
            let nav = wait_for(c, "[data-testid=nav-portfolio]").await?;
            ensure!(
                nav.text().await?.contains("Portfolio"),
                "English navigation"
            );
            let balance_en = eventually("a balance shown", || async {
                let cell = c
                    .find(Locator::Css(
                        "[data-testid=portfolio-row] [data-col=balance]",
                    ))
                    .await?;
                let text = text_content(&cell).await?;
                Ok(text.chars().any(|ch| ch.is_ascii_digit()).then_some(text))
            })
            .await?;
            ensure!(
                decimal_separator(&balance_en) == Some('.'),
                "English balance {balance_en:?} uses a decimal point"
            );

            wait_for(c, "[data-testid=locale]")
                .await?
                .select_by_value("es")
                .await?;
            eventually("Spanish navigation", || async {
                let text = c
                    .find(Locator::Css("[data-testid=nav-portfolio]"))
                    .await?
                    .text()
                    .await?;
                Ok(text.contains("Cartera").then_some(()))
            })
            .await?;
            let balance_es = text_content(
                &c.find(Locator::Css(
                    "[data-testid=portfolio-row] [data-col=balance]",
                ))
                .await?,
            )
            .await?;
            ensure!(
                decimal_separator(&balance_es) == Some(','),
                "Spanish balance {balance_es:?} uses a decimal comma"
            );
            ensure!(
                digits(&balance_en) == digits(&balance_es),
                "same amount: {balance_en:?} vs {balance_es:?}"
            );
            app.save_screenshot("portfolio-es").await?;
            Ok(())
        })
    })
    .await;
}

/// The separator before the two decimals of the amount in `text` ("12,345.60 credits" → '.').
fn decimal_separator(text: &str) -> Option<char> {
    let c: Vec<char> = text.chars().collect();
    let digit = |i: usize| c.get(i).is_some_and(char::is_ascii_digit);
    (1..c.len())
        .rev()
        .find(|&i| {
            matches!(c[i], '.' | ',')
                && digit(i - 1)
                && digit(i + 1)
                && digit(i + 2)
                && !digit(i + 3)
        })
        .map(|i| c[i])
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

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
async fn sign_in_with_token(c: &fantoccini::Client, base: &str, token: &str) -> Result<()> {
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
async fn sign_in_as_partner(
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

/// The window's first script, the UI's main chunk, stays under 240 KiB. At 288 KB (the map's
/// d3-geo and TopoJSON code in it) three builds in four opened on a blank window, the chunk
/// answered as `text/html` by the embedded assets; at 252 KB none did, and at 254 KB (254,302
/// bytes, the deals tab's forms in it) every start did. The cause is not known (WebKitGTK's
/// custom-scheme path is the suspect), so the limit is kept here with a margin: code that only
/// one screen needs is loaded with it (`import()`), as the map and the deals, quotes and review
/// tabs are.
#[test]
fn the_windows_first_script_stays_under_240_kib() -> Result<()> {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist");
    let html = std::fs::read_to_string(dist.join("index.html"))
        .context("ui/dist/index.html: `make test` builds the UI before the tests")?;
    let src = html
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("the module script in index.html")?;
    let size = std::fs::metadata(dist.join(src.trim_start_matches('/')))?.len();
    ensure!(
        size < 240 * 1024,
        "{src} is {size} bytes: load what one screen needs with import()"
    );
    Ok(())
}

/// A central API's configuration on a small demo (2,000 deployments, dated today) in a folder of
/// its own, and the data it will serve.
fn small_demo_server() -> Result<(
    tempfile::TempDir,
    central_api::server::ServerConfig,
    program::contract::Dataset,
)> {
    let dir = tempfile::tempdir()?;
    let today = chrono::Utc::now().date_naive();
    let config = central_api::server::ServerConfig {
        deployments: 2_000,
        ..central_api::server::ServerConfig::demo(dir.path().join("central.sqlite3"), today)
    };
    let data = generate(&DemoConfig::with_deployments(today, 2_000));
    Ok((dir, config, data))
}

/// The demo's first exclusive regional territory (states or provinces of one country).
fn regional_territory(data: &program::contract::Dataset) -> Result<&program::contract::Territory> {
    data.territories
        .iter()
        .find(|t| t.exclusivity == program::contract::Exclusivity::Regional)
        .context("an exclusive regional territory")
}

/// Types a deal form's country (its code; the picker takes names too) and picks its state,
/// province or region from the list that appears for it.
async fn fill_place(c: &fantoccini::Client, country: &str, subdivision: &str) -> Result<()> {
    let field = wait_for(c, "[data-testid=deal-country]").await?;
    field.clear().await?;
    field.send_keys(country).await?;
    eventually("the picker holds the country typed", || async {
        let code = field.attr("data-code").await?;
        Ok((code.as_deref() == Some(country)).then_some(()))
    })
    .await?;
    wait_for(
        c,
        &format!("[data-testid=deal-subdivision] option[value='{subdivision}']"),
    )
    .await?
    .click()
    .await?;
    Ok(())
}

/// Registers a deal through the form, online, and waits for the platform's decision on it in the
/// deals table: "approved" or "refused".
async fn register_through_the_form(
    c: &fantoccini::Client,
    company: &str,
    country: &str,
    subdivision: &str,
) -> Result<String> {
    wait_for(c, "[data-testid=deal-new]").await?.click().await?;
    wait_for(c, "[data-testid=deal-company]")
        .await?
        .send_keys(company)
        .await?;
    fill_place(c, country, subdivision).await?;
    wait_for(c, "[data-testid=deal-value]")
        .await?
        .send_keys("9000")
        .await?;
    wait_for(c, "[data-testid=deal-product]")
        .await?
        .click()
        .await?;
    wait_for(c, "[data-testid=deal-save]")
        .await?
        .click()
        .await?;
    wait_for(c, "[data-testid=sync-now]").await?.click().await?;
    eventually("the platform's decision on the deal", || async {
        for row in c.find_all(Locator::Css("[data-testid=deal-row]")).await? {
            if !text_content(&row).await.is_ok_and(|t| t.contains(company)) {
                continue;
            }
            if let Some(status) = row.attr("data-status").await? {
                if status == "approved" || status == "refused" {
                    return Ok(Some(status));
                }
            }
        }
        Ok(None)
    })
    .await
}

/// The amount in hundredths from a displayed amount ("12,345.60" or "12.345,60" → 1234560).
fn hundredths(text: &str) -> i64 {
    let negative = text.trim_start().starts_with('-');
    let v: i64 = digits(text).parse().unwrap_or(0);
    if negative {
        -v
    } else {
        v
    }
}

#[tokio::test]
async fn partner_page_shows_metrics_and_progression_and_exports_the_ledger_to_xlsx() {
    run("partner-metrics", |app| {
        Box::pin(async move {
            use calamine::{open_workbook, Data, Reader, Xlsx};
            let c = &app.client;
            wait_for(c, "[data-testid=portfolio-row] [data-tier=regional]")
                .await?
                .click()
                .await?;
            wait_for(c, "[data-testid=partner-page]").await?;
            let balance = wait_for(c, "[data-testid=partner-balance]")
                .await?
                .text()
                .await?;
            let nps = wait_for(c, "[data-testid=partner-nps]")
                .await?
                .text()
                .await?;
            let retention = wait_for(c, "[data-testid=partner-retention]")
                .await?
                .text()
                .await?;
            ensure!(!nps.is_empty() && !retention.is_empty(), "metrics shown");
            // Each figure's definition opens beside it, in the program's own words, and closes
            // on Escape.
            let toggle = wait_for(
                c,
                "[data-testid=definition][data-term='definition.active_customers']",
            )
            .await?;
            toggle.click().await?;
            let shown = wait_for(c, "[data-testid=definition-text]")
                .await?
                .text()
                .await?;
            let (_, words, _) = program::metrics::DEFINITIONS
                .iter()
                .find(|d| d.0 == "active_customers")
                .context("the definition")?;
            ensure!(shown == *words, "definition shown: {shown:?}");
            app.save_screenshot("partner-definition").await?;
            toggle
                .send_keys(&fantoccini::key::Key::Escape.to_string())
                .await?;
            eventually("the definition closed", || async {
                let open = c
                    .find_all(Locator::Css("[data-testid=definition-text]"))
                    .await?;
                Ok(open.is_empty().then_some(()))
            })
            .await?;
            let thresholds = c.find_all(Locator::Css("[data-testid=threshold]")).await?;
            ensure!(
                thresholds.len() == 4,
                "{} thresholds shown",
                thresholds.len()
            );
            let outlook = wait_for(c, "[data-testid=progression]")
                .await?
                .attr("data-outlook")
                .await?;
            ensure!(
                matches!(
                    outlook.as_deref(),
                    Some("progressing" | "may_be_considered_for_strategic")
                ),
                "a Regional partner is never upgraded automatically: {outlook:?}"
            );

            wait_for(c, "[data-testid=export-ledger-xlsx]")
                .await?
                .click()
                .await?;
            let saved =
                wait_for(c, "[data-testid=export-ledger] [data-testid=export-saved]").await?;
            for action in ["export-open", "export-show"] {
                saved
                    .find(Locator::Css(&format!("[data-testid={action}]")))
                    .await
                    .with_context(|| format!("{action} beside the saved file"))?;
            }
            let saved = saved
                .attr("data-path")
                .await?
                .context("the saved file's path")?;
            ensure!(
                saved.starts_with(app.data_dir.path().join("exports").to_str().unwrap()),
                "exported to {saved}"
            );
            let mut book: Xlsx<_> = open_workbook(&saved)?;
            let sheet = book.sheet_names()[0].clone();
            let range = book.worksheet_range(&sheet)?;
            let mut rows = range.rows();
            let header = rows.next().context("a header row")?;
            let col = header
                .iter()
                .position(|h| matches!(h, Data::String(s) if s == "Credits"))
                .context("a Credits column")?;
            let mut total = 0i64;
            for row in rows {
                match &row[col] {
                    Data::Float(v) => total += (v * 100.0).round() as i64,
                    other => anyhow::bail!("credits cell is not a number: {other:?}"),
                }
            }
            ensure!(
                total == hundredths(&balance),
                "ledger total {total} vs balance shown {balance:?}"
            );
            app.save_screenshot("partner-metrics").await?;

            // The log of a first sync, a partner page and an export names no customer or
            // founder and holds no balance (#16: logs hold no customer data).
            let mut log = String::new();
            for entry in std::fs::read_dir(app.data_dir.path().join("logs"))? {
                log.push_str(&std::fs::read_to_string(entry?.path())?);
            }
            ensure!(
                log.contains("starting Partner Desk"),
                "the app logged its start: {log}"
            );
            let world = generate(&DemoConfig::small(chrono::Utc::now().date_naive()));
            for c in &world.customers {
                ensure!(
                    !log.contains(&c.name) && !log.contains(&c.founder),
                    "the log names a customer or founder ({} / {})",
                    c.name,
                    c.founder
                );
            }
            ensure!(!log.contains(balance.trim()), "the log holds a balance");
            Ok(())
        })
    })
    .await;
}

/// The account manager's daily path: find a customer from the one search box, land on its
/// partner's page with the customer open (every deployment it ever had, whichever partner made
/// it), then the partner's customers, ledger pages, migrations and trend charts.
#[tokio::test]
async fn search_finds_a_migrated_customer_and_the_partner_tabs_show_its_history() {
    run("search-and-tabs", |app| {
        Box::pin(async move {
            let c = &app.client;
            let data = generate(&DemoConfig::small(chrono::Utc::now().date_naive()));
            let m = data.migrations.first().context("the demo has migrations")?;
            let customer = data
                .customers
                .iter()
                .find(|x| x.id == m.customer_id)
                .context("the migrated customer")?;
            let partner = customer.partner_id;
            let deployments = data
                .deployments
                .iter()
                .filter(|d| d.customer_id == customer.id)
                .count();
            wait_for(c, "[data-testid=portfolio-row]").await?;

            let search = wait_for(c, "[data-testid=global-search]").await?;
            search.send_keys(&customer.name.to_lowercase()).await?;
            let wanted = customer.id.to_string();
            let hit = eventually("the customer among the search hits", || async {
                for hit in c
                    .find_all(Locator::Css("[data-testid=search-hit][data-kind=customer]"))
                    .await?
                {
                    // A hit replaced while typing goes stale: look again.
                    match hit.attr("data-id").await {
                        Ok(id) if id.as_deref() == Some(wanted.as_str()) => return Ok(Some(hit)),
                        Ok(_) => {}
                        Err(_) => return Ok(None),
                    }
                }
                Ok(None)
            })
            .await?;
            hit.click().await?;
            wait_for(
                c,
                &format!("[data-testid=partner-page][data-id='{partner}']"),
            )
            .await?;
            wait_for(c, "[data-testid=customer-panel]").await?;
            eventually("every deployment of the customer", || async {
                let rows = c
                    .find_all(Locator::Css("[data-testid=deployment-row]"))
                    .await?;
                Ok((rows.len() == deployments).then_some(()))
            })
            .await?;
            app.save_screenshot("customer-panel").await?;
            wait_for(c, "[data-testid=customer-close]")
                .await?
                .click()
                .await?;

            // Customers migrated in: the customer is among them.
            wait_for(c, "[data-testid=tab-customers]")
                .await?
                .click()
                .await?;
            // The chips widen when their counts arrive with the first page: click once they
            // have, or the click can land on the neighbouring chip.
            wait_for(c, "[data-testid=customer-row]").await?;
            wait_for(c, "[data-testid=customer-filter][data-filter=migrated_in]")
                .await?
                .click()
                .await?;
            wait_for(
                c,
                "[data-testid=customer-filter][data-filter=migrated_in][aria-pressed=true]",
            )
            .await?;
            eventually("the migrated customer in the list", || async {
                for row in c
                    .find_all(Locator::Css("[data-testid=customer-row]"))
                    .await?
                {
                    // A row replaced by the filter's reload goes stale: look again.
                    match text_content(&row).await {
                        Ok(text) if text.contains(&customer.name) => return Ok(Some(())),
                        Ok(_) => {}
                        Err(_) => return Ok(None),
                    }
                }
                Ok(None)
            })
            .await?;

            // The ledger, a page at a time, newest first.
            let lines = data
                .ledger
                .iter()
                .filter(|l| l.partner_id == partner)
                .count();
            wait_for(c, "[data-testid=tab-ledger]")
                .await?
                .click()
                .await?;
            let first = lines.min(50);
            eventually("the first ledger page", || async {
                let rows = c.find_all(Locator::Css("[data-testid=ledger-row]")).await?;
                Ok((rows.len() == first).then_some(()))
            })
            .await?;
            if lines > 50 {
                wait_for(c, "[data-testid=ledger-more]")
                    .await?
                    .click()
                    .await?;
                eventually("the next ledger page below the first", || async {
                    let rows = c.find_all(Locator::Css("[data-testid=ledger-row]")).await?;
                    Ok((rows.len() == lines.min(100)).then_some(()))
                })
                .await?;
            }

            let migrations = data
                .migrations
                .iter()
                .filter(|x| x.from_partner == partner || x.to_partner == partner)
                .count();
            wait_for(c, "[data-testid=tab-migrations]")
                .await?
                .click()
                .await?;
            eventually("every migration in or out", || async {
                let rows = c
                    .find_all(Locator::Css("[data-testid=migration-row]"))
                    .await?;
                Ok((rows.len() == migrations).then_some(()))
            })
            .await?;

            wait_for(c, "[data-testid=tab-trends]")
                .await?
                .click()
                .await?;
            eventually("four trend charts", || async {
                let charts = c
                    .find_all(Locator::Css("[data-testid=trend-chart]"))
                    .await?;
                Ok((charts.len() == 4).then_some(()))
            })
            .await?;
            app.save_screenshot("trends").await?;
            Ok(())
        })
    })
    .await;
}

#[tokio::test]
async fn a_deal_inside_a_regional_partners_state_is_refused_for_a_global_partner_and_accepted_across_the_border(
) {
    run("deal-territory", |app| {
        Box::pin(async move {
            use central_api::server;
            use program::contract::Role;
            use program::Tier;
            let c = &app.client;
            let (_dir, config, data) = small_demo_server()?;
            let territory = regional_territory(&data)?;
            let holder = data
                .partners
                .iter()
                .find(|p| p.id == territory.partner_id)
                .context("its holder")?;
            let brand = territory.region.brand();
            // A global partner (a Specialist: early access too, so any product will do) whose first
            // brand, the one the form preselects, is the region's.
            let global = data
                .partners
                .iter()
                .find(|p| p.tier == Tier::Specialist && p.brands.first() == Some(&brand))
                .context("a global partner selling the region's brand")?;
            let inside = territory.subdivisions[0].code();
            let country = &inside[..2];
            let across = central_api::demo::unclaimed_places(&data.territories, territory.region)
                .into_iter()
                .find_map(|(c, s)| s.filter(|_| Some(c) == territory.country))
                .context("a state across the border")?;
            let server = server::start(config).await?;
            let token = server
                .create_token("Gus Global", Role::PartnerAdmin, &[global.id])
                .await?;
            sign_in_as_partner(c, &server.base_url(), &token, global.id).await?;
            wait_for(c, "[data-testid=tab-deals]")
                .await?
                .click()
                .await?;

            // Inside the holder's state: the form warns from the cached map (naming the place, not the
            // holder); the platform refuses.
            wait_for(c, "[data-testid=deal-new]").await?.click().await?;
            wait_for(c, "[data-testid=deal-company]")
                .await?
                .send_keys("Inside Industries")
                .await?;
            fill_place(c, country, inside).await?;
            wait_for(c, "[data-testid=deal-product]")
                .await?
                .click()
                .await?;
            let warning = wait_for(
                c,
                "[data-testid=deal-check-warning][data-rule=exclusive_territory]",
            )
            .await?;
            let words = text_content(&warning).await?;
            ensure!(
                words.contains("another partner") && !words.contains(&holder.name),
                "the warning names the rule, not the holder: {words}"
            );
            app.save_screenshot("deal-territory-warning").await?;
            wait_for(c, "[data-testid=deal-cancel]")
                .await?
                .click()
                .await?;
            let refused =
                register_through_the_form(c, "Inside Industries", country, inside).await?;
            ensure!(refused == "refused", "inside {inside}: {refused}");

            // Across the border, in the same country: approved.
            let accepted =
                register_through_the_form(c, "Across Associates", country, across.code()).await?;
            ensure!(accepted == "approved", "across, in {across}: {accepted}");

            // The map: the holder's claim drawn, and the partner's deal across the border on it.
            let map = wait_for(c, "[data-testid=deals-map]").await?;
            eventually("the holder's claim on the map", || async {
                for claim in map
                    .find_all(Locator::Css("[data-testid=map-claim]"))
                    .await?
                {
                    if claim.attr("data-holder").await?.as_deref() == Some(holder.name.as_str()) {
                        return Ok(Some(()));
                    }
                }
                Ok(None)
            })
            .await?;
            eventually("the deal across the border on the map", || async {
                let bubbles = c
                    .find_all(Locator::Css(&format!(
                        "[data-testid=map-deals][data-area='{across}']"
                    )))
                    .await?;
                Ok((!bubbles.is_empty()).then_some(()))
            })
            .await?;
            app.save_screenshot("territory-map").await?;
            Ok(())
        })
    })
    .await;
}

#[tokio::test]
async fn a_deal_registered_with_the_server_down_is_pending_then_approved_when_it_returns() {
    run("deal-offline", |app| {
        Box::pin(async move {
            use central_api::server::{self, ServerConfig};
            use program::contract::Role;
            let c = &app.client;
            let (_dir, config, data) = small_demo_server()?;
            // A Regional partner holding states exclusively: its deal in one of them is approved.
            let territory = regional_territory(&data)?;
            let server = server::start(config.clone()).await?;
            let token = server
                .create_token("Rita Regional", Role::PartnerAdmin, &[territory.partner_id])
                .await?;

            sign_in_as_partner(c, &server.base_url(), &token, territory.partner_id).await?;

            // The network goes away.
            let addr = server.addr();
            server.shutdown().await?;
            wait_for(c, "[data-testid=sync-now]").await?.click().await?;
            wait_for(c, "[data-testid=sync-offline]").await?;

            wait_for(c, "[data-testid=tab-deals]")
                .await?
                .click()
                .await?;
            wait_for(c, "[data-testid=deal-new]").await?.click().await?;
            wait_for(c, "[data-testid=deal-company]")
                .await?
                .send_keys("Offline Outfitters")
                .await?;
            let inside = territory.subdivisions[0].code();
            fill_place(c, &inside[..2], inside).await?;
            wait_for(c, "[data-testid=deal-value]")
                .await?
                .send_keys("18000")
                .await?;
            wait_for(c, "[data-testid=deal-product]")
                .await?
                .click()
                .await?;
            wait_for(c, "[data-testid=deal-save]")
                .await?
                .click()
                .await?;
            let pending = "[data-testid=deal-row][data-status=pending]";
            eventually("the deal listed as pending", || async {
                Ok((!c.find_all(Locator::Css(pending)).await?.is_empty()).then_some(()))
            })
            .await?;
            app.save_screenshot("deal-pending").await?;

            // The server returns, on the same address, with the same data.
            let back = server::start(ServerConfig { addr, ..config }).await?;
            wait_for(c, "[data-testid=sync-now]").await?.click().await?;
            let approved = "[data-testid=deal-row][data-status=approved]";
            eventually("the deal approved by the platform", || async {
                for row in c.find_all(Locator::Css(approved)).await? {
                    // A row replaced by a reload mid-check is looked for again.
                    if text_content(&row)
                        .await
                        .is_ok_and(|t| t.contains("Offline Outfitters"))
                    {
                        return Ok(Some(()));
                    }
                }
                Ok(None)
            })
            .await?;
            ensure!(
                c.find_all(Locator::Css(pending)).await?.is_empty(),
                "nothing is left pending"
            );
            app.save_screenshot("deal-approved").await?;

            // Edited from its detail: a new owner and value, pending, then the platform's copy.
            eventually("the deal's detail open", || async {
                for row in c.find_all(Locator::Css(approved)).await? {
                    if text_content(&row)
                        .await
                        .is_ok_and(|t| t.contains("Offline Outfitters"))
                    {
                        if let Ok(button) = row.find(Locator::Css("button")).await {
                            if button.click().await.is_ok() {
                                return Ok(Some(()));
                            }
                        }
                    }
                }
                Ok(None)
            })
            .await?;
            wait_for(c, "[data-testid=deal-edit]")
                .await?
                .click()
                .await?;
            let owner = wait_for(c, "[data-testid=deal-edit-owner]").await?;
            owner.clear().await?;
            owner.send_keys("Olga Owner").await?;
            let value = wait_for(c, "[data-testid=deal-edit-value]").await?;
            value.clear().await?;
            value.send_keys("21000").await?;
            wait_for(c, "[data-testid=deal-edit-save]")
                .await?
                .click()
                .await?;
            eventually("the edit shown on the deal and synced", || async {
                let owner = text_content(&wait_for(c, "[data-testid=deal-detail-owner]").await?)
                    .await
                    .unwrap_or_default();
                let value = text_content(&wait_for(c, "[data-testid=deal-detail-value]").await?)
                    .await
                    .unwrap_or_default();
                let waiting = c
                    .find_all(Locator::Css("[data-testid=deal-pending]"))
                    .await?
                    .is_empty();
                Ok(
                    (owner.trim() == "Olga Owner"
                        && digits(&value).starts_with("21000")
                        && waiting)
                        .then_some(()),
                )
            })
            .await?;
            app.save_screenshot("deal-edited").await?;
            back.shutdown().await?;
            Ok(())
        })
    })
    .await;
}

#[tokio::test]
async fn offline_an_early_access_quote_prints_for_a_specialist_and_is_refused_for_an_authorized_partner(
) {
    run("quote-offline", |app| {
        Box::pin(async move {
            use central_api::server::{self, ServerConfig};
            use program::contract::Role;
            use program::Brand;
            let c = &app.client;
            let dir = tempfile::tempdir()?;
            let today = chrono::Utc::now().date_naive();
            let data = generate(&DemoConfig::with_deployments(today, 2_000));
            let pick = |tier: Tier| {
                data.partners
                    .iter()
                    .find(|p| p.tier == tier && p.brands.first() == Some(&Brand::CentroPago))
                    .cloned()
                    .context("a CentroPago partner of the tier")
            };
            let (specialist, authorized) = (pick(Tier::Specialist)?, pick(Tier::Authorized)?);
            let config = ServerConfig {
                deployments: 2_000,
                ..ServerConfig::demo(dir.path().join("central.sqlite3"), today)
            };
            let server = server::start(config.clone()).await?;
            let token = server
                .create_token(
                    "Ana Manager",
                    Role::PlatformAccountManager,
                    &[specialist.id, authorized.id],
                )
                .await?;
            sign_in_with_token(c, &server.base_url(), &token).await?;
            let row = |id: program::contract::PartnerId| {
                format!("[data-testid=portfolio-row][data-id='{id}'] [data-col=name] button")
            };
            eventually("both partners synced", || async {
                let a = c.find_all(Locator::Css(&row(specialist.id))).await?;
                let b = c.find_all(Locator::Css(&row(authorized.id))).await?;
                let last = c.find_all(Locator::Css("[data-testid=sync-last]")).await?;
                Ok((!a.is_empty() && !b.is_empty() && !last.is_empty()).then_some(()))
            })
            .await?;

            // On the plane.
            let addr = server.addr();
            server.shutdown().await?;
            wait_for(c, "[data-testid=sync-now]").await?.click().await?;
            wait_for(c, "[data-testid=sync-offline]").await?;

            // A quote with an early-access skill, built for each partner.
            let build = |partner: program::contract::PartnerId| async move {
                wait_for(c, &row(partner)).await?.click().await?;
                wait_for(c, "[data-testid=tab-quotes]")
                    .await?
                    .click()
                    .await?;
                wait_for(c, "[data-testid=quote-new]")
                    .await?
                    .click()
                    .await?;
                wait_for(c, "[data-testid=quote-customer]")
                    .await?
                    .send_keys("Hotel Aurora")
                    .await?;
                wait_for(c, "[data-testid=quote-country]")
                    .await?
                    .send_keys("MX")
                    .await?;
                wait_for(c, "[data-testid=quote-add-line]")
                    .await?
                    .click()
                    .await?;
                wait_for(
                    c,
                    "[data-testid=quote-line-sku] option[value='SK-FORECAST']",
                )
                .await?
                .click()
                .await?;
                anyhow::Ok(())
            };

            build(authorized.id).await?;
            let rule = wait_for(c, "[data-testid=quote-rule]").await?;
            ensure!(
                rule.attr("data-rule").await?.as_deref() == Some("early_access_tier"),
                "the Authorized partner's quote is refused for the early-access item"
            );
            ensure!(
                !wait_for(c, "[data-testid=quote-save]")
                    .await?
                    .is_enabled()
                    .await?,
                "and cannot be saved"
            );
            app.save_screenshot("quote-refused").await?;

            wait_for(c, "[data-testid=back]").await?.click().await?;
            build(specialist.id).await?;
            let total = wait_for(c, "[data-testid=quote-total]").await?;
            let shown_total = text_content(&total).await?;
            ensure!(!shown_total.trim().is_empty(), "priced");
            wait_for(c, "[data-testid=quote-save]")
                .await?
                .click()
                .await?;
            wait_for(c, "[data-testid=quote-row][data-pending=true]").await?;
            wait_for(c, "[data-testid=quote-pdf]")
                .await?
                .click()
                .await?;
            let saved = wait_for(
                c,
                "[data-testid=quote-saved-file] [data-testid=export-saved]",
            )
            .await?;
            let path = saved.attr("data-path").await?.context("the PDF's path")?;
            app.save_screenshot("quote-pdf").await?;
            let text = std::process::Command::new("pdftotext")
                .args([path.as_str(), "-"])
                .output()?;
            let text = String::from_utf8_lossy(&text.stdout);
            ensure!(
                text.contains("Hotel Aurora") && text.contains("CentroPago") && text.contains("Q-"),
                "the PDF is the customer's quote: {text}"
            );
            // The early-access item and the total the window showed, as printed.
            let item = &data
                .catalog
                .iter()
                .find(|i| i.sku == "SK-FORECAST")
                .context("the early-access skill")?
                .name;
            ensure!(text.contains(item.as_str()), "the PDF lists {item}: {text}");
            let amount: String = shown_total
                .trim()
                .trim_start_matches(|ch: char| !ch.is_ascii_digit())
                .trim_end_matches(|ch: char| !ch.is_ascii_digit())
                .to_string();
            ensure!(
                text.contains(&amount),
                "the PDF's total is the window's {shown_total}: {text}"
            );

            // Landed: the same server comes back and the quote reaches it.
            let back = server::start(ServerConfig { addr, ..config }).await?;
            wait_for(c, "[data-testid=sync-now]").await?.click().await?;
            eventually("the quote accepted by the platform", || async {
                let rows = c
                    .find_all(Locator::Css("[data-testid=quote-row][data-pending=false]"))
                    .await?;
                let waiting = c
                    .find_all(Locator::Css("[data-testid=quote-row][data-pending=true]"))
                    .await?;
                Ok((!rows.is_empty() && waiting.is_empty()).then_some(()))
            })
            .await?;
            let id = wait_for(c, "[data-testid=quote-row]")
                .await?
                .attr("data-id")
                .await?
                .context("the quote's id")?;
            let id = program::quotes::QuoteId(id.parse()?);
            ensure!(
                back.store().quote(id).await?.is_some(),
                "the platform holds the quote"
            );
            back.shutdown().await?;
            Ok(())
        })
    })
    .await;
}

#[tokio::test]
async fn a_quarterly_review_shows_its_figures_and_exports_a_deck_a_presentation_and_a_workbook_that_carry_them(
) {
    run("review", |app| {
        Box::pin(async move {
            use calamine::{open_workbook, Data, Reader, Xlsx};
            let c = &app.client;
            wait_for(c, "[data-testid=portfolio-row] [data-tier=strategic]")
                .await?
                .click()
                .await?;
            wait_for(c, "[data-testid=tab-review]")
                .await?
                .click()
                .await?;
            // A quarter other than the one the review opens on: the one before it.
            let default = wait_for(c, "[data-testid=review]")
                .await?
                .attr("data-quarter")
                .await?
                .context("the review's quarter")?;
            let chosen = c
                .execute(
                    "const s = document.querySelector('[data-testid=review-quarter]'); \
                     const i = [...s.options].findIndex((o) => o.value === arguments[0]); \
                     s.value = s.options[i + 1].value; \
                     s.dispatchEvent(new Event('change', { bubbles: true })); return s.value;",
                    vec![serde_json::json!(default)],
                )
                .await?;
            let chosen = chosen.as_str().context("the chosen quarter")?.to_string();
            ensure!(chosen != default, "another quarter than {default}");
            wait_for(c, &format!("[data-testid=review][data-quarter='{chosen}']")).await?;
            // A few figures as the window shows them, with their exact values and their column in
            // the workbook's key figures (one per figure, in the review's order).
            let mut figures = Vec::new();
            for (kpi, column) in [
                ("active_customers", 1),
                ("retention", 6),
                ("credits_consumed", 8),
                ("balance", 9),
            ] {
                let row = wait_for(c, &format!("[data-testid=review-kpi][data-kpi={kpi}]")).await?;
                let raw = row.attr("data-value").await?.unwrap_or_default();
                let shown = text_content(&row.find(Locator::Css("[data-col=value]")).await?)
                    .await?
                    .trim()
                    .to_string();
                ensure!(!raw.is_empty() && !shown.is_empty(), "{kpi} shown");
                figures.push((kpi, column, raw, shown));
            }
            ensure!(
                figures[1].3.ends_with('%') && figures[1].3.contains('.'),
                "retention in percent to one decimal: {}",
                figures[1].3
            );
            let review = wait_for(c, "[data-testid=review]").await?;
            ensure!(
                review.attr("data-internal").await?.as_deref() == Some("false"),
                "a Strategic partner's review is a QBR"
            );
            let kpis = c.find_all(Locator::Css("[data-testid=review-kpi]")).await?;
            ensure!(kpis.len() == 10, "{} key figures", kpis.len());
            // An action item, written in the review: shown at once, then accepted by the platform.
            wait_for(c, "[data-testid=action-new]")
                .await?
                .click()
                .await?;
            wait_for(c, "[data-testid=action-text]")
                .await?
                .send_keys("Plan the Voldier launch with the sales team")
                .await?;
            wait_for(c, "[data-testid=action-owner]")
                .await?
                .send_keys("Ana")
                .await?;
            let due = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string();
            // Typed the user's way (mm/dd/yyyy in English), read back as an ISO date.
            let typed = chrono::NaiveDate::parse_from_str(&due, "%Y-%m-%d")?
                .format("%m/%d/%Y")
                .to_string();
            wait_for(c, "[data-testid=action-due]")
                .await?
                .send_keys(&typed)
                .await?;
            eventually("the due date read as a day", || async {
                let field = c.find(Locator::Css("[data-testid=action-due]")).await?;
                let iso = field.attr("data-iso").await?;
                Ok((iso.as_deref() == Some(due.as_str())).then_some(()))
            })
            .await?;
            wait_for(c, "[data-testid=action-save]")
                .await?
                .click()
                .await?;
            wait_for(c, "[data-testid=review-action]").await?;
            c.find(Locator::Css("[data-testid=sync-now]"))
                .await?
                .click()
                .await?;
            eventually("the action item accepted by the platform", || async {
                let items = c
                    .find_all(Locator::Css(
                        "[data-testid=review-action][data-pending=false]",
                    ))
                    .await?;
                Ok((!items.is_empty()).then_some(()))
            })
            .await?;
            c.execute(
                "document.querySelector('[data-testid=review-actions]').scrollIntoView();",
                vec![],
            )
            .await?;
            app.save_screenshot("review").await?;

            wait_for(c, "[data-testid=review-export]")
                .await?
                .click()
                .await?;
            let files = wait_for(c, "[data-testid=review-files]").await?;
            let deck = files.attr("data-deck").await?.context("the deck's path")?;
            let book = files
                .attr("data-workbook")
                .await?
                .context("the workbook's path")?;
            // The same deck to edit: a presentation beside the PDF, shown with its own Open and
            // Show in folder.
            let slides = files
                .attr("data-slides")
                .await?
                .context("the presentation's path")?;
            ensure!(
                slides == deck.replace(".pdf", ".pptx"),
                "the presentation beside the deck: {slides}"
            );
            let head = std::fs::read(&slides)?;
            ensure!(head.starts_with(b"PK"), "{slides} is a PPTX (a zip)");
            let saved = files
                .find_all(Locator::Css("[data-testid=export-saved]"))
                .await?;
            ensure!(saved.len() == 3, "deck, presentation and workbook listed");
            c.execute(
                "document.querySelector('[data-testid=review-files]').scrollIntoView({block: 'center'});",
                vec![],
            )
            .await?;
            app.save_screenshot("review-exported").await?;
            ensure!(
                deck.starts_with(app.data_dir.path().join("exports").to_str().unwrap()),
                "exported to {deck}"
            );
            let text = std::process::Command::new("pdftotext")
                .args(["-layout", &deck, "-"])
                .output()?;
            let text = String::from_utf8(text.stdout)?;
            let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
            ensure!(
                flat.contains("Quarterly Executive Review"),
                "the deck's title"
            );
            ensure!(
                flat.contains(&format!("Active customers {}", figures[0].3)),
                "the deck shows active customers = {}",
                figures[0].3
            );
            // The top customer as the window and the deck's table print it: "Name · 6,600 credits"
            // and "Name 6,600".
            let top = wait_for(c, "[data-testid=review-top] li").await?.text().await?;
            let (name, amount) = top.split_once(" · ").context("name · amount")?;
            let amount = amount
                .strip_suffix(" credits")
                .with_context(|| format!("{top:?} gives its unit"))?;
            ensure!(
                flat.contains(&format!("{name} {amount}")),
                "the deck's top customers start with {top:?}"
            );
            let mut wb: Xlsx<_> = open_workbook(&book)?;
            let sheet = wb.worksheet_range("Key figures")?;
            for (kpi, column, raw, shown) in &figures {
                ensure!(
                    flat.contains(shown.as_str()),
                    "the deck shows {kpi} = {shown}"
                );
                let held = sheet.get_value((1, *column));
                ensure!(
                    held == Some(&Data::Float(raw.parse()?)),
                    "the workbook holds {kpi} = {raw}: {held:?}"
                );
            }
            ensure!(
                !deck.ends_with("-internal.pdf"),
                "the partner's deck: {deck}"
            );
            // The account manager's own copy, with the internal appendix: its own file name.
            c.find(Locator::Css("[data-testid=review-internal-appendix]"))
                .await?
                .click()
                .await?;
            c.find(Locator::Css("[data-testid=review-export]"))
                .await?
                .click()
                .await?;
            eventually("the internal deck saved as …-internal.pdf", || async {
                let files = c.find(Locator::Css("[data-testid=review-files]")).await?;
                let deck = files.attr("data-deck").await?.unwrap_or_default();
                Ok(deck.ends_with("-internal.pdf").then_some(()))
            })
            .await?;
            Ok(())
        })
    })
    .await;
}
