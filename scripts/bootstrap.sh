#!/usr/bin/env bash
# Installs what building, running and testing Partner Desk needs, and skips what is already there:
# Debian packages (WebKitGTK, its WebDriver, Xvfb, GNOME Keyring, the package checkers), the UI's npm packages
# (from the lockfile, Tauri's CLI among them), tauri-driver and schemathesis. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libssl-dev libxdo-dev librsvg2-dev   # Tauri on Linux (libssl: SQLCipher)
  libdbus-1-dev                                              # the Secret Service, over D-Bus
  dbus-daemon dbus-bin gnome-keyring                         # a secret store where none runs
  webkit2gtk-driver xvfb xauth                               # the real window, driven in tests
  fonts-dejavu-core                                          # a readable UI font everywhere
  poppler-utils                                              # pdftotext: tests read the PDFs
  python3 python3-venv                                       # schemathesis, in a venv
  sqlite3                                                    # tests: the tool cannot read the cache
  lintian desktop-file-utils rpm                             # `make package` checks what it builds
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

for tool in cargo node npm; do
  command -v "$tool" >/dev/null || { echo "bootstrap: $tool is required (Rust via rustup, Node 20+)" >&2; exit 1; }
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "bootstrap: Node 20 or newer is required (found $(node --version))" >&2
  exit 1
fi

# npm packages: reinstall only when the lockfile changed since the last install.
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "bootstrap: installing the UI's npm packages"
  (cd ui && npm ci --no-audit --no-fund)
fi

export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v tauri-driver >/dev/null; then
  echo "bootstrap: installing tauri-driver"
  cargo install tauri-driver --version 2.1.0 --locked
fi

# Schemathesis (PyPI), the property-based checker central-api's tests run against its
# /openapi.json (crates/central-api/tests/schemathesis.toml), pinned, in a virtual environment of
# its own under target/.
schemathesis_version=4.32.5
st=target/tools/schemathesis/bin/st
if ! { [ -x "$st" ] && "$st" --version 2>/dev/null | grep -qF "$schemathesis_version"; }; then
  command -v python3 >/dev/null || { echo "bootstrap: python3 is required (3.10+)" >&2; exit 1; }
  echo "bootstrap: installing schemathesis $schemathesis_version"
  python3 -m venv --clear target/tools/schemathesis
  target/tools/schemathesis/bin/pip install -q --disable-pip-version-check "schemathesis==$schemathesis_version"
fi
