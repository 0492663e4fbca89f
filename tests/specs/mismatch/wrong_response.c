/* wrong_response.c: the answer to a request of `second` read into the
 * reply struct of `first`: the C compiler must refuse it. */
#include "two_calls.srv.h"

srv_status answer(srv_request_id *req)
{
    two_calls_first_reply r;
    return two_calls_second_wait_response(req, 1000, &r);
}
