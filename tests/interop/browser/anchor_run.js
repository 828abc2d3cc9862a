'use strict';
// anchor_run.js ICE_JSON NG_IP:NG_PORT OUT_DIR [mdns|mic|controlling]...: a
// real browser call through turnserver's media anchor, per variant. Serves
// anchor_page.html on 127.0.0.1 (an ephemeral port) and opens it as
// http://localhost:PORT/ in Debian's headless Chromium (a fresh one per
// variant) driven by playwright-core:
//   pcB (the PBX, host candidates only) offers; once its gathering is
//   complete the offer goes through the anchor (ng "offer", ICE=force,
//   replace-origin, replace-session-connection, direction internal ->
//   external) and pcA (the browser, iceTransportPolicy 'relay' with our
//   TURN server) takes the anchored offer; its gathered answer goes through
//   the anchor (ng "answer") to pcB. Checked: each SDP names only the anchor
//   (relay candidates toward pcA, host toward pcB), fingerprints untouched;
//   both connect (ICE against the anchor on both sides, DTLS end to end);
//   the selected pairs name the anchor's candidates (pcA's local one is
//   relay) with the expected ICE roles; a data channel message crosses each
//   way; audio RTP arrives on both sides and keeps arriving; the ng query
//   shows packets, ICE completed and roles for both tags and the parties'
//   selected candidates as endpoints; statistics counts data handed from
//   pcA's allocation to the anchor inside the server; delete frees the call.
// Variants:
//   mdns: WebAudio oscillators as audio sources, so the page holds no media
//     permission and Chromium names pcB's host candidates with mDNS
//     (.local): the anchor learns pcB as peer-reflexive from its checks.
//   mic: the fake microphone (getUserMedia), after which Chromium shows
//     pcB's raw host address and the anchor checks it directly; the call
//     lasts past the 30 s consent timeout (RFC 7675) and must still flow.
//   controlling: like mic (no hold), with ICE-lite=off: the anchor runs
//     full ICE, controlling, toward pcA instead of being lite there.
// The ng requests are JSON datagrams sent from here (node's dgram) to
// NG_IP:NG_PORT, retransmitted with the same cookie when unanswered. Each
// variant's ng traffic, SDPs, getStats dumps and query replies go into
// OUT_DIR.
// Prints "PASS: name" / "FAIL: name" lines; exits 1 if any failed, 2 if the
// browser could not be driven at all.
// Environment: CHROMIUM (default /usr/bin/chromium), CONNECT_MS (20000),
// STEP_MS (10000), TOTAL_MS (150000): time bounds; HOLD_MS (36000): how
// long after connecting the mic call is checked again (0: not at all);
// ANCHOR_NO_MDNS=1 turns Chromium's mDNS host candidates off (to test the
// rest should mDNS fail); ANCHOR_NG_EXTRA='{"key": value, ...}' adds keys
// to the offer and answer requests (to try other flags by hand).
const crypto = require('crypto');
const dgram = require('dgram');
const fs = require('fs');
const path = require('path');
const common = require('./common');

const {checks} = common;
const check = checks.check;

const {executablePath, connectMs, stepMs, totalMs} = common.envBounds(20000, 10000, 150000);
const noMdns = process.env.ANCHOR_NO_MDNS === '1';
const holdMs = Number(process.env.HOLD_MS || 36000);
const ngExtra = JSON.parse(process.env.ANCHOR_NG_EXTRA || '{}');

const [iceFile, ngArg, outDir, ...variantArgs] = process.argv.slice(2);
if (!iceFile || !ngArg || !outDir) {
	console.error('usage: node anchor_run.js ICE_JSON NG_IP:NG_PORT OUT_DIR [mdns|mic|controlling]...');
	process.exit(64);
}
const variants = variantArgs.length ? variantArgs : ['mdns', 'mic', 'controlling'];
const ngMatch = /^(.*):(\d+)$/.exec(ngArg);
const ngHost = ngMatch[1].replace(/^\[|\]$/g, '');
const ngPort = Number(ngMatch[2]);

function note(file, text) {
	fs.appendFileSync(path.join(outDir, file), text + '\n');
}

// --- the ng client (common.js), logging into the variant's ng log
let ngLogFile = 'ng.log';
const ngClient = common.ngClient(ngHost, ngPort, (line) => note(ngLogFile, line));
const ng = ngClient.request;

