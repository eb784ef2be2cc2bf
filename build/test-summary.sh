#!/usr/bin/env bash
# Sums the TRX files of a test run into one line, "N passed, N failed, N skipped", printed last.
# Exits non-zero when a test failed or when no test ran at all.
set -euo pipefail
results=${1:?usage: build/test-summary.sh RESULTS_DIR}

passed=0 failed=0 skipped=0 files=0
for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    files=$((files + 1))
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
    total=$(get total) executed=$(get executed) p=$(get passed) f=$(get failed) e=$(get error) t=$(get timeout) a=$(get aborted)
    passed=$((passed + p))
    failed=$((failed + f + e + t + a))
    # VSTest writes skipped tests as results that were not executed.
    skipped=$((skipped + total - executed))
done

if [ "$files" -eq 0 ]; then
    echo "no test results found in $results"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$files" -gt 0 ] && [ "$failed" -eq 0 ] && [ $((passed + failed)) -gt 0 ]
