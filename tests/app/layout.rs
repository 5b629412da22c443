//! Every screen as a person meets it, walked in the real window: nothing clipped or overflowing at
//! 1280×800 and 1440×900 in English and Spanish (a box whose content is wider than the box); no
//! serious or critical accessibility violation by axe-core, in both themes and languages
//! (contrast, names, roles), on every page, the sign-in dialog, a customer's panel and the deal and
//! quote forms; and no English left on a Spanish screen.

use std::collections::BTreeSet;

use anyhow::{bail, ensure, Context, Result};
use e2e::{eventually, run, wait_for, App};
use fantoccini::Client;

/// axe-core, from the UI's development packages (`npm ci` installs it).
const AXE: &str = include_str!("../../ui/node_modules/axe-core/axe.min.js");

/// Runs axe-core on the page (WCAG 2.1 A and AA rules) and returns its serious and critical
/// violations, each as "rule: help — where".
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
}).then(
  (r) => done({
    checked: r.passes.length + r.violations.length,
    violations: r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} — ${v.nodes.length} × ${v.nodes.slice(0, 3)
        .map((n) => n.target.join(' ') + (n.failureSummary ? ' (' + n.failureSummary.split('\n').slice(1, 2).join('').trim() + ')' : ''))
        .join('; ')}`),
  }),
  (e) => done({ checked: 0, violations: [`axe failed: ${e}`] }),
);
"#;

async fn accessibility_violations(c: &Client) -> Result<Vec<String>> {
    let present = c
        .execute("return typeof axe !== 'undefined';", vec![])
        .await?;
    if present.as_bool() != Some(true) {
        c.execute(AXE, vec![]).await?;
    }
    let found = c.execute_async(AXE_RUN, vec![]).await?;
    // axe ran its rules (a page it could not read would pass every one of none).
    let checked = found["checked"].as_u64().unwrap_or(0);
    ensure!(checked >= 10, "axe checked {checked} rules: {found}");
    Ok(found["violations"]
        .as_array()
        .context("a list")?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect())
}

/// The English catalog's words that a Spanish screen must not show: every message whose Spanish
/// differs (a proper noun reads the same in both), cut at its placeholders into runs of at least
/// two words and eight letters, so that a word both languages share ("Regional", "NPS") is not
/// taken for English.
fn english_only() -> Vec<String> {
    let entries = |source: &str| -> Vec<(String, String)> {
        source
            .lines()
            .filter_map(|line| {
                let line = line.trim().strip_prefix('"')?;
                let (key, rest) = line.split_once("\": \"")?;
                let value = rest
                    .strip_suffix("\",")
                    .or_else(|| rest.strip_suffix('"'))?;
                Some((key.to_string(), value.replace("\\\"", "\"")))
            })
            .collect()
    };
    let en = entries(include_str!("../../ui/src/lib/messages.en.ts"));
    let es: std::collections::HashMap<String, String> =
        entries(include_str!("../../ui/src/lib/messages.es.ts"))
            .into_iter()
            .collect();
    let mut fragments = BTreeSet::new();
    for (key, english) in &en {
        if es.get(key) == Some(english) {
            continue;
        }
        for part in english.split(['{', '}']).step_by(2) {
            let part = part.trim_matches(|c: char| !c.is_alphanumeric());
            if part.split_whitespace().count() >= 2 && part.len() >= 8 {
                fragments.insert(part.to_string());
            }
        }
    }
    fragments.into_iter().collect()
}

async fn english_on_screen(c: &Client, english: &[String]) -> Result<Vec<String>> {
    let text = c.execute("return document.body.innerText;", vec![]).await?;
    let text = text
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Ok(english
        .iter()
        .filter(|f| text.contains(f.as_str()))
        .cloned()
        .collect())
}

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

/// Switches the window to `theme` and waits until it is applied.
async fn set_theme(c: &Client, theme: &str) -> Result<()> {
    wait_for(c, "[data-testid=theme]")
        .await?
        .select_by_value(theme)
        .await?;
    eventually("the theme applied", || async {
        let root = c.find(fantoccini::Locator::Css("html")).await?;
        Ok((root.attr("data-theme").await?.as_deref() == Some(theme)).then_some(()))
    })
    .await
}

/// The checks of what is shown, reported as `what`: axe-core's violations, and with `spanish`
/// any English left.
async fn check_shown(
    c: &Client,
    what: &str,
    spanish: bool,
    english: &[String],
    problems: &mut Vec<String>,
) -> Result<()> {
    for found in accessibility_violations(c).await? {
        problems.push(format!("{what}: {found}"));
    }
    if spanish {
        for found in english_on_screen(c, english).await? {
            problems.push(format!("{what}: English left: {found:?}"));
        }
    }
    Ok(())
}

/// The sign-in dialog over the portfolio, in both themes: the page behind it is inert (so the
/// theme is switched with it closed), then the same checks as a screen's.
async fn sign_in_dialog(
    c: &Client,
    look: &str,
    english: &[String],
    problems: &mut Vec<String>,
) -> Result<()> {
    for theme in ["light", "dark"] {
        set_theme(c, theme).await?;
        wait_for(c, "[data-testid=open-sign-in]")
            .await?
            .click()
            .await?;
        wait_for(c, "[data-testid=sign-in]").await?;
        let spanish = theme == "light" && look.ends_with("es");
        check_shown(
            c,
            &format!("{look} {theme} sign-in"),
            spanish,
            english,
            problems,
        )
        .await?;
        wait_for(c, "[data-testid=sign-in-close]")
            .await?
            .click()
            .await?;
        eventually("the sign-in dialog closed", || async {
            let open = c
                .find_all(fantoccini::Locator::Css("[data-testid=sign-in]"))
                .await?;
            Ok(open.is_empty().then_some(()))
        })
        .await?;
    }
    Ok(())
}

/// What the accessibility and language checks find on the screen shown, in both themes: axe-core's
/// violations, and in Spanish any English left.
async fn look_at(
    c: &Client,
    look: &str,
    screen: &str,
    english: &[String],
    problems: &mut Vec<String>,
) -> Result<()> {
    for theme in ["light", "dark"] {
        set_theme(c, theme).await?;
        let spanish = theme == "light" && look.ends_with("es");
        check_shown(
            c,
            &format!("{look} {theme} {screen}"),
            spanish,
            english,
            problems,
        )
        .await?;
    }
    Ok(())
}

async fn walk(app: &App) -> Result<()> {
    let c = &app.client;
    let mut problems = Vec::new();
    let english = english_only();
    ensure!(
        english.len() > 100,
        "the English catalog read: {} phrases",
        english.len()
    );
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
            if width == 1280 {
                look_at(c, &look, "portfolio", &english, &mut problems).await?;
                sign_in_dialog(c, &look, &english, &mut problems).await?;
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
                if width == 1280 {
                    look_at(c, &look, tab, &english, &mut problems).await?;
                    if locale == "en" && *tab == "review" {
                        app.save_screenshots_in_each_look("walk-review").await?;
                    }
                }
                // What the tab opens: a customer's panel, a new deal, a new quote.
                let form = match *tab {
                    "customers" => Some((
                        "[data-testid=customer-row] [data-col=name] button, [data-testid=customer-row] button",
                        "customer-panel",
                    )),
                    "deals" => Some(("[data-testid=deal-new]", "deal-form")),
                    "quotes" => Some(("[data-testid=quote-new]", "quote-form")),
                    _ => None,
                };
                if let Some((button, form)) = form {
                    wait_for(c, button).await?.click().await?;
                    wait_for(c, &format!("[data-testid={form}]")).await?;
                    for found in overflowing(c).await? {
                        problems.push(format!("{look} {form}: {found}"));
                    }
                    if width == 1280 {
                        look_at(c, &look, form, &english, &mut problems).await?;
                        if locale == "en" {
                            c.execute(
                                &format!(
                                    "document.querySelector('[data-testid={form}]').scrollIntoView();"
                                ),
                                vec![],
                            )
                            .await?;
                            app.save_screenshots_in_each_look(&format!("walk-{form}"))
                                .await?;
                        }
                    }
                    if form == "customer-panel" {
                        wait_for(c, "[data-testid=customer-close]")
                            .await?
                            .click()
                            .await?;
                    }
                }
            }
        }
    }
    wait_for(c, "[data-testid=locale]")
        .await?
        .select_by_value("en")
        .await?;
    wait_for(c, "[data-testid=theme]")
        .await?
        .select_by_value("system")
        .await?;
    if !problems.is_empty() {
        bail!(
            "{} problems (overflowing boxes, accessibility, English in Spanish):\n{}",
            problems.len(),
            problems.join("\n")
        );
    }
    Ok(())
}

#[tokio::test]
async fn no_screen_clips_overflows_fails_axe_or_leaves_english_in_spanish() {
    run("layout", |app| Box::pin(walk(app))).await;
}
