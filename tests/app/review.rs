//! The real window, the quarterly review: its figures, its action items, and the deck, the
//! presentation and the workbook it exports.

use anyhow::{ensure, Context};
use e2e::{eventually, run, wait_for};
use fantoccini::Locator;

use crate::window::text_content;

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
