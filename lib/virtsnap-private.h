/* virtsnap-private.h — hooks for the test suite and the benchmark, beside
 * the public API but not part of it (not exported by the shared library:
 * tests and bench link the static library of the internals). */
#pragma once

#include "virtsnap/virtsnap.h"

/* How many times this process replaced a VM's record through @store (a
 * bulk file written or removed, a VM renamed): budget tests and the
 * benchmark check that an operation costs exactly one durable write. */
guint64 vsStoreGetCommitCount(const vsStore *store);
