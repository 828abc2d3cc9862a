'use strict';
// common.js: what run.js, anchor_run.js and bridge_run.js share: the
// PASS/FAIL lines, the page server on 127.0.0.1, the TURN URLs of
// turnadmin's iceServers entry, a headless Chromium launched with exactly
// the flags it needs, the run's time bound and exit status (0 all passed,
// 1 a check failed or time ran out, 2 the browser could not be driven at
// all), the anchor's ng client, and the frame of a run of variants in a
// fresh browser each.
const crypto = require('crypto');
const dgram = require('dgram');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const {chromium} = require('playwright-core');

// check() prints "PASS: name" or "FAIL: name (detail)" and sets failed; a
// run may save and clear failed to see whether one part of it failed.
const checks = {
	failed: false,
	check(name, ok, detail) {
		console.log((ok ? 'PASS: ' : 'FAIL: ') + name + (detail && !ok ? ' (' + detail + ')' : ''));
		if (!ok)
			checks.failed = true;
		return ok;
	},
};

// Serves html as / (and /index.html), and page_common.js, the pages' shared
// script, on 127.0.0.1, an ephemeral port.
function serve(html) {
	const pageJs = fs.readFileSync(path.join(__dirname, 'page_common.js'), 'utf8');
	const server = http.createServer((req, res) => {
		if (req.url === '/' || req.url === '/index.html') {
			res.writeHead(200, {'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store'});
			res.end(html);
		} else if (req.url === '/page_common.js') {
			res.writeHead(200, {'Content-Type': 'text/javascript; charset=utf-8',
				'Cache-Control': 'no-store'});
			res.end(pageJs);
		} else if (req.url === '/favicon.ico') {
			res.writeHead(204);
			res.end();
		} else {
			res.writeHead(404);
			res.end();
		}
	});
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve(server));
	});
}

// The printed iceServers with only the turn: URLs ending in ?transport=T
// (entries left with no URL dropped); T 'printed' keeps them as printed.
function iceServersFor(printed, transport) {
	if (transport === 'printed')
		return printed.iceServers;
	const want = '?transport=' + transport;
	return printed.iceServers.map((s) => ({
		...s,
		urls: [].concat(s.urls).filter((u) => u.startsWith('turn:') && u.endsWith(want)),
	})).filter((s) => s.urls.length);
}

// turns: URLs (RFC 7065, TLS over TCP) to PORT on each host of the printed
// turn: URLs, with the printed entries' credentials: for a server whose
// TLS port the printed entry does not name.
function turnsServersFor(printed, port) {
	return printed.iceServers.map((s) => ({
		...s,
		urls: [...new Set([].concat(s.urls).filter((u) => u.startsWith('turn:')).map(hostOf)
			.filter(Boolean))].map((h) => 'turns:' + (h.includes(':') ? '[' + h + ']' : h) + ':' +
			port + '?transport=tcp'),
	})).filter((s) => s.urls.length);
}

// The port of a URL (the default of its scheme when none), or null.
function portOf(u) {
	const m = /^([a-z]+):(\[[^\]]+\]|[^:?]+)(?::([0-9]+))?/.exec(u);
	if (!m)
		return null;
	return m[3] ? Number(m[3]) : (m[1] === 'turns' || m[1] === 'stuns' ? 5349 : 3478);
}

// The host of a URL as written in it (IPv6 without brackets), or null.
function hostOf(u) {
	const m = /^[a-z]+:(\[[^\]]+\]|[^:?]+)/.exec(u);
	return m ? m[1].replace(/^\[|\]$/g, '') : null;
}

// The distinct hosts of the iceServers' URLs.
function urlHosts(iceServers) {
	return [...new Set(iceServers.flatMap((s) => [].concat(s.urls).map(hostOf)).filter(Boolean))];
}

// A headless Chromium (executablePath) with the profile directory profile,
// no DNS but for localhost and hosts, and the flags extra.
function launch(executablePath, profile, hosts, extra) {
	return chromium.launch({
		executablePath,
		// Exactly these flags: Playwright's own defaults carry a
		// --disable-features of their own, and Chromium honours one.
		ignoreDefaultArgs: true,
		args: [
			'--headless',
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--disable-default-apps',
			'--disable-extensions',
			'--no-first-run',
			'--no-default-browser-check',
			'--password-store=basic',
			'--mute-audio',
			...extra,
			// No DNS. Chromium's TURN/TCP connects through its proxy-resolving
			// socket, where these rules apply to IP literals too: the TURN
			// hosts must be excluded or TURN over TCP fails with 701.
			'--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost' +
				hosts.map((h) => ', EXCLUDE ' + h).join(''),
			'--user-data-dir=' + profile,
			'--remote-debugging-pipe',
		],
		timeout: 60000,
	});
}

