/*
 * bandwidth.c - token buckets for max-bps and the bps-capacity
 * reservation (see bandwidth.h). Pure: every call gets `now`.
 */
#include "server/bandwidth.h"

/* Past this long idle the bucket is full whatever the rate: no overflow below. */
#define BW_FULL_AFTER_MS 60000

uint32_t bw_depth(uint32_t rate)
{
	uint32_t quarter = rate / BW_BURST_DIV;
	uint32_t packet = rate < BW_MAX_DGRAM ? rate : BW_MAX_DGRAM;

	return quarter > packet ? quarter : packet;
}

void bw_bucket_init(struct bw_bucket *b, uint32_t rate, uint64_t now_ms)
{
	b->rate = rate;
	b->depth = bw_depth(rate);
	b->milli = (uint64_t)b->depth * 1000;
	b->last_ms = now_ms;
}

static void bw_fill(struct bw_bucket *b, uint64_t now_ms)
{
	uint64_t full = (uint64_t)b->depth * 1000, elapsed;

	if (now_ms <= b->last_ms)
		return;
	elapsed = now_ms - b->last_ms;
	b->last_ms = now_ms;
	if (elapsed >= BW_FULL_AFTER_MS) {
		b->milli = full;
		return;
	}
	/* bytes a second times ms: thousandths of a byte, exactly */
	b->milli += elapsed * b->rate;
	if (b->milli > full)
		b->milli = full;
}

bool bw_bucket_take(struct bw_bucket *b, size_t len, uint64_t now_ms)
{
	if (!b->rate)
		return true;
	bw_fill(b, now_ms);
	if (len > b->depth || (uint64_t)len * 1000 > b->milli)
		return false;
	b->milli -= (uint64_t)len * 1000;
	return true;
}

size_t bw_bucket_take_upto(struct bw_bucket *b, size_t len, uint64_t now_ms)
{
	uint64_t have;

	if (!b->rate)
		return len;
	bw_fill(b, now_ms);
	have = b->milli / 1000;
	if ((uint64_t)len > have)
		len = (size_t)have;
	b->milli -= (uint64_t)len * 1000;
	return len;
}

uint64_t bw_bucket_wait_ms(const struct bw_bucket *b, size_t want, uint64_t now_ms)
{
	uint64_t milli = b->milli, need, ms;

	if (!b->rate)
		return 1;
	if (want > b->depth)
		want = b->depth;
	if (now_ms > b->last_ms) {
		uint64_t elapsed = now_ms - b->last_ms;

		milli = elapsed >= BW_FULL_AFTER_MS ? (uint64_t)b->depth * 1000
						     : milli + elapsed * b->rate;
	}
	need = (uint64_t)want * 1000;
	if (milli >= need)
		return 1;
	ms = (need - milli + b->rate - 1) / b->rate;
	return ms ? ms : 1;
}

uint32_t bw_allocation_rate(uint32_t max_bps, uint32_t requested)
{
	if (max_bps && (!requested || requested > max_bps))
		return max_bps;
	return requested;
}

uint32_t bw_from_attr(uint32_t value)
{
	uint64_t rate = (uint64_t)value << BW_ATTR_SHIFT;

	return rate > UINT32_MAX ? UINT32_MAX : (uint32_t)rate;
}

uint32_t bw_to_attr(uint32_t rate)
{
	return rate >> BW_ATTR_SHIFT;
}

/* As coturn: with a capacity, the last allocation gets what remains of it. */
uint32_t bw_capacity_take(_Atomic uint64_t *reserved, uint64_t capacity, uint32_t want)
{
	uint64_t cur = atomic_load(reserved), got;

	if (!want)
		return 0;
	do {
		if (!capacity)
			got = want;
		else if (cur >= capacity)
			return 0;
		else
			got = capacity - cur < want ? capacity - cur : want;
	} while (!atomic_compare_exchange_weak(reserved, &cur, cur + got));
	return (uint32_t)got;
}

void bw_capacity_release(_Atomic uint64_t *reserved, uint32_t got)
{
	atomic_fetch_sub(reserved, got);
}
