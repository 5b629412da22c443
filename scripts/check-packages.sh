#!/usr/bin/env bash
# Checks the packages `make package` built, as a distribution would: lintian finds no error in the
# .deb, its desktop entry passes desktop-file-validate, both packages carry the app's version, and
# every shared library the app links comes with a package the .deb depends on (directly or through
# those packages' own dependencies), so `apt install ./partner-desk_*.deb` brings all it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "check-packages: $*" >&2; exit 1; }

shopt -s nullglob
debs=(target/release/bundle/deb/*.deb)
rpms=(target/release/bundle/rpm/*.rpm)
((${#debs[@]} == 1)) || fail "expected one .deb in target/release/bundle/deb, found ${#debs[@]}"
((${#rpms[@]} == 1)) || fail "expected one .rpm in target/release/bundle/rpm, found ${#rpms[@]}"
deb=${debs[0]}
rpm=${rpms[0]}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)

lintian --fail-on error "$deb" || fail "lintian found errors in $deb"

unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
dpkg-deb -x "$deb" "$unpacked"
desktop=("$unpacked"/usr/share/applications/*.desktop)
((${#desktop[@]} == 1)) || fail "expected one desktop entry in $deb"
desktop-file-validate "${desktop[0]}" || fail "desktop-file-validate refused ${desktop[0]##*/}"

[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "$deb is not version $version"
[ "$(rpm -qp --queryformat '%{VERSION}' "$rpm" 2>/dev/null)" = "$version" ] || fail "$rpm is not version $version"
requires=$(rpm -qpR "$rpm" 2>/dev/null)
grep -q '^libwebkit2gtk-4.1.so.0' <<<"$requires" || fail "$rpm does not require WebKitGTK 4.1"

# The closure of the .deb's dependencies, as apt resolves it on this release of the distribution.
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//; s/[ (].*//' | grep -v '^$')
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances $depends 2>/dev/null | grep -v '^ ' | sed 's/:.*//' | sort -u)
missing=()
for lib in $(objdump -p "$unpacked/usr/bin/partner-desk" | awk '/NEEDED/ { print $2 }'); do
  path=$(ldconfig -p | awk -v lib="$lib" '$1 == lib && !found { print $NF; found = 1 }')
  [ -n "$path" ] || fail "$lib, which the app links, is not installed here"
  # dpkg knows a file by the path its package ships it at: /lib or /usr/lib, link or target.
  owner=""
  for candidate in "$path" "$(readlink -f "$path")" "${path#/usr}" "/usr${path#/usr}"; do
    owner=$(dpkg -S "$candidate" 2>/dev/null | awk -F '[:,]' 'NR == 1 { print $1 }') || true
    [ -z "$owner" ] || break
  done
  [ -n "$owner" ] || fail "no installed package owns $path ($lib)"
  grep -qx "$owner" <<<"$closure" || missing+=("$lib ($owner)")
done
((${#missing[@]} == 0)) || fail "the .deb's dependencies do not bring: ${missing[*]}"

echo "check-packages: $(basename "$deb") and $(basename "$rpm") (version $version) pass lintian," \
  "desktop-file-validate and the dependency check"
