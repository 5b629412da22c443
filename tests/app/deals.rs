//! The real window, registering deals: territory rules checked while typing and by the
//! platform, and a deal registered offline that waits for the server.

use anyhow::{ensure, Context, Result};
use central_api::demo::{generate, DemoConfig};
use e2e::{eventually, run, wait_for};
use fantoccini::Locator;

use crate::signin::sign_in_as_partner;
use crate::window::{digits, text_content};

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
