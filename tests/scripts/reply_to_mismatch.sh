#!/bin/sh
# A deferred reply takes only a from of its own call: NAME_CALL_reply_to
# with another call's from does not compile (tests/specs/mismatch/), and
# the same code with the right from does.  The runtime's own check, for a
# from that reaches it anyway, is in tests/runtime/test_call.c.
B=${B:-build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dir=tests/specs/mismatch
"$B/srvc" -o "$out" "$dir/two_calls.srv" || { echo "mismatch: srvc failed"; exit 1; }
status=0
for cc in gcc clang; do
    command -v $cc >/dev/null 2>&1 || continue
    flags="-std=c11 -Wall -Wextra -Werror -Iruntime/include -I$out -c"
    if ! $cc $flags "$dir/right.c" -o "$out/right.o"; then
        echo "mismatch: right.c does not compile with $cc"; status=1
    fi
    if $cc $flags "$dir/wrong.c" -o "$out/wrong.o" 2>"$out/wrong.err"; then
        echo "mismatch: $cc compiled wrong.c: another call's from was taken"; status=1
    elif ! grep -q "two_calls_first_from" "$out/wrong.err"; then
        echo "mismatch: $cc refused wrong.c for another reason:"; cat "$out/wrong.err"; status=1
    fi
done
[ $status = 0 ] && echo "mismatch: a deferred reply refuses another call's from at compile time"
exit $status
