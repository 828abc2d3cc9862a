'use strict';
// bridge_run.js ICE_JSON NG_IP:NG_PORT SIP_IP:SIP_PORT LOCAL_IP OUT_DIR
// [to-pbx|to-browser]...: a browser and a plain-RTP PBX in one call through
// Kamailio's stock rtpengine module and turnserver's media anchor, which
// bridges DTLS-SRTP toward the browser to plain RTP toward the PBX.
// This script plays both SIP user agents (on LOCAL_IP, ports 5070 and
// 5080) and the PBX's RTP endpoint (LOCAL_IP:40000, PCMU only, RTCP on
// 40001, a sender report a second), and drives Debian's headless Chromium (playwright-core) on
// bridge_page.html: one RTCPeerConnection, relay-only through our TURN
// server, the fake microphone playing a 1 kHz tone (a WAV file written
// here). Kamailio's R-URI user picks the flags (kamailio/kamailio.cfg.in):
//   to-pbx: the browser calls the PBX (offer "ICE=remove RTP/AVP", answer
//     "ICE=force RTP/SAVPF"): the anchor answers the browser's DTLS.
//   to-browser: the PBX calls the browser (offer "ICE=force RTP/SAVPF
//     rtcp-mux-offer", answer "ICE=remove RTP/AVP").
// Checked per variant: the PBX's SDP is RTP/AVP with no fingerprint,
// crypto, setup or ICE line and PCMU; the browser's is SAVPF with the
// anchor's sha-256 fingerprint, a=setup, rtcp-mux and the anchor's ICE
// candidates; the call connects through the browser's relay candidate with
// DTLS; PCMU is used; the PBX decodes the browser's tone (non-silent, about
// 1 kHz) and every datagram it gets is a plain 172-byte PCMU RTP packet (no
// SRTP, STUN or DTLS), RTCP on its RTCP port plain too; the browser's
// receiving track measures the PBX's 440 Hz tone (non-zero audio level);
// the anchor's query says bridged/DTLS/connected toward the browser, with
// packets unprotected and protected and no authentication failure, plain
// toward the PBX; statistics count the DTLS association; BYE deletes the
// call.
// Prints "PASS: name" / "FAIL: name" lines; exits 1 if any failed, 2 if the
// browser could not be driven at all. OUT_DIR gets the SIP and ng traffic,
// SDPs, stats and query replies. Environment: CHROMIUM, CONNECT_MS (20000),
// STEP_MS (10000), MEDIA_MS (4000: how long audio is measured), TOTAL_MS
// (100000).
const crypto = require('crypto');
const dgram = require('dgram');
const fs = require('fs');
const path = require('path');
const common = require('./common');

const {checks} = common;
const check = checks.check;

const {executablePath, connectMs, stepMs, totalMs} = common.envBounds(20000, 10000, 100000);
const mediaMs = Number(process.env.MEDIA_MS || 4000);

const [iceFile, ngArg, sipArg, localIp, outDir, ...variantArgs] = process.argv.slice(2);
if (!iceFile || !ngArg || !sipArg || !localIp || !outDir) {
	console.error('usage: node bridge_run.js ICE_JSON NG_IP:NG_PORT SIP_IP:SIP_PORT LOCAL_IP OUT_DIR [to-pbx|to-browser]...');
	process.exit(64);
}
const variants = variantArgs.length ? variantArgs : ['to-pbx', 'to-browser'];
const [ngHost, ngPort] = ngArg.split(':');
const [sipHost, sipPortS] = sipArg.split(':');
const sipPort = Number(sipPortS);
const UAC_PORT = 5070, UAS_PORT = 5080, PBX_RTP = 40000;
const MIC_HZ = 1000, PBX_HZ = 440;

