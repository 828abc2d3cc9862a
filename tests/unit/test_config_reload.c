/*
 * test_config_reload.c - what SIGHUP may change (src/common/config_reload.c):
 * which options differ between a running configuration and a new one, and
 * whether a reload applies each; a reloadable option's value moved into
 * the running configuration with the old value left to be freed (lists,
 * strings and secrets without a leak under ASan); options a reload does not
 * apply refused; the notices of options given anew.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "common/config.h"

static struct config c, next; /* the running configuration, and the one read again */

#define MAX_SEEN 16

struct seen {
	const char *name[MAX_SEEN];
	bool reloadable[MAX_SEEN];
	int n;
};

static void collect(void *arg, const char *option, bool reloadable)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_SEEN);
	s->name[s->n] = option;
	s->reloadable[s->n++] = reloadable;
}

/* Index of option in s, or -1. */
static int find(const struct seen *s, const char *option)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->name[i], option) == 0)
			return i;
	return -1;
}

static int setup_both(void **state)
{
	(void)state;
	config_init(&c);
	config_init(&next);
	return 0;
}

static int teardown_both(void **state)
{
	(void)state;
	config_free(&c);
	config_free(&next);
	return 0;
}

static void set(struct config *cfg, const char *key, const char *value)
{
	char e[256];

	if (config_set(cfg, key, value, e, sizeof(e)) < 0)
		fail_msg("%s", e);
}

/* An option and its value (NULL for a flag), as a configuration file gives it. */
struct kv {
	const char *key, *value;
};

static void set_all(struct config *cfg, const struct kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		set(cfg, kv[i].key, kv[i].value);
}

#define SET_ALL(cfg, ...)                                                                          \
	set_all((cfg), (const struct kv[]){__VA_ARGS__},                                           \
		sizeof((const struct kv[]){__VA_ARGS__}) / sizeof(struct kv))

static void test_same_configuration_differs_in_nothing(void **state)
{
	struct seen s = {0};

	(void)state;
	SET_ALL(&c, {"user", "alice:pw"}, {"alternate-server", "192.0.2.1:3478"});
	SET_ALL(&next, {"user", "alice:pw"}, {"alternate-server", "192.0.2.1"});
	assert_int_equal(config_diff(&c, &next, collect, &s), 0);
}

static void test_diff_names_changes_and_whether_a_reload_applies_them(void **state)
{
	static const char *const reloadable[] = {"user", "user-quota", "denied-peer-ip", "verbose"};
	static const char *const not_reloadable[] = {"min-port", "relay-threads", "userdb"};
	struct seen s = {0};

	(void)state;
	set(&c, "user", "alice:pw");
	/* db is userdb's other name: one field, named once */
	SET_ALL(&next, {"user", "alice:other"}, {"user-quota", "3"},
		{"denied-peer-ip", "192.0.2.0/24"}, {"min-port", "50000"}, {"relay-threads", "4"},
		{"Verbose", NULL}, {"db", "/tmp/other.db"});
	assert_int_equal(config_diff(&c, &next, collect, &s), 7);
	for (size_t i = 0; i < sizeof(reloadable) / sizeof(reloadable[0]); i++)
		assert_true(s.reloadable[find(&s, reloadable[i])]);
	for (size_t i = 0; i < sizeof(not_reloadable) / sizeof(not_reloadable[0]); i++)
		assert_false(s.reloadable[find(&s, not_reloadable[i])]);
	assert_int_equal(find(&s, "db"), -1);
	assert_int_equal(find(&s, "Verbose"), -1);
}