// --- SDP helpers
const lines = (sdp) => sdp.split(/\r?\n/).filter((l) => l.length);
const fingerprints = (sdp) => lines(sdp).filter((l) => l.startsWith('a=fingerprint:'));
function candidates(sdp) {
	const out = [];
	for (const l of lines(sdp)) {
		const m = /^a=candidate:(\S+) (\d+) (\S+) (\d+) (\S+) (\d+) typ (\S+)/.exec(l);
		if (m)
			out.push({component: Number(m[2]), transport: m[3], address: m[5],
				port: Number(m[6]), type: m[7], line: l});
	}
	return out;
}
const connAddrs = (sdp) => lines(sdp).filter((l) => l.startsWith('c=')).map((l) => l.split(' ')[2]);
const originAddr = (sdp) => (lines(sdp).find((l) => l.startsWith('o=')) || '').split(' ')[5];
const ufrags = (sdp) => lines(sdp).filter((l) => l.startsWith('a=ice-ufrag:')).map((l) => l.slice(12));

// The SDP a party receives names nothing but the anchor: c=, o= (with
// replace-origin), candidates; with ICE=force its own credentials only and
// a=end-of-candidates. Returns a problem string or ''.
function onlyAnchor(sdp, orig, anchorIp, type) {
	const bad = [];
	for (const a of connAddrs(sdp))
		if (a !== anchorIp)
			bad.push('c= ' + a);
	if (originAddr(sdp) !== anchorIp)
		bad.push('o= ' + originAddr(sdp));
	const cands = candidates(sdp);
	if (!cands.length)
		bad.push('no candidates');
	for (const c of cands)
		if (c.address !== anchorIp || c.type !== type)
			bad.push('candidate ' + c.line);
	const theirs = new Set(ufrags(orig));
	const ours = ufrags(sdp);
	if (!ours.length || ours.some((u) => theirs.has(u)))
		bad.push('ice-ufrag ' + ours.join(','));
	if (!lines(sdp).includes('a=end-of-candidates'))
		bad.push('no a=end-of-candidates');
	return bad.join('; ');
}

function sameList(a, b) {
	return a.length === b.length && a.every((x, i) => x === b[i]);
}

function brief(c) {
	return c ? c.candidateType + ' ' + c.address + ':' + c.port : 'none';
}

// Every "local port" of an ng query reply.
function anchorPorts(q) {
	const out = new Set();
	for (const t of Object.values((q && q.tags) || {}))
		for (const m of t.medias || [])
			for (const st of m.streams || [])
				if (st['local port'])
					out.add(st['local port']);
	return [...out];
}

// True when a datagram to host:port draws an ICMP port unreachable (the
// socket is gone); false when nothing comes back within a second.
function portClosed(host, port) {
	return new Promise((resolve) => {
		const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
		let timer = null, again = null, closed = false;
		const done = (v) => {
			if (closed)
				return;
			closed = true;
			clearTimeout(timer);
			clearTimeout(again);
			sock.close();
			resolve(v);
		};
		sock.on('error', (e) => done(e.code === 'ECONNREFUSED'));
		timer = setTimeout(() => done(false), 1000);
		sock.connect(port, host, () => {
			if (closed)
				return;
			sock.send('x');
			again = setTimeout(() => { if (!closed) sock.send('x'); }, 300);
		});
	});
}

// The stream of tag's first media in an ng query reply.
function tagMedia(q, tag) {
	const t = q && q.tags && q.tags[tag];
	return t && t.medias && t.medias[0];
}

