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

# The failed tests once more, with the start of their messages, just above the counts: a CI log is
# often read from its end only.
python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
for trx in sorted(glob.glob(sys.argv[1] + "/*.trx")):
    for result in ET.parse(trx).getroot().iter(ns + "UnitTestResult"):
        if result.get("outcome") not in ("Passed", "NotExecuted"):
            message = result.findtext(f"{ns}Output/{ns}ErrorInfo/{ns}Message") or ""
            print(f"FAILED {result.get('testName')} ({result.get('duration')})")
            for line in message.strip().splitlines()[:12]:
                print("    " + line[:300])
PY

if [ "$files" -eq 0 ]; then
    echo "no test results found in $results"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$files" -gt 0 ] && [ "$failed" -eq 0 ] && [ $((passed + failed)) -gt 0 ]
