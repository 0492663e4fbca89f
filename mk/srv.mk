# srv.mk: what a Makefile needs to build servers from .srv specs.
#
#   include $(or $(shell pkg-config --variable=srvmk srv),$(error srv.pc not found: install srvc, or add its lib/pkgconfig to PKG_CONFIG_PATH))
#
# (the $(or ...) makes a missing srv.pc an error, not an include of
# nothing) gives the rule that turns NAME.srv into NAME.srv.c and
# NAME.srv.h, one srvc run for both, and the flags to compile and link
# against libsrv:
#
#   CFLAGS += $(SRV_CFLAGS)
#   prog: main.o worker.srv.o
#   	$(CC) -o $@ $^ $(SRV_LIBS)
#   main.o: worker.srv.h
#
# It defines no target of its own, so it may come first: your first
# target stays the default goal.  Each run of srvc leaves NAME.srv.stamp
# beside the spec: srvc rewrites an output only when its text changes, so
# that what includes it is not rebuilt for nothing, and the stamp says
# the spec has been seen.
#
# Set SRVC to use another srvc, SRVCFLAGS to pass it options (--no-line).

ifeq ($(shell pkg-config --exists srv && echo yes),)
$(error pkg-config knows no srv: install srvc, or add its lib/pkgconfig to PKG_CONFIG_PATH)
endif
SRVC ?= $(shell pkg-config --variable=srvc srv)
SRVCFLAGS ?=
SRV_CFLAGS := $(shell pkg-config --cflags srv)
SRV_LIBS := $(shell pkg-config --libs srv) -pthread

%.srv.stamp: %.srv
	$(SRVC) $(SRVCFLAGS) $<
	@touch $@
%.srv.c %.srv.h: | %.srv.stamp ;

# Specs are sources: without this, make's built-in `%: %.c` would offer to
# build worker.srv from worker.srv.c, a circle.
%.srv: ;
