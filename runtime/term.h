/*
 * term.h: the Erlang external term format (term.c, over erl_interface):
 * the reader and writer behind generated codecs' srv_term_* calls, and
 * the check that a term from the network lies whole inside its packet.
 * and the pids of this node and of others.  Only the node's files
 * include <ei.h>: this header does.
 */
#ifndef SRV_TERM_H
#define SRV_TERM_H

#include <stdbool.h>

#include <ei.h>

#include "srv.h"

/* A reader over one term: buf[index..len).  ei's decoders trust their
 * input, so a reader is only made over bytes srv__term_check passed. */
struct srv_term_in {
    const char *buf;
    int index;
    int len;
};

/* A writer: an ei_x_buff that grows; failed once out of memory. */
struct srv_term_out {
    ei_x_buff x;
    bool failed;
};

/* Whether buf[*index..len) starts with one whole term of the tags the
 * node knows (no funs, no atom cache references), nested at most 64
 * deep; *index then points after it.  No ei decoder runs before this. */
bool srv__term_check(const char *buf, int len, int *index);

/* An empty writer (false: out of memory); srv__term_out_free frees it. */
bool srv__term_out_init(struct srv_term_out *out);
void srv__term_out_free(struct srv_term_out *out);

/* Pids: a local srv_pid has node 0; a remote process's has the index
 * (from 1) of its node in a table of the nodes whose pids were seen,
 * which never shrinks.  srv__term_set_node says which node this one is
 * (NULL: none runs; its pids are then nonode@nohost's). */
void srv__term_set_node(const char *name, unsigned creation);
/* An Erlang pid as an srv_pid: false when the table of nodes is full. */
bool srv__term_pid_in(const erlang_pid *e, srv_pid *out);
/* An srv_pid as Erlang knows it. */
void srv__term_pid_out(srv_pid pid, erlang_pid *e);

/* The text of the term at buf[index..end) in Erlang's notation, for the
 * log ("..." if it cannot be read; a term with an integer too big for
 * ei's printer is named, not printed). */
void srv__term_print(srv_buf *out, const char *buf, int index, int end);

#endif /* SRV_TERM_H */
