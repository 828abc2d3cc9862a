/*
 * itest_reload.c - SIGHUP reloads the configuration file of a running
 * server (src/server/reload.c) without dropping what runs.
 *
 * One server started from a config file alone (tserver_start_conf()),
 * relaying on 127.0.0.1, user alice. An allocation made first with a
 * channel to a peer is kept through every reload below: Refresh works and
 * data flows both ways after each one; so is a call the media anchor holds.
 *  - users, user-quota, max-bps and denied-peer-ip take effect: bob,
 *    unknown before, allocates, capped (BANDWIDTH in the answer); alice's
 *    second allocation gets 486; a permission to the newly denied peer
 *    gets 403. min-port/max-port need a restart:
 *    named in the log, and a new allocation still takes a port of the old
 *    range.
 *  - a file with a bad line keeps the running configuration (user-quota
 *    stays 1) and the log names FILE:LINE; so does a peer range that does
 *    not build.
 *  - log-file and alternate-server take effect: the log goes on in the new
 *    file, and a new Allocate gets 300 with the new ALTERNATE-SERVER.
 * A second server with use-auth-secret: static-auth-secret rotated by a
 * reload (the old secret refused, the new one taken). A third one whose
 * SQLite store gets a realm user-quota and a denied peer range while it
 * runs: a reload reads them, as startup does, and the next one keeps them,
 * even when the store cannot be opened again (then a peer option still
 * changes, the store's range kept in the new policy).
 */
#include <signal.h>
#include <sqlite3.h>

#include "integration/harness.h"

#define BASE_FMT                                                                                   \
	"relay-ip=127.0.0.1\nallow-loopback-peers\nuser=alice:alice-secret\n"                      \
	"anchor-ng-listen=127.0.0.1:%u\n"
#define CALL_SDP                                                                                   \
	"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"                \
	"m=audio 40000 RTP/AVP 0\r\n"
#define STD_LINES 10 /* tserver_write_conf()'s lines before the body */
#define LOG_WAIT_MS 5000

#define STORE_BASE "relay-ip=127.0.0.1\nallow-loopback-peers\nuser=alice:alice-secret\n"

static struct tserver srv, rest, store;

static struct turnc kept; /* alice's allocation, from the first test to the last */
static struct sockaddr_storage kept_relay;
static struct tpeer peer = {.fd = -1};
static bool kept_open;
static char base[256]; /* BASE_FMT with the anchor's ng port */
static struct sockaddr_storage ng_addr;

static int group_setup(void **state)
{
	uint16_t ng = h_pick_port();

	(void)state;
	if (!ng)
		return -1;
	ng_addr = h_addr("127.0.0.1", ng);
	snprintf(base, sizeof(base), BASE_FMT, ng);
	if (tserver_start_conf(&srv, 16, base) < 0)
		return -1;
	if (tserver_start_conf(&store, 4, STORE_BASE) < 0)
		return -1;
	return tserver_start_conf(&rest, 4,
				  "relay-ip=127.0.0.1\nuse-auth-secret\nstatic-auth-secret=one\n");
}

static int group_teardown(void **state)
{
	(void)state;
	if (kept_open)
		h_close(&kept);
	tpeer_close(&peer);
	tserver_stop(&srv);
	tserver_stop(&rest);
	tserver_stop(&store);
	return 0;
}

/* Bytes of the server's log file name now. */
static size_t log_size(const struct tserver *s, const char *name)
{
	char path[128];
	struct stat st;

	h_path(s, name, path, sizeof(path));
	return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

/* Waits until log file name holds want past byte from: true, or false after LOG_WAIT_MS. */
static bool log_has_after(const struct tserver *s, const char *name, size_t from, const char *want)
{
	static char buf[262144];
	uint64_t deadline = h_now_ms() + LOG_WAIT_MS;

	do {
		size_t n = h_slurp(s, name, buf, sizeof(buf));

		if (n > from && strstr(buf + from, want))
			return true;
		h_sleep_ms(20);
	} while (h_now_ms() < deadline);
	return false;
}

/* s's config file becomes body, then SIGHUP; waits for want in its log (turn.log). */
static void reload_with(struct tserver *s, const char *body, const char *want)
{
	size_t from = log_size(s, "turn.log");

	assert_int_equal(tserver_write_conf(s, body), 0);
	assert_int_equal(kill(s->pid, SIGHUP), 0);
	if (!log_has_after(s, "turn.log", from, want)) {
		h_dump(s);
		fail_msg("no '%s' in the log after SIGHUP", want);
	}
}

static void open_as(struct turnc *cl, const struct tserver *s, const char *user, const char *pass)
{
	if (h_open(cl, &s->v4, NULL, false) < 0)
		fail_msg("cannot reach %s", h_str(&s->v4));
	assert_int_equal(turnc_set_auth(cl, user, pass, NULL), 0);
}

/* One ng request (cookie and bencoded dict) to the anchor: the reply's length in reply, or -1. */
static int ng_request(const char *request, char *reply, size_t cap)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n = -1;

	assert_true(fd >= 0);
	if (sendto(fd, request, strlen(request), 0, SA(&ng_addr), addr_len(SA(&ng_addr))) > 0 &&
	    poll(&pfd, 1, H_TXN_TIMEOUT_MS) == 1)
		n = recv(fd, reply, cap - 1, 0);
	close(fd);
	if (n < 0)
		return -1;
	reply[n] = '\0';
	return (int)n;
}

