//! The real window, quoting offline: an early-access product quoted for a partner whose tier has
//! it and refused for one whose tier does not.

use anyhow::{ensure, Context};
use central_api::demo::{generate, DemoConfig};
use e2e::{eventually, run, wait_for};
use fantoccini::Locator;
use program::Tier;

use crate::signin::sign_in_with_token;
use crate::window::text_content;

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