let variantName = 'setup';
function note(file, text) {
	fs.appendFileSync(path.join(outDir, variantName + '-' + file), text + '\n');
}
const ngClient = common.ngClient(ngHost, Number(ngPort), (l) => note('ng.log', l));
const ng = ngClient.request;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- G.711 mu-law (ITU-T G.711), the PBX's codec
function ulawDecode(u) {
	u = ~u & 0xff;
	const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
	return (u & 0x80) ? 0x84 - t : t - 0x84;
}
function ulawEncode(x) {
	const sign = x < 0 ? 0x80 : 0;
	let m = Math.min(Math.abs(x), 32635) + 0x84;
	let e = 7;
	for (let mask = 0x4000; (m & mask) === 0 && e > 0; mask >>= 1)
		e--;
	return ~(sign | (e << 4) | ((m >> (e + 3)) & 0x0f)) & 0xff;
}

// A mono 16-bit 48 kHz WAV of one second of a hz tone (a whole number of
// cycles, so that Chromium's looping of it is seamless).
function toneWav(file, hz) {
	const rate = 48000, n = rate;
	const b = Buffer.alloc(44 + 2 * n);
	b.write('RIFF', 0);
	b.writeUInt32LE(36 + 2 * n, 4);
	b.write('WAVEfmt ', 8);
	b.writeUInt32LE(16, 16);
	b.writeUInt16LE(1, 20);
	b.writeUInt16LE(1, 22);
	b.writeUInt32LE(rate, 24);
	b.writeUInt32LE(2 * rate, 28);
	b.writeUInt16LE(2, 32);
	b.writeUInt16LE(16, 34);
	b.write('data', 36);
	b.writeUInt32LE(2 * n, 40);
	for (let i = 0; i < n; i++)
		b.writeInt16LE(Math.round(12000 * Math.sin(2 * Math.PI * hz * i / rate)), 44 + 2 * i);
	fs.writeFileSync(file, b);
}

// --- SIP: just what two user agents behind Kamailio need (RFC 3261)
function parseSip(buf) {
	const s = buf.toString('latin1');
	const sep = s.indexOf('\r\n\r\n');
	const head = (sep < 0 ? s : s.slice(0, sep)).split('\r\n');
	const headers = head.slice(1).map((l) => {
		const c = l.indexOf(':');
		return [l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim()];
	});
	return {start: head[0], headers, body: sep < 0 ? '' : s.slice(sep + 4)};
}
const hdr = (m, n) => (m.headers.find((h) => h[0] === n) || [])[1];
const hdrs = (m, n) => m.headers.filter((h) => h[0] === n).map((h) => h[1]);

// A user agent on localIp:port: send(text) to Kamailio, next(pred) the next
// message matching pred (within stepMs).
function userAgent(port) {
	const sock = dgram.createSocket('udp4');
	const queue = [], waiters = [];
	sock.on('message', (b) => {
		const m = parseSip(b);
		note('sip.log', '<<< ' + port + '\n' + b.toString('latin1'));
		const w = waiters.findIndex((x) => x.pred(m));
		if (w >= 0)
			waiters.splice(w, 1)[0].resolve(m);
		else
			queue.push(m);
	});
	return {
		port,
		ready: new Promise((r) => sock.bind(port, localIp, r)),
		send(text) {
			note('sip.log', '>>> ' + port + '\n' + text);
			sock.send(Buffer.from(text, 'latin1'), sipPort, sipHost);
		},
		next(what, pred) {
			const q = queue.findIndex(pred);
			if (q >= 0)
				return Promise.resolve(queue.splice(q, 1)[0]);
			return new Promise((resolve, reject) => {
				const w = {pred, resolve};
				waiters.push(w);
				setTimeout(() => {
					const i = waiters.indexOf(w);
					if (i >= 0) {
						waiters.splice(i, 1);
						reject(new Error('no SIP ' + what + ' within ' + stepMs + ' ms'));
					}
				}, stepMs);
			});
		},
		close: () => sock.close(),
	};
}

