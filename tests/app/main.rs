//! The app end to end: the real window under Xvfb, driven over WebDriver (tauri-driver), one test
//! binary (a module per journey), its tests one at a time (`e2e::one_at_a_time`).
//!
//! - `window`: the build tree's app on the demo workspace: the portfolio, a partner's pages, the
//!   language; `signin`, `deals`, `quotes` and `review`: the journeys through them.
//! - `startup`: the window at start: a cache refused, a cache recovered, a second start, a
//!   passphrase.
//! - `keyboard`: the window from the keyboard alone: skip link, focus after navigation, dialogs.
//! - `layout`: every screen at 1280×800 and 1440×900, in both languages: nothing overflows.
//! - `installed`: the .deb `make package` built, installed, driven from /usr/bin, removed.

mod deals;
mod installed;
mod keyboard;
mod layout;
mod quotes;
mod review;
mod signin;
mod startup;
mod window;
