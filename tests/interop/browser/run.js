'use strict';
// run.js ICE_JSON [udp|tcp|printed]...: serves page.html on 127.0.0.1 (an
// ephemeral port), opens it as http://localhost:PORT/ in Debian's headless
// Chromium driven by playwright-core, and for each variant runs one
// relay-only call between two RTCPeerConnections of the page (see
// page.html). ICE_JSON is the file holding `turnadmin --ice-servers`
// output. Variants: udp keeps only the turn:...?transport=udp URL, tcp only
// the ?transport=tcp one, printed uses the printed entry as is.
// Prints "PASS: name" / "FAIL: name" lines; exits 1 if any failed, 2 if the
// browser could not be driven at all.
// Environment: CHROMIUM (default /usr/bin/chromium), CONNECT_MS (60000),
// STEP_MS (20000), TOTAL_MS (240000): time bounds.
const fs = require('fs');
const os = require('os');
const path = require('path');
const {checks, serve, iceServersFor, urlHosts, launch, runBounded} = require('./common');

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const connectMs = Number(process.env.CONNECT_MS || 60000);
const stepMs = Number(process.env.STEP_MS || 20000);
const totalMs = Number(process.env.TOTAL_MS || 240000);

const [iceFile, ...variantArgs] = process.argv.slice(2);
if (!iceFile) {
	console.error('usage: node run.js ICE_JSON [udp|tcp|printed]...');
	process.exit(64);
}
const variants = variantArgs.length ? variantArgs : ['udp', 'tcp'];

const check = checks.check;

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
			const iceServers = iceServersFor(printed, variant);
			const p = 'browser_' + variant + '_';
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
				const proto = (pr) => !!pr && !!pr.local && pr.local.relayProtocol === variant;
				check(p + 'local_relay_protocol_is_' + variant, proto(r.pair1) && proto(r.pair2));
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