function msg(start, headers, body) {
	const b = body || '';
	return start + '\r\n' + headers.map(([n, v]) => n + ': ' + v).join('\r\n') +
		(b ? '\r\nContent-Type: application/sdp' : '') +
		'\r\nContent-Length: ' + Buffer.byteLength(b, 'latin1') + '\r\n\r\n' + b;
}
const crlf = (sdp) => sdp.split(/\r?\n/).filter((l) => l.length).join('\r\n') + '\r\n';

// The caller's side of a dialog: INVITE, ACK, BYE through Kamailio.
function uacDialog(ua, user, callId) {
	const d = {ua, callId, fromTag: crypto.randomBytes(4).toString('hex'), cseq: 1,
		uri: 'sip:' + user + '@' + sipHost + ':' + sipPort, to: null, target: null, route: []};
	const base = (method) => [
		['Via', 'SIP/2.0/UDP ' + localIp + ':' + ua.port + ';rport;branch=z9hG4bK' +
			crypto.randomBytes(6).toString('hex')],
		['Max-Forwards', '70'],
		['From', '<sip:caller@' + localIp + '>;tag=' + d.fromTag],
		['To', d.to || '<sip:' + user + '@' + sipHost + '>'],
		['Call-ID', callId],
		['CSeq', d.cseq + ' ' + method],
		['Contact', '<sip:caller@' + localIp + ':' + ua.port + '>'],
		...d.route.map((r) => ['Route', r]),
	];
	const isFinal = (method) => (m) => /^SIP\/2.0 [2-6]\d\d/.test(m.start) &&
		hdr(m, 'call-id') === callId && (hdr(m, 'cseq') || '').endsWith(' ' + method);
	d.invite = async (sdp) => {
		ua.send(msg('INVITE ' + d.uri + ' SIP/2.0', base('INVITE'), crlf(sdp)));
		const r = await ua.next('final reply to INVITE', isFinal('INVITE'));
		d.to = hdr(r, 'to');
		d.target = (/<([^>]+)>/.exec(hdr(r, 'contact') || '') || [])[1];
		d.route = hdrs(r, 'record-route').flatMap((v) => v.split(/,\s*(?=<)/)).reverse();
		return r;
	};
	d.ack = () => ua.send(msg('ACK ' + d.target + ' SIP/2.0', base('ACK')));
	d.bye = async () => {
		d.cseq++;
		ua.send(msg('BYE ' + d.target + ' SIP/2.0', base('BYE')));
		return ua.next('final reply to BYE', isFinal('BYE'));
	};
	return d;
}

// The callee's reply to request m (status line, its Vias, Record-Route,
// From, To with toTag, Call-ID, CSeq) with an optional SDP body.
function reply(ua, m, status, toTag, body) {
	const h = [...hdrs(m, 'via').map((v) => ['Via', v]),
		...hdrs(m, 'record-route').map((v) => ['Record-Route', v]),
		['From', hdr(m, 'from')],
		['To', hdr(m, 'to') + (/;tag=/.test(hdr(m, 'to')) ? '' : ';tag=' + toTag)],
		['Call-ID', hdr(m, 'call-id')], ['CSeq', hdr(m, 'cseq')],
		['Contact', '<sip:callee@' + localIp + ':' + ua.port + '>']];
	ua.send(msg('SIP/2.0 ' + status, h, body && crlf(body)));
}
const isRequest = (method, callId) => (m) => m.start.startsWith(method + ' ') &&
	hdr(m, 'call-id') === callId;

// --- the PBX's RTP endpoint: plain PCMU, a 440 Hz tone at 50 packets/s
function pbxSdp() {
	return ['v=0', 'o=pbx 1 1 IN IP4 ' + localIp, 's=pbx', 'c=IN IP4 ' + localIp, 't=0 0',
		'm=audio ' + PBX_RTP + ' RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=ptime:20',
		'a=sendrecv'].join('\r\n') + '\r\n';
}

