#!/bin/sh
# make golden: rewrites tests/golden/*.srv.[ch] from their specs with the
# given srvc, compiled from inside the folder as test_golden.c does.
set -e
srvc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd tests/golden
for spec in *.srv; do
    "$srvc" "$spec"
done
echo "golden: rewrote $(ls *.srv | wc -l) specs' outputs; review them with git diff"
