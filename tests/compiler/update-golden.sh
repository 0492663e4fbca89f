#!/bin/sh
# make golden: rewrites tests/golden/NAME.srv.[ch] with the given srvc, as
# test_golden.c compiles them: from the spec's own folder, the spec being
# tests/golden/NAME.srv or, for an example's, examples/NAME/NAME.srv (not
# copied here).
set -e
srvc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
golden=$(pwd)/tests/golden
for out in "$golden"/*.srv.c; do
    name=$(basename "$out" .srv.c)
    dir=$golden
    [ -f "$dir/$name.srv" ] || dir=$(pwd)/examples/$name
    # srvc writes beside the spec: compile a copy in a scratch folder,
    # with its neighbours, which a supervisor spec uses
    scratch=$(mktemp -d)
    cp "$dir"/*.srv "$scratch/"
    (cd "$scratch" && "$srvc" "$name.srv")
    cp "$scratch/$name.srv.c" "$scratch/$name.srv.h" "$golden/"
    rm -rf "$scratch"
done
echo "golden: rewrote $(ls "$golden"/*.srv.c | wc -l) specs' outputs; review them with git diff"
