#!/bin/sh
# make install into a temporary prefix, then build a small project outside
# the tree with nothing but the installed srvc, srv.mk and srv.pc; run it;
# then make uninstall must remove every installed file.
set -e
B=${B:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
make --no-print-directory -s B="$B" install PREFIX="$prefix" >/dev/null
cp tests/install/hello.srv tests/install/main.c tests/install/Makefile "$tmp/"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
export PATH="$prefix/bin:$PATH"
fail() { echo "install: $*"; exit 1; }
# The default goal, with srv.mk included first: hello.
make --no-print-directory -s -C "$tmp" >/dev/null
# No LD_LIBRARY_PATH: srv.pc links with the library's rpath.
out=$("$tmp/hello") || fail "the installed program does not run without LD_LIBRARY_PATH"
expected="hello, world (1)
hello, world (2)"
[ "$out" = "$expected" ] || fail "the project built from the installed files printed: $out"
# Built: make -q holds, and a second make with an edited main.c rebuilds
# hello (srv.mk must not have taken the default goal).
make --no-print-directory -s -q -C "$tmp" hello || fail "make -q says hello is out of date after a build"
echo "/* edited */" >>"$tmp/main.c"
make --no-print-directory -s -C "$tmp" >/dev/null
[ "$tmp/hello" -nt "$tmp/hello.srv.h" ] && [ "$tmp/main.o" -nt "$tmp/main.c" ] ||
    fail "a second make did not rebuild the edited main.c"
# A missing srv.pc is an error that says so, not an include of nothing.
msg=$(PKG_CONFIG_PATH="$tmp/none" make --no-print-directory -s -C "$tmp" 2>&1) &&
    fail "make succeeded without srv.pc"
echo "$msg" | grep -q "srv.pc not found" || fail "without srv.pc make said: $msg"
make --no-print-directory -s B="$B" uninstall PREFIX="$prefix" >/dev/null
left=$(find "$prefix" -type f -o -type l)
if [ -n "$left" ]; then
    echo "install: uninstall left files behind:"; echo "$left"; exit 1
fi
echo "install: built and ran a project from the installed srvc, srv.mk and srv.pc (no LD_LIBRARY_PATH; make -q holds; an edit rebuilds; no srv.pc is an error); uninstall removed everything"
