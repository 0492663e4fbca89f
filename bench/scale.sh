#!/bin/sh
# make bench-scale: bench/scale.c (srv) and erlang/bench_scale.erl for
# N = 1e3 .. 1e7 servers, each N SCALE_REPS times (3 by default), each in
# a fresh process (Erlang up to SCALE_ERLANG_MAX, 1e6 by default: its 1e7
# would need some 30 GB), then
#   OUT/scale.tsv   one row per N: the medians of srv's four costs, then
#                   Erlang's
#   OUT/scale.svg   the four curves (gnuplot)
#   usage: bench/scale.sh BUILD_DIR OUT_DIR
set -e
B=${1:-build/bench}
OUT=${2:-docs}
NS=${SCALE_NS:-"1000 10000 100000 1000000 10000000"}
ERLANG_MAX=${SCALE_ERLANG_MAX:-1000000}
REPS=${SCALE_REPS:-3}
METRICS="start_us_per_server bytes_per_server random_call_rtt_ns casts_per_s"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
mkdir -p "$B/bench/erlang"
erlc -o "$B/bench/erlang" bench/erlang/bench_worker.erl bench/erlang/bench.erl bench/erlang/bench_scale.erl
for n in $NS; do
    i=0
    while [ $i -lt "$REPS" ]; do
        "$B/bench/scale" "$n" | tee -a "$out/all"
        if [ "$n" -le "$ERLANG_MAX" ]; then
            erl +P $((n + 1000000)) -noshell -pa "$B/bench/erlang" -run bench_scale main "$n" |
                tee -a "$out/all"
        fi
        i=$((i + 1))
    done
done

# One row per N, medians; "-" where Erlang did not run.
awk -v metrics="$METRICS" -v ns="$NS" '
{ k = $1 SUBSEP $2; x[k, ++c[k]] = $3 }
END {
    for (k in c) {
        m = c[k]
        for (i = 1; i <= m; i++) a[i] = x[k, i]
        for (i = 2; i <= m; i++) { t = a[i]; j = i - 1
            while (j > 0 && a[j] > t) { a[j + 1] = a[j]; j-- } a[j + 1] = t }
        v[k] = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
    }
    m = split(metrics, name, " "); k = split(ns, n, " ")
    printf "n"
    for (i = 1; i <= m; i++) printf "\tsrv_%s", name[i]
    for (i = 1; i <= m; i++) printf "\terlang_%s", name[i]
    printf "\n"
    for (j = 1; j <= k; j++) {
        printf "%s", n[j]
        for (i = 1; i <= m; i++) printf "\t%s", ((n[j], name[i]) in v) ? v[n[j], name[i]] : "-"
        for (i = 1; i <= m; i++) printf "\t%s", ((n[j], "erlang_" name[i]) in v) ? v[n[j], "erlang_" name[i]] : "-"
        printf "\n"
    }
}' "$out/all" >"$OUT/scale.tsv"
echo "wrote $OUT/scale.tsv"

gnuplot <<PLOT
set terminal svg size 900,640 font "sans,11" background "white"
set output "$OUT/scale.svg"
set datafile separator "\t"
set datafile missing "-"
set key autotitle columnhead top left
set logscale x 10
set logscale y 10
set format x "10^{%L}"
set xlabel "servers (N)"
set grid
set multiplot layout 2,2 title "srv and Erlang/OTP 25: costs per server against the number of servers"
set title "start, init acknowledged (us/server)"
plot "$OUT/scale.tsv" using 1:2 with linespoints title "srv", "" using 1:6 with linespoints title "erlang"
set title "resident memory (bytes/server)"
plot "$OUT/scale.tsv" using 1:3 with linespoints title "srv", "" using 1:7 with linespoints title "erlang"
set title "call to a random server (ns)"
plot "$OUT/scale.tsv" using 1:4 with linespoints title "srv", "" using 1:8 with linespoints title "erlang"
set title "casts across N servers (msgs/s)"
plot "$OUT/scale.tsv" using 1:5 with linespoints title "srv", "" using 1:9 with linespoints title "erlang"
unset multiplot
PLOT
echo "wrote $OUT/scale.svg"
