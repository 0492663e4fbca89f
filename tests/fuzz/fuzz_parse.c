/*
 * fuzz_parse.c: libFuzzer target for srvc's whole front end and emitter:
 * any bytes are scanned, parsed, checked and, when clean, rendered into
 * memory.  Diagnostics go to /dev/null; a crash, hang, leak or sanitizer
 * report is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (sink == NULL)
        sink = fopen("/dev/null", "w");
    struct diag *d = diag_new(sink);
    struct srvc_job job = {.spec_path = "fuzz.srv", .line_directives = true};
    srvc_compile_text(&job, (const char *)data, size, d);
    srvc_job_free(&job);
    diag_free(d);
    return 0;
}