// The browser and the time bounds of a run: CHROMIUM (default
// /usr/bin/chromium), CONNECT_MS, STEP_MS and TOTAL_MS from the environment,
// else the run's defaults.
function envBounds(connectMs, stepMs, totalMs) {
	return {
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		connectMs: Number(process.env.CONNECT_MS || connectMs),
		stepMs: Number(process.env.STEP_MS || stepMs),
		totalMs: Number(process.env.TOTAL_MS || totalMs),
	};
}

// Runs main() within totalMs and exits: 0 when no check failed, 1 when one
// did or time ran out ("FAIL: NAME_run_time_bound"), 2 when main threw
// ("FAIL: NAME_driven").
function runBounded(name, totalMs, main) {
	const watchdog = setTimeout(() => {
		console.log('FAIL: ' + name + '_run_time_bound (no result after ' + totalMs + ' ms)');
		process.exit(1);
	}, totalMs);
	main().then(() => {
		clearTimeout(watchdog);
		process.exit(checks.failed ? 1 : 0);
	}, (err) => {
		clearTimeout(watchdog);
		console.log('FAIL: ' + name + '_driven (' + (err && err.stack || err) + ')');
		process.exit(2);
	});
}

// An ng client of the anchor at host:port: JSON datagrams, cookie-matched,
// retransmitted with the same cookie when unanswered; log(line) gets each
// request (">>> ") and reply ("<<< "). request(req, tries, everyMs)
// resolves to the parsed reply; close() closes the socket.
function ngClient(host, port, log) {
	const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
	const waiting = new Map();
	sock.on('message', (msg) => {
		const s = msg.toString('utf8');
		const sp = s.indexOf(' ');
		const w = sp > 0 && waiting.get(s.slice(0, sp));
		if (w)
			w(s.slice(sp + 1));
	});
	const request = (req, tries = 5, everyMs = 1000) => {
		const cookie = crypto.randomBytes(8).toString('hex');
		const body = JSON.stringify(req);
		const buf = Buffer.from(cookie + ' ' + body);
		log('>>> ' + cookie + ' ' + body);
		return new Promise((resolve, reject) => {
			let n = 0, timer = null;
			const send = () => {
				if (n++ >= tries) {
					waiting.delete(cookie);
					log('<<< ' + cookie + ' (no reply)');
					reject(new Error('no ng reply to ' + req.command + ' after ' + tries + ' tries'));
					return;
				}
				sock.send(buf, port, host);
				timer = setTimeout(send, everyMs);
			};
			waiting.set(cookie, (text) => {
				clearTimeout(timer);
				waiting.delete(cookie);
				log('<<< ' + cookie + ' ' + text);
				try {
					resolve(JSON.parse(text));
				} catch (e) {
					reject(new Error('ng reply is not JSON: ' + text.slice(0, 200)));
				}
			});
			send();
		});
	};
	return {request, close: () => sock.close()};
}

// The frame of anchor_run.js and bridge_run.js: reads o.iceFile
// (turnadmin's iceServers entry; its UDP URLs), serves o.page from this
// directory, makes a profile directory (o.profilePrefix), awaits
// o.start(ctx) once with ctx {iceServers, hosts, url, profile}, then for
// each of o.variants a browser from o.launchFor(v, ctx), in which
// o.run(browser, ctx, v) is awaited. The browser, the page server,
// o.ngClient and the profile are closed and removed at the end, also when
// something threw.
async function runVariants(o) {
	const printed = JSON.parse(fs.readFileSync(o.iceFile, 'utf8'));
	const iceServers = iceServersFor(printed, 'udp');
	const server = await serve(fs.readFileSync(path.join(__dirname, o.page), 'utf8'));
	const ctx = {
		iceServers,
		hosts: urlHosts(iceServers),
		url: 'http://localhost:' + server.address().port + '/',
		profile: fs.mkdtempSync(path.join(os.tmpdir(), o.profilePrefix)),
	};
	let browser = null;

	try {
		await o.start(ctx);
		for (const v of o.variants) {
			browser = await o.launchFor(v, ctx);
			await o.run(browser, ctx, v);
			await browser.close().catch(() => {});
			browser = null;
		}
	} finally {
		if (browser)
			await browser.close().catch(() => {});
		server.close();
		o.ngClient.close();
		fs.rmSync(ctx.profile, {recursive: true, force: true});
	}
}

module.exports = {checks, envBounds, serve, iceServersFor, turnsServersFor, hostOf, portOf, urlHosts, launch,
	runBounded, ngClient, runVariants};
