# Partner Desk: `make run` opens the app on the demo workspace; `make test` runs every test.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
export CARGO_TERM_COLOR := never

# One build of the dependency graph serves the app, its lints, its tests, its packages and its
# benchmarks: every target of the workspace, in the release profile, with clippy as the compiler
# of the workspace's own crates. clippy-driver compiles a crate as rustc does and lints it on the
# way; cargo hands it the workspace's crates only, so the dependencies are compiled once, by rustc,
# whichever of these targets runs first. (Before: release for the app, check for clippy and debug
# for the tests, the graph three times: 30 + 12 + 15 minutes cold on these 2-core machines.)
export RUSTC_WORKSPACE_WRAPPER := clippy-driver
# What `cargo clippy -- -D warnings` hands clippy-driver: warnings are errors.
export CLIPPY_ARGS := -D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
BUILD := cargo build --release --locked --workspace --all-targets

APP := target/release/partner-desk
TAURI := ui/node_modules/.bin/tauri

.PHONY: run test bootstrap ui app package ipc sqlx bench

# The app keeps its cache's key and the sign-in token in the OS secret store: the desktop's, or
# GNOME Keyring started for it where no desktop session runs one (scripts/with-keyring.sh).
run: bootstrap app
	scripts/with-keyring.sh $(APP)

# The test command: lints, every crate's tests, the UI's checks and tests, the packages (checked by
# lintian and desktop-file-validate), and the real window over WebDriver, the build tree's app and
# the app installed from the .deb (tests/app/installed.rs installs it, drives it and removes it). The
# tests run in a D-Bus session of their own with GNOME Keyring as the secret store, its keyrings in
# a new folder: nothing of theirs reaches the user's.
test: bootstrap
	cargo fmt --all -- --check
	cd ui && npm run check && npm test
	$(MAKE) --no-print-directory package
	scripts/with-keyring.sh --isolated xvfb-run --auto-servernum --server-args="-screen 0 1440x900x24" \
		cargo test --release --locked --workspace

bootstrap:
	@scripts/bootstrap.sh

# The UI, rebuilt only when its sources changed: a rebuilt ui/dist makes cargo embed it again.
UI_SOURCES := $(shell find ui/src -type f) ui/index.html ui/package-lock.json ui/vite.config.ts \
	ui/svelte.config.js ui/tsconfig.json
ui: ui/dist/index.html

ui/dist/index.html: $(UI_SOURCES)
	cd ui && npm run build

# The release binary with the UI embedded (`custom-protocol`, the app's default feature), built
# with everything else the workspace has: what `run` opens, the end-to-end tests drive and the
# packages carry.
app: ui
	$(BUILD)

# A .deb and an .rpm of the app built above, by Tauri's bundler (its CLI pinned in
# ui/package.json), into target/release/bundle/{deb,rpm}/, then checked as a distribution would
# (scripts/package.sh).
# Bundled again only when the app or what the packages carry changed.
package: app
	@$(MAKE) --no-print-directory target/release/bundle/checked

target/release/bundle/checked: $(APP) CHANGELOG.md LICENSE src-tauri/tauri.conf.json \
		$(wildcard src-tauri/packaging/* icons/*) scripts/package.sh scripts/check-packages.sh \
		scripts/debian-changelog.mjs
	scripts/package.sh
	touch $@

# Regenerates ui/src/ipc from the Rust types after changing them.
ipc:
	UPDATE_IPC=1 scripts/with-keyring.sh --isolated cargo test --release --locked --workspace --test integration ipc_bindings::

# Regenerates crates/desk/.sqlx, the offline data of the desk's compile-checked queries, after
# changing a query or a migration (needs the Debian package sqlite3).
sqlx:
	scripts/sqlx-prepare.sh

# The benchmarks (reports, not tests; see the README), in the same release build as the app.
# `BENCH_DEPLOYMENTS=20000 make bench` is a quick run of the sync benchmark; `BENCHES=qbr` runs one.
BENCHES ?= sync screens quotes qbr season window
# `window` starts the app built by `app` on a display of its own (Xvfb).
bench: app
	@dpkg-query -W -f='$${Status}' sqlite3 2>/dev/null | grep -q "install ok installed" || { \
		echo "bench: installing the Debian package sqlite3"; \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends sqlite3; }
	scripts/with-keyring.sh --isolated xvfb-run --auto-servernum --server-args="-screen 0 1440x900x24" \
		cargo bench --locked --workspace --bench benches -- $(BENCHES)