async function runVariant(browser, url, iceServers, variant) {
	const p = 'anchor_' + variant + '_';
	const failedBefore = checks.failed;
	const rnd = crypto.randomBytes(4).toString('hex');
	const callId = 'anchor-browser-' + variant + '-' + rnd + '@test';
	const pbxTag = 'pbx-' + rnd, brTag = 'browser-' + rnd;
	const anchorIp = ngHost;
	const cfg = VARIANTS[variant];
	const lite = !cfg.iceLite;
	ngLogFile = 'ng-' + variant + '.log';
	const context = await browser.newContext();
	const page = await context.newPage();
	const consoleLines = [];
	let deleted = false;
	checks.failed = false; /* this variant's own checks: its dump on failure */
	page.on('console', (m) => consoleLines.push('console.' + m.type() + ': ' + m.text()));
	page.on('pageerror', (e) => consoleLines.push('pageerror: ' + e.message));
	const dump = async (why) => {
		console.log('  ' + variant + ': ' + why);
		try {
			const e = await page.evaluate(() => window.anchorEvents());
			const pr = await page.evaluate(() => window.anchorPairs());
			note('stats-' + variant + '.json', JSON.stringify(pr, null, 1));
			for (const l of e.events)
				console.log('  | ' + l);
			for (const n of ['pcA', 'pcB']) {
				console.log('  | ' + n + ' transport ' + JSON.stringify(pr[n].transport));
				for (const l of pr[n].pairs)
					console.log('  | ' + n + ' pair ' + l);
			}
		} catch (err) {
			console.log('  | (no page state: ' + err.message + ')');
		}
		for (const l of consoleLines)
			console.log('  | ' + l);
	};
	try {
		const s0 = await ng({command: 'statistics'});
		const joined0 = (s0.statistics && s0.statistics.totalstatistics &&
			s0.statistics.totalstatistics.joinedpackets) || 0;
		await page.goto(url, {timeout: 30000});
		await page.evaluate((cfg) => window.anchorSetup(cfg),
			{iceServers, audio: VARIANTS[variant].audio});

		// pcB (PBX) offers; the anchor rewrites it for pcA
		const offer = await page.evaluate((ms) => window.anchorOffer(ms), stepMs);
		note('sdp-' + variant + '.txt', '--- pcB offer\n' + offer);
		const bc = candidates(offer);
		const mdns = bc.filter((c) => c.address.endsWith('.local'));
		console.log(variant + ': pcB offers ' + bc.map((c) => c.type + ' ' + c.address).join(', '));
		check(p + 'pbx_offer_has_only_host_candidates',
			bc.length > 0 && bc.every((c) => c.type === 'host'));
		if (variant === 'mdns' && !noMdns)
			check(p + 'pbx_offer_uses_mdns_names', mdns.length > 0 && mdns.length === bc.length,
				'Chromium showed raw addresses');
		else
			check(p + 'pbx_offer_uses_raw_addresses', bc.length > 0 && mdns.length === 0);
		// what Kamailio's rtpengine_offer/answer would send with "ICE=force
		// replace-origin replace-session-connection direction=internal
		// direction=external" (and ICE-lite=off for the controlling variant)
		const flags = {ICE: 'force', replace: ['origin', 'session-connection'],
			direction: ['internal', 'external']};
		if (cfg.iceLite)
			flags['ICE-lite'] = cfg.iceLite;
		Object.assign(flags, ngExtra);
		// The ng command (offer or answer) of sdp through the anchor, toward
		// side (browser: pcA, pbx: pcB): checks that it succeeds, that the SDP
		// it returns names only the anchor's candidates of type and keeps
		// sdp's fingerprints; returns that SDP, or null when it failed.
		const anchored = async (command, req, sdp, side, pc, type) => {
			const r = await ng({command, 'call-id': callId, 'from-tag': pbxTag, ...req, sdp,
				...flags});
			if (!check(p + 'ng_' + command + '_ok', r.result === 'ok' && typeof r.sdp === 'string',
				r['error-reason'] || r.result))
				return null;
			note('sdp-' + variant + '.txt', '--- anchored ' + command + ' (to ' + pc + ')\n' + r.sdp);
			const stray = onlyAnchor(r.sdp, sdp, anchorIp, type);
			check(p + command + '_to_' + side + '_names_only_anchor_' + type + '_candidates',
				stray === '', stray);
			check(p + command + '_fingerprint_untouched', fingerprints(sdp).length > 0 &&
				sameList(fingerprints(sdp), fingerprints(r.sdp)));
			return r.sdp;
		};
		const offerA = await anchored('offer', {}, offer, 'browser', 'pcA', 'relay');
		if (offerA === null)
			return;
		if (lite)
			check(p + 'offer_to_browser_is_ice_lite', lines(offerA).includes('a=ice-lite'));
		else
			check(p + 'offer_to_browser_is_full_ice', !lines(offerA).includes('a=ice-lite'));

		// pcA (browser) answers; the anchor rewrites it for pcB
		const answer = await page.evaluate(([sdp, ms]) => window.anchorAnswer(sdp, ms), [offerA, stepMs]);
		note('sdp-' + variant + '.txt', '--- pcA answer\n' + answer);
		const ac = candidates(answer);
		console.log(variant + ': pcA answers ' + ac.map((c) => c.type + ' ' + c.address + ':' + c.port).join(', '));
		check(p + 'browser_answer_has_only_relay_candidates',
			ac.length > 0 && ac.every((c) => c.type === 'relay'));
		const answerB = await anchored('answer', {'to-tag': brTag}, answer, 'pbx', 'pcB', 'host');
		if (answerB === null)
			return;
		check(p + 'answer_to_pbx_is_full_ice', !lines(answerB).includes('a=ice-lite'));
		await page.evaluate((sdp) => window.anchorTakeAnswer(sdp), answerB);

		// ICE against the anchor on both sides, DTLS end to end
		const t0 = Date.now();
		const st = await page.evaluate((ms) => window.anchorWaitConnected(ms), connectMs);
		const tConnected = Date.now();
		console.log(variant + ': ' + JSON.stringify(st) + ' after ' +
			((Date.now() - t0) / 1000).toFixed(1) + ' s');
		const connected = check(p + 'both_peer_connections_connected',
			st.pcA.connection === 'connected' && st.pcB.connection === 'connected',
			'pcA ' + st.pcA.connection + '/' + st.pcA.ice + ', pcB ' + st.pcB.connection + '/' + st.pcB.ice);
		const pr = await page.evaluate(() => window.anchorPairs());
		note('stats-' + variant + '.json', JSON.stringify(pr, null, 1));
		const sa = pr.pcA.selected, sb = pr.pcB.selected;
		console.log(variant + ': selected pcA ' + (sa ? brief(sa.local) + ' -> ' + brief(sa.remote) : 'none') +
			', pcB ' + (sb ? brief(sb.local) + ' -> ' + brief(sb.remote) : 'none'));
		const isAnchorCand = (c, sdp) => !!c && candidates(sdp).some((x) =>
			x.component === 1 && x.address === c.address && x.port === c.port &&
			(c.candidateType === x.type || c.candidateType === 'prflx'));
		check(p + 'browser_local_candidate_is_relay', !!sa && sa.local && sa.local.candidateType === 'relay');
		check(p + 'browser_remote_candidate_is_anchor', !!sa && isAnchorCand(sa.remote, offerA),
			sa ? brief(sa.remote) : 'no pair');
		check(p + 'pbx_remote_candidate_is_anchor', !!sb && isAnchorCand(sb.remote, answerB),
			sb ? brief(sb.remote) : 'no pair');
		// roles: pcB (offerer, full) controls the anchor's PBX side; pcA
		// controls toward a lite anchor, else the anchor controls pcA
		const role = (n) => pr[n].transport && pr[n].transport.iceRole;
		check(p + 'ice_roles', role('pcB') === 'controlling' &&
			role('pcA') === (lite ? 'controlling' : 'controlled'),
			'pcA ' + role('pcA') + ', pcB ' + role('pcB'));
		check(p + 'dtls_connected_end_to_end', !!pr.pcA.transport && !!pr.pcB.transport &&
			pr.pcA.transport.dtlsState === 'connected' && pr.pcB.transport.dtlsState === 'connected',
			JSON.stringify([pr.pcA.transport, pr.pcB.transport]));

		// data channel and audio
		if (connected) {
			const dc = await page.evaluate((ms) => window.anchorDataChannel(ms), stepMs);
			check(p + 'datachannel_pbx_to_browser', dc.bToA, dc.error);
			check(p + 'datachannel_browser_to_pbx', dc.aToB, dc.error);
		} else {
			check(p + 'datachannel_pbx_to_browser', false, 'not connected');
			check(p + 'datachannel_browser_to_pbx', false, 'not connected');
		}
		let a1 = await page.evaluate(() => window.anchorAudio());
		const end = Date.now() + stepMs;
		while (Date.now() < end && !(a1.pcA && a1.pcA.packetsReceived > 0 && a1.pcB && a1.pcB.packetsReceived > 0)) {
			await new Promise((r) => setTimeout(r, 200));
			a1 = await page.evaluate(() => window.anchorAudio());
		}
		await new Promise((r) => setTimeout(r, 3000));
		const a2 = await page.evaluate(() => window.anchorAudio());
		console.log(variant + ': audio packetsReceived pcA ' + JSON.stringify([a1.pcA, a2.pcA]) +
			', pcB ' + JSON.stringify([a1.pcB, a2.pcB]));
		// 50 packets/s of Opus: at least 1.5 s worth over the sampling time
		const grows = (x, y) => !!x && !!y && x.packetsReceived > 0 && y.packetsReceived > x.packetsReceived + 75;
		check(p + 'audio_pbx_to_browser_flows', grows(a1.pcA, a2.pcA), JSON.stringify([a1.pcA, a2.pcA]));
		check(p + 'audio_browser_to_pbx_flows', grows(a1.pcB, a2.pcB), JSON.stringify([a1.pcB, a2.pcB]));

		// consent freshness (RFC 7675): past 30 s both ends still answer each
		// other's consent checks and media keeps flowing
		if (cfg.hold && holdMs > 0) {
			const wait = tConnected + holdMs - Date.now();
			if (wait > 0)
				await new Promise((r) => setTimeout(r, wait));
			const h1 = await page.evaluate(() => window.anchorAudio());
			await new Promise((r) => setTimeout(r, 2000));
			const h2 = await page.evaluate(() => window.anchorAudio());
			const hs = await page.evaluate((ms) => window.anchorWaitConnected(ms), 0);
			console.log(variant + ': after ' + ((Date.now() - tConnected) / 1000).toFixed(1) +
				' s connected: ' + JSON.stringify(hs) + ', audio ' + JSON.stringify([h1, h2]));
			check(p + 'still_connected_after_' + Math.round(holdMs / 1000) + 's',
				hs.pcA.connection === 'connected' && hs.pcB.connection === 'connected',
				JSON.stringify(hs));
			check(p + 'audio_still_flows_both_ways_after_' + Math.round(holdMs / 1000) + 's',
				grows(h1.pcA, h2.pcA) && grows(h1.pcB, h2.pcB), JSON.stringify([h1, h2]));
		}

		// the anchor's view
		const q = await ng({command: 'query', 'call-id': callId});
		note('query-' + variant + '.json', JSON.stringify(q, null, 1));
		const mb = tagMedia(q, pbxTag), ma = tagMedia(q, brTag);
		const pk = (m) => (m && m.streams && m.streams[0] && m.streams[0].stats &&
			m.streams[0].stats.packets) || 0;
		const fl = (m) => (m && m.flags) || [];
		console.log(variant + ': query packets pbx ' + pk(mb) + ' [' + fl(mb).join(',') + '], browser ' +
			pk(ma) + ' [' + fl(ma).join(',') + ']');
		check(p + 'ng_query_ok', q.result === 'ok' && !!q.tags, q['error-reason']);
		check(p + 'ng_query_packets_from_both_parties', pk(mb) > 50 && pk(ma) > 50,
			'pbx ' + pk(mb) + ', browser ' + pk(ma));
		// both of the anchor's agents have nominated pairs: ICE completed
		const iceDone = (f) => f.includes('ICE') && f.includes('ICE completed');
		check(p + 'ng_query_ice_completed_pbx_side_controlled',
			iceDone(fl(mb)) && fl(mb).includes('ICE controlled'), fl(mb).join(','));
		if (lite)
			check(p + 'ng_query_ice_completed_browser_side_lite', iceDone(fl(ma)) &&
				fl(ma).includes('ICE-lite self') && fl(ma).includes('ICE controlled'),
				fl(ma).join(','));
		else
			check(p + 'ng_query_ice_completed_browser_side_controlling', iceDone(fl(ma)) &&
				!fl(ma).includes('ICE-lite self') && fl(ma).includes('ICE controlling'),
				fl(ma).join(','));
		// the endpoints the anchor uses are the parties' selected local candidates
		const ep = (m) => {
			const e = m && m.streams && m.streams[0] && m.streams[0].endpoint;
			return e ? e.address + ':' + e.port : 'none';
		};
		// (Chromium hides the address of an mDNS host candidate: port only then)
		const loc = (sel) => sel && sel.local ? sel.local.address + ':' + sel.local.port : '?';
		const same = (e, sel) => e === loc(sel) || (!!sel && !!sel.local && !sel.local.address &&
			e.endsWith(':' + sel.local.port) && !e.startsWith(anchorIp + ':'));
		check(p + 'ng_query_endpoints_are_selected_candidates', same(ep(ma), sa) && same(ep(mb), sb),
			'browser ' + ep(ma) + ' vs ' + loc(sa) + ', pbx ' + ep(mb) + ' vs ' + loc(sb));
		const s = await ng({command: 'statistics'});
		note('query-' + variant + '.json', JSON.stringify(s, null, 1));
		const tot = (s.statistics && s.statistics.totalstatistics) || {};
		check(p + 'browser_allocation_joined_to_anchor_in_process',
			tot.joinedpackets > joined0 + 50, 'joinedpackets ' + joined0 + ' -> ' + tot.joinedpackets);

		// delete frees it (and its ports, which are open until then: the
		// probe is a single byte, dropped by the anchor as unauthenticated)
		const ports = anchorPorts(q);
		check(p + 'media_ports_open_before_delete', ports.length > 0 &&
			!await portClosed(anchorIp, ports[0]), ports.join(','));
		const d = await ng({command: 'delete', 'call-id': callId, 'from-tag': pbxTag});
		note('query-' + variant + '.json', JSON.stringify(d, null, 1));
		deleted = d.result === 'ok';
		check(p + 'ng_delete_ok', deleted, d['error-reason']);
		const l = await ng({command: 'list'});
		const q2 = await ng({command: 'query', 'call-id': callId});
		check(p + 'ng_delete_frees_call', Array.isArray(l.calls) && !l.calls.includes(callId) &&
			q2.result === 'error', JSON.stringify(l.calls) + ' / ' + q2.result);
		const open = [];
		for (const port of ports)
			if (!await portClosed(anchorIp, port))
				open.push(port);
		check(p + 'ng_delete_closes_media_ports', ports.length > 0 && open.length === 0,
			'of ' + ports.join(',') + ' still open: ' + open.join(','));

		if (checks.failed)
			await dump('failure details');
	} catch (err) {
		check(p + 'call_steps', false, err && err.message || String(err));
		await dump('failure details');
	} finally {
		await page.evaluate(() => window.anchorClose()).catch(() => {});
		await context.close().catch(() => {});
		if (!deleted)
			await ng({command: 'delete', 'call-id': callId}, 2, 500).catch(() => {});
		checks.failed = checks.failed || failedBefore;
	}
}

