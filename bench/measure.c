/*
 * measure.c: the helpers of measure.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "measure.h"

static void fail(const char *what, const char *why)
{
    fprintf(stderr, "bench: %s: %s\n", what, why);
    exit(1);
}

void check(const char *what, srv_status status)
{
    if (status != SRV_OK)
        fail(what, srv_strerror(status));
}

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f == NULL || fscanf(f, "%ld %ld", &pages, &resident) != 2)
        fail("/proc/self/statm", "cannot read it");
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

srv_pid *resident_pids(size_t count)
{
    srv_pid *pids = malloc(count * sizeof *pids);
    if (pids == NULL)
        fail("pids", "out of memory");
    /* Not zeros: the compiler turns malloc and a memset to 0 into calloc,
     * whose fresh pages stay untouched until the servers' pids land in
     * them (12 bytes a server, counted as theirs until this was seen). */
    memset(pids, 0xff, count * sizeof *pids);
    return pids;
}

double peak_resident_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = -1;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmHWM: %lf kB", &kb) == 1)
            break;
    if (f != NULL)
        fclose(f);
    if (kb < 0)
        fail("/proc/self/status", "no VmHWM");
    return kb / 1024.0;
}