function pbxEndpoint() {
	const rtp = dgram.createSocket('udp4'), rtcp = dgram.createSocket('udp4');
	const e = {rtp: [], rtcp: [], sent: 0, timer: null, dest: null};
	rtp.on('message', (b, r) => e.rtp.push({b, from: r.address + ':' + r.port, t: Date.now()}));
	rtcp.on('message', (b, r) => e.rtcp.push({b, from: r.address + ':' + r.port}));
	e.ready = Promise.all([new Promise((r) => rtp.bind(PBX_RTP, localIp, r)),
		new Promise((r) => rtcp.bind(PBX_RTP + 1, localIp, r))]);
	const ssrc = crypto.randomBytes(4).readUInt32BE(0);
	let seq = crypto.randomBytes(2).readUInt16BE(0), ts = crypto.randomBytes(4).readUInt32BE(0);
	let phase = 0;
	e.start = (host, port) => {
		e.dest = host + ':' + port;
		e.timer = setInterval(() => {
			const p = Buffer.alloc(172);
			p[0] = 0x80;
			p[1] = 0;
			p.writeUInt16BE(seq, 2);
			p.writeUInt32BE(ts >>> 0, 4);
			p.writeUInt32BE(ssrc, 8);
			for (let i = 0; i < 160; i++, phase++)
				p[12 + i] = ulawEncode(Math.round(10000 * Math.sin(2 * Math.PI * PBX_HZ * phase / 8000)));
			seq = (seq + 1) & 0xffff;
			ts = (ts + 160) >>> 0;
			rtp.send(p, port, host);
			e.sent++;
			// a sender report every 50 packets, to the RTCP port (RTP + 1)
			if (e.sent % 50 === 1) {
				const sr = Buffer.alloc(28);
				sr[0] = 0x80;
				sr[1] = 200;
				sr.writeUInt16BE(6, 2);
				sr.writeUInt32BE(ssrc, 4);
				sr.writeUInt32BE(Math.floor(Date.now() / 1000) + 2208988800, 8);
				sr.writeUInt32BE(ts >>> 0, 16);
				sr.writeUInt32BE(e.sent, 20);
				sr.writeUInt32BE(160 * e.sent, 24);
				rtcp.send(sr, port + 1, host);
			}
		}, 20);
	};
	e.close = () => {
		clearInterval(e.timer);
		rtp.close();
		rtcp.close();
	};
	return e;
}

// What the PBX received: datagrams that are not a plain PCMU RTP packet of
// 172 bytes (SRTP would carry an authentication tag, STUN and DTLS other
// first bytes), and the decoded signal of the last second: RMS, share of
// non-silent packets, frequency from zero crossings.
function pbxAnalysis(e) {
	const bad = e.rtp.filter(({b}) => b.length !== 172 || (b[0] & 0xc0) !== 0x80 || b[0] !== 0x80 ||
		(b[1] & 0x7f) !== 0);
	const last = e.rtp.slice(-50).filter(({b}) => b.length === 172);
	const samples = [];
	let loud = 0;
	for (const {b} of last) {
		let sum = 0;
		for (let i = 12; i < 172; i++) {
			const x = ulawDecode(b[i]);
			samples.push(x);
			sum += x * x;
		}
		if (Math.sqrt(sum / 160) > 300)
			loud++;
	}
	let sum = 0, crossings = 0;
	for (let i = 0; i < samples.length; i++) {
		sum += samples[i] * samples[i];
		if (i && (samples[i - 1] < 0) !== (samples[i] < 0))
			crossings++;
	}
	const secs = samples.length / 8000;
	// RTCP compound packets, plain: the RTCP length fields add up exactly
	// (SRTCP would add an index and a tag) and every packet type is 200-207
	const plainRtcp = (b) => {
		let off = 0;
		while (off + 4 <= b.length) {
			if ((b[off] & 0xc0) !== 0x80 || b[off + 1] < 200 || b[off + 1] > 207)
				return false;
			off += 4 * (b.readUInt16BE(off + 2) + 1);
		}
		return off === b.length;
	};
	return {
		received: e.rtp.length, bad: bad.length,
		badSample: bad.slice(0, 3).map(({b}) => b.length + ' bytes, first ' + b.slice(0, 2).toString('hex')),
		sources: [...new Set(e.rtp.map((x) => x.from))],
		rms: samples.length ? Math.round(Math.sqrt(sum / samples.length)) : 0,
		loud, window: last.length,
		hz: secs ? Math.round(crossings / 2 / secs) : 0,
		rtcp: e.rtcp.length, rtcpBad: e.rtcp.filter(({b}) => !plainRtcp(b)).length,
	};
}

