#!/bin/sh
# What the C compiler refuses in the generated API (tests/specs/mismatch/):
# NAME_CALL_reply_to with another call's from (wrong.c), a response read
# into another call's reply struct (wrong_response.c), a send_request of a
# cast (cast_request.c); and the same code done right compiles (right.c).
# The runtime's own checks, for what reaches it anyway, are in
# tests/runtime/test_call.c and test_request.c.
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
    # each wrong file, and the name the compiler's refusal must mention
    for wrong in wrong.c:two_calls_first_from wrong_response.c:two_calls_first_reply \
                 cast_request.c:two_calls_poke_send_request; do
        file=${wrong%%:*} name=${wrong#*:}
        if $cc $flags "$dir/$file" -o "$out/wrong.o" 2>"$out/wrong.err"; then
            echo "mismatch: $cc compiled $file"; status=1
        elif ! grep -q "$name" "$out/wrong.err"; then
            echo "mismatch: $cc refused $file for another reason:"; cat "$out/wrong.err"; status=1
        fi
    done
done
[ $status = 0 ] && echo "mismatch: another call's from, another call's reply and a cast's request do not compile"
exit $status
