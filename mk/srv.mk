# srv.mk: what a Makefile needs to build servers from .srv specs.
#
#   include $(shell pkg-config --variable=srvmk srv)
#
# gives the rule that turns NAME.srv into NAME.srv.c and NAME.srv.h (one
# srvc run makes both, with a dependency file beside them), and the flags
# to compile and link against libsrv:
#
#   CFLAGS += $(SRV_CFLAGS)
#   prog: main.o worker.srv.o
#   	$(CC) -o $@ $^ $(SRV_LIBS)
#   main.o: worker.srv.h
#
# Set SRVC to use another srvc, SRVCFLAGS to pass it options (--no-line).

SRVC ?= $(shell pkg-config --variable=srvc srv 2>/dev/null || echo srvc)
SRVCFLAGS ?=
SRV_CFLAGS := $(shell pkg-config --cflags srv)
SRV_LIBS := $(shell pkg-config --libs srv) -pthread

# A pattern rule with two targets runs its recipe once for both.
%.srv.c %.srv.h: %.srv
	$(SRVC) $(SRVCFLAGS) --depfile $*.srv.d $<

# Specs are sources: without this, make's built-in `%: %.c` would offer to
# build worker.srv from worker.srv.c, a circle.
%.srv: ;

-include $(wildcard *.srv.d)
