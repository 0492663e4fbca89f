#!/bin/sh
# The examples under Valgrind's memcheck: any error it reports (an invalid
# read or write, a use of uninitialised memory, a bad free) fails.  libsrv
# tells Valgrind of every fiber stack it maps (fiber.c), without which each
# handler's frame would be reported.  The examples' output is examples.sh's
# to judge: here only Valgrind's verdict counts, since code runs 20 to 50
# times slower under it (the worker's start timeout of 10 ms, the
# article's, runs out there, and the example stops early).
B=${B:-build}
command -v valgrind >/dev/null 2>&1 || sh mk/deps.sh valgrind || exit 1
status=0
for dir in examples/*/; do
    name=$(basename "$dir")
    bin="$B/examples/$name/$name"
    [ -x "$bin" ] || { echo "valgrind: $bin was not built"; status=1; continue; }
    log=$(mktemp)
    timeout 600 valgrind --tool=memcheck --error-exitcode=99 --quiet \
        --log-file="$log" "$bin" >/dev/null 2>&1
    rc=$?
    if [ $rc = 99 ] || [ $rc -ge 124 ] || [ -s "$log" ]; then
        echo "valgrind: $name: errors (exit status $rc):"; cat "$log"; status=1
    else
        echo "valgrind: $name clean"
    fi
    rm -f "$log"
done
exit $status
