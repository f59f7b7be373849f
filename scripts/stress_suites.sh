#!/usr/bin/env bash
# The determinism check of issue 13: the browser and hardening suites N rounds in a row on one
# database while Debian's `stress` keeps 2 cores busy. Records pass/fail, counts and time per
# round; stops stress at the end (stress also stops by itself after --timeout); exits non-zero
# if any round failed.
#   scripts/stress_suites.sh [ROUNDS] [spatialite|postgis] [extra pytest arguments...]
#   ROUNDS defaults to 3, the database to spatialite. `scripts/setup.sh measure` installs stress.
# Environment: PYTHON (default .venv/bin/python), STRESS_CPU (default 2), STRESS_SUITES (default
# "tests/browser tests/hardening"), STRESS_LOG_DIR (where each round's pytest output and the
# summary go; default a new folder under /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
database="${2:-spatialite}"
shift $(($# < 2 ? $# : 2))
python="${PYTHON:-.venv/bin/python}"
cpus="${STRESS_CPU:-2}"
read -r -a suites <<<"${STRESS_SUITES:-tests/browser tests/hardening}"
log_dir="${STRESS_LOG_DIR:-$(mktemp -d "/tmp/fieldaudit-stress-${database}-XXXX")}"
mkdir -p "$log_dir"
summary="$log_dir/summary.txt"

case "$database" in spatialite | postgis) ;; *)
  echo "database must be spatialite or postgis, not '$database'" >&2
  exit 2
  ;;
esac
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive number" >&2; exit 2; }
command -v stress >/dev/null || { echo "stress is missing: run scripts/setup.sh measure" >&2; exit 2; }

# Bounded in time as well: stress ends by itself two hours per round after it started.
stress --cpu "$cpus" --timeout "$((rounds * 7200))s" >"$log_dir/stress.log" 2>&1 &
stress_pid=$!
stop_stress() {
  if kill -0 "$stress_pid" 2>/dev/null; then
    kill -TERM "$stress_pid" 2>/dev/null || true
    wait "$stress_pid" 2>/dev/null || true
  fi
}
trap stop_stress EXIT INT TERM

echo "stress --cpu $cpus (pid $stress_pid); ${suites[*]}: $rounds rounds on $database; logs in $log_dir" |
  tee "$summary"
failed_rounds=0
for round in $(seq 1 "$rounds"); do
  out="$log_dir/round-$round.txt"
  start=$(date +%s)
  status=0
  FIELDAUDIT_TEST_DB="$database" PYTHONPATH="$PWD" PYTHONUNBUFFERED=1 "$python" -m pytest \
    "${suites[@]}" -q -p no:cacheprovider --durations=10 "$@" >"$out" 2>&1 || status=$?
  seconds=$(($(date +%s) - start))
  # pytest's closing line ("12 passed in 3.4s"; framed with "=" unless -q)
  counts=$(grep -E '^(=+ )?[0-9]+ (passed|failed|errors?|skipped).* in [0-9.]+s' "$out" | tail -1 |
    sed -E 's/^=+ //; s/ =+$//' || true)
  if [ "$status" = 0 ]; then verdict=pass; else verdict="FAIL (exit $status)"; failed_rounds=$((failed_rounds + 1)); fi
  echo "round $round/$rounds on $database: $verdict, ${seconds} s: ${counts:-no summary line}" | tee -a "$summary"
  grep -E '^(FAILED|ERROR) ' "$out" | sed 's/^/    /' | tee -a "$summary" || true
done
stop_stress
echo "$failed_rounds of $rounds rounds failed on $database" | tee -a "$summary"
[ "$failed_rounds" = 0 ]
