/*
 * files.h: reading test data files, and listing a folder's specs as
 * Criterion parameters (which must live in cr_malloc'd memory).
 */
#ifndef SRVC_TEST_FILES_H
#define SRVC_TEST_FILES_H

#include <criterion/alloc.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_NAME_MAX 128

struct spec_case {
    char name[SPEC_NAME_MAX]; /* "unknown_type": NAME.srv in the folder */
};

/* Every NAMEsuffix in dir (relative to the tree), sorted, as NAME. */
static inline struct spec_case *file_cases(const char *dir, const char *suffix,
                                           size_t *count)
{
    size_t suffix_len = strlen(suffix);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", SRCDIR, dir);
    struct dirent **entries;
    int n = scandir(path, &entries, NULL, alphasort);
    struct spec_case *cases = cr_calloc((size_t)(n > 0 ? n : 1), sizeof *cases);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(entries[i]->d_name);
        if (len > suffix_len && len < SPEC_NAME_MAX + suffix_len &&
            strcmp(entries[i]->d_name + len - suffix_len, suffix) == 0) {
            memcpy(cases[k].name, entries[i]->d_name, len - suffix_len);
            cases[k].name[len - suffix_len] = '\0';
            k++;
        }
        free(entries[i]);
    }
    free(entries);
    *count = k;
    return cases;
}

/* Every NAME.srv in dir, sorted. */
static inline struct spec_case *spec_cases(const char *dir, size_t *count)
{
    return file_cases(dir, ".srv", count);
}

/* Whether SRCDIR/dir/name exists. */
static inline bool test_file_exists(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", SRCDIR, dir, name);
    FILE *f = fopen(path, "rb");
    if (f != NULL)
        fclose(f);
    return f != NULL;
}

/* The whole file at SRCDIR/dir/name, NUL-terminated; *len its size. */
static inline char *read_test_file(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", SRCDIR, dir, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    cr_assert_eq(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);
    if (len != NULL)
        *len = (size_t)size;
    return text;
}

#endif /* SRVC_TEST_FILES_H */
