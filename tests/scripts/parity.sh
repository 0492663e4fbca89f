#!/bin/sh
# Keeps docs/parity.md true: every test it names (file::name) is a
# Criterion test in tests/runtime/ or tests/compiler/, every row is
# yes, partial or none, a "none" row names no test and the others name
# one at least, and the totals at its top are the rows' counts.
doc=docs/parity.md
[ -f "$doc" ] || { echo "parity: no $doc"; exit 1; }
status=0

# A test named file::name exists when its file holds Test(suite, name.
test_exists() {
    for dir in tests/runtime tests/compiler; do
        [ -f "$dir/$1" ] && grep -Eq "^Test\([a-z_]+, $2[,)]" "$dir/$1" && return 0
    done
    return 1
}

# The rows of each section: "section|status|tests", one a line.
rows=$(awk -F'|' '
    /^## / { section = substr($0, 4); next }
    /^\| `/ && section != "" {
        st = $4; gsub(/^ +| +$/, "", st)
        tests = $5; gsub(/^ +| +$/, "", tests)
        print section "|" st "|" tests
    }' "$doc")

echo "$rows" | while IFS='|' read -r section st tests; do
    case "$st" in
    yes|partial)
        [ "$tests" != "—" ] && [ -n "$tests" ] ||
            { echo "parity: a '$st' row in $section names no test"; exit 1; } ;;
    none)
        [ "$tests" = "—" ] || { echo "parity: a 'none' row in $section names a test"; exit 1; } ;;
    *)
        echo "parity: a row in $section has the status '$st'"; exit 1 ;;
    esac
    [ "$tests" = "—" ] && continue
    for t in $(echo "$tests" | tr ',' ' '); do
        file=${t%%::*}
        name=${t#*::}
        test_exists "$file" "$name" || { echo "parity: no test $t"; exit 1; }
    done
done || status=1

# The totals table: | module | exports | yes | partial | none |
count() { echo "$rows" | awk -F'|' -v s="$1" -v st="$2" \
    '(s == "all" || $1 == s) && (st == "" || $2 == st) { n++ } END { print n + 0 }'; }
for module in "gen_server" "gen_server callbacks" "proc_lib" "sys" "all"; do
    want=$(grep -E "^\| $module \| " "$doc" | head -n 1 |
           awk -F'|' '{ for (i = 3; i <= 6; i++) { gsub(/ /, "", $i); printf "%s ", $i } }')
    got="$(count "$module" "") $(count "$module" yes) $(count "$module" partial) $(count "$module" none) "
    if [ "$want" != "$got" ]; then
        echo "parity: the totals of $module say '$want', the rows '$got'"
        status=1
    fi
done
[ $status = 0 ] && echo "parity: $(count all "") exports: $(count all yes) with a counterpart, $(count all partial) partial, $(count all none) none; every test named exists"
exit $status