// What each variant does: its audio source, whether Chromium gets the fake
// media device and auto-accepted permission prompts (with a granted media
// permission it shows raw host addresses, without one mDNS names), and the
// ng ICE-lite value (off: the anchor runs full ICE, controlling, toward
// pcA instead of being lite there).
const VARIANTS = {
	mdns: {audio: 'synth', fakeMedia: false, iceLite: null},
	mic: {audio: 'mic', fakeMedia: true, iceLite: null, hold: true},
	controlling: {audio: 'mic', fakeMedia: true, iceLite: 'off'},
};

// A headless Chromium for variant v (a fresh profile directory each).
function launch(v, hosts, profileRoot) {
	const profile = fs.mkdtempSync(path.join(profileRoot, v + '-'));
	return common.launch(executablePath, profile, hosts, [
		'--autoplay-policy=no-user-gesture-required',
		...(VARIANTS[v].fakeMedia ? ['--use-fake-device-for-media-stream',
			'--use-fake-ui-for-media-stream'] : []),
		...(noMdns ? ['--disable-features=WebRtcHideLocalIpsWithMdns'] : []),
	]);
}

function main() {
	return common.runVariants({
		iceFile, page: 'anchor_page.html', profilePrefix: 'anchor-browser-profile-', ngClient,
		variants,
		start: async (ctx) => {
			const pong = await ng({command: 'ping'});
			check('anchor_ng_ping', pong.result === 'pong', JSON.stringify(pong));
			check('anchor_turn_udp_url_present', ctx.iceServers.length > 0);
			const unknown = variants.filter((v) => !VARIANTS[v]);
			if (unknown.length)
				throw new Error('unknown variant ' + unknown.join(', '));
		},
		launchFor: async (v, ctx) => {
			const browser = await launch(v, ctx.hosts, ctx.profile);
			console.log('browser: ' + browser.version() + ', page ' + ctx.url + ', ng ' + ngArg);
			return browser;
		},
		run: (browser, ctx, v) => runVariant(browser, ctx.url, ctx.iceServers, v),
	});
}

common.runBounded('anchor_browser', totalMs, main);
