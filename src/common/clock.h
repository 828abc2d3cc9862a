/*
 * clock.h - the monotonic clock, read in one place.
 *
 * clock_ms() is CLOCK_MONOTONIC_COARSE (a few ms of resolution, no
 * syscall): timers, lifetimes and windows on the servers' paths.
 * clock_ns() is CLOCK_MONOTONIC at full resolution: round-trip times and
 * rates measured by the client tools and tests.
 */
#ifndef COMMON_CLOCK_H
#define COMMON_CLOCK_H

#include <stdint.h>

uint64_t clock_ms(void);
uint64_t clock_ns(void);

#endif /* COMMON_CLOCK_H */