// --- SDP
const sdpLines = (sdp) => sdp.split(/\r?\n/).filter((l) => l.length);
const has = (sdp, re) => sdpLines(sdp).some((l) => re.test(l));
function mLine(sdp) {
	const m = /^m=audio (\d+) (\S+) (.*)$/.exec(sdpLines(sdp).find((l) => l.startsWith('m=audio')) || '');
	return m ? {port: Number(m[1]), proto: m[2], pts: m[3].split(' ')} : null;
}
const connAddr = (sdp) => ((sdpLines(sdp).find((l) => l.startsWith('c=')) || '').split(' ')[2]);

// The SDP the PBX gets: RTP/AVP at the anchor, PCMU, nothing of SRTP or ICE.
function pbxSdpProblems(sdp, anchorIp) {
	const bad = [];
	const m = mLine(sdp);
	if (!m || m.proto !== 'RTP/AVP')
		bad.push('m= ' + (m ? m.proto : 'none'));
	if (m && !m.pts.includes('0'))
		bad.push('no PCMU');
	if (connAddr(sdp) !== anchorIp)
		bad.push('c= ' + connAddr(sdp));
	for (const re of [/^a=fingerprint/, /^a=crypto/, /^a=setup/, /^a=ice-/, /^a=candidate/])
		if (has(sdp, re))
			bad.push(re.source.slice(1));
	return bad.join('; ');
}

// The SDP the browser gets: SAVPF at the anchor, its sha-256 fingerprint
// (not the browser's own), a=setup, rtcp-mux, ICE with the anchor's
// candidates only.
function browserSdpProblems(sdp, anchorIp, ownFingerprint, isOffer) {
	const bad = [];
	const m = mLine(sdp);
	if (!m || !/^(UDP\/TLS\/)?RTP\/SAVPF$/.test(m.proto))
		bad.push('m= ' + (m ? m.proto : 'none'));
	if (m && !m.pts.includes('0'))
		bad.push('no PCMU');
	const fp = sdpLines(sdp).filter((l) => l.startsWith('a=fingerprint:'));
	if (fp.length !== 1 || !/^a=fingerprint:sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/i.test(fp[0]))
		bad.push('fingerprint ' + fp.join(','));
	if (ownFingerprint && fp.includes(ownFingerprint))
		bad.push('the browser\'s own fingerprint');
	const setup = (sdpLines(sdp).find((l) => l.startsWith('a=setup:')) || '').slice(8);
	if (isOffer ? setup !== 'actpass' : !['active', 'passive'].includes(setup))
		bad.push('setup ' + setup);
	if (!has(sdp, /^a=rtcp-mux$/))
		bad.push('no rtcp-mux');
	if (!has(sdp, /^a=ice-ufrag:/) || !has(sdp, /^a=ice-pwd:/))
		bad.push('no ICE credentials');
	const cands = sdpLines(sdp).filter((l) => l.startsWith('a=candidate:'));
	if (!cands.length || cands.some((l) => l.split(' ')[4] !== anchorIp))
		bad.push('candidates ' + cands.join(' | '));
	if (connAddr(sdp) !== anchorIp)
		bad.push('c= ' + connAddr(sdp));
	return bad.join('; ');
}

