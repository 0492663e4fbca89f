#!/bin/sh
# make bench: runs each group of bench/bench.c REPS times (each in a fresh
# process), the same work on Erlang/OTP, CAF and Go when they are
# installed, and the machine's floor (bench/floor.c), and prints
#   name median [min .. max]
# for every metric, then a table of srv against each peer and the goals of
# DESIGN.md, and each metric's distance from its floor.
#   usage: bench/run.sh BUILD_DIR      (REPS=5 by default)
# The kill group runs KILL_REPS times (5 x REPS by default): its figure
# is one kill, and how much of the 10 us handler in progress it waits
# out (srv, Go; Go's select may take another message first, at random)
# is chance, which a median of 5 would mostly be.
set -e
B=${1:-build/bench}
REPS=${REPS:-5}
case $REPS in
''|*[!0-9]*|0) echo "bench/run.sh: REPS must be a whole number above 0, not '$REPS'" >&2; exit 2 ;;
esac
KILL_REPS=${KILL_REPS:-$((REPS * 5))}
case $KILL_REPS in
''|*[!0-9]*|0) echo "bench/run.sh: KILL_REPS must be a whole number above 0, not '$KILL_REPS'" >&2; exit 2 ;;
esac
GROUPS_RUN="calls servers million control"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# srv's schedulers (srv_runtime_start(0)): SRV_SCHEDULERS, or one per
# online CPU.  Go and CAF get as many threads.
threads=${SRV_SCHEDULERS:-$(nproc)}

echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
echo "runs: $REPS of each group ($KILL_REPS of the kill), each in a fresh process; figures are medians [min .. max]"
echo "srv: $threads scheduler threads"

# repeat FILE GROUPS COMMAND...: runs COMMAND GROUP REPS times for each
# of GROUPS, KILL_REPS times for the kill group.
repeat() {
    file=$1
    groups=$2
    shift 2
    for group in $groups kill; do
        n=$REPS
        [ "$group" = kill ] && n=$KILL_REPS
        i=0
        while [ $i -lt "$n" ]; do
            "$@" $group >>"$file"
            i=$((i + 1))
        done
    done
}

repeat "$out/srv" "$GROUPS_RUN hibernated supervisors" "$B/bench/bench"

if command -v erl >/dev/null 2>&1; then
    mkdir -p "$B/bench/erlang"
    erlc -o "$B/bench/erlang" bench/erlang/bench_worker.erl bench/erlang/bench.erl
    echo "erlang: OTP $(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().'), its default schedulers (one per core), +P 2000000"
    repeat "$out/erl" "$GROUPS_RUN hibernated supervisors" erl +P 2000000 -noshell -pa "$B/bench/erlang" -run bench main
else
    echo "erlang: erl not found (apt-get install erlang-nox); no comparison"
    : >"$out/erl"
fi

# The cluster (bench/node.c): an Erlang node calls and casts to the srv
# node's worker and to an Erlang node's; each line says whose figure it is.
if command -v erl >/dev/null 2>&1 && [ -x "$B/bench/node" ]; then
    erlc -o "$B/bench/erlang" bench/erlang/bench_remote.erl
    i=0
    while [ $i -lt "$REPS" ]; do
        "$B/bench/node" "$B/bench/erlang" >"$out/node"
        sed -n 's/^srv //p' "$out/node" >>"$out/srv"
        sed -n 's/^erl //p' "$out/node" >>"$out/erl"
        # srv to srv sits beside Erlang to Erlang: the same figures
        sed -n 's/^erl remote_/srv_remote_/p' "$out/node" >>"$out/erl"
        i=$((i + 1))
    done
fi

if [ -x "$B/bench/caf/bench-caf" ]; then
    echo "caf: $(dpkg-query -W -f='${Version}' libcaf-dev 2>/dev/null), typed event-based actors, scheduler.max-threads=$threads (work stealing)"
    caf() { "$B/bench/caf/bench-caf" "$1" "$threads"; }
    repeat "$out/caf" "$GROUPS_RUN" caf
else
    echo "caf: $B/bench/caf/bench-caf not built (apt-get install libcaf-dev); no comparison"
    : >"$out/caf"
fi

if [ -x "$B/bench/go/bench-go" ]; then
    echo "go: $(go version 2>/dev/null | cut -d' ' -f3), a goroutine per server, a channel of 64 as its mailbox, GOMAXPROCS=$threads"
    GOMAXPROCS=$threads repeat "$out/go" "$GROUPS_RUN" "$B/bench/go/bench-go"
else
    echo "go: $B/bench/go/bench-go not built (apt-get install golang-go); no comparison"
    : >"$out/go"
fi

i=0
while [ $i -lt "$REPS" ]; do
    "$B/bench/floor" >>"$out/floor"
    i=$((i + 1))
done

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
for who in srv erl caf go floor; do
    summarise "$out/$who" | tee "$out/$who.sum"
done

