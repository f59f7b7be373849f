#!/usr/bin/env bash
# Installs everything FieldAudit needs on a fresh Debian machine, and nothing twice.
#   scripts/setup.sh app    SpatiaLite and the Python packages (enough to run the app)
#   scripts/setup.sh test   also PostGIS, Chromium, GDAL's tools, wrk (benchmarks), Redis (shared
#                           rate limits), nginx (the deploy test) and the test packages
#   scripts/setup.sh measure  as test, plus Debian's stress (scripts/stress_suites.sh), Node.js
#                           and Lighthouse from npm in .lighthouse/ (for scripts/measure_lighthouse.py
#                           only; no test needs them)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-app}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ "$mode" = measure ]; then
  "$0" test
  measure_packages=()
  command -v stress >/dev/null || measure_packages+=(stress)
  command -v npm >/dev/null || measure_packages+=(nodejs npm)
  if [ ${#measure_packages[@]} -gt 0 ]; then
    echo "== apt-get install ${measure_packages[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${measure_packages[@]}" >/dev/null
  fi
  [ -x .lighthouse/node_modules/.bin/lighthouse ] || npm install --prefix .lighthouse --no-audit --no-fund lighthouse@12
  exit 0
fi

# pango: WeasyPrint (the PDFs); poppler-utils: pdftotext and pdftoppm in the tests of the PDFs
apt_packages=(libsqlite3-mod-spatialite fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0)
if [ "$mode" = test ]; then
  pg_major=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1 || true)
  apt_packages+=(chromium gdal-bin wrk redis-server nginx-light openssl poppler-utils
    "postgresql-${pg_major:-15}-postgis-3" "postgresql-${pg_major:-15}-pgrouting")
fi
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt-get install ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
extras=""
[ "$mode" = test ] && extras="[test]"
stamp=".venv/.fieldaudit-installed${extras}"
want=$(sha256sum pyproject.toml | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "== pip install -e .${extras}"
  .venv/bin/pip install -q --disable-pip-version-check -e ".${extras}"
  echo "$want" > "$stamp"
fi
