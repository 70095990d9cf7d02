#!/usr/bin/env bash
# Lints http/openapi.json with the pinned @redocly/cli (tools/openapi) and its recommended rules
# (tools/openapi/redocly.yaml). Fails on any error AND on any warning: `redocly lint` itself only
# fails on errors. Installs the tool on first use (npm ci, again only when the lock file changes).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/tools/openapi"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "lint-openapi: $tool is missing; run scripts/install-deps.sh" >&2
    exit 1
  fi
done

# `npm ci` wipes node_modules every time, so a stamp (a copy of the lock file it installed)
# keeps repeated runs fast and offline.
stamp="$tools/node_modules/.seatgrab-installed-lock.json"
if ! cmp -s "$tools/package-lock.json" "$stamp"; then
  echo "lint-openapi: npm ci in tools/openapi"
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$tools/package-lock.json" "$stamp"
fi

export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
redocly="$tools/node_modules/.bin/redocly"
lint=("$redocly" lint --config "$tools/redocly.yaml" --lint-config error http/openapi.json)
cd "$root"

# The JSON report has the totals; its exit status only counts errors.
report=$("${lint[@]}" --format=json --max-problems 1000 2>/dev/null || true)
totals=$(node -e '
  let s = "";
  process.stdin.on("data", d => (s += d)).on("end", () => {
    const t = JSON.parse(s).totals;
    console.log(`${t.errors} ${t.warnings}`);
  });' <<<"$report") || {
  echo "lint-openapi: redocly gave no report:" >&2
  "${lint[@]}" >&2 || true
  exit 1
}
read -r errors warnings <<<"$totals"
if [ "$errors" -ne 0 ] || [ "$warnings" -ne 0 ]; then
  "${lint[@]}" --format=stylish >&2 || true
  echo "lint-openapi: FAILED, $errors error(s) and $warnings warning(s) in http/openapi.json" >&2
  exit 1
fi
echo "lint-openapi: http/openapi.json passes @redocly/cli $("$redocly" --version) lint" \
  "(recommended rules): no error, no warning"
