#!/bin/sh
# Every spec of the tree (examples, bench, golden, test servers) compiles
# with srvc, and its output compiles warning-free with gcc and with clang:
#   -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror (POSIX 2008)
# and, where g++ is installed, as C++20 too (all but the test servers,
# whose own code uses C11 atomics).
B=${B:-build}
srvc="$B/srvc"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
count=0
for spec in examples/*/*.srv bench/*.srv tests/golden/*.srv tests/runtime/servers/*.srv; do
    dir="$out/$(dirname "$spec")"
    mkdir -p "$dir"
    # a spec may include its neighbours' headers: generate the folder first
    for neighbour in "$(dirname "$spec")"/*.srv; do
        "$srvc" -o "$dir" "$neighbour" || { echo "generated: srvc failed on $neighbour"; status=1; }
    done
    base=$(basename "$spec" .srv)
    for cc in gcc clang; do
        if ! $cc -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror \
                -D_POSIX_C_SOURCE=200809L -Iruntime/include -I"$(dirname "$spec")" -c "$dir/$base.srv.c" -o "$dir/$base.$cc.o"; then
            echo "generated: $spec does not compile cleanly with $cc"
            status=1
        fi
        count=$((count + 1))
    done
    case "$spec" in tests/runtime/*) continue ;; esac
    if command -v g++ >/dev/null 2>&1; then
        if ! g++ -x c++ -std=c++20 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L \
                -Iruntime/include -I"$(dirname "$spec")" -c "$dir/$base.srv.c" -o "$dir/$base.cxx.o"; then
            echo "generated: $spec does not compile cleanly as C++"
            status=1
        fi
        count=$((count + 1))
    fi
done
[ $status = 0 ] && echo "generated: $count compilations of generated code, all clean (gcc, clang, g++ as C++20)"
exit $status
