/* wrong.c: a from of `first` handed to the deferred reply of `second`:
 * the C compiler must refuse it. */
#include "two_calls.srv.h"

srv_status answer(two_calls_first_from from)
{
    return two_calls_second_reply_to(from, 2);
}
