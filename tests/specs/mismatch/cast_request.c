/* cast_request.c: a cast has no send_request (a cast is never answered):
 * the C compiler must refuse it. */
#include "two_calls.srv.h"

srv_status ask(srv_pid server, srv_request_id *req)
{
    return two_calls_poke_send_request(server, req);
}
