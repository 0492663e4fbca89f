/* right.c: the deferred reply of `first` through the from of `first`. */
#include "two_calls.srv.h"

srv_status answer(two_calls_first_from from)
{
    return two_calls_first_reply_to(from, "text");
}