// The first stream of tag's first media in an ng query reply.
function tagStream(q, tag) {
	const t = q && q.tags && q.tags[tag];
	const m = t && t.medias && t.medias[0];
	return m && m.streams && m.streams[0];
}

async function runVariant(browser, url, iceServers, variant) {
	variantName = variant;
	const p = 'bridge_' + variant.replace('-', '_') + '_';
	const rnd = crypto.randomBytes(4).toString('hex');
	const callId = 'bridge-' + variant + '-' + rnd + '@test';
	const anchorIp = ngHost;
	const uac = userAgent(UAC_PORT), uas = userAgent(UAS_PORT);
	const pbx = pbxEndpoint();
	await Promise.all([uac.ready, uas.ready, pbx.ready]);
	const context = await browser.newContext();
	const page = await context.newPage();
	const consoleLines = [];
	page.on('console', (m) => consoleLines.push('console.' + m.type() + ': ' + m.text()));
	page.on('pageerror', (e) => consoleLines.push('pageerror: ' + e.message));
	const failedBefore = checks.failed;
	checks.failed = false;
	let dialog = null, byeDone = false;
	try {
		await page.goto(url, {timeout: 30000});
		await page.evaluate((s) => window.bridgeSetup(s), iceServers);
		const toTag = crypto.randomBytes(4).toString('hex');
		let browserSdp, browserOwn, pbxGot;
		if (variant === 'to-pbx') {
			// the browser offers; the PBX answers
			const offer = await page.evaluate((ms) => window.bridgeOffer(ms), stepMs);
			note('sdp.txt', '--- browser offer\n' + offer);
			browserOwn = sdpLines(offer).find((l) => l.startsWith('a=fingerprint:'));
			dialog = uacDialog(uac, 'bridge-to-pbx', callId);
			const invP = dialog.invite(offer);
			const inv = await uas.next('INVITE at the PBX', isRequest('INVITE', callId));
			pbxGot = inv.body;
			reply(uas, inv, '200 OK', toTag, pbxSdp());
			const ok = await invP;
			browserSdp = ok.body;
			check(p + 'sip_call_answered', /^SIP\/2.0 200/.test(ok.start), ok.start);
			dialog.ack();
			note('sdp.txt', '--- to the PBX\n' + pbxGot + '--- PBX answer\n' + pbxSdp() +
				'--- to the browser\n' + browserSdp);
			const bp = browserSdpProblems(browserSdp, anchorIp, browserOwn, false);
			check(p + 'browser_answer_is_savpf_with_anchor_dtls_and_ice', bp === '', bp);
			await page.evaluate((s) => window.bridgeTakeAnswer(s), browserSdp);
		} else {
			// the PBX offers; the browser answers
			dialog = uacDialog(uac, 'bridge-to-browser', callId);
			const invP = dialog.invite(pbxSdp());
			const inv = await uas.next('INVITE at the browser', isRequest('INVITE', callId));
			browserSdp = inv.body;
			const bp = browserSdpProblems(browserSdp, anchorIp, null, true);
			check(p + 'browser_offer_is_savpf_with_anchor_dtls_and_ice', bp === '', bp);
			const answer = await page.evaluate(([s, ms]) => window.bridgeAnswer(s, ms), [browserSdp, stepMs]);
			browserOwn = sdpLines(answer).find((l) => l.startsWith('a=fingerprint:'));
			reply(uas, inv, '200 OK', toTag, answer);
			const ok = await invP;
			pbxGot = ok.body;
			check(p + 'sip_call_answered', /^SIP\/2.0 200/.test(ok.start), ok.start);
			dialog.ack();
			note('sdp.txt', '--- PBX offer\n' + pbxSdp() + '--- to the browser\n' + browserSdp +
				'--- browser answer\n' + answer + '--- to the PBX\n' + pbxGot);
			check(p + 'browser_own_fingerprint_not_passed_to_pbx', !pbxGot.includes(browserOwn || '-'));
		}
		const pp = pbxSdpProblems(pbxGot, anchorIp);
		check(p + 'pbx_sdp_is_plain_rtp_avp_pcmu_without_srtp_or_ice', pp === '', pp);
		const pm = mLine(pbxGot);
		if (pm)
			pbx.start(connAddr(pbxGot), pm.port);

		const st = await page.evaluate((ms) => window.bridgeWaitConnected(ms), connectMs);
		check(p + 'browser_connected', st.connection === 'connected', JSON.stringify(st));
		// media for a while, then what each side got
		let s1 = await page.evaluate(() => window.bridgeStats());
		const end = Date.now() + stepMs;
		while (Date.now() < end && !(s1.inbound && s1.inbound.packetsReceived > 0 && pbx.rtp.length > 0)) {
			await sleep(200);
			s1 = await page.evaluate(() => window.bridgeStats());
		}
		// the analyser's loudest moment over the media time
		let rmsMax = 0;
		for (const tEnd = Date.now() + mediaMs; Date.now() < tEnd;) {
			await sleep(250);
			const r = await page.evaluate(() => window.bridgeStats());
			rmsMax = Math.max(rmsMax, r.rms || 0);
		}
		const s2 = await page.evaluate(() => window.bridgeStats());
		note('stats.json', JSON.stringify({s1, s2, rmsMax}, null, 1));
		console.log(variant + ': browser ' + JSON.stringify(s2) + ', analyser max rms ' + rmsMax.toFixed(3));
		check(p + 'browser_uses_relay_candidate', s2.local === 'relay', s2.local);
		check(p + 'browser_dtls_connected_srtp', !!s2.transport && s2.transport.dtlsState === 'connected' &&
			!!s2.transport.srtpCipher, JSON.stringify(s2.transport));
		check(p + 'pcmu_negotiated', s2.codec === 'audio/PCMU', s2.codec);
		const grew = s2.inbound && s1.inbound &&
			s2.inbound.packetsReceived - s1.inbound.packetsReceived;
		check(p + 'browser_receives_pbx_audio', grew > mediaMs / 20 * 0.7,
			'packets ' + JSON.stringify([s1.inbound, s2.inbound]));
		check(p + 'browser_measures_pbx_tone', !!s2.inbound && s2.inbound.audioLevel > 0.05 && rmsMax > 0.05,
			'audioLevel ' + (s2.inbound && s2.inbound.audioLevel) + ', analyser rms ' + rmsMax);

		const a = pbxAnalysis(pbx);
		note('stats.json', JSON.stringify({pbx: a, pbxSent: pbx.sent}, null, 1));
		console.log(variant + ': PBX ' + JSON.stringify(a) + ', sent ' + pbx.sent);
		check(p + 'pbx_receives_browser_audio', a.received > mediaMs / 20 * 0.7 && a.window === 50,
			'received ' + a.received);
		check(p + 'pbx_gets_only_plain_pcmu_rtp_from_anchor', a.received > 0 && a.bad === 0 &&
			a.sources.length === 1 && a.sources[0] === connAddr(pbxGot) + ':' + (pm && pm.port),
			JSON.stringify({bad: a.bad, sample: a.badSample, sources: a.sources}));
		check(p + 'pbx_decodes_browser_tone', a.rms > 1000 && a.loud >= 45 && Math.abs(a.hz - MIC_HZ) < 100,
			'rms ' + a.rms + ', loud ' + a.loud + '/' + a.window + ', ' + a.hz + ' Hz');
		check(p + 'pbx_gets_plain_rtcp', a.rtcp > 0 && a.rtcpBad === 0,
			a.rtcpBad + ' of ' + a.rtcp + ' not plain RTCP');

		// the anchor's view
		const q = await ng({command: 'query', 'call-id': callId});
		note('query.json', JSON.stringify(q, null, 1));
		const tags = Object.keys((q && q.tags) || {});
		const cryptoOf = (t) => (tagStream(q, t) || {}).crypto || {};
		const bt = tags.find((t) => cryptoOf(t).mode === 'bridged');
		const ptag = tags.find((t) => t !== bt);
		const bc = cryptoOf(bt), pc = cryptoOf(ptag);
		console.log(variant + ': query crypto ' + JSON.stringify({[bt]: bc, [ptag]: pc}));
		check(p + 'query_browser_side_bridged_dtls_connected', bc.mode === 'bridged' &&
			bc.keying === 'DTLS' && bc['DTLS state'] === 'connected' && !!bc.suite, JSON.stringify(bc));
		check(p + 'query_browser_side_srtp_both_ways', bc.unprotected > 100 && bc.protected > 100 &&
			bc['auth failures'] === 0 && bc.replays === 0, JSON.stringify(bc));
		check(p + 'query_pbx_side_plain', tags.length === 2 && pc.mode === 'plain', JSON.stringify(pc));
		const s = await ng({command: 'statistics'});
		note('query.json', JSON.stringify(s, null, 1));
		const tot = (s.statistics && s.statistics.totalstatistics) || {};
		check(p + 'statistics_count_dtls_and_no_auth_failure', tot.dtlsconnected >= 1 &&
			tot.dtlsfailed === 0 && tot.srtpauthfailures === 0, JSON.stringify(tot));

		// BYE: Kamailio deletes the call on the anchor
		const byeIn = uas.next('BYE at the callee', isRequest('BYE', callId))
			.then((m) => reply(uas, m, '200 OK', toTag));
		const bye = await dialog.bye();
		byeDone = true;
		await byeIn;
		check(p + 'sip_bye_answered', /^SIP\/2.0 200/.test(bye.start), bye.start);
		let l = null;
		for (let i = 0; i < 20; i++) {
			l = await ng({command: 'list'});
			if (Array.isArray(l.calls) && !l.calls.includes(callId))
				break;
			await sleep(100);
		}
		check(p + 'bye_deletes_call_on_anchor', Array.isArray(l.calls) && !l.calls.includes(callId),
			JSON.stringify(l.calls));
	} catch (err) {
		check(p + 'call_steps', false, err && err.message || String(err));
	} finally {
		if (checks.failed) {
			const e = await page.evaluate(() => window.bridgeEvents()).catch(() => []);
			for (const l of [...e, ...consoleLines])
				console.log('  | ' + l);
		}
		pbx.close();
		await page.evaluate(() => window.bridgeClose()).catch(() => {});
		await context.close().catch(() => {});
		if (!byeDone)
			await ng({command: 'delete', 'call-id': callId}, 2, 500).catch(() => {});
		uac.close();
		uas.close();
		checks.failed = checks.failed || failedBefore;
	}
}

function main() {
	let wav;

	return common.runVariants({
		iceFile, page: 'bridge_page.html', profilePrefix: 'bridge-browser-profile-', ngClient,
		variants,
		start: async (ctx) => {
			wav = path.join(ctx.profile, 'tone.wav');
			toneWav(wav, MIC_HZ);
			const pong = await ng({command: 'ping'});
			check('bridge_anchor_ng_ping', pong.result === 'pong', JSON.stringify(pong));
		},
		launchFor: async (v, ctx) => {
			if (v !== 'to-pbx' && v !== 'to-browser')
				throw new Error('unknown variant ' + v);
			const browser = await common.launch(executablePath,
				fs.mkdtempSync(path.join(ctx.profile, v + '-')), ctx.hosts,
				['--autoplay-policy=no-user-gesture-required',
					'--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
					'--use-file-for-fake-audio-capture=' + wav]);
			console.log('browser: ' + browser.version() + ', variant ' + v);
			return browser;
		},
		run: (browser, ctx, v) => runVariant(browser, ctx.url, ctx.iceServers, v),
	});
}

common.runBounded('bridge_browser', totalMs, main);
