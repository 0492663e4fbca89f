/*
 * driver.c: parse, check, emit: the pipeline for one spec.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast_build.h"
#include "check.h"
#include "driver.h"
#include "emit.h"
#include "parse.h"

/* Reads a whole file; NULL (and errno) on failure. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct buf b;
    buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    int failed = ferror(f);
    int saved = errno;
    fclose(f);
    if (failed) {
        buf_free(&b);
        errno = saved ? saved : EIO;
        return NULL;
    }
    if (b.data == NULL)
        buf_puts(&b, "");
    *len = b.len;
    return b.data;
}

/* DIR/worker.srv.c and DIR/worker.srv.h from worker.srv. */
static void output_paths(struct srvc_job *job)
{
    const char *path = job->spec_path;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t base_len = strlen(base);
    if (base_len > 4 && strcmp(base + base_len - 4, ".srv") == 0)
        base_len -= 4;
    struct buf dir;
    buf_init(&dir);
    if (job->out_dir != NULL)
        buf_printf(&dir, "%s/", job->out_dir);
    else if (slash != NULL)
        buf_append(&dir, path, (size_t)(slash - path + 1));
    else
        buf_puts(&dir, "");
    size_t size = dir.len + base_len + 8;
    job->c_path = malloc(size);
    job->h_path = malloc(size);
    if (job->c_path == NULL || job->h_path == NULL)
        abort();
    snprintf(job->c_path, size, "%s%.*s.srv.c", dir.data, (int)base_len, base);
    snprintf(job->h_path, size, "%s%.*s.srv.h", dir.data, (int)base_len, base);
    buf_free(&dir);
}

/* Where `use "name"` looks: name itself when absolute, else in the use
 * folder: the job's, or that of the spec that uses it (from). */
static char *used_path(const struct srvc_job *job, const char *from, const char *name)
{
    struct buf b;
    buf_init(&b);
    const char *slash = strrchr(from, '/');
    if (name[0] == '/')
        buf_puts(&b, "");
    else if (job->use_dir != NULL && from == job->spec_path)
        buf_printf(&b, "%s/", job->use_dir);
    else if (slash != NULL)
        buf_append(&b, from, (size_t)(slash - from + 1));
    buf_puts(&b, name);
    return b.data;
}

/* A used spec's path as its diagnostics name it: beside the spec that
 * uses it (shown as from), as the user wrote both (not where a test's use
 * folder put it). */
static const char *shown_path(struct ast_spec *spec, const char *from, const char *name)
{
    const char *slash = strrchr(from, '/');
    size_t dir = name[0] != '/' && slash != NULL ? (size_t)(slash - from + 1) : 0;
    char *path = ast_alloc(spec, dir + strlen(name) + 1);
    memcpy(path, from, dir);
    strcpy(path + dir, name);
    return path;
}

/* The job's list of the specs it read (for -M) takes path (malloc'd),
 * once: returns the list's own string, which lives as long as the job. */
static const char *add_used(struct srvc_job *job, char *path)
{
    for (size_t i = 0; i < job->n_used; i++)
        if (strcmp(job->used[i], path) == 0) {
            free(path);
            return job->used[i];
        }
    char **grown = realloc(job->used, (job->n_used + 1) * sizeof *grown);
    if (grown == NULL)
        abort();
    job->used = grown;
    job->used[job->n_used++] = path;
    return path;
}

/* How deep the uses of used supervisors are read: far enough for any
 * tree a person writes, and a stop to a spec that uses itself. */
#define USE_DEPTH 8

/* A supervisor's `use` lines: each spec named is read and parsed (not
 * checked: it is compiled on its own), so that the checks see its init's
 * signature and the records it declares; a used supervisor's own uses
 * are read too, for the records of its init.  A syntax error in a used
 * spec is reported in its own file; what is wrong deeper (a used
 * supervisor's unreadable or broken use) is left to that supervisor's
 * own compilation.  spec is read from path (shown as shown). */
static void read_uses(struct srvc_job *job, struct ast_spec *spec, const char *path,
                      const char *shown, int depth, struct diag *d)
{
    struct diag *quiet = diag_new(NULL);
    if (quiet == NULL)
        abort();
    for (struct ast_use *u = spec->uses; u != NULL && depth < USE_DEPTH; u = u->next) {
        char *used = used_path(job, path, u->path);
        size_t used_len = 0;
        u->text = read_file(used, &used_len);
        if (u->text == NULL) {
            if (depth == 0)
                diag_error(d, u->loc, "cannot read '%s': %s", u->path, strerror(errno));
            free(used);
            continue;
        }
        const char *kept = add_used(job, used);
        u->shown_path = shown_path(spec, shown, u->path);
        u->spec = parse_spec(kept, u->text, used_len, depth == 0 ? d : quiet);
        if (u->spec != NULL && u->spec->supervisor)
            read_uses(job, u->spec, kept, u->shown_path, depth + 1, d);
    }
    diag_free(quiet);
}

int srvc_compile_text(struct srvc_job *job, const char *text, size_t len, struct diag *d)
{
    buf_init(&job->c);
    buf_init(&job->h);
    if (job->c_path == NULL)
        output_paths(job);
    int before = diag_error_count(d);
    struct ast_spec *spec = parse_spec(job->spec_path, text, len, d);
    if (spec == NULL) {
        diag_errorf(d, "out of memory");
        return 1;
    }
    if (spec->supervisor) {
        read_uses(job, spec, job->spec_path, job->spec_path, 0, d);
        diag_set_source(d, job->spec_path, text, len);
    }
    /* Checks run after syntax errors too, to report more in one run. */
    if (!diag_too_many(d))
        check_spec(spec, d, diag_error_count(d) > before);
    int errors = diag_error_count(d) - before;
    if (errors == 0) {
        const char *slash = strrchr(job->h_path, '/');
        struct emit_options opts = {job->spec_path, slash ? slash + 1 : job->h_path,
                                    job->c_path, job->line_directives};
        if ((spec->supervisor ? emit_supervisor : emit_server)(spec, &opts, d, &job->h,
                                                               &job->c) != 0)
            errors = 1;
    }
    ast_spec_free(spec);
    return errors;
}

int srvc_compile(struct srvc_job *job, struct diag *d)
{
    size_t len = 0;
    char *text = read_file(job->spec_path, &len);
    if (text == NULL) {
        diag_errorf(d, "cannot open '%s': %s", job->spec_path, strerror(errno));
        buf_init(&job->c);
        buf_init(&job->h);
        return -1;
    }
    int errors = srvc_compile_text(job, text, len, d);
    free(text);
    return errors;
}

void srvc_job_free(struct srvc_job *job)
{
    free(job->c_path);
    free(job->h_path);
    for (size_t i = 0; i < job->n_used; i++)
        free(job->used[i]);
    free(job->used);
    job->used = NULL;
    job->n_used = 0;
    job->c_path = job->h_path = NULL;
    buf_free(&job->c);
    buf_free(&job->h);
}
