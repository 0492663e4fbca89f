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
make --no-print-directory -s -C "$tmp" hello >/dev/null
out=$(LD_LIBRARY_PATH="$prefix/lib" "$tmp/hello")
expected="hello, world (1)
hello, world (2)"
if [ "$out" != "$expected" ]; then
    echo "install: the project built from the installed files printed:"; echo "$out"; exit 1
fi
make --no-print-directory -s B="$B" uninstall PREFIX="$prefix" >/dev/null
left=$(find "$prefix" -type f -o -type l)
if [ -n "$left" ]; then
    echo "install: uninstall left files behind:"; echo "$left"; exit 1
fi
echo "install: built and ran a project from the installed srvc, srv.mk and srv.pc; uninstall removed everything"
