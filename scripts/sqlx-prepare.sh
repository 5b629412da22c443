#!/usr/bin/env bash
# Regenerates crates/desk/.sqlx/: what sqlx's query macros (`sqlx::query!`, `query_as!`,
# `query_scalar!`) know of each of the desk's compile-checked queries, read from a cache built by
# the migrations in migrations/. Every other build reads this folder (no database at compile time)
# and fails on a query it holds nothing for, so run this after changing a query or a migration
# (`make sqlx`), and commit the folder.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="$work/schema.sqlite3"
for migration in migrations/*.sql; do
	sqlite3 "$db" <"$migration"
done

rm -rf crates/desk/.sqlx
mkdir -p crates/desk/.sqlx
# Cargo does not see DATABASE_URL change: make the desk's queries expand again.
touch crates/desk/src/lib.rs
DATABASE_URL="sqlite:$db" SQLX_OFFLINE_DIR="$PWD/crates/desk/.sqlx" \
	cargo build --release --locked --workspace --all-targets
echo "sqlx: $(find crates/desk/.sqlx -name 'query-*.json' | wc -l) queries in crates/desk/.sqlx"
