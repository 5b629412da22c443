//! Nothing clipped, nothing overflowing: every screen at 1280×800 and 1440×900, in English and
//! Spanish, measured in the real window (a box whose content is wider than the box).

use anyhow::{bail, ensure, Context, Result};
use e2e::{eventually, run, wait_for, App};
use fantoccini::Client;

/// The boxes whose content is wider than themselves, as "what: text (content/box px)". Text cells,
/// headers, badges, chips, buttons, labels and headings must hold their words; the content area
/// and every card must hold their tables (a table scrolls inside its own frame, `.table-wrap`, if
/// anywhere).
const OVERFLOWING: &str = r#"
const boxes = document.querySelectorAll(
  '#content th, #content td, #content .badge, #content .tier, #content .chip, #content .status, ' +
  '#content button, #content label, #content h1, #content h2, #content h3, #content .card, ' +
  '#content .tab-panel, #content, .sidebar .nav-item, .topbar, .drawer, .drawer th, .drawer td'
);
const out = [];
for (const el of boxes) {
  if (el.offsetParent === null && el.id !== 'content') continue;
  const style = getComputedStyle(el);
  if (style.overflowX === 'auto' || style.overflowX === 'scroll') continue;
  if (el.scrollWidth > el.clientWidth + 1) {
    const what = el.dataset.testid || el.dataset.col || el.className || el.tagName.toLowerCase();
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60);
    out.push(`${el.tagName.toLowerCase()}[${what}]: "${text}" (${el.scrollWidth}/${el.clientWidth} px)`);
  }
}
return out;
"#;

async fn overflowing(c: &Client) -> Result<Vec<String>> {
    let found = c.execute(OVERFLOWING, vec![]).await?;
    Ok(found
        .as_array()
        .context("a list")?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect())
}

/// The screens a person walks: the portfolio, then each tab of a partner's page.
const TABS: &[&str] = &[
    "overview",
    "customers",
    "ledger",
    "deals",
    "quotes",
    "review",
    "migrations",
    "trends",
];

async fn set_size(c: &Client, width: u32, height: u32) -> Result<()> {
    c.set_window_size(width, height).await?;
    eventually("the window at its new size", || async {
        let inner = c.execute("return window.innerWidth;", vec![]).await?;
        Ok((inner.as_u64() == Some(u64::from(width))).then_some(()))
    })
    .await
    .with_context(|| format!("the window would not take {width}×{height}"))
}

async fn walk(app: &App) -> Result<()> {
    let c = &app.client;
    let mut problems = Vec::new();
    for (width, height) in [(1280, 800), (1440, 900)] {
        set_size(c, width, height).await?;
        for locale in ["en", "es"] {
            wait_for(c, "[data-testid=locale]")
                .await?
                .select_by_value(locale)
                .await?;
            let look = format!("{width}×{height} {locale}");
            wait_for(c, "[data-testid=nav-portfolio]")
                .await?
                .click()
                .await?;
            wait_for(c, "[data-testid=portfolio-row]").await?;
            for found in overflowing(c).await? {
                problems.push(format!("{look} portfolio: {found}"));
            }
            // A Strategic partner: the longest rows (deals, quotes, the review's every card).
            let opened = c
                .execute(
                    "const row = [...document.querySelectorAll('[data-testid=portfolio-row]')] \
                       .find((r) => r.querySelector('[data-tier=strategic]')); \
                     if (row) row.querySelector('[data-col=name] button').click(); \
                     return !!row;",
                    vec![],
                )
                .await?;
            ensure!(
                opened.as_bool() == Some(true),
                "no Strategic partner listed"
            );
            for tab in TABS {
                wait_for(c, &format!("[data-testid=tab-{tab}]"))
                    .await?
                    .click()
                    .await?;
                wait_for(c, &format!("#panel-{tab}")).await?;
                // What the tab loads, loaded: no "Loading…" left, and the content unchanged
                // between two looks.
                let last = &std::cell::RefCell::new(String::new());
                eventually(&format!("the {tab} tab loaded"), || async move {
                    let now = c
                        .execute(
                            "const main = document.getElementById('content'); \
                             return main.innerHTML.length + ':' + main.textContent.includes('…');",
                            vec![],
                        )
                        .await?
                        .to_string();
                    let settled = *last.borrow() == now && now.ends_with("false\"");
                    *last.borrow_mut() = now;
                    Ok(settled.then_some(()))
                })
                .await?;
                for found in overflowing(c).await? {
                    problems.push(format!("{look} {tab}: {found}"));
                }
            }
        }
    }
    wait_for(c, "[data-testid=locale]")
        .await?
        .select_by_value("en")
        .await?;
    if !problems.is_empty() {
        bail!(
            "{} boxes overflow:\n{}",
            problems.len(),
            problems.join("\n")
        );
    }
    Ok(())
}

#[tokio::test]
async fn no_screen_clips_or_overflows_at_1280_or_1440_in_either_language() {
    run("layout", |app| Box::pin(walk(app))).await;
}
