/*
 * webadmin_diag.c - web-diagnostic: the WebRTC diagnostic page of the admin
 * interface, served to anyone (webadmin.c's routes /diagnostic,
 * /diagnostic.js and /api/diagnostic/ice).
 *
 * The page runs in the visitor's browser: its script fetches this server's
 * iceServers with TURN REST API credentials minted for it
 * (draft-uberti-behave-turn-rest-00 §2.2, good for WEBADMIN_DIAG_TTL_S),
 * then, for each URL alone, gathers candidates through it; for each TURN
 * URL (UDP, TCP, TLS: RFC 8656, RFC 7065) a relay-only RTCPeerConnection
 * connects to a second one in the page and times data-channel echoes
 * through the relay. It shows the candidate types, the round-trip time and
 * a verdict ("TURN over UDP works from your network; TURN over TLS 443
 * works"). The page and script are fixed text; what they show is written
 * with textContent, never as markup. The TURN URLs name the host the page
 * was loaded from (its Host header, checked by webadmin_host_header()).
 */
#include "server/webadmin_internal.h"

#include "common/iceservers.h"
#include "server/rest_auth.h"
#include "server/server.h"
#include "server/tls.h"

#include <event2/buffer.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DIAG_USER "web-diagnostic" /* the user part of the page's REST usernames */

