#!/usr/bin/env bash
# Command 1: install what is missing, create the SpatiaLite database with Herlev's areas,
# and serve FieldAudit at http://127.0.0.1:5000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh app
.venv/bin/fieldaudit init
exec .venv/bin/fieldaudit run --host "${FIELDAUDIT_HOST:-127.0.0.1}" --port "${FIELDAUDIT_PORT:-5000}" "$@"
