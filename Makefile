# srvc and libsrv: one non-recursive Makefile.
#
#   make            srvc, libsrv.a, libsrv.so and the examples
#   make demo       the seed's worker, end to end
#   make test       the whole suite: compiler, runtime (plain, ASan+UBSan,
#                   TSan, and on the ucontext fallback of the context
#                   switch), examples, the fuzz seeds replayed, install test
#   make bench      srvc's servers beside Erlang/OTP's gen_server, CAF and Go
#   make bench-scale  per-server costs from 1e3 to 1e7 servers (docs/scale.*)
#   make install PREFIX=... DESTDIR=...; make uninstall
#
# Outputs go to $(B) (build/ by default); sanitizer builds use their own
# folders (build/asan, build/tsan) through the same rules.

# One source for the version: srv.h's SRV_VERSION (srvc gets it as
# SRVC_VERSION, srv.pc and the shared library's name from here).
VERSION := $(shell sed -n 's/^\#define SRV_VERSION "\(.*\)"$$/\1/p' runtime/include/srv.h)
# The soname's major: srv/abi.h's SRV_ABI_VERSION.
ABI_MAJOR := $(shell sed -n 's/^\#define SRV_ABI_VERSION \([0-9]*\)$$/\1/p' runtime/include/srv/abi.h)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=

B ?= build
SAN ?=
Q = $(if $(V),,@)

CC ?= cc
CLANG ?= clang
FLEX ?= flex
BISON ?= bison
INSTALL ?= install
CFLAGS ?= -O2 -g
# Local overrides; never put a comment after a value: it keeps the spaces.
-include config.mak

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wno-unused-parameter
SAN_FLAGS_asan := -fsanitize=address,undefined -fno-omit-frame-pointer \
                  -fno-sanitize-recover=undefined -DSRV_SANITIZE_ADDRESS=1
