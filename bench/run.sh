#!/bin/sh
# make bench: runs each group of bench/bench.c REPS times (each in a fresh
# process), the same work on Erlang/OTP when erl is installed, and prints
#   name median [min .. max]
# for every metric, then a table of ratios against the goals of DESIGN.md.
#   usage: bench/run.sh BUILD_DIR      (REPS=5 by default)
set -e
B=${1:-build/bench}
REPS=${REPS:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT


echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
echo "runs: $REPS of each group, each in a fresh process; figures are medians [min .. max]"

for group in calls servers million control; do
    i=0
    while [ $i -lt "$REPS" ]; do
        "$B/bench/bench" $group >>"$out/srv"
        i=$((i + 1))
    done
done

if command -v erl >/dev/null 2>&1; then
    mkdir -p "$B/bench/erlang"
    erlc -o "$B/bench/erlang" bench/erlang/bench_worker.erl bench/erlang/bench.erl
    echo "erlang: OTP $(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().')"
    for group in calls servers million control; do
        i=0
        while [ $i -lt "$REPS" ]; do
            erl +P 2000000 -noshell -pa "$B/bench/erlang" -run bench main $group >>"$out/erl"
            i=$((i + 1))
        done
    done
else
    echo "erlang: erl not found (apt-get install erlang-nox); no comparison"
    : >"$out/erl"
fi

# Median and spread per metric, in the order the metrics first appeared.
summarise() {
    awk '
    { if (!($1 in n)) order[++names] = $1; v[$1, ++n[$1]] = $2 }
    END {
        for (k = 1; k <= names; k++) {
            name = order[k]; m = n[name]
            for (i = 1; i <= m; i++) a[i] = v[name, i]
            for (i = 2; i <= m; i++) { x = a[i]; j = i - 1
                while (j > 0 && a[j] > x) { a[j + 1] = a[j]; j-- } a[j + 1] = x }
            med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
            printf "%s %.6g [%.6g .. %.6g]\n", name, med, a[1], a[m]
        }
    }' "$1"
}
summarise "$out/srv" | tee "$out/srv.sum"
summarise "$out/erl" | tee "$out/erl.sum"

[ -s "$out/erl.sum" ] || exit 0
echo
awk '
FNR == NR { ours[$1] = $2; next }
{ sub(/^erlang_/, "", $1); theirs[$1] = $2 }
END {
    # metric, better when (lower|higher), goal as a factor over Erlang
    nrows = split("call_rtt_ns lower 10|main_thread_call_rtt_ns lower 10|cast_msgs_per_s higher 5|start_us_per_server lower 10|stop_us_per_server lower 10|bytes_per_idle_server lower 10|contended16_calls_per_s higher 3|million_servers_s lower 1|million_servers_peak_mb limit 512|kill_with_100k_queued_ms limit 100|shutdown_10k_servers_ms limit 100", rows, "|")
    printf "%-26s %14s %14s %9s %8s  %s\n", "metric", "srv", "erlang", "factor", "goal", "verdict"
    for (r = 1; r <= nrows; r++) {
        split(rows[r], f, " "); name = f[1]
        if (!(name in ours)) continue
        if (f[2] == "limit") {
            printf "%-26s %14.6g %14.6g %9s %8s  %s\n", name, ours[name], theirs[name], "-", "<" f[3], (ours[name] < f[3]) ? "meets" : "misses"
            continue
        }
        factor = (f[2] == "lower") ? theirs[name] / ours[name] : ours[name] / theirs[name]
        printf "%-26s %14.6g %14.6g %8.2fx %7sx  %s\n", name, ours[name], theirs[name], factor, f[3], (factor >= f[3]) ? "meets" : "misses"
    }
}' "$out/srv.sum" "$out/erl.sum"