/* The anchor still holds the call made before the reloads. */
static void assert_call_kept(void)
{
	char reply[2048];

	assert_true(ng_request("q1 d7:command5:query7:call-id4:kepte", reply, sizeof(reply)) > 0);
	if (!strstr(reply, "6:result2:ok"))
		fail_msg("query of the call: %s", reply);
}

/* The kept allocation still works: Refresh, and data both ways on its channel. */
static void assert_kept_allocation_works(void)
{
	uint8_t buf[64];
	uint16_t ch = 0;

	assert_code(h_refresh(&kept, 600), 0);
	assert_code(h_send_channel(&kept, 0x4001, "ping", 4), 0);
	assert_int_equal(tpeer_recv(&peer, buf, sizeof(buf), 2000, &(struct sockaddr_storage){0}),
			 4);
	tpeer_send(&peer, &kept_relay, "pong", 4);
	assert_int_equal(h_recv_data(&kept, 2000, &ch, NULL, buf, sizeof(buf)), 4);
	assert_int_equal(ch, 0x4001);
}

static void test_reload_applies_users_quota_and_peer_policy_keeping_allocations(void **state)
{
	char body[512], min[16], offer[512], reply[2048];
	struct tpeer other;
	struct turnc cl;
	struct sockaddr_storage relayed;
	unsigned int port;

	(void)state;
	tpeer_open(&peer, "127.0.0.1");
	tpeer_open(&other, "127.0.0.2");
	open_as(&kept, &srv, H_USER, "alice-secret");
	kept_open = true;
	assert_code(h_allocate(&kept), 0);
	assert_null(h_attr(&kept, STUN_ATTR_BANDWIDTH)); /* no max-bps yet */
	kept_relay = h_relayed(&kept, 0);
	assert_code(h_channel_bind(&kept, 0x4001, &peer.addr), 0);
	assert_code(h_permission(&kept, &other.addr), 0);
	snprintf(offer, sizeof(offer),
		 "o1 d7:command5:offer7:call-id4:kept8:from-tag1:a3:sdp%zu:%se", strlen(CALL_SDP),
		 CALL_SDP);
	assert_true(ng_request(offer, reply, sizeof(reply)) > 0);
	if (!strstr(reply, "6:result2:ok"))
		fail_msg("offer: %s", reply);
	/* what a query of a call the anchor does not hold gets */
	assert_true(ng_request("q0 d7:command5:query7:call-id4:nonee", reply, sizeof(reply)) > 0);
	assert_null(strstr(reply, "6:result2:ok"));
	open_as(&cl, &srv, H_USER2, H_PASS2);
	assert_code(h_allocate(&cl), STUN_ERR_UNAUTHORIZED);
	h_close(&cl);

	/* a relay range elsewhere: needs a restart */
	snprintf(min, sizeof(min), "%u", srv.max_port + 100u);
	snprintf(body, sizeof(body),
		 "%suser=" H_USER2 ":" H_PASS2 "\nuser-quota=1\ndenied-peer-ip=127.0.0.2\n"
		 "max-bps=16000\nmin-port=%s\nmax-port=%u\n",
		 base, min, srv.max_port + 200u);
	reload_with(&srv, body, "SIGHUP: configuration reloaded");
	assert_true(log_has_after(&srv, "turn.log", 0,
				  "taken only at a restart, the running values stay: min-port, "
				  "max-port"));

	assert_kept_allocation_works();
	assert_call_kept();
	assert_code(h_permission(&kept, &other.addr), STUN_ERR_FORBIDDEN);
	tpeer_close(&other);

	open_as(&cl, &srv, H_USER2, H_PASS2);
	assert_code(h_allocate(&cl), 0);
	assert_non_null(h_attr(&cl, STUN_ATTR_BANDWIDTH)); /* max-bps: a capped allocation */
	relayed = h_relayed(&cl, 0);
	port = addr_port(SA(&relayed));
	assert_true(port >= srv.min_port && port <= srv.max_port);
	h_close(&cl);

	open_as(&cl, &srv, H_USER, "alice-secret");
	assert_code(h_allocate(&cl), TURN_ERR_ALLOCATION_QUOTA);
	h_close(&cl);
}

