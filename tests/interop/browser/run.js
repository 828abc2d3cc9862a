'use strict';
// run.js ICE_JSON VARIANT...: serves page.html on 127.0.0.1 (an ephemeral
// port), opens it as http://localhost:PORT/ in Debian's headless Chromium
// driven by playwright-core, and for each variant runs one relay-only call
// between two RTCPeerConnections of the page (see page.html). ICE_JSON is
// the file holding `turnadmin --ice-servers` output. Variants: udp keeps
// only the turn:...?transport=udp URL, tcp only the ?transport=tcp one,
// printed uses the printed entry as is; tls keeps only its turns: URLs
// (TLS over TCP, RFC 7065), or, when it has none, uses turns:HOST:$TURNS_PORT
// on the printed hosts with the printed credentials; tls_shared uses turns:
// on the printed turn: port (TLS and plain TURN on one port). tls_untrusted
// only gathers through the tls URLs, for a browser that must not trust the
// server's certificate: gathering completes with no relay candidate and an
// icecandidateerror for the URL.
// Prints "PASS: name" / "FAIL: name" lines; exits 1 if any failed, 2 if the
// browser could not be driven at all.
// Environment: CHROMIUM (default /usr/bin/chromium), CONNECT_MS (60000),
// STEP_MS (20000), TOTAL_MS (240000): time bounds; TURNS_PORT (5349).
// Chromium reads the CAs it trusts beyond its own from the NSS database
// under $HOME/.pki/nssdb: the caller sets HOME (tl_nssdb in tests/lib.sh).
const fs = require('fs');
const os = require('os');
const path = require('path');
const {checks, envBounds, serve, iceServersFor, turnsServersFor, portOf, urlHosts, launch,
	runBounded} = require('./common');

const {executablePath, connectMs, stepMs, totalMs} = envBounds(60000, 20000, 240000);
const turnsPort = Number(process.env.TURNS_PORT || 5349);

const [iceFile, ...variantArgs] = process.argv.slice(2);
if (!iceFile) {
	console.error('usage: node run.js ICE_JSON [udp|tcp|printed|tls|tls_shared|tls_untrusted]...');
	process.exit(64);
}
const variants = variantArgs.length ? variantArgs : ['udp', 'tcp'];

const check = checks.check;

// The iceServers of a variant (see the head of this file).
function serversFor(printed, variant) {
	if (variant === 'tls' || variant === 'tls_untrusted') {
		const turns = printed.iceServers.map((s) => ({
			...s, urls: [].concat(s.urls).filter((u) => u.startsWith('turns:')),
		})).filter((s) => s.urls.length);
		return turns.length ? turns : turnsServersFor(printed, turnsPort);
	}
	if (variant === 'tls_shared') {
		const plain = printed.iceServers.flatMap((s) => [].concat(s.urls))
			.find((u) => u.startsWith('turn:'));
		return turnsServersFor(printed, portOf(plain));
	}
	return iceServersFor(printed, variant);
}

// tls_untrusted: gathering through turns: completes, yields no relay
// candidate, and reports the URL in an icecandidateerror.
async function untrusted(page, iceServers, p) {
	const r = await page.evaluate((cfg) => window.gatherOnly(cfg), {iceServers, stepMs});
	const urls = iceServers.flatMap((s) => [].concat(s.urls));
	console.log('tls_untrusted: ' + JSON.stringify(urls) + ' gathered [' + r.gathered +
		'], errors ' + JSON.stringify(r.errors));
	check(p + 'gathering_completes', r.complete === true, r.error);
	check(p + 'gathers_no_relay_candidate', r.complete === true && r.gathered.length === 0,
		'gathered ' + r.gathered);
	check(p + 'candidate_error_names_turns_url',
		r.errors.some((e) => urls.some((u) => String(e.url).startsWith(u.replace(/\?.*/, '')))),
		JSON.stringify(r.errors));
}

function brief(c) {
	if (!c)
		return 'none';
	return c.candidateType + '/' + (c.relayProtocol || '-') + '/' + c.protocol + ' ' +
		c.address + ':' + c.port;
}

