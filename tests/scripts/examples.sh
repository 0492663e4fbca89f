#!/bin/sh
# Runs every example that make built.  Where examples/NAME/expected.txt
# exists, the example's standard output must equal it, after the one part
# that differs between runs (call tags, #Ref<...>) is masked.
B=${B:-build}
status=0
for dir in examples/*/; do
    name=$(basename "$dir")
    bin="$B/examples/$name/$name"
    if [ ! -x "$bin" ]; then
        echo "examples: $bin was not built"; status=1; continue
    fi
    out=$(mktemp); err=$(mktemp)
    if ! timeout 60 "$bin" >"$out" 2>"$err"; then
        echo "examples: $name failed (exit status $?)"; cat "$out" "$err"; status=1
    elif [ -f "$dir/expected.txt" ]; then
        sed -e 's/#Ref<[0-9.]*>/#Ref<...>/g' "$out" >"$out.masked"
        if ! diff -u "$dir/expected.txt" "$out.masked"; then
            echo "examples: $name printed something else than $dir/expected.txt"; status=1
        else
            echo "examples: $name ok"
        fi
    else
        echo "examples: $name ok"
    fi
    if [ -f "$dir/expected-stderr.sh" ] && ! sh "$dir/expected-stderr.sh" "$err"; then
        echo "examples: $name's standard error is not what it should be:"; cat "$err"; status=1
    fi
    rm -f "$out" "$out.masked" "$err"
done
exit $status
