'use strict';
// webadmin_run.js URL NAME PASSWORD USER CALL SHOTS: drives Debian's headless
// Chromium through the admin interface at URL (test_webadmin_browser.sh):
// the status page sends it to the login form; it logs in as NAME; the
// allocations page shows the allocation of TURN user USER (a name made of
// markup) with packets relayed, reloaded until it does; Cancel in its row
// ends it and the page comes back without it; the calls page shows the
// anchored call CALL (a Call-ID made of markup too), and Delete in its row
// ends it. No script may run on any page (a dialog would be the markup in
// USER or CALL executed). A screenshot of each page goes into the directory
// SHOTS. Prints PASS/FAIL lines (common.js).
const path = require('path');
const {checks, launch, runBounded} = require('./common');

const [url, name, password, user, callId, shots] = process.argv.slice(2);
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const check = checks.check;

// The row of USER on the allocations page: its packets to the peer, or -1.
async function rowPackets(page) {
	return page.evaluate((u) => {
		for (const tr of document.querySelectorAll('#allocations tr')) {
			const cell = tr.querySelector('td.user');
			if (cell && cell.textContent === u)
				return parseInt(tr.querySelector('td.to-peer').textContent, 10);
		}
		return -1;
	}, user);
}

async function main() {
	const host = new URL(url).hostname;
	const browser = await launch(chromiumPath, path.join(shots, '.profile'), [host], []);
	const page = await browser.newPage({viewport: {width: 1200, height: 700}});
	let dialogs = 0;
	page.on('dialog', (d) => {
		dialogs++;
		d.dismiss().catch(() => {});
	});
	const shot = (file) => page.screenshot({path: path.join(shots, file), fullPage: true});

	await page.goto(url + '/status');
	check('browser_status_sends_to_login', new URL(page.url()).pathname === '/login',
		page.url());
	await shot('1-login.png');

	await page.fill('input[name=name]', name);
	await page.fill('input[name=password]', password);
	await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
	const state = await page.textContent('#state').catch(() => '');
	check('browser_logs_in_and_sees_the_status', new URL(page.url()).pathname === '/status' &&
		state === 'serving', page.url() + ' state ' + state);
	await shot('2-status.png');

	let packets = -1;
	for (let i = 0; i < 60 && packets <= 0; i++) {
		await page.goto(url + '/allocations');
		packets = await rowPackets(page);
		if (packets <= 0)
			await page.waitForTimeout(250);
	}
	check('browser_sees_the_allocation_with_its_counters (' + packets + ' packets to the peer)',
		packets > 0);
	await shot('3-allocations.png');

	const row = page.locator('#allocations tr', {has: page.locator('td.user', {hasText: user})});
	await Promise.all([page.waitForNavigation(), row.locator('button.cancel').click()]);
	const after = await rowPackets(page);
	check('browser_cancels_the_allocation', new URL(page.url()).pathname === '/allocations' &&
		after === -1, 'row still there: ' + after);
	await shot('4-cancelled.png');

	await page.goto(url + '/calls');
	const call = page.locator('#calls tr', {has: page.locator('td.call-id', {hasText: callId})});
	const listed = await call.count();
	check('browser_sees_the_anchored_call', listed === 1, listed + ' rows');
	await shot('5-calls.png');
	await Promise.all([page.waitForNavigation(), call.locator('button').click()]);
	const left = await page.locator('#calls td.call-id').count();
	check('browser_deletes_the_call', new URL(page.url()).pathname === '/calls' && left === 0,
		left + ' calls left');
	await shot('6-call-deleted.png');
	check('browser_ran_no_script_from_the_page (' + dialogs + ' dialogs)', dialogs === 0);
	await browser.close();
}

runBounded('browser_webadmin', 90000, main);
