#!/bin/sh
# make check-aarch64: the context switch's tests built for AArch64 (the
# assembly, then the ucontext fallback) and run under qemu user emulation.
# Not part of make test: it needs a cross compiler and qemu, which
# mk/deps.sh installs when missing.
set -e
B=${1:-build}
sh mk/deps.sh gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static
out=$B/cross
mkdir -p "$out"
FLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -g -Wall -Wextra
       -Wpedantic -Wshadow -Wno-unused-parameter -Iruntime"
status=0
for variant in asm ucontext; do
    extra=
    [ $variant = ucontext ] && extra=-DSRV_CONTEXT_UCONTEXT
    # shellcheck disable=SC2086 # FLAGS is a word list
    {
        aarch64-linux-gnu-gcc $FLAGS $extra -c -o "$out/switch.o" runtime/context_aarch64.S
        aarch64-linux-gnu-gcc $FLAGS $extra -c -o "$out/context.o" runtime/context.c
        aarch64-linux-gnu-gcc $FLAGS $extra -include tests/cross/harness.h -c \
            -o "$out/test_context.o" tests/runtime/test_context.c
        aarch64-linux-gnu-gcc -static -o "$out/test_context_$variant" \
            "$out/test_context.o" "$out/context.o" "$out/switch.o"
    }
    echo "== aarch64, $variant"
    qemu-aarch64-static "$out/test_context_$variant" || status=1
done
exit $status