static const char diag_page[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>turnserver: WebRTC diagnostic</title><style>\n"
    "body{font-family:sans-serif;margin:1.5em;max-width:70em}\n"
    "table{border-collapse:collapse;margin:1em 0}\n"
    "td,th{border:1px solid #999;padding:.25em .5em;text-align:left}\n"
    "tr.ok td.result,p.ok{color:#060}\n"
    "tr.fail td.result,p.fail{color:#a00}\n"
    "#verdict{font-size:1.2em;font-weight:bold}\n"
    "</style></head><body>\n"
    "<h1>WebRTC diagnostic</h1>\n"
    "<p>This page checks, from your browser and your network, that this server's\n"
    "STUN and TURN work for WebRTC calls: for each of its addresses it opens a\n"
    "real RTCPeerConnection through it, with credentials made for this page that\n"
    "end in ten minutes.</p>\n"
    "<noscript><p class=\"fail\">The check needs JavaScript.</p></noscript>\n"
    "<p id=\"verdict\">Running...</p>\n"
    "<table><thead><tr><th>test</th><th>URL</th><th>candidates gathered</th>\n"
    "<th>round-trip time</th><th>result</th></tr></thead>\n"
    "<tbody id=\"results\"></tbody></table>\n"
    "<p><button id=\"rerun\" type=\"button\" disabled>Run again</button></p>\n"
    "<script src=\"/diagnostic.js\"></script>\n"
    "</body></html>\n";

static const char diag_script[] =
    "'use strict';\n"
    "// The WebRTC diagnostic (webadmin_diag.c): this browser, from its network,\n"
    "// against the server's own STUN and TURN URLs, each alone. A TURN URL\n"
    "// passes when a relay-only RTCPeerConnection through it gathers a relay\n"
    "// candidate and carries data-channel echoes to a second connection in this\n"
    "// page (host and server-reflexive candidates), timed for the round trip.\n"
    "(function () {\n"
    "\tconst STEP_MS = 10000; // each step's bound: gathering, connecting, an echo\n"
    "\tconst PINGS = 5;\n"
    "\tconst $ = (id) => document.getElementById(id);\n"
    "\tconst sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));\n"
    "\n"
    "\tasync function until(ms, cond) {\n"
    "\t\tconst end = performance.now() + ms;\n"
    "\t\twhile (!cond()) {\n"
    "\t\t\tif (performance.now() > end)\n"
    "\t\t\t\treturn false;\n"
    "\t\t\tawait sleep(50);\n"
    "\t\t}\n"
    "\t\treturn true;\n"
    "\t}\n"
    "\n"
    "\tfunction portOf(url) {\n"
    "\t\tconst m = /:([0-9]+)(\\?|$)/.exec(url);\n"
    "\t\treturn m ? m[1] : '';\n"
    "\t}\n"
    "\n"
    "\t// What one URL tests.\n"
    "\tfunction testOf(url) {\n"
    "\t\tif (url.startsWith('stun:'))\n"
    "\t\t\treturn {key: 'stun', label: 'STUN ' + portOf(url), relay: false};\n"
    "\t\tif (url.startsWith('turns:'))\n"
    "\t\t\treturn {key: 'tls', label: 'TURN over TLS ' + portOf(url), relay: true};\n"
    "\t\tif (/transport=tcp$/.test(url))\n"
    "\t\t\treturn {key: 'tcp', label: 'TURN over TCP ' + portOf(url), relay: true};\n"
    "\t\treturn {key: 'udp', label: 'TURN over UDP', relay: true};\n"
    "\t}\n"
    "\n"
    "\tfunction typeOf(c) {\n"
    "\t\tconst m = / typ ([a-z]+)/.exec(c.candidate);\n"
    "\t\tlet t = m ? m[1] : '?';\n"
    "\t\tif (t === 'relay' && c.relayProtocol)\n"
    "\t\t\tt += ' (' + c.relayProtocol + ')';\n"
    "\t\treturn t;\n"
    "\t}\n"
    "\n"
    "\t// The candidates pc gathers into t.types (and to other, when given),\n"
    "\t// its candidate errors into t.errors.\n"
    "\tfunction watch(pc, t, other) {\n"
    "\t\tpc.onicecandidate = (e) => {\n"
    "\t\t\tif (!e.candidate || !e.candidate.candidate)\n"
    "\t\t\t\treturn;\n"
    "\t\t\tif (t && !t.types.includes(typeOf(e.candidate)))\n"
    "\t\t\t\tt.types.push(typeOf(e.candidate));\n"
    "\t\t\tif (other)\n"
    "\t\t\t\tother.addIceCandidate(e.candidate).catch(() => {});\n"
    "\t\t};\n"
    "\t\tif (t)\n"
    "\t\t\tpc.onicecandidateerror = (e) => {\n"
    "\t\t\t\tt.errors.push((e.errorCode || '') + ' ' + (e.errorText || ''));\n"
    "\t\t\t};\n"
    "\t}\n"
    "\n"
    "\t// Sends data on dc; true when it comes back within ms.\n"
    "\tfunction echo(dc, data, ms) {\n"
    "\t\treturn new Promise((resolve) => {\n"
    "\t\t\tconst timer = setTimeout(() => resolve(false), ms);\n"
    "\t\t\tdc.onmessage = (m) => {\n"
    "\t\t\t\tif (m.data === data) {\n"
    "\t\t\t\t\tclearTimeout(timer);\n"
    "\t\t\t\t\tresolve(true);\n"
    "\t\t\t\t}\n"
    "\t\t\t};\n"
    "\t\t\tdc.send(data);\n"
    "\t\t});\n"
    "\t}\n"
    "\n"
    "\tasync function runStun(server, t) {\n"
    "\t\tconst pc = new RTCPeerConnection({iceServers: [{urls: [t.url]}]});\n"
    "\t\ttry {\n"
    "\t\t\twatch(pc, t, null);\n"
    "\t\t\tpc.createDataChannel('diagnostic');\n"
    "\t\t\tawait pc.setLocalDescription(await pc.createOffer());\n"
    "\t\t\tawait until(STEP_MS, () => pc.iceGatheringState === 'complete');\n"
    "\t\t\tt.ok = t.types.includes('srflx');\n"
    "\t\t\tt.result = t.ok ? 'works: your public address is known' : 'no server-reflexive "
    "candidate';\n"
    "\t\t} finally {\n"
    "\t\t\tpc.close();\n"
    "\t\t}\n"
    "\t}\n"
    "\n"
    "\tasync function runRelay(server, t, stunUrl) {\n"
    "\t\tconst one = {urls: [t.url], username: server.username, credential: server.credential};\n"
    "\t\tconst pc1 = new RTCPeerConnection({iceServers: [one], iceTransportPolicy: 'relay'});\n"
    "\t\tconst pc2 = new RTCPeerConnection({iceServers: stunUrl ? [{urls: [stunUrl]}] : []});\n"
    "\t\ttry {\n"
    "\t\t\twatch(pc1, t, pc2);\n"
    "\t\t\twatch(pc2, null, pc1);\n"
    "\t\t\tconst dc1 = pc1.createDataChannel('diagnostic');\n"
    "\t\t\tpc2.ondatachannel = (e) => {\n"
    "\t\t\t\te.channel.onmessage = (m) => e.channel.send(m.data);\n"
    "\t\t\t};\n"
    "\t\t\tconst offer = await pc1.createOffer();\n"
    "\t\t\tawait pc1.setLocalDescription(offer);\n"
    "\t\t\tawait pc2.setRemoteDescription(offer);\n"
    "\t\t\tconst answer = await pc2.createAnswer();\n"
    "\t\t\tawait pc2.setLocalDescription(answer);\n"
    "\t\t\tawait pc1.setRemoteDescription(answer);\n"
    "\t\t\t// open, or given up: gathering done without a relay candidate, or ICE failed\n"
    "\t\t\tconst noRelay = () => pc1.iceGatheringState === 'complete' &&\n"
    "\t\t\t\t!t.types.some((x) => x.startsWith('relay'));\n"
    "\t\t\tawait until(STEP_MS, () => dc1.readyState === 'open' || noRelay() ||\n"
    "\t\t\t\tpc1.iceConnectionState === 'failed');\n"
    "\t\t\tif (dc1.readyState !== 'open') {\n"
    "\t\t\t\tt.result = t.types.some((x) => x.startsWith('relay'))\n"
    "\t\t\t\t\t? 'a relay candidate, but no connection through it'\n"
    "\t\t\t\t\t: 'no relay candidate' + (t.errors.length ? ': ' + t.errors[0] : '');\n"
    "\t\t\t\treturn;\n"
    "\t\t\t}\n"
    "\t\t\tconst rtts = [];\n"
    "\t\t\tfor (let i = 0; i < PINGS; i++) {\n"
    "\t\t\t\tconst t0 = performance.now();\n"
    "\t\t\t\tif (!(await echo(dc1, 'ping ' + i + ' ' + Math.random(), STEP_MS)))\n"
    "\t\t\t\t\tbreak;\n"
    "\t\t\t\trtts.push(performance.now() - t0);\n"
    "\t\t\t}\n"
    "\t\t\tif (rtts.length < PINGS) {\n"
    "\t\t\t\tt.result = 'connected, but the data stopped';\n"
    "\t\t\t\treturn;\n"
    "\t\t\t}\n"
    "\t\t\trtts.sort((a, b) => a - b);\n"
    "\t\t\tt.rtt = Math.round(rtts[Math.floor(PINGS / 2)]);\n"
    "\t\t\tt.ok = true;\n"
    "\t\t\tt.result = 'works';\n"
    "\t\t} finally {\n"
    "\t\t\tpc1.close();\n"
    "\t\t\tpc2.close();\n"
    "\t\t}\n"
    "\t}\n"
    "\n"
    "\tfunction row(t) {\n"
    "\t\tconst tr = document.createElement('tr');\n"
    "\t\ttr.id = 'test-' + t.key;\n"
    "\t\tfor (const cls of ['test', 'url', 'candidates', 'rtt', 'result']) {\n"
    "\t\t\tconst td = document.createElement('td');\n"
    "\t\t\ttd.className = cls;\n"
    "\t\t\ttr.appendChild(td);\n"
    "\t\t}\n"
    "\t\ttr.querySelector('.test').textContent = t.label;\n"
    "\t\ttr.querySelector('.url').textContent = t.url;\n"
    "\t\ttr.querySelector('.result').textContent = 'running';\n"
    "\t\treturn tr;\n"
    "\t}\n"
    "\n"
    "\tfunction show(t) {\n"
    "\t\tt.tr.className = t.ok ? 'ok' : 'fail';\n"
    "\t\tt.tr.querySelector('.candidates').textContent = t.types.join(', ') || 'none';\n"
    "\t\tt.tr.querySelector('.rtt').textContent = t.rtt === undefined ? '-' : t.rtt + ' ms';\n"
    "\t\tt.tr.querySelector('.result').textContent = t.result;\n"
    "\t}\n"
    "\n"
    "\t// \"TURN over UDP works from your network; TURN over TLS 443 works.\"\n"
    "\tfunction verdict(tests) {\n"
    "\t\tconst relays = tests.filter((t) => t.relay);\n"
    "\t\tif (!relays.length)\n"
    "\t\t\treturn 'This server offers no TURN: only STUN was checked.';\n"
    "\t\tconst parts = relays.map((t, i) => t.label + (t.ok ? ' works' : ' does not work') +\n"
    "\t\t\t(i === 0 ? ' from your network' : ''));\n"
    "\t\tlet text = parts.join('; ') + '.';\n"
    "\t\tif (!relays.some((t) => t.ok))\n"
    "\t\t\ttext += ' No TURN gets through: a call that needs a relay will fail with \"ICE "
    "failed\".';\n"
    "\t\treturn text;\n"
    "\t}\n"
    "\n"
    "\tasync function run() {\n"
    "\t\tconst button = $('rerun');\n"
    "\t\tconst body = $('results');\n"
    "\t\tbutton.disabled = true;\n"
    "\t\tdocument.body.dataset.state = 'running';\n"
    "\t\t$('verdict').textContent = 'Running...';\n"
    "\t\tbody.textContent = '';\n"
    "\t\ttry {\n"
    "\t\t\tconst res = await fetch('/api/diagnostic/ice', {cache: 'no-store'});\n"
    "\t\t\tconst json = await res.json();\n"
    "\t\t\tif (!res.ok)\n"
    "\t\t\t\tthrow new Error(json.error || res.statusText);\n"
    "\t\t\tconst tests = [];\n"
    "\t\t\tlet stunUrl = null;\n"
    "\t\t\tfor (const server of json.iceServers) {\n"
    "\t\t\t\tfor (const url of [].concat(server.urls)) {\n"
    "\t\t\t\t\tconst t = {...testOf(url), url, server, types: [], errors: [], ok: false};\n"
    "\t\t\t\t\tif (t.key === 'stun')\n"
    "\t\t\t\t\t\tstunUrl = url;\n"
    "\t\t\t\t\tt.tr = row(t);\n"
    "\t\t\t\t\tbody.appendChild(t.tr);\n"
    "\t\t\t\t\ttests.push(t);\n"
    "\t\t\t\t}\n"
    "\t\t\t}\n"
    "\t\t\tawait Promise.all(tests.map(async (t) => {\n"
    "\t\t\t\ttry {\n"
    "\t\t\t\t\tif (t.relay)\n"
    "\t\t\t\t\t\tawait runRelay(t.server, t, stunUrl);\n"
    "\t\t\t\t\telse\n"
    "\t\t\t\t\t\tawait runStun(t.server, t);\n"
    "\t\t\t\t} catch (err) {\n"
    "\t\t\t\t\tt.result = 'error: ' + (err && err.message || err);\n"
    "\t\t\t\t}\n"
    "\t\t\t\tshow(t);\n"
    "\t\t\t}));\n"
    "\t\t\t$('verdict').textContent = verdict(tests);\n"
    "\t\t\t$('verdict').className = tests.some((t) => t.relay && t.ok) ? 'ok' : 'fail';\n"
    "\t\t} catch (err) {\n"
    "\t\t\t$('verdict').textContent = 'The check could not run: ' + (err && err.message || err);\n"
    "\t\t\t$('verdict').className = 'fail';\n"
    "\t\t}\n"
    "\t\tdocument.body.dataset.state = 'done';\n"
    "\t\tbutton.disabled = false;\n"
    "\t}\n"
    "\n"
    "\t$('rerun').addEventListener('click', run);\n"
    "\trun();\n"
    "})();\n";

void webadmin_diag_page(struct evbuffer *out)
{
	evbuffer_add(out, diag_page, sizeof(diag_page) - 1);
}

void webadmin_diag_script(struct evbuffer *out)
{
	evbuffer_add(out, diag_script, sizeof(diag_script) - 1);
}

static int first_secret(void *arg, const char *realm, const char *secret)
{
	(void)realm;
	snprintf(arg, USERDB_SECRET_MAX + 1, "%s", secret);
	return 1;
}

/* The secret to mint with: the first static-auth-secret, else the realm's first in the store. */
static int diag_secret(struct webadmin *wa, char secret[USERDB_SECRET_MAX + 1], char *sep,
		       char *err, size_t errlen)
{
	const struct config *c = wa->srv->cfg;
	int rc;

	secret[0] = '\0';
	pthread_mutex_lock(&wa->cfg_lock); /* SIGHUP may swap them (webadmin_hold()) */
	*sep = c->rest_api_separator[0];
	if (c->static_auth_secret_count)
		snprintf(secret, USERDB_SECRET_MAX + 1, "%s", c->static_auth_secret[0]);
	pthread_mutex_unlock(&wa->cfg_lock);
	if (secret[0])
		return 0;
	rc = userdb_list_secrets(wa->db, wa->srv->realm, first_secret, secret);
	if (rc < 0)
		snprintf(err, errlen, "%s", userdb_errmsg(wa->db));
	else if (rc == 0)
		snprintf(err, errlen, "no secret for realm '%s' in the store (turnadmin -s)",
			 wa->srv->realm);
	return rc == 1 ? 0 : -1;
}

int webadmin_diag_ice(struct webadmin *wa, const char *host, struct evbuffer *out, char *err,
		      size_t errlen)
{
	const struct config *c = wa->srv->cfg;
	char secret[USERDB_SECRET_MAX + 1], password[REST_AUTH_PASSWORD_LEN + 1];
	char user[REST_AUTH_EXPIRY_DIGITS + sizeof(DIAG_USER) + 2], json[1024], sep;
	bool turn = !c->stun_only;
	uint16_t tls_port = 0;
	int rc = -1;

	if (diag_secret(wa, secret, &sep, err, errlen) < 0)
		goto out;
	snprintf(user, sizeof(user), "%llu%c%s",
		 (unsigned long long)time(NULL) + WEBADMIN_DIAG_TTL_S, sep, DIAG_USER);
	if (rest_password(secret, strlen(secret), user, strlen(user), password) < 0) {
		snprintf(err, errlen, "cannot compute the password");
		goto out;
	}
	/* the URLs of turnserver's own start-up line (main.c print_ice_servers()) */
	if (turn && tls_ctx_on(wa->srv->tls, TLS_KIND_TLS))
		tls_port = c->tls_listening_port ? c->tls_listening_port : c->listening_port;
	if (ice_servers_json_tls(json, sizeof(json), host, c->listening_port, turn && !c->no_udp,
				 turn && !c->no_tcp, tls_port, user, password) < 0) {
		snprintf(err, errlen, "the iceServers do not fit");
		goto out;
	}
	evbuffer_add_printf(out, "{\"iceServers\":%s,\"ttl\":%u}\n", json, WEBADMIN_DIAG_TTL_S);
	rc = 0;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(password, sizeof(password));
	OPENSSL_cleanse(json, sizeof(json));
	return rc;
}
