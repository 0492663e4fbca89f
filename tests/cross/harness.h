/*
 * harness.h: the runtime tests' surface without Criterion or the runtime,
 * for the context tests cross-built to another machine and run under qemu
 * (tests/cross/aarch64.sh).  Forced in with -include, it stands in for
 * tests/runtime/support.h, whose include guard it takes.
 */
#ifndef SRV_CROSS_HARNESS_H
#define SRV_CROSS_HARNESS_H

#define SRV_TEST_SUPPORT_H /* support.h is not wanted: no Criterion here */
#include "../runtime/tsan_runner.h"
#define T(seconds) (seconds)

#endif
