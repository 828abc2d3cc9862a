'use strict';
// webdiag_run.js URL SHOTS MODE: opens the diagnostic page at URL
// (test_webdiag_browser.sh) in Debian's headless Chromium, without logging
// in, and waits for its verdict. MODE "trusting" (the browser trusts the
// server's certificate): the STUN row gathers srflx (host candidates, hidden
// behind mDNS names, have no responder in the test's namespace), each TURN
// row (UDP, TCP, TLS) a relay candidate, a round-trip time in ms, and
// "works"; the verdict says TURN over UDP works from your network, and TCP
// and TLS too. MODE "no_tls" (TLS to the server is blocked): the TLS row
// fails with no relay candidate and the verdict says so, while UDP still
// works. Either way no script error and no Content-Security-Policy
// violation. A screenshot into SHOTS (diagnostic-MODE.png). Prints
// PASS/FAIL lines (common.js).
const path = require('path');
const {checks, launch, runBounded} = require('./common');

const [url, shots, mode] = process.argv.slice(2);
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const check = checks.check;

async function main() {
	const host = new URL(url).hostname;
	const browser = await launch(chromiumPath, path.join(shots, '.profile-' + mode), [host], []);
	const page = await browser.newPage({viewport: {width: 1200, height: 600}});
	const errors = [];
	page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
	page.on('console', (m) => {
		if (m.type() === 'error')
			errors.push('console: ' + m.text());
	});
	await page.goto(url + '/diagnostic');
	await page.waitForSelector('body[data-state=done]', {timeout: 60000});
	const rows = await page.evaluate(() => {
		const out = {};
		for (const tr of document.querySelectorAll('#results tr')) {
			const cell = (c) => tr.querySelector('td.' + c).textContent;
			out[tr.id.replace('test-', '')] = {label: cell('test'), candidates: cell('candidates'),
				rtt: cell('rtt'), result: cell('result'), cls: tr.className};
		}
		return out;
	});
	const verdict = await page.textContent('#verdict');
	console.log('rows: ' + JSON.stringify(rows));
	console.log('verdict: ' + verdict);
	await page.screenshot({path: path.join(shots, 'diagnostic-' + mode + '.png'), fullPage: true});
	const ms = (r) => r && /^[0-9]+ ms$/.test(r.rtt);
	const relayed = (r, proto) => r && r.result === 'works' && ms(r) &&
		r.candidates.split(', ').some((c) => c === 'relay' || c === 'relay (' + proto + ')');

	check('browser_webdiag_' + mode + '_page_without_login',
		new URL(page.url()).pathname === '/diagnostic', page.url());
	check('browser_webdiag_' + mode + '_stun_gathers_srflx', rows.stun &&
		/\bsrflx\b/.test(rows.stun.candidates) && rows.stun.cls === 'ok', JSON.stringify(rows.stun));
	check('browser_webdiag_' + mode + '_turn_udp_relays_with_rtt (' + (rows.udp && rows.udp.rtt) + ')',
		relayed(rows.udp, 'udp'), JSON.stringify(rows.udp));
	check('browser_webdiag_' + mode + '_turn_tcp_relays_with_rtt (' + (rows.tcp && rows.tcp.rtt) + ')',
		relayed(rows.tcp, 'tcp'), JSON.stringify(rows.tcp));
	if (mode === 'trusting') {
		check('browser_webdiag_turn_tls_relays_with_rtt (' + (rows.tls && rows.tls.rtt) + ')',
			relayed(rows.tls, 'tls'), JSON.stringify(rows.tls));
		check('browser_webdiag_verdict_all_work', /^TURN over UDP works from your network; TURN over TCP [0-9]+ works; TURN over TLS [0-9]+ works\.$/.test(verdict), verdict);
	} else {
		check('browser_webdiag_no_tls_row_fails', rows.tls && rows.tls.cls === 'fail' &&
			rows.tls.result.startsWith('no relay candidate') && !ms(rows.tls),
			JSON.stringify(rows.tls));
		check('browser_webdiag_no_tls_verdict_says_so', /^TURN over UDP works from your network; TURN over TCP [0-9]+ works; TURN over TLS [0-9]+ does not work\.$/.test(verdict), verdict);
	}
	check('browser_webdiag_' + mode + '_no_script_error (' + errors.length + ')', errors.length === 0,
		errors.join(' | '));
	await browser.close();
}

runBounded('browser_webdiag_' + mode, 90000, main);