static void test_reload_with_a_bad_line_keeps_the_running_configuration(void **state)
{
	char lines[512], body[1024], want[160];
	struct turnc cl;
	int line = STD_LINES + 1;
	size_t from;

	(void)state;
	snprintf(lines, sizeof(lines), "%suser=" H_USER2 ":" H_PASS2 "\nuser-quota=3\n", base);
	for (const char *p = lines; *p; p++)
		line += *p == '\n';
	snprintf(body, sizeof(body), "%smax-bps=lots\n", lines);
	snprintf(want, sizeof(want), "%s/turn.conf:%d: bad value 'lots' for max-bps", srv.dir,
		 line);
	reload_with(&srv, body, "SIGHUP: configuration not reloaded, the running one stays");
	assert_true(log_has_after(&srv, "turn.log", 0, want));

	/* a rule between two options has no line: the file is named */
	snprintf(body, sizeof(body), "%smin-port=%u\n", lines, srv.max_port + 1u);
	snprintf(want, sizeof(want), "the running one stays: %s/turn.conf: min-port %u is above",
		 srv.dir, srv.max_port + 1u);
	reload_with(&srv, body, want);

	/* a peer range that only the peer policy can judge */
	snprintf(body, sizeof(body), "%sdenied-peer-ip=10.0.0.0/99\n", lines);
	from = log_size(&srv, "turn.log");
	reload_with(&srv, body, "SIGHUP: configuration not reloaded, the running one stays");
	assert_true(log_has_after(&srv, "turn.log", from, "10.0.0.0/99"));

	/* user-quota 1 and the rest as they were */
	open_as(&cl, &srv, H_USER, "alice-secret");
	assert_code(h_allocate(&cl), TURN_ERR_ALLOCATION_QUOTA);
	h_close(&cl);
	assert_kept_allocation_works();
}

/* Reloads in a row, each applying a change, while the allocation relays between them. */
static void test_repeated_reloads_keep_relaying(void **state)
{
	char body[1024];

	(void)state;
	for (int i = 0; i < 10; i++) {
		snprintf(body, sizeof(body),
			 "%suser=" H_USER2 ":" H_PASS2 "\nuser-quota=1\ntotal-quota=%d\n", base,
			 100 + i);
		reload_with(&srv, body, "SIGHUP: configuration reloaded");
		assert_kept_allocation_works();
	}
	assert_call_kept();
}

static void test_reload_moves_the_log_and_takes_alternate_servers(void **state)
{
	struct sockaddr_storage want = h_addr("127.0.0.5", 4000), got;
	struct turnc cl;
	char body[512];

	(void)state;
	snprintf(body, sizeof(body),
		 "%suser=" H_USER2 ":" H_PASS2 "\nuser-quota=1\nalternate-server=127.0.0.5:4000\n"
		 "log-file=%s/turn2.log\n",
		 base, srv.dir);
	reload_with(&srv, body, "SIGHUP: log lines go to");
	assert_true(log_has_after(&srv, "turn2.log", 0, "SIGHUP: configuration reloaded"));

	open_as(&cl, &srv, H_USER2, H_PASS2);
	assert_code(h_allocate(&cl), 300);
	assert_non_null(h_attr(&cl, STUN_ATTR_ALTERNATE_SERVER));
	assert_int_equal(stun_attr_addr(h_resp(&cl), h_attr(&cl, STUN_ATTR_ALTERNATE_SERVER), &got),
			 0);
	h_assert_addr_equal(&got, &want);
	h_close(&cl);
	assert_kept_allocation_works();
	assert_call_kept();
}