SAN_FLAGS_tsan := -fsanitize=thread -DSRV_SANITIZE_THREAD=1
SAN_FLAGS := $(SAN_FLAGS_$(SAN))
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
             -DSRVC_VERSION='"$(VERSION)"' \
             -MMD -MP -pthread -Igen -iquote runtime -Iruntime/include \
             -I$(B)/grammar $(SAN_FLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pthread $(SAN_FLAGS) $(LDFLAGS)
# erl_interface (erlang-dev): the node's connections and terms (runtime/
# node.c, term.c).  Static: libei.a goes into libsrv.so, and a program
# that links libsrv.a links it after.
EI_LIBS = -lei
# Criterion cannot start under TSan (tests/runtime/tsan_runner.h stands in).
CRITERION_LIBS = $(if $(filter tsan,$(SAN)),,-lcriterion)

all: $(B)/srvc $(B)/libsrv.a $(B)/libsrv.so examples
.PHONY: all demo test bench bench-scale install uninstall clean deps examples golden fuzz check-aarch64 otp

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(B)/%.o: $(B)/%.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(B)/%.o: %.S
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# ---------------------------------------------------------------------------
# Build dependencies: installed with apt-get when missing and we are root,
# otherwise the exact command is printed.  A stamp keeps this to one check.

DEB_PACKAGES := flex bison libcriterion-dev pkg-config clang libclang-rt-14-dev valgrind \
                erlang-dev erlang-nox
$(B)/.deps-ok:
	$(Q)sh mk/deps.sh $(DEB_PACKAGES)
	@mkdir -p $(@D) && touch $@
deps: $(B)/.deps-ok

# ---------------------------------------------------------------------------
# srvc, the compiler: grammar/ (flex, bison), gen/ (tree, checks, emission),
# templates/ (built into the binary).

GRAMMAR_C := $(B)/grammar/srv.tab.c $(B)/grammar/srv.lex.c
GEN_SRCS := $(filter-out gen/main.c,$(wildcard gen/*.c))
SRVC_OBJS := $(GEN_SRCS:%.c=$(B)/%.o) $(GRAMMAR_C:.c=.o) $(B)/gen/templates.o
TEMPLATES := $(sort $(wildcard templates/*.tmpl))

$(B)/grammar/srv.tab.c $(B)/grammar/srv.tab.h &: grammar/srv.y $(B)/.deps-ok
	@mkdir -p $(@D)
	$(Q)$(BISON) -Wall -Werror --header=$(B)/grammar/srv.tab.h -o $(B)/grammar/srv.tab.c $<
$(B)/grammar/srv.lex.c $(B)/grammar/srv.lex.h &: grammar/srv.l $(B)/.deps-ok
	@mkdir -p $(@D)
	$(Q)$(FLEX) --header-file=$(B)/grammar/srv.lex.h -o $(B)/grammar/srv.lex.c $<
# The templates, as C strings: an installed srvc needs no data files.
$(B)/gen/templates.c: $(TEMPLATES) mk/embed.sh
	@mkdir -p $(@D)
	$(Q)sh mk/embed.sh $(TEMPLATES) > $@.tmp && mv $@.tmp $@
# -MMD cannot know generated headers before the first build: list them.
$(GEN_SRCS:%.c=$(B)/%.o) $(B)/gen/main.o $(GRAMMAR_C:.c=.o): \
	$(B)/grammar/srv.tab.h $(B)/grammar/srv.lex.h

$(B)/srvc: $(SRVC_OBJS) $(B)/gen/main.o
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^

# ---------------------------------------------------------------------------
# libsrv, the runtime: runtime/*.c and the context switch in assembly.

RUNTIME_SRCS := $(wildcard runtime/*.c) $(wildcard runtime/*.S)
RUNTIME_OBJS := $(patsubst %,$(B)/%.o,$(basename $(RUNTIME_SRCS)))
RUNTIME_PIC_OBJS := $(RUNTIME_OBJS:$(B)/%.o=$(B)/pic/%.o)
# initial-exec: a thread-local's address is never kept across a switch of
# stacks (a handler whose plain-thread caller left it resumes on a
# scheduler thread, inline.c), as a dynamic model's cached lookup would be.
RUNTIME_CFLAGS := -fvisibility=hidden -ftls-model=initial-exec
# With GCC the runtime is optimised as one unit: its objects are compiled
# for link-time optimisation and linked into one relocatable object for
# libsrv.a (and into libsrv.so), so calls between its files inline (casts
# ~13% faster).  Users link it as any object; LTO= turns this off.
LTO ?= $(if $(SAN),,$(shell $(CC) -v 2>&1 | grep -q '^gcc version' && echo yes))
ifeq ($(LTO),yes)
RUNTIME_CFLAGS += -flto
RUNTIME_LINK = $(CC) $(ALL_LDFLAGS) $(CFLAGS) -flto=auto -flinker-output=nolto-rel -r -o $(B)/runtime/libsrv.o $^ && ar rcs $@ $(B)/runtime/libsrv.o
else
RUNTIME_LINK = ar rcs $@ $^
endif

$(RUNTIME_OBJS): ALL_CFLAGS += $(RUNTIME_CFLAGS)
$(B)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(RUNTIME_CFLAGS) -fPIC -c -o $@ $<
$(B)/pic/%.o: %.S
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -c -o $@ $<

$(B)/libsrv.a: $(RUNTIME_OBJS)
	$(Q)rm -f $@ && $(RUNTIME_LINK)
$(B)/libsrv.so: $(RUNTIME_PIC_OBJS)
	$(Q)$(CC) -shared -Wl,-soname,libsrv.so.$(ABI_MAJOR) $(ALL_LDFLAGS) $(if $(filter yes,$(LTO)),$(CFLAGS) -flto=auto) -o $@ $^ $(EI_LIBS)

# ---------------------------------------------------------------------------
# Generated servers: the rule every user gets from srv.mk, here for the tree.

SRVC := $(B)/srvc
# srvc rewrites an output only when its text changes (for build tools
# that compare contents); make compares times, so the rule touches both:
# otherwise every make after a new srvc would run it again on every spec,
# and `make -q` would never hold.
$(B)/%.srv.c $(B)/%.srv.h: %.srv $(SRVC)
	@mkdir -p $(@D)
	$(Q)$(SRVC) -o $(@D) $<
	@touch $(B)/$*.srv.c $(B)/$*.srv.h

# ---------------------------------------------------------------------------
# Examples: examples/NAME/ holds *.srv specs and *.c; each builds to
# $(B)/examples/NAME/NAME and runs in make test (examples/NAME/expected.txt
# holds its exact output where it is deterministic).

EXAMPLES := $(notdir $(wildcard examples/*))
define example_rules
$(1)_SPECS := $$(wildcard examples/$(1)/*.srv)
$(1)_GEN_C := $$($(1)_SPECS:%=$(B)/%.c)
$(1)_OBJS := $$(patsubst %.c,$(B)/%.o,$$(wildcard examples/$(1)/*.c)) $$($(1)_GEN_C:.c=.o)
$$(patsubst %.c,$(B)/%.o,$$(wildcard examples/$(1)/*.c)): ALL_CFLAGS += -I$(B)/examples/$(1)
$$(patsubst %.c,$(B)/%.o,$$(wildcard examples/$(1)/*.c)) $$($(1)_GEN_C:.c=.o): $$($(1)_SPECS:%=$(B)/%.h)
# a supervisor's generated code reads the specs it uses: any of the folder's
$$($(1)_GEN_C) $$($(1)_SPECS:%=$(B)/%.h): $$($(1)_SPECS)
$(B)/examples/$(1)/$(1): $$($(1)_OBJS) $(B)/libsrv.a
	$$(Q)$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $(EI_LIBS)
examples: $(B)/examples/$(1)/$(1)
endef
$(foreach e,$(EXAMPLES),$(eval $(call example_rules,$(e))))

demo: $(B)/.deps-ok all
	@echo "== the seed's worker: examples/worker/main.c =="
	$(Q)$(B)/examples/worker/worker

# ---------------------------------------------------------------------------
# Tests (Criterion).  tests/compiler/test_*.c link srvc's objects;
# tests/runtime/test_*.c link libsrv.a; each file is one binary.

COMPILER_TESTS := $(patsubst tests/compiler/%.c,$(B)/tests/compiler/%,$(wildcard tests/compiler/test_*.c))
RUNTIME_TESTS := $(patsubst tests/runtime/%.c,$(B)/tests/runtime/%,$(wildcard tests/runtime/test_*.c))
# The runtime tests' servers are specs too: srvc builds them.
TEST_SERVER_SPECS := $(wildcard tests/runtime/servers/*.srv)
TEST_HELPERS := $(TEST_SERVER_SPECS:%=$(B)/%.o)
$(RUNTIME_TESTS:%=%.o): ALL_CFLAGS += -I$(B)/tests/runtime/servers
$(RUNTIME_TESTS:%=%.o): $(TEST_SERVER_SPECS:%=$(B)/%.h)

$(B)/tests/compiler/%: $(B)/tests/compiler/%.o $(SRVC_OBJS)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CRITERION_LIBS)
$(B)/tests/runtime/%: $(B)/tests/runtime/%.o $(TEST_HELPERS) $(B)/libsrv.a
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CRITERION_LIBS) $(EI_LIBS) -lm
$(B)/tests/compiler/%.o $(B)/tests/runtime/%.o: ALL_CFLAGS += -Itests -DSRCDIR='"$(CURDIR)"' -DBUILDDIR='"$(abspath $(B))"'
$(COMPILER_TESTS:%=%.o): $(B)/grammar/srv.tab.h $(B)/grammar/srv.lex.h
.SECONDARY:

# test_node answers the seed's session with the seed's own worker.
$(B)/tests/runtime/test_node.o: ALL_CFLAGS += -I$(B)/examples/worker
$(B)/tests/runtime/test_node.o: $(B)/examples/worker/worker.srv.h
$(B)/tests/runtime/test_node: $(B)/examples/worker/worker.srv.o

runtime-tests: $(RUNTIME_TESTS)
compiler-tests: $(COMPILER_TESTS) $(B)/srvc
.PHONY: runtime-tests compiler-tests

# The whole suite.  tests/run.sh runs each binary and ends with one line
# "tests: N passed, N failed" summing every Criterion synthesis.
test: $(B)/.deps-ok all compiler-tests runtime-tests fuzz-build
	$(Q)$(MAKE) --no-print-directory B=build/asan SAN=asan runtime-tests
	$(Q)$(MAKE) --no-print-directory B=build/tsan SAN=tsan runtime-tests
	$(Q)$(MAKE) --no-print-directory B=build/ucontext LTO= CPPFLAGS=-DSRV_CONTEXT_UCONTEXT runtime-tests
	+$(Q)sh tests/run.sh $(B)

# Golden outputs for the compiler's tests: rewritten for review in the diff.
golden: $(B)/srvc
	$(Q)sh tests/compiler/update-golden.sh $(B)/srvc

# ---------------------------------------------------------------------------
# Fuzzing the parser with libFuzzer (clang): make test replays the seeds
# (every spec in the tree) once; make fuzz mutates them for FUZZ_TIME s.

FUZZ_TIME ?= 30
$(B)/fuzz/fuzz_parse: tests/fuzz/fuzz_parse.c $(GEN_SRCS) $(GRAMMAR_C) $(B)/gen/templates.c
	@mkdir -p $(@D)
	$(Q)$(CLANG) -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 \
	    -DSRVC_VERSION='"$(VERSION)"' \
	    -fsanitize=fuzzer,address,undefined -Igen -I$(B)/grammar -Iruntime/include -o $@ $^
# The node's term decoding: every generated decoder of the examples over
# external-format terms (seeds in tests/fuzz/terms/), with the runtime
# built by clang for it.
# Every example is linked (a server may use a supervisor's API); the
# decoders fuzzed are the servers' only: a supervisor spec's module is a
# srv_sup_module, with no codec.
FUZZ_TERM_ALL := $(wildcard examples/*/*.srv)
FUZZ_TERM_SPECS := $(shell grep -l '^server ' $(FUZZ_TERM_ALL))
$(B)/fuzz/fuzz_term: tests/fuzz/fuzz_term.c $(FUZZ_TERM_ALL:%=$(B)/%.c) $(RUNTIME_SRCS)
	@mkdir -p $(@D)
	$(Q)$(CLANG) -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 \
	    -DSRV_SANITIZE_ADDRESS=1 \
	    -DFUZZ_MODULES='$(foreach s,$(FUZZ_TERM_SPECS),X($(basename $(notdir $(s)))))' \
	    -fsanitize=fuzzer,address,undefined -pthread -iquote runtime -Iruntime/include \
	    -o $@ $^ $(EI_LIBS)
fuzz-build: $(B)/fuzz/fuzz_parse $(B)/fuzz/fuzz_term
fuzz: $(B)/fuzz/fuzz_parse $(B)/fuzz/fuzz_term
	$(Q)sh tests/fuzz/run.sh $< $(FUZZ_TIME)
	$(Q)sh tests/fuzz/run.sh $(B)/fuzz/fuzz_term $(FUZZ_TIME) tests/fuzz/terms
.PHONY: fuzz-build

# The context switch's tests for AArch64, under qemu (not in make test:
# it needs a cross compiler and qemu, installed when missing).
check-aarch64:
	$(Q)sh tests/cross/aarch64.sh $(B)

# The Erlang twins of the runtime's tests (tests/otp/*.erl): each runs a
# scenario on Erlang/OTP and prints what happened, for the C tests to
# match.  Not part of make test: it needs erlang-nox, installed when missing.
otp:
	$(Q)sh mk/deps.sh erlang-nox
	$(Q)for f in tests/otp/*.erl; do echo "== $$f"; escript "$$f" || exit 1; done

# ---------------------------------------------------------------------------
# Benchmarks beside Erlang/OTP, CAF and Go, and the machine's floor
# (bench/README.md says what each line means).  The peers' packages are
# installed here only: make test needs none of them.

BENCH_PEERS := erlang-nox libcaf-dev golang-go
bench: $(B)/.deps-ok
	$(Q)sh mk/deps.sh $(BENCH_PEERS)
	$(Q)$(MAKE) --no-print-directory B=build/bench CFLAGS="-O2 -g -DNDEBUG" bench-build
	$(Q)sh bench/run.sh build/bench
bench-build: $(B)/bench/bench $(B)/bench/floor $(B)/bench/node $(B)/bench/caf/bench-caf $(B)/bench/go/bench-go
.PHONY: bench-build
BENCH_SPECS := $(wildcard bench/*.srv)
$(B)/bench/bench.o: ALL_CFLAGS += -I$(B)/bench
$(B)/bench/bench.o: $(BENCH_SPECS:%=$(B)/%.h)
$(B)/bench/bench: $(B)/bench/bench.o $(B)/bench/measure.o $(BENCH_SPECS:%=$(B)/%.o) $(B)/libsrv.a
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EI_LIBS)
$(B)/bench/node.o: ALL_CFLAGS += -I$(B)/bench
$(B)/bench/node.o: $(BENCH_SPECS:%=$(B)/%.h)
$(B)/bench/node: $(B)/bench/node.o $(BENCH_SPECS:%=$(B)/%.o) $(B)/libsrv.a
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EI_LIBS)
$(B)/bench/floor: $(B)/bench/floor.o $(B)/libsrv.a
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EI_LIBS)
$(B)/bench/caf/bench-caf: bench/caf/bench.cpp
	@mkdir -p $(@D)
	$(Q)$(CXX) -std=c++17 -O2 -DNDEBUG -pthread -o $@ $< -lcaf_core
# Go's caches go to the build folder, not to $$HOME.
$(B)/bench/go/bench-go: bench/go/bench.go bench/go/go.mod
	@mkdir -p $(@D)
	$(Q)cd bench/go && GOCACHE=$(abspath $(@D))/cache GOPATH=$(abspath $(@D))/path \
	    go build -o $(abspath $@) .

# Cost curves: per-server costs for N servers, N from 1e3 to 1e7, beside
# Erlang's up to SCALE_ERLANG_MAX; a table and a plot in docs/.
SCALE_ERLANG_MAX ?= 1000000
bench-scale: $(B)/.deps-ok
	$(Q)sh mk/deps.sh erlang-nox gnuplot-nox
	$(Q)$(MAKE) --no-print-directory B=build/bench CFLAGS="-O2 -g -DNDEBUG" build/bench/bench/scale
	$(Q)SCALE_ERLANG_MAX=$(SCALE_ERLANG_MAX) sh bench/scale.sh build/bench docs
$(B)/bench/scale.o: ALL_CFLAGS += -I$(B)/bench
$(B)/bench/scale.o: $(BENCH_SPECS:%=$(B)/%.h)
$(B)/bench/scale: $(B)/bench/scale.o $(B)/bench/measure.o $(BENCH_SPECS:%=$(B)/%.o) $(B)/libsrv.a
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EI_LIBS)
.PHONY: bench-scale

# ---------------------------------------------------------------------------
# Install: srvc, srv.h and srv/abi.h, libsrv.a, libsrv.so, srv.pc, srv.mk.

$(B)/srv.pc: mk/srv.pc.in
	@mkdir -p $(@D)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
	    -e 's|@DATADIR@|$(DATADIR)|g' -e 's|@VERSION@|$(VERSION)|g' $< > $@
.PHONY: $(B)/srv.pc

INSTALLED := $(DESTDIR)$(BINDIR)/srvc $(DESTDIR)$(INCLUDEDIR)/srv.h \
             $(DESTDIR)$(INCLUDEDIR)/srv/abi.h \
             $(DESTDIR)$(LIBDIR)/libsrv.a $(DESTDIR)$(LIBDIR)/libsrv.so.$(VERSION) \
             $(DESTDIR)$(PKGCONFIGDIR)/srv.pc $(DESTDIR)$(DATADIR)/srv/srv.mk
install: $(B)/srvc $(B)/libsrv.a $(B)/libsrv.so $(B)/srv.pc
	$(INSTALL) -D -m 755 $(B)/srvc $(DESTDIR)$(BINDIR)/srvc
	$(INSTALL) -D -m 644 runtime/include/srv.h $(DESTDIR)$(INCLUDEDIR)/srv.h
	$(INSTALL) -D -m 644 runtime/include/srv/abi.h $(DESTDIR)$(INCLUDEDIR)/srv/abi.h
	$(INSTALL) -D -m 644 $(B)/libsrv.a $(DESTDIR)$(LIBDIR)/libsrv.a
	$(INSTALL) -D -m 755 $(B)/libsrv.so $(DESTDIR)$(LIBDIR)/libsrv.so.$(VERSION)
	ln -sf libsrv.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libsrv.so.$(ABI_MAJOR)
	ln -sf libsrv.so.$(ABI_MAJOR) $(DESTDIR)$(LIBDIR)/libsrv.so
	$(INSTALL) -D -m 644 $(B)/srv.pc $(DESTDIR)$(PKGCONFIGDIR)/srv.pc
	$(INSTALL) -D -m 644 mk/srv.mk $(DESTDIR)$(DATADIR)/srv/srv.mk
uninstall:
	rm -f $(INSTALLED) $(DESTDIR)$(LIBDIR)/libsrv.so.$(ABI_MAJOR) $(DESTDIR)$(LIBDIR)/libsrv.so
	-rmdir $(DESTDIR)$(DATADIR)/srv $(DESTDIR)$(INCLUDEDIR)/srv 2>/dev/null

clean:
	rm -rf build $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
