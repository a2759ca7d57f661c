// CArbiterIntrinsics: compiler intrinsics Swift does not expose. Header-only (static inline), so
// that calls inline into the Swift code that uses them; portable to every clang target.
#ifndef C_ARBITER_INTRINSICS_H
#define C_ARBITER_INTRINSICS_H

/// Asks the CPU to start loading the cache line at `address` for a read soon. A hint: it never
/// faults (any address is allowed) and changes no result, only when the memory arrives.
static inline __attribute__((always_inline)) void CArbiterIntrinsics_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
