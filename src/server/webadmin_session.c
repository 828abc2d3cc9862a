/*
 * webadmin_session.c - who may use the admin interface.
 *
 * A login checks an admin account of the user store (coturn's admin_user
 * rows: the realm '' or the server's realm, coturn's "$5$" hash) and opens
 * a session: a random token in an HttpOnly, SameSite=Strict cookie, and a
 * second random token every POST must carry (CSRF). Sessions end after
 * WEBADMIN_SESSION_IDLE_S unused, WEBADMIN_SESSION_MAX_S in all, or at
 * logout; there are at most WEBADMIN_SESSIONS, the oldest making room.
 * Failed logins are budgeted per source address (IPv6: its /64): past
 * WEBADMIN_FAILS_PER_WINDOW in WEBADMIN_FAIL_WINDOW_S, logins from there
 * are refused without looking at the store.
 */
#include "server/webadmin_internal.h"

#include "common/clock.h"
#include "common/log.h"
#include "server/server.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

static int token_new(char out[WEBADMIN_TOKEN_HEX + 1])
{
	static const char hexdig[] = "0123456789abcdef";
	uint8_t raw[WEBADMIN_TOKEN_BYTES];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hexdig[raw[i] >> 4];
		out[2 * i + 1] = hexdig[raw[i] & 15];
	}
	out[WEBADMIN_TOKEN_HEX] = '\0';
	return 0;
}

static bool token_eq(const char *mine, const char *given)
{
	return given && strlen(given) == WEBADMIN_TOKEN_HEX &&
	       CRYPTO_memcmp(mine, given, WEBADMIN_TOKEN_HEX) == 0;
}

static bool session_live(const struct webadmin_session *s, uint64_t now)
{
	return s->used && now - s->last_ms < (uint64_t)WEBADMIN_SESSION_IDLE_S * 1000 &&
	       now - s->created_ms < (uint64_t)WEBADMIN_SESSION_MAX_S * 1000;
}

struct webadmin_session *webadmin_session_open(struct webadmin *wa, const char *user)
{
	struct webadmin_session *s = &wa->sessions[0];
	uint64_t now = clock_ms();

	for (int i = 0; i < WEBADMIN_SESSIONS; i++) {
		struct webadmin_session *c = &wa->sessions[i];

		if (!session_live(c, now)) {
			s = c;
			break;
		}
		if (c->last_ms < s->last_ms)
			s = c;
	}
	webadmin_session_close(s);
	if (token_new(s->token) < 0 || token_new(s->csrf) < 0) {
		webadmin_session_close(s);
		return NULL;
	}
	snprintf(s->user, sizeof(s->user), "%s", user);
	s->created_ms = s->last_ms = now;
	s->used = true;
	return s;
}

struct webadmin_session *webadmin_session_find(struct webadmin *wa, const char *cookie)
{
	char token[WEBADMIN_TOKEN_HEX + 1];
	uint64_t now = clock_ms();

	if (!cookie || webadmin_cookie_value(cookie, WEBADMIN_COOKIE, token, sizeof(token)) < 0)
		return NULL;
	for (int i = 0; i < WEBADMIN_SESSIONS; i++) {
		struct webadmin_session *s = &wa->sessions[i];

		if (s->used && token_eq(s->token, token)) {
			if (!session_live(s, now)) {
				webadmin_session_close(s);
				return NULL;
			}
			s->last_ms = now;
			return s;
		}
	}
	return NULL;
}

void webadmin_session_close(struct webadmin_session *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
	s->used = false;
}

bool webadmin_csrf_ok(const struct webadmin_session *s, const char *csrf)
{
	return s && s->used && token_eq(s->csrf, csrf);
}

/* src's slot in table (WEBADMIN_FAIL_SLOTS of them), and its key. */
static struct webadmin_fail *fail_slot(struct webadmin *wa, struct webadmin_fail *table,
				       const struct sockaddr *src, uint32_t *key)
{
	union sockaddr_u a;

	memset(&a, 0, sizeof(a));
	memcpy(&a, src, src->sa_family == AF_INET6 ? sizeof(a.in6) : sizeof(a.in));
	if (src->sa_family == AF_INET6)
		memset(&a.in6.sin6_addr.s6_addr[8], 0, 8); /* its /64 */
	addr_set_port(&a.sa, 0);
	*key = addr_hash(&a.sa, wa->fail_seed) | 1;
	return &table[*key % WEBADMIN_FAIL_SLOTS];
}

bool webadmin_login_allowed(struct webadmin *wa, const struct sockaddr *src)
{
	uint32_t key;
	struct webadmin_fail *f = fail_slot(wa, wa->fails, src, &key);

	return f->key != key || clock_ms() - f->window_ms >= WEBADMIN_FAIL_WINDOW_S * 1000ULL ||
	       f->count < WEBADMIN_FAILS_PER_WINDOW;
}

/* One more in src's count of its window (a new window when the last one is over). */
static unsigned int budget_count(struct webadmin *wa, struct webadmin_fail *table,
				 const struct sockaddr *src)
{
	uint32_t key;
	struct webadmin_fail *f = fail_slot(wa, table, src, &key);
	uint64_t now = clock_ms();

	if (f->key != key || now - f->window_ms >= WEBADMIN_FAIL_WINDOW_S * 1000ULL) {
		f->key = key;
		f->window_ms = now;
		f->count = 0;
	}
	return ++f->count;
}

void webadmin_login_failed(struct webadmin *wa, const struct sockaddr *src)
{
	budget_count(wa, wa->fails, src);
}

bool webadmin_diag_take(struct webadmin *wa, const struct sockaddr *src)
{
	return budget_count(wa, wa->diag_mints, src) <= WEBADMIN_DIAG_PER_WINDOW;
}

int webadmin_login_check(struct webadmin *wa, const char *name, const char *password)
{
	char realm[USERDB_NAME_MAX + 1], pw[USERDB_ADMIN_PW_MAX + 1];
	int rc;

	if (!wa->db)
		return -1;
	rc = userdb_get_admin(wa->db, name, realm, sizeof(realm), pw, sizeof(pw));
	if (rc == 0) {
		/* the same work as for a known name, so the time tells nothing */
		char dummy[WEBADMIN_PW_LEN + 1];

		webadmin_pw_hash_salted(password, (const uint8_t *)"saltsalt", dummy);
		return 0;
	}
	if (rc < 0)
		return rc;
	if (!webadmin_pw_valid(pw)) {
		char who[64];

		log_warn("web-admin: admin '%s' has a password not in coturn's \"$5$\" form (in "
			 "clear?): refused; set it again with turnadmin -A",
			 log_safe(name, who, sizeof(who)));
		OPENSSL_cleanse(pw, sizeof(pw));
		return 0;
	}
	/* coturn: an admin of realm '' administers every realm */
	rc = (realm[0] == '\0' || strcmp(realm, wa->srv->realm) == 0) &&
	     webadmin_pw_check(pw, password);
	OPENSSL_cleanse(pw, sizeof(pw));
	return rc;
}
