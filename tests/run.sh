#!/bin/sh
# Runs the whole suite that make test built, and ends with one line that
# sums every part:  "tests: N passed, N failed".
#   Criterion binaries: build/tests/{compiler,runtime}/*, and the runtime
#   again under ASan+UBSan (build/asan), TSan (build/tsan) and on the
#   ucontext fallback of the context switch (build/ucontext);
#   scripts: tests/scripts/*.sh, each one check (examples, install, fuzz).
B=${1:-build}
passed=0
failed=0
failures=
log=$(mktemp)
why=$(mktemp)
trap 'rm -f "$log" "$why"' EXIT

# Criterion allocates a little it never frees: not ours to report.
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"

run_criterion() {
    bin=$1
    echo "== $bin"
    case "$bin" in
    build/tsan/*) "$bin" >"$log" 2>&1 ;;
    *) "$bin" --jobs 2 >"$log" 2>&1 ;;
    esac
    status=$?
    cat "$log"
    line=$(grep -a 'Synthesis: Tested:' "$log" | tail -n 1)
    p=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    f=$(echo "$line" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
    c=$(echo "$line" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
    if [ -z "$p" ]; then
        failed=$((failed + 1)); failures="$failures $bin(no-synthesis)"
        { echo "== $bin (no synthesis)"; tail -n 40 "$log"; } >>"$why"
        return
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" != 0 ] || [ "$status" != 0 ]; then
        failures="$failures $bin"
        # kept for the end, where a log's tail shows it
        { echo "== $bin"; grep -a -E -A4 '\[(FAIL|ERR|WARN)\]|Assertion|Crash|ERROR|runtime error' "$log" |
              head -n 40; } >>"$why"
    fi
    : "$c"
}

for dir in "$B/tests/compiler" "$B/tests/runtime" build/asan/tests/runtime build/tsan/tests/runtime \
           build/ucontext/tests/runtime; do
    [ -d "$dir" ] || continue
    for bin in "$dir"/test_*; do
        case "$bin" in *.o|*.d) continue ;; esac
        [ -x "$bin" ] && run_criterion "$bin"
    done
done

for script in tests/scripts/*.sh; do
    [ -f "$script" ] || continue
    echo "== $script"
    if B="$B" sh "$script"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); failures="$failures $script"
    fi
done

echo
if [ -s "$why" ]; then
    echo "why they failed:"
    cat "$why"
    echo
fi
[ -n "$failures" ] && echo "failed:$failures"
echo "tests: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ -z "$failures" ]
