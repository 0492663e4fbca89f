/* right.c: the deferred reply of `first` through the from of `first`;
 * the answer to a request of `second` read into second's reply. */
#include "two_calls.srv.h"

srv_status answer(two_calls_first_from from)
{
    return two_calls_first_reply_to(from, "text");
}

srv_status answer_request(srv_pid server)
{
    srv_request_id req;
    two_calls_second_reply r;
    srv_status status = two_calls_second_send_request(server, &req);
    return status == SRV_OK ? two_calls_second_wait_response(&req, 1000, &r) : status;
}
