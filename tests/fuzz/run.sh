#!/bin/sh
# A fuzz target over its seeds: for the parser's, every spec in the tree
# (the examples', the tests' servers, the bench's, the golden and bad-spec
# cases), read where they live, so the seeds are never stale copies; for
# another, the files of the folder SEEDS (the node's terms: tests/fuzz/terms).
#   tests/fuzz/run.sh FUZZ_BINARY replay [SEEDS]   each seed once, in order: make test
#   tests/fuzz/run.sh FUZZ_BINARY SECONDS [SEEDS]  mutations for SECONDS: make fuzz
# Fails on any crash, leak, timeout or sanitizer report.
set -e
bin=$1
mode=${2:-30}
if [ -n "$3" ]; then
    seeds=$(ls "$3"/*)
else
    seeds=$(ls examples/*/*.srv tests/runtime/servers/*.srv tests/install/*.srv \
               bench/*.srv tests/golden/*.srv tests/specs/bad/*.srv tests/specs/bad_in_c/*.srv)
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
fail() {
    tail -n 40 "$log"
    echo "fuzz: $(basename "$bin") failed on an input (see above)"
    exit 1
}
if [ "$mode" = replay ]; then
    # shellcheck disable=SC2086 # one argument per seed
    "$bin" -timeout=5 -rss_limit_mb=2048 $seeds >"$log" 2>&1 || fail
    echo "fuzz: replayed $(echo "$seeds" | wc -l) seeds, no crash, leak or hang"
    exit 0
fi
work=$(dirname "$bin")/corpus-$(basename "$bin")
mkdir -p "$work"
for seed in $seeds; do # two folders may hold the same name: by path
    cp "$seed" "$work/$(echo "$seed" | tr / _)"
done
"$bin" -artifact_prefix="$(dirname "$bin")/" -max_total_time="$mode" -timeout=5 \
    -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 "$work" >"$log" 2>&1 || fail
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
echo "fuzz: $(basename "$bin"): ${runs:-?} inputs in ${mode} s, no crash, leak or hang"