echo
echo "srv against each peer: the factor is how many times better srv is (above 1: srv ahead)"
awk '
FILENAME ~ /srv.sum$/ { srv[$1] = $2; next }
{ name = $1; sub(/^(erlang|caf|go)_/, "", name) }
FILENAME ~ /erl.sum$/ { erl[name] = $2; next }
FILENAME ~ /caf.sum$/ { caf[name] = $2; next }
FILENAME ~ /go.sum$/ { go[name] = $2; next }
function factor(how, ours, theirs) {
    if (theirs == "" || ours == 0 || theirs == 0) return "-"
    return sprintf("%.2fx", how == "higher" ? ours / theirs : theirs / ours)
}
END {
    # metric, better when (lower|higher), goal as a factor over Erlang (or
    # an absolute limit)
    nrows = split("call_rtt_ns lower 10|main_thread_call_rtt_ns lower 10|requests_10k_out_us lower -|queued_call_rtt_ns lower -|cast_msgs_per_s higher 5|start_us_per_server lower 10|stop_us_per_server lower 10|bytes_per_idle_server lower 10|bytes_per_hibernated_server lower 1|contended16_calls_per_s higher 3|million_servers_s lower 1|million_servers_peak_mb lower <512|kill_with_100k_queued_us lower <100000|shutdown_10k_servers_ms lower <100|restart_us_per_child lower 10|start_100k_dynamic_children_s lower 10|shutdown_100k_dynamic_children_s lower 10|remote_call_rtt_us lower 1|remote_casts_per_s higher 1|srv_remote_call_rtt_us lower 1|srv_remote_casts_per_s higher 1", rows, "|")
    printf "%-26s %11s %11s %11s %11s %8s %8s %8s %6s  %s\n", "metric", "srv", "erlang", "caf", "go", "x erlang", "x caf", "x go", "goal", "verdict"
    for (r = 1; r <= nrows; r++) {
        split(rows[r], f, " "); name = f[1]
        if (!(name in srv)) continue
        goal = f[3]
        if (goal ~ /^</) verdict = (srv[name] + 0 < substr(goal, 2) + 0) ? "meets" : "misses"
        else if (goal == "-" || !(name in erl)) verdict = ""
        else verdict = (factor(f[2], srv[name], erl[name]) + 0 >= goal) ? "meets" : "misses"
        if (goal ~ /^[0-9]/) goal = goal "x"
        printf "%-26s %11.4g %11s %11s %11s %8s %8s %8s %6s  %s\n", name, srv[name],
            (name in erl) ? sprintf("%.4g", erl[name]) : "-",
            (name in caf) ? sprintf("%.4g", caf[name]) : "-",
            (name in go) ? sprintf("%.4g", go[name]) : "-",
            factor(f[2], srv[name], erl[name]), factor(f[2], srv[name], caf[name]),
            factor(f[2], srv[name], go[name]), goal, verdict
    }
}' "$out/srv.sum" "$out/erl.sum" "$out/caf.sum" "$out/go.sum"

echo
echo "distance from the floor (bench/floor.c): the least the same job costs on this machine"
awk '
FILENAME ~ /floor.sum$/ { fl[$1] = $2; next }
{ srv[$1] = $2 }
END {
    cas = fl["floor_cas_ns"]; ind = fl["floor_indirect_call_ns"]
    sw = fl["floor_switch_pair_ns"]; light = fl["floor_light_switch_pair_ns"]
    line = fl["floor_cache_line_rtt_ns"]; mem = fl["floor_malloc_free_ns"]
    # A call its caller runs: take the idle server and give it back (2 CAS),
    # its handler through the table, on a stack of its own (light pair).
    call = 2 * cas + ind + light
    # A queued call on one core: two envelopes made and freed, each pushed
    # (CAS), the handler through the table, the caller parked and resumed.
    queued = 2 * (mem + cas) + ind + sw
    # A cast: an envelope made and freed, pushed, its handler called.
    cast = mem + cas + ind
    # A start or a stop: a process allocated or freed, its slot taken (CAS)
    # and published (CAS), init or terminate through the table.
    life = mem + 2 * cas + ind
    printf "%-26s %11s %11s %9s  %s\n", "metric", "srv", "floor", "distance", "the floor is"
    row("call_rtt_ns", srv["call_rtt_ns"], call, "2 CAS + indirect call + light switch pair")
    row("main_thread_call_rtt_ns", srv["main_thread_call_rtt_ns"], call, "the same")
    row("queued_call_rtt_ns", srv["queued_call_rtt_ns"], queued, "2 x (malloc+free + CAS) + indirect call + switch pair")
    row("cast_ns_per_msg", 1e9 / srv["cast_msgs_per_s"], cast, "malloc+free + CAS + indirect call")
    row("start_ns_per_server", srv["start_us_per_server"] * 1000, life, "malloc+free + 2 CAS + indirect call")
    row("stop_ns_per_server", srv["stop_us_per_server"] * 1000, life, "the same")
    row("contended16_ns_per_call", 1e9 / srv["contended16_calls_per_s"], call, "a call its caller runs (no line moving)")
    printf "(a cache line to the other core and back: %.4g ns, which a call that crosses cores adds)\n", line
}
function row(name, ours, floor, what) {
    if (ours == "" || ours == 0) return
    printf "%-26s %11.4g %11.4g %8.1fx  %s\n", name, ours, floor, ours / floor, what
}' "$out/floor.sum" "$out/srv.sum"
