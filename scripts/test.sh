#!/usr/bin/env bash
# Command 2: install what is missing, lint, then run the whole suite (browser tests included)
# on SpatiaLite and on PostGIS. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test

echo "== ruff"
.venv/bin/ruff check fieldaudit tests scripts
.venv/bin/ruff format --check fieldaudit tests scripts

# PostgreSQL runs on these machines; start it if it has stopped.
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  for version in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

# Redis (the shared rate-limit storage test); start it if it is not answering.
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/fieldaudit-redis.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi

status=0
echo "== pytest on SpatiaLite"
FIELDAUDIT_TEST_DB=spatialite .venv/bin/python -m pytest -q -p no:cacheprovider "$@" || status=1
echo "== pytest on PostGIS"
FIELDAUDIT_TEST_DB=postgis .venv/bin/python -m pytest -q -p no:cacheprovider "$@" || status=1
exit $status