async function main() {
	const printed = JSON.parse(fs.readFileSync(iceFile, 'utf8'));
	const html = fs.readFileSync(path.join(__dirname, 'page.html'), 'utf8');
	const server = await serve(html);
	const url = 'http://localhost:' + server.address().port + '/';
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'turn-browser-profile-'));
	const consoleLines = [];
	let browser = null;

	try {
		browser = await launch(executablePath, profile, urlHosts(printed.iceServers),
			['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
		const context = await browser.newContext();
		const page = await context.newPage();
		page.on('console', (m) => consoleLines.push('console.' + m.type() + ': ' + m.text()));
		page.on('pageerror', (e) => consoleLines.push('pageerror: ' + e.message));
		await page.goto(url, {timeout: 30000});
		const secure = await page.evaluate(() => window.isSecureContext);
		check('browser_page_is_secure_context', secure, url);
		console.log('browser: ' + browser.version() + ', page ' + url);

		for (const variant of variants) {
			const iceServers = serversFor(printed, variant);
			const p = 'browser_' + variant + '_';
			if (variant === 'tls_untrusted') {
				await untrusted(page, iceServers, p);
				continue;
			}
			const failedBefore = checks.failed;
			checks.failed = false;
			const t0 = Date.now();
			const r = await page.evaluate((cfg) => window.runCall(cfg),
				{iceServers, connectMs, stepMs});
			const secs = ((Date.now() - t0) / 1000).toFixed(1);
			console.log(variant + ': ' + JSON.stringify(iceServers.map((s) => s.urls)) +
				' call took ' + secs + ' s; gathered pc1 [' + r.gathered.pc1 + '] pc2 [' +
				r.gathered.pc2 + ']; selected pc1 ' + (r.pair1 ? brief(r.pair1.local) + ' -> ' +
				brief(r.pair1.remote) : 'none') + ', pc2 ' + (r.pair2 ? brief(r.pair2.local) +
				' -> ' + brief(r.pair2.remote) : 'none'));
			const only = (list) => list.length > 0 && list.every((t) => t === 'relay');
			check(p + 'gathers_only_relay_candidates',
				only(r.gathered.pc1) && only(r.gathered.pc2));
			check(p + 'ice_connects', r.connected === true, r.error);
			check(p + 'datachannel_pc1_to_pc2', r.dc1to2 === true, r.error);
			check(p + 'datachannel_pc2_to_pc1', r.dc2to1 === true, r.error);
			check(p + 'audio_packets_received',
				!!r.audioFirst && r.audioFirst.packetsReceived > 0, r.error);
			check(p + 'audio_bytes_grow', !!r.audioSecond && !!r.audioFirst &&
				r.audioSecond.bytesReceived > r.audioFirst.bytesReceived, r.error);
			const relayPair = (pr) => !!pr && !!pr.local && !!pr.remote &&
				pr.local.candidateType === 'relay' && pr.remote.candidateType === 'relay';
			check(p + 'selected_pair_is_relay_relay', relayPair(r.pair1) && relayPair(r.pair2));
			if (variant !== 'printed') {
				const want = variant.startsWith('tls') ? 'tls' : variant;
				const proto = (pr) => !!pr && !!pr.local && pr.local.relayProtocol === want;
				check(p + 'local_relay_protocol_is_' + want, proto(r.pair1) && proto(r.pair2));
			}
			if (r.error || checks.failed) {
				console.log('  call events (' + variant + '):');
				for (const e of r.events)
					console.log('  | ' + e);
			}
			checks.failed = checks.failed || failedBefore;
		}
	} finally {
		if (checks.failed && consoleLines.length) {
			console.log('  page console:');
			for (const l of consoleLines)
				console.log('  | ' + l);
		}
		if (browser)
			await browser.close().catch(() => {});
		server.close();
		fs.rmSync(profile, {recursive: true, force: true});
	}
}

runBounded('browser', totalMs, main);
