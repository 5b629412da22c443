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
pub(crate) async fn text_content(element: &fantoccini::elements::Element) -> Result<String> {
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
            // The first sync refreshes the list: a row clicked while it does may have moved.
            app.synced().await?;
            for tier in Tier::ALL {
                let badge = wait_for(
                    c,
                    &format!("[data-testid=portfolio-row] [data-tier={}]", wire(tier)),
                )
                .await?;
                let id = c
                    .execute(
                        "return arguments[0].closest('[data-testid=portfolio-row]').dataset.id;",
                        vec![serde_json::to_value(&badge)?],
                    )
                    .await?;
                let id = id.as_str().context("the row's partner id")?.to_string();
                badge.click().await?;
                wait_for(c, &format!("[data-testid=partner-page][data-id='{id}']"))
                    .await
                    .with_context(|| format!("the page of the {tier} partner {id} clicked"))?;
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

pub(crate) fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
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
