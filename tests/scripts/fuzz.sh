#!/bin/sh
# make test's fuzz run: the parser's libFuzzer target for 30 seconds.
B=${B:-build}
sh tests/fuzz/run.sh "$B/fuzz/fuzz_parse" "${FUZZ_TIME:-30}"
