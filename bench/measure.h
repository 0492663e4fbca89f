/*
 * measure.h: what bench.c and scale.c both need: exit on a failed
 * status, the clock, and resident memory from /proc.
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
/* The high-water mark of resident memory, in MB, from /proc/self/status. */
double peak_resident_mb(void);

#endif
