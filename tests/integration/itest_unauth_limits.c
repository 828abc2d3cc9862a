/*
 * itest_unauth_limits.c - per-source limits on work before authentication,
 * over TCP (a source that cannot be forged), seen in the Prometheus
 * metrics:
 *  - unauth-req-rate: a source's requests that fail to authenticate (401)
 *    are answered up to the rate in a second, then dropped unanswered;
 *    the source's allocation in place is still served, another address is
 *    not affected, and the next second answers again;
 *    turnserver_dropped_total{reason="unauth_rate"} counts the drops;
 *  - max-unauth-connections-per-ip: connections that have not
 *    authenticated (a Binding does not count) are capped per address, the
 *    next one is closed at once, another address still connects, and one
 *    that authenticates (Allocate) makes room;
 *    turnserver_connections_refused_total{reason="unauth_per_ip"} and the
 *    turnserver_unauth_connections gauge say so.
 * Servers: "rate" (unauth-req-rate=5), "conns"
 * (max-unauth-connections-per-ip=3), one relay thread each (the rate is per
 * thread), metrics on 127.0.0.1.
 */
#include "integration/harness.h"

#define RATE 5
#define CONNS 3
#define DROP_WAIT_MS 500 /* "no answer": a TCP request unanswered this long */

static struct tserver rate, conns;
static uint16_t rate_metrics, conns_metrics;

static int group_setup(void **state)
{
	static char p1[40], p2[40];
	static const char *f1[] = {"--relay-ip=127.0.0.1",
				   "--relay-threads=1",
				   "--unauth-req-rate=5",
				   "--prometheus",
				   "--prometheus-address=127.0.0.1",
				   p1,
				   NULL};
	static const char *f2[] = {"--relay-ip=127.0.0.1",
				   "--relay-threads=1",
				   "--max-unauth-connections-per-ip=3",
				   "--prometheus",
				   "--prometheus-address=127.0.0.1",
				   p2,
				   NULL};

	(void)state;
	rate_metrics = h_pick_port();
	conns_metrics = h_pick_port();
	if (!rate_metrics || !conns_metrics)
		return -1;
	snprintf(p1, sizeof(p1), "--prometheus-port=%u", rate_metrics);
	snprintf(p2, sizeof(p2), "--prometheus-port=%u", conns_metrics);
	if (tserver_start(&rate, 4, f1) < 0)
		return -1;
	return tserver_start(&conns, 4, f2);
}

static int group_teardown(void **state)
{
	(void)state;
	return tserver_stop(&rate) | tserver_stop(&conns);
}

/* The value of the sample "name" (with its labels) at 127.0.0.1:port/metrics; -1 if none. */
static long long metric(uint16_t port, const char *name)
{
	struct sockaddr_storage to = h_addr("127.0.0.1", port);
	static char buf[1 << 17];
	const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	size_t got = 0;
	ssize_t n;
	char *at;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {2, 0};

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, SA(&to), sizeof(struct sockaddr_in)) < 0 ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		fail_msg("cannot scrape 127.0.0.1:%u: %s", port, strerror(errno));
	while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	for (at = strstr(buf, name); at; at = strstr(at + 1, name))
		if ((at == buf || at[-1] == '\n') && at[strlen(name)] == ' ')
			return strtoll(at + strlen(name) + 1, NULL, 10);
	return -1;
}

static void open_tcp(struct turnc *cl, const struct tserver *s, const char *from)
{
	if (h_open(cl, &s->v4, from, true) < 0)
		fail_msg("cannot connect to %s", h_str(&s->v4));
	turnc_set_timing(cl, H_RTO_MS, DROP_WAIT_MS);
}

/* One Allocate without credentials: 401 when answered, else -ETIMEDOUT. */
static int challenge(struct turnc *cl)
{
	struct turnc_req q = {.method = TURN_ALLOCATE, .transport = TURN_TRANSPORT_UDP};

	return turnc_request(cl, &q);
}

/* Sleeps into the next second: the rate's window (whole seconds) starts anew. */
static void next_second(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	h_sleep_ms(1000 - (uint64_t)ts.tv_nsec / 1000000 + 50);
}

static void test_requests_failing_auth_past_the_rate_are_dropped(void **state)
{
	struct turnc held, cl, other;
	long long before = metric(rate_metrics, "turnserver_dropped_total{reason=\"unauth_rate\"}");

	(void)state;
	assert_true(before >= 0);
	/* an allocation made first: one 401 of the rate spent */
	open_tcp(&held, &rate, NULL);
	turnc_set_timing(&held, H_RTO_MS, H_TXN_TIMEOUT_MS);
	next_second();
	assert_code(h_allocate(&held), 0);
	open_tcp(&cl, &rate, NULL);
	for (int i = 1; i < RATE; i++)
		assert_code(challenge(&cl), STUN_ERR_UNAUTHORIZED);
	assert_code(challenge(&cl), -ETIMEDOUT);
	assert_code(challenge(&cl), -ETIMEDOUT);
	/* the allocation in place is served; another address is not this one */
	assert_code(h_refresh(&held, 600), 0);
	open_tcp(&other, &rate, "127.0.0.2");
	assert_code(challenge(&other), STUN_ERR_UNAUTHORIZED);
	assert_true(metric(rate_metrics, "turnserver_dropped_total{reason=\"unauth_rate\"}") >=
		    before + 2);
	next_second();
	assert_code(challenge(&cl), STUN_ERR_UNAUTHORIZED);
	turnc_close(&other);
	turnc_close(&cl);
	turnc_close(&held);
}

/* A new connection from `from` is served a Binding (true), or closed at once. */
static bool served(const struct tserver *s, const char *from, struct turnc *cl)
{
	open_tcp(cl, s, from);
	turnc_set_timing(cl, H_RTO_MS, H_TXN_TIMEOUT_MS);
	if (h_binding(cl) == 0)
		return true;
	turnc_close(cl);
	return false;
}

static void test_half_open_connections_are_capped_per_address(void **state)
{
	struct turnc cl[CONNS], extra, other;
	long long refused =
	    metric(conns_metrics, "turnserver_connections_refused_total{reason=\"unauth_per_ip\"}");
	uint64_t end;

	(void)state;
	assert_true(refused >= 0);
	for (int i = 0; i < CONNS; i++)
		assert_true(served(&conns, NULL, &cl[i]));
	assert_int_equal(metric(conns_metrics, "turnserver_unauth_connections"), CONNS);
	assert_false(served(&conns, NULL, &extra));
	assert_true(metric(conns_metrics,
			   "turnserver_connections_refused_total{reason=\"unauth_per_ip\"}") >=
		    refused + 1);
	assert_true(served(&conns, "127.0.0.2", &other));
	turnc_close(&other);
	/* one authenticates: room for one more */
	assert_code(h_allocate(&cl[0]), 0);
	assert_true(served(&conns, NULL, &extra));
	turnc_close(&extra);
	for (int i = 0; i < CONNS; i++)
		turnc_close(&cl[i]);
	/* the server sees the closes in its own time */
	end = h_now_ms() + H_TXN_TIMEOUT_MS;
	while (metric(conns_metrics, "turnserver_unauth_connections") != 0 && h_now_ms() < end)
		h_sleep_ms(20);
	assert_int_equal(metric(conns_metrics, "turnserver_unauth_connections"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_requests_failing_auth_past_the_rate_are_dropped),
	    cmocka_unit_test(test_half_open_connections_are_capped_per_address),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