static void test_what_needs_a_restart_is_not_reloadable(void **state)
{
	static const char *const restart[] = {
	    "listening-port", "listening-ip",	  "relay-ip",	    "min-port",
	    "max-port",	      "relay-threads",	  "realm",	    "userdb",
	    "cert",	      "anchor-ng-listen", "use-auth-secret"};
	static const char *const reload[] = {"user",
					     "static-auth-secret",
					     "user-quota",
					     "total-quota",
					     "max-bps",
					     "bps-capacity",
					     "allowed-peer-ip",
					     "denied-peer-ip",
					     "alternate-server",
					     "tls-alternate-server",
					     "log-file"};

	(void)state;
	for (size_t i = 0; i < sizeof(restart) / sizeof(restart[0]); i++)
		assert_false(config_reloadable(restart[i]));
	for (size_t i = 0; i < sizeof(reload) / sizeof(reload[0]); i++)
		assert_true(config_reloadable(reload[i]));
	assert_false(config_reloadable("no-such-option"));
}

static void test_swap_moves_lists_strings_and_scalars(void **state)
{
	static const char *const swapped[] = {"user", "static-auth-secret", "log-file",
					      "user-quota", "allow-loopback-peers"};

	(void)state;
	SET_ALL(&c, {"user", "alice:pw"}, {"static-auth-secret", "old-secret"});
	SET_ALL(&next, {"user", "bob:pw2"}, {"user", "carol:0x0123456789abcdef0123456789abcdef"},
		{"static-auth-secret", "new-secret"}, {"log-file", "/tmp/new.log"},
		{"user-quota", "7"}, {"allow-loopback-peers", NULL});
	for (size_t i = 0; i < sizeof(swapped) / sizeof(swapped[0]); i++)
		assert_int_equal(config_swap_option(&c, &next, swapped[i]), 0);

	assert_int_equal(c.user_count, 2);
	assert_string_equal(c.user[0].name, "bob");
	assert_string_equal(c.user[1].name, "carol");
	assert_true(c.user[1].is_key);
	assert_string_equal(c.static_auth_secret[0], "new-secret");
	assert_string_equal(c.log_file, "/tmp/new.log");
	assert_int_equal(c.user_quota, 7);
	assert_true(c.allow_loopback_peers);
	/* the old values, freed with next */
	assert_int_equal(next.user_count, 1);
	assert_string_equal(next.user[0].name, "alice");
	assert_string_equal(next.static_auth_secret[0], "old-secret");
	assert_null(next.log_file);
	assert_int_equal(next.user_quota, 0);
	assert_false(next.allow_loopback_peers);
}

static void test_swap_refuses_what_needs_a_restart(void **state)
{
	(void)state;
	set(&next, "min-port", "50000");
	set(&next, "realm", "other.example");
	assert_int_equal(config_swap_option(&c, &next, "min-port"), -1);
	assert_int_equal(config_swap_option(&c, &next, "realm"), -1);
	assert_int_equal(config_swap_option(&c, &next, "no-such-option"), -1);
	assert_int_equal(c.min_port, CONFIG_DEFAULT_MIN_PORT);
	assert_string_equal(c.realm, "");
}

static void count_notice(void *arg, const char *option, const char *text)
{
	(void)text;
	if (strcmp(option, "no-cli") == 0)
		++*(int *)arg;
}

static void test_notices_only_of_options_given_anew(void **state)
{
	int n = 0;

	(void)state;
	set(&next, "no-cli", NULL);
	config_notices_new(&c, &next, count_notice, &n);
	assert_int_equal(n, 1);
	set(&c, "no-cli", NULL);
	n = 0;
	config_notices_new(&c, &next, count_notice, &n);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_same_configuration_differs_in_nothing, setup_both,
					    teardown_both),
	    cmocka_unit_test_setup_teardown(
		test_diff_names_changes_and_whether_a_reload_applies_them, setup_both,
		teardown_both),
	    cmocka_unit_test_setup_teardown(test_what_needs_a_restart_is_not_reloadable, setup_both,
					    teardown_both),
	    cmocka_unit_test_setup_teardown(test_swap_moves_lists_strings_and_scalars, setup_both,
					    teardown_both),
	    cmocka_unit_test_setup_teardown(test_swap_refuses_what_needs_a_restart, setup_both,
					    teardown_both),
	    cmocka_unit_test_setup_teardown(test_notices_only_of_options_given_anew, setup_both,
					    teardown_both),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
