/*
 * fuzz_term.c: libFuzzer target for the node's side of the external term
 * format: any bytes, as the message of a distribution packet (a version
 * byte, then a term), go through the node's bounds check and, when it
 * passes, through every generated decoder of the examples' servers, for
 * a call, a cast and a plain message, and through ei's printer.  What a
 * decoder took is freed as the node frees it.  A crash, hang, leak or
 * sanitizer report is a bug.  FUZZ_MODULES (from the Makefile) names
 * the modules: X(worker) X(pool) ...
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "srv.h"
#include "term.h"

#define X(name) extern const srv_module name##_module;
FUZZ_MODULES
#undef X

static const srv_module *const modules[] = {
#define X(name) &name##_module,
    FUZZ_MODULES
#undef X
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    int len = size > 1 << 20 ? 1 << 20 : (int)size, end = 1;
    if (len < 1 || data[0] != 131 || !srv__term_check(buf, len, &end))
        return 0;
    srv_buf text = {0};
    srv__term_print(&text, buf, 1, len);
    srv_buf_free(&text);
    static const srv_message_kind kinds[] = {SRV_MESSAGE_CALL, SRV_MESSAGE_CAST,
                                             SRV_MESSAGE_INFO};
    for (size_t m = 0; m < sizeof modules / sizeof modules[0]; m++) {
        const srv_codec *codec = modules[m]->codec;
        if (codec == NULL)
            continue;
        for (size_t k = 0; k < 3; k++) {
            void *args = calloc(1, codec->args_max);
            srv_term_in in = {buf, 1, end};
            int message = codec->decode(&in, kinds[k], args);
            if (message >= 0 && modules[m]->messages[message].free_args != NULL)
                modules[m]->messages[message].free_args(args);
            free(args);
        }
    }
    return 0;
}
