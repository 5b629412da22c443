//! The window from the keyboard alone: the skip link, the focus after a navigation, and the
//! sign-in dialog (focus moves in, stays in, Esc closes it, focus comes back).

use anyhow::{ensure, Context, Result};
use e2e::{eventually, run, wait_for, App};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::Client;

/// Presses and releases `key`, as a person at the keyboard would (wherever the focus is).
async fn press(c: &Client, key: Key) -> Result<()> {
    let value: char = key.into();
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value })
        .then(KeyAction::Up { value });
    c.perform_actions(actions).await?;
    Ok(())
}

/// What has the focus: its `data-testid`, else its tag and id (`main#content`, `body`).
async fn focused(c: &Client) -> Result<String> {
    let said = c
        .execute(
            "const e = document.activeElement; \
             if (!e) return 'none'; \
             if (e.dataset && e.dataset.testid) return e.dataset.testid; \
             return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '');",
            vec![],
        )
        .await?;
    Ok(said.as_str().unwrap_or_default().to_string())
}

/// Whether the focused element lies inside the element matching `css`.
async fn focus_inside(c: &Client, css: &str) -> Result<bool> {
    let inside = c
        .execute(
            "const box = document.querySelector(arguments[0]); \
             return !!box && box.contains(document.activeElement);",
            vec![serde_json::json!(css)],
        )
        .await?;
    Ok(inside.as_bool().unwrap_or(false))
}

async fn focus_on(c: &Client, css: &str) -> Result<()> {
    c.execute(
        "document.querySelector(arguments[0]).focus();",
        vec![serde_json::json!(css)],
    )
    .await?;
    Ok(())
}

async fn walk(app: &App) -> Result<()> {
    let c = &app.client;
    wait_for(c, "[data-testid=portfolio-row]").await?;
    c.execute(
        "document.activeElement && document.activeElement.blur();",
        vec![],
    )
    .await?;

    // The first Tab reaches the skip link, which shows itself; Enter puts the focus on the
    // content, so the next Tab is inside the page, not in the sidebar.
    press(c, Key::Tab).await?;
    ensure!(
        focused(c).await? == "skip-link",
        "the first Tab is on {}",
        focused(c).await?
    );
    let top = c
        .execute(
            "return document.querySelector('[data-testid=skip-link]').getBoundingClientRect().top;",
            vec![],
        )
        .await?
        .as_f64()
        .context("the link's place")?;
    ensure!(top >= 0.0, "the focused skip link is on screen (top {top})");
    app.save_screenshot("keyboard-skip-link").await?;
    press(c, Key::Enter).await?;
    ensure!(
        focused(c).await? == "main#content",
        "Enter on the skip link leaves the focus on {}",
        focused(c).await?
    );
    press(c, Key::Tab).await?;
    ensure!(
        focus_inside(c, "#content").await?,
        "the Tab after the skip link is on {}",
        focused(c).await?
    );

    // Opening a partner from the keyboard lands on the partner's name.
    focus_on(c, "[data-testid=portfolio-row] [data-col=name] button").await?;
    press(c, Key::Enter).await?;
    eventually("the focus on the partner's heading", || async {
        Ok((focused(c).await? == "partner-name").then_some(()))
    })
    .await?;

    // The sign-in dialog takes the focus, keeps it from the page behind, and gives it back.
    focus_on(c, "[data-testid=open-sign-in]").await?;
    press(c, Key::Enter).await?;
    wait_for(c, "[data-testid=sign-in]").await?;
    ensure!(
        focus_inside(c, "[data-testid=sign-in]").await?,
        "the open dialog does not have the focus: {}",
        focused(c).await?
    );
    for n in 1..=12 {
        press(c, Key::Tab).await?;
        let on = focused(c).await?;
        // Past the dialog's last control the focus may leave the page for the window itself
        // (nothing focused: the body), never for a control behind the dialog.
        ensure!(
            focus_inside(c, "[data-testid=sign-in]").await? || on == "body",
            "Tab {n} took the focus behind the dialog, to {on}"
        );
    }
    close_with_escape(c).await?;
    ensure!(
        focused(c).await? == "open-sign-in",
        "after Esc the focus is on {}, not on the button that opened the dialog",
        focused(c).await?
    );

    // The dialog in each look (the page's pickers are behind it, so set while it is closed).
    for locale in ["en", "es"] {
        for theme in ["light", "dark"] {
            for (select, value) in [("locale", locale), ("theme", theme)] {
                wait_for(c, &format!("[data-testid={select}]"))
                    .await?
                    .select_by_value(value)
                    .await?;
            }
            focus_on(c, "[data-testid=open-sign-in]").await?;
            press(c, Key::Enter).await?;
            wait_for(c, "[data-testid=sign-in]").await?;
            app.save_screenshot(&format!("keyboard-sign-in-{locale}-{theme}"))
                .await?;
            close_with_escape(c).await?;
        }
    }
    for (select, value) in [("locale", "en"), ("theme", "light")] {
        wait_for(c, &format!("[data-testid={select}]"))
            .await?
            .select_by_value(value)
            .await?;
    }
    Ok(())
}

async fn close_with_escape(c: &Client) -> Result<()> {
    press(c, Key::Escape).await?;
    eventually("Esc to close the sign-in dialog", || async {
        let open = c
            .find_all(fantoccini::Locator::Css("[data-testid=sign-in]"))
            .await?;
        Ok(open.is_empty().then_some(()))
    })
    .await
}

#[tokio::test]
async fn the_keyboard_alone_skips_to_the_content_lands_on_headings_and_leaves_the_dialog() {
    run("keyboard", |app| Box::pin(walk(app))).await;
}
