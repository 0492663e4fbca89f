/*
 * measure.h: what bench.c and scale.c both need: exit on a failed
 * status, the clock, resident memory from /proc, and an array of pids
 * that is not counted as the servers' memory.
 */
#ifndef BENCH_MEASURE_H
#define BENCH_MEASURE_H

#include "srv.h"

/* Prints "PROGRAM: what: status" and exits when status is not SRV_OK. */
void check(const char *what, srv_status status);
/* CLOCK_MONOTONIC in seconds. */
double now_s(void);
/* Resident memory in bytes, from /proc/self/statm. */
double resident_bytes(void);
/* An array of count pids whose pages are already resident, so that a
 * count of resident memory begun after it does not charge them to the
 * servers whose pids it will hold.  Exits when out of memory. */
srv_pid *resident_pids(size_t count);
/* The high-water mark of resident memory, in MB, from /proc/self/status. */
double peak_resident_mb(void);

#endif