/* "EXPIRY:NAME" ten minutes ahead, and its password under secret. */
static void rest_open(struct turnc *cl, const char *name, const char *secret)
{
	char user[64], pass[29];

	snprintf(user, sizeof(user), "%ld:%s", (long)time(NULL) + 600, name);
	h_rest_password(secret, user, pass);
	open_as(cl, &rest, user, pass);
}

static void test_reload_rotates_static_auth_secrets(void **state)
{
	struct turnc cl;

	(void)state;
	rest_open(&cl, "before", "one");
	assert_code(h_allocate(&cl), 0);
	h_close(&cl);
	reload_with(&rest, "relay-ip=127.0.0.1\nuse-auth-secret\nstatic-auth-secret=two\n",
		    "SIGHUP: configuration reloaded");
	rest_open(&cl, "old", "one");
	assert_code(h_allocate(&cl), STUN_ERR_UNAUTHORIZED);
	h_close(&cl);
	rest_open(&cl, "new", "two");
	assert_code(h_allocate(&cl), 0);
	h_close(&cl);
}

/* sql on the SQLite user store of s (coturn's schema, made by the server). */
static void store_sql(const struct tserver *s, const char *sql)
{
	char path[96], *msg = NULL;
	sqlite3 *db = NULL;

	h_path(s, "users.db", path, sizeof(path));
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
	sqlite3_close(db);
}

/*
 * The user store's realm options and peer ranges (coturn's turn_realm_option
 * and denied_peer_ip) are read again by a reload, as at startup, and kept
 * by the next one.
 */
static void test_reload_reads_the_stores_realm_options_again(void **state)
{
	struct turnc a, b;
	struct tpeer other;
	char db[96], away[104];

	(void)state;
	tpeer_open(&other, "127.0.0.2");
	open_as(&a, &store, H_USER, "alice-secret");
	assert_code(h_allocate(&a), 0);
	assert_code(h_permission(&a, &other.addr), 0);
	store_sql(&store, "INSERT INTO turn_realm_option (realm, opt, value) VALUES ('" H_REALM
			  "', 'user-quota', '1');"
			  "INSERT INTO denied_peer_ip (realm, ip_range) VALUES ('" H_REALM
			  "', '127.0.0.2');");
	reload_with(&store, STORE_BASE "total-quota=100\n", "SIGHUP: configuration reloaded");
	open_as(&b, &store, H_USER, "alice-secret");
	assert_code(h_allocate(&b), TURN_ERR_ALLOCATION_QUOTA);
	h_close(&b);
	assert_code(h_permission(&a, &other.addr), STUN_ERR_FORBIDDEN);

	/* another change: what the store set stays */
	reload_with(&store, STORE_BASE "total-quota=50\n", "total-quota applied");
	open_as(&b, &store, H_USER, "alice-secret");
	assert_code(h_allocate(&b), TURN_ERR_ALLOCATION_QUOTA);
	h_close(&b);
	assert_code(h_permission(&a, &other.addr), STUN_ERR_FORBIDDEN);

	/* a store that does not open now: what it set stays, a policy change still lands */
	h_path(&store, "users.db", db, sizeof(db));
	snprintf(away, sizeof(away), "%s.away", db);
	assert_int_equal(rename(db, away), 0);
	reload_with(&store, STORE_BASE "total-quota=40\nno-multicast-peers\n",
		    "SIGHUP: configuration reloaded");
	assert_true(log_has_after(&store, "turn.log", 0, "peer ranges not read again"));
	assert_int_equal(rename(away, db), 0);
	open_as(&b, &store, H_USER, "alice-secret");
	assert_code(h_allocate(&b), TURN_ERR_ALLOCATION_QUOTA);
	h_close(&b);
	assert_code(h_permission(&a, &other.addr), STUN_ERR_FORBIDDEN);
	assert_code(h_refresh(&a, 600), 0);
	h_close(&a);
	tpeer_close(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reload_applies_users_quota_and_peer_policy_keeping_allocations),
	    cmocka_unit_test(test_reload_with_a_bad_line_keeps_the_running_configuration),
	    cmocka_unit_test(test_repeated_reloads_keep_relaying),
	    cmocka_unit_test(test_reload_moves_the_log_and_takes_alternate_servers),
	    cmocka_unit_test(test_reload_rotates_static_auth_secrets),
	    cmocka_unit_test(test_reload_reads_the_stores_realm_options_again),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
