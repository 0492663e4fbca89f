#!/bin/sh
# Runs the parser's fuzz target for SECONDS on a copy of the seed corpus;
# fails on any crash, leak, timeout or sanitizer report, and says how many
# inputs it ran.
#   usage: tests/fuzz/run.sh FUZZ_BINARY SECONDS
set -e
bin=$1
seconds=${2:-30}
work=$(dirname "$bin")/corpus
mkdir -p "$work"
cp tests/fuzz/corpus/* tests/specs/bad/*.srv tests/golden/*.srv "$work/" 2>/dev/null || true
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$bin" -artifact_prefix="$(dirname "$bin")/" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=4096 \
        -print_final_stats=1 "$work" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz: the parser failed on an input (see above)"
    exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
echo "fuzz: ${runs:-?} inputs in ${seconds} s, no crash, leak or hang"
