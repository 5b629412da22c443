#!/usr/bin/env bash
# Builds the .deb and the .rpm of the app already built in target/release (`make app`) with
# Tauri's bundler, into target/release/bundle/{deb,rpm}/, then checks them
# (scripts/check-packages.sh). What the bundler does not do by itself is done here:
# - the packed binary loses its symbol table (release builds carry no debug info, but keep
#   symbols);
# - the .deb depends on what dpkg-shlibdeps reads off the binary (libc6, GTK, WebKitGTK 4.1, ...
#   at the versions its symbols need), as a Debian package built the usual way would;
# - Debian's copyright file, the changelog and lintian's overrides go where Debian's policy puts
#   them (/usr/share/doc/partner-desk, /usr/share/lintian/overrides).
set -euo pipefail
cd "$(dirname "$0")/.."

built=target/release/partner-desk
[ -x "$built" ] || { echo "package: $built is missing: run \`make app\`" >&2; exit 1; }
# The bundler works on a copy in a target folder of its own: it patches the binary it packs, and
# cargo would take a change to its own output as a reason to build the app again.
export CARGO_TARGET_DIR="$PWD/target/package"
stage=$CARGO_TARGET_DIR/stage
app=$CARGO_TARGET_DIR/release/partner-desk
rm -rf "$CARGO_TARGET_DIR" target/release/bundle
mkdir -p "$stage/debian" "$(dirname "$app")"
cp "$built" "$app"
strip --strip-unneeded "$app"

printf 'Source: partner-desk\n\nPackage: partner-desk\nArchitecture: any\n' >"$stage/debian/control"
depends=$(cd "$stage" && dpkg-shlibdeps -O "$app" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

# A native package's changelog.gz is a Debian changelog: one entry per release of CHANGELOG.md.
node scripts/debian-changelog.mjs CHANGELOG.md | gzip -9n >"$stage/changelog.gz"

config=$(DEPENDS="$depends" STAGE="$stage" PACKAGING="$PWD/src-tauri/packaging" node -e '
  const deps = process.env.DEPENDS.split(",").map((d) => d.trim()).filter(Boolean);
  const doc = "/usr/share/doc/partner-desk";
  process.stdout.write(JSON.stringify({ bundle: { linux: { deb: {
    depends: deps,
    files: {
      [`${doc}/copyright`]: `${process.env.PACKAGING}/copyright`,
      [`${doc}/changelog.gz`]: `${process.env.STAGE}/changelog.gz`,
      "/usr/share/lintian/overrides/partner-desk": `${process.env.PACKAGING}/lintian-overrides`,
    },
  } } } }));
')
ui/node_modules/.bin/tauri bundle --ci --bundles deb,rpm --config "$config"

# The bundler names the files after the product ("Partner Desk_0.2.0_amd64.deb"); distributions
# name them after the package. They go where the README and the tests look for them.
mkdir -p target/release/bundle/deb target/release/bundle/rpm
for deb in "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb; do
  mv "$deb" "target/release/bundle/deb/$(dpkg-deb -f "$deb" Package)_$(dpkg-deb -f "$deb" Version)_$(dpkg-deb -f "$deb" Architecture).deb"
done
for rpm in "$CARGO_TARGET_DIR"/release/bundle/rpm/*.rpm; do
  mv "$rpm" "target/release/bundle/rpm/$(rpm -qp --queryformat '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}' "$rpm" 2>/dev/null).rpm"
done
scripts/check-packages.sh
