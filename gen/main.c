/*
 * main.c: the srvc command.
 *
 *   srvc [-o DIR] [-M|--depfile FILE] [--no-line] [--version] [--help] FILE.srv...
 *
 * Exit status: 0 when every spec compiled, 1 when a spec has errors (then
 * nothing at all is written), 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "emit.h"
#include "out.h"

static const char usage[] =
    "usage: srvc [-o DIR] [-M|--depfile FILE] [--no-line] [--version] [--help] FILE.srv...\n"
    "\n"
    "Compiles each FILE.srv into FILE.srv.h (the server's typed API) and\n"
    "FILE.srv.c (its implementation for libsrv).\n"
    "\n"
    "  -o DIR              write the outputs into DIR (default: beside each spec)\n"
    "  -M, --depfile FILE  also write a make dependency file\n"
    "      --no-line       no #line directives back to the spec\n"
    "      --version       print srvc's version\n"
    "      --help          print this help\n";

static int bad_usage(const char *fmt, const char *arg)
{
    fputs("srvc: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n", stderr);
    fputs(usage, stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const char *out_dir = NULL, *depfile = NULL;
    bool lines = true;
    const char **specs = calloc((size_t)argc, sizeof *specs);
    size_t n_specs = 0;
    if (specs == NULL)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            free(specs);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("srvc %s\n", SRVC_VERSION);
            free(specs);
            return 0;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "-M") == 0 ||
                   strcmp(a, "--depfile") == 0) {
            if (i + 1 == argc) {
                free(specs);
                return bad_usage("option '%s' needs an argument", a);
            }
            if (a[1] == 'o')
                out_dir = argv[++i];
            else
                depfile = argv[++i];
        } else if (strcmp(a, "--no-line") == 0) {
            lines = false;
        } else if (a[0] == '-' && a[1] != '\0') {
            free(specs);
            return bad_usage("unknown option '%s'", a);
        } else {
            specs[n_specs++] = a;
        }
    }
    if (n_specs == 0) {
        free(specs);
        return bad_usage("%s", "no spec files given");
    }

    struct diag *d = diag_new(stderr);
    struct srvc_job *jobs = calloc(n_specs, sizeof *jobs);
    if (d == NULL || jobs == NULL)
        return 1;
    int errors = 0;
    for (size_t i = 0; i < n_specs; i++) {
        jobs[i].spec_path = specs[i];
        jobs[i].out_dir = out_dir;
        jobs[i].line_directives = lines;
        if (srvc_compile(&jobs[i], d) != 0)
            errors++;
    }
    /* Nothing is written unless every spec is clean. */
    for (size_t i = 0; i < n_specs && errors == 0; i++)
        if (out_write_file(d, jobs[i].h_path, &jobs[i].h) != 0 ||
            out_write_file(d, jobs[i].c_path, &jobs[i].c) != 0)
            errors++;
    if (errors == 0 && depfile != NULL) {
        /* the prerequisites: the specs, and those their `use` lines read */
        size_t n_prereqs = n_specs;
        for (size_t i = 0; i < n_specs; i++)
            n_prereqs += jobs[i].n_used;
        const char **targets = calloc(2 * n_specs, sizeof *targets);
        const char **prereqs = calloc(n_prereqs, sizeof *prereqs);
        if (targets == NULL || prereqs == NULL)
            return 1;
        memcpy(prereqs, specs, n_specs * sizeof *prereqs);
        n_prereqs = n_specs;
        for (size_t i = 0; i < n_specs; i++) {
            targets[2 * i] = jobs[i].c_path;
            targets[2 * i + 1] = jobs[i].h_path;
            for (size_t k = 0; k < jobs[i].n_used; k++)
                prereqs[n_prereqs++] = jobs[i].used[k];
        }
        if (out_write_depfile(d, depfile, targets, 2 * n_specs, prereqs, n_prereqs) != 0)
            errors++;
        free(targets);
        free(prereqs);
    }
    for (size_t i = 0; i < n_specs; i++)
        srvc_job_free(&jobs[i]);
    free(jobs);
    free(specs);
    diag_free(d);
    return errors == 0 ? 0 : 1;
}
