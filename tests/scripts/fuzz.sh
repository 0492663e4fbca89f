#!/bin/sh
# make test's fuzz check: every seed spec through the parser's fuzz
# target once, and every seed term through the node's decoders,
# deterministically (make fuzz runs the mutations).
B=${B:-build}
sh tests/fuzz/run.sh "$B/fuzz/fuzz_parse" replay &&
sh tests/fuzz/run.sh "$B/fuzz/fuzz_term" replay tests/fuzz/terms
