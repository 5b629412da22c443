# Partner Desk: `make run` opens the app on the demo workspace; `make test` runs every test.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
export CARGO_TERM_COLOR := never

APP := target/release/partner-desk

.PHONY: run test bootstrap ui app lint ipc bench

run: bootstrap app
	$(APP)

test: bootstrap
	cargo fmt --all -- --check
	cd ui && npm run check && npm test
	$(MAKE) --no-print-directory app
	cargo clippy --workspace --all-targets --locked -- -D warnings
	xvfb-run --auto-servernum --server-args="-screen 0 1440x900x24" \
		cargo test --workspace --exclude partner-desk --locked

bootstrap:
	@scripts/bootstrap.sh

ui:
	cd ui && npm run build

# The release binary with the UI embedded: what `run` opens and the end-to-end tests drive.
app: ui
	cargo build --release --locked -p partner-desk --features custom-protocol

# Regenerates ui/src/ipc from the Rust types after changing them.
ipc:
	UPDATE_IPC=1 cargo test -p desk --test ipc_bindings

# The sync benchmark (a report, not a test): an initial sync of BENCH_DEPLOYMENTS deployments
# (default 1,000,000) end to end over loopback against the sqlite3 tool importing the same rows,
# then an incremental sync of 1,000 changes. `BENCH_DEPLOYMENTS=20000 make bench` is a quick run.
bench:
	@dpkg-query -W -f='$${Status}' sqlite3 2>/dev/null | grep -q "install ok installed" || { \
		echo "bench: installing the Debian package sqlite3"; \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends sqlite3; }
	cargo bench --locked -p desk --bench sync --bench screens --bench quotes --bench qbr
