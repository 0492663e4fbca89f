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
# target stays the default goal.
#
# Set SRVC to use another srvc, SRVCFLAGS to pass it options (--no-line).

ifeq ($(shell pkg-config --exists srv && echo yes),)
$(error pkg-config knows no srv: install srvc, or add its lib/pkgconfig to PKG_CONFIG_PATH)
endif
SRVC ?= $(shell pkg-config --variable=srvc srv)
SRVCFLAGS ?=
SRV_CFLAGS := $(shell pkg-config --cflags srv)
SRV_LIBS := $(shell pkg-config --libs srv) -pthread

# srvc rewrites an output only when its text changes (for build tools
# that compare contents); make compares times, so both are touched, or
# srvc would run again at every make and `make -q` would never hold.
%.srv.c %.srv.h: %.srv
	$(SRVC) $(SRVCFLAGS) $<
	@touch $*.srv.c $*.srv.h

# Specs are sources: without this, make's built-in `%: %.c` would offer to
# build worker.srv from worker.srv.c, a circle.
%.srv: ;
