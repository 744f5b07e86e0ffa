#!/bin/sh
# One scheduled scan: dated HTML and JSON reports, a stable latest.html, the drift since the
# previous scan on standard output (cron mails it), 90 days of reports kept. Arguments are passed
# to `amlguard check` (the scope: --subscription, --management-group, --history-scope ...).
# Exit code: amlguard's (1 only for failures new since the last scan of the scope the gate
# accepted: a re-run of a failed scan fails again; --no-fail-on-new once adopts the backlog).
set -u
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)-$$
reports=${AMLGUARD_REPORTS:-/data/reports}
mkdir -p "$reports"
amlguard check "$@" \
    --history "$AMLGUARD_HISTORY" \
    --fail-on-empty \
    --fail-on-new \
    --output "html:$reports/amlguard-$stamp.html" \
    --output "json:$reports/amlguard-$stamp.json" \
    > "$reports/amlguard-$stamp.txt"
status=$?
if [ -f "$reports/amlguard-$stamp.html" ]; then
    cp "$reports/amlguard-$stamp.html" "$reports/latest.html"
fi
# Nothing to compare on the very first run: diff says so on stderr and we carry on.
amlguard diff --history "$AMLGUARD_HISTORY" || true
find "$reports" -name 'amlguard-*' -mtime +90 -delete
exit "$status"
