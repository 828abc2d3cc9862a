// page_common.js: the helpers page.html, anchor_page.html and bridge_page.html
// share (served beside them by common.js's serve).
'use strict';

function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

// Resolves when cond() is true, polling; rejects with `what` after ms.
async function waitFor(what, ms, cond) {
	const end = Date.now() + ms;
	for (;;) {
		if (await cond())
			return;
		if (Date.now() > end)
			throw new Error('timed out after ' + ms + ' ms waiting for ' + what);
		await sleep(100);
	}
}

// The packets and bytes of pc's inbound-rtp audio, from getStats (null: none).
async function inboundAudio(pc) {
	const stats = await pc.getStats();
	let r = null;
	stats.forEach((s) => {
		if (s.type === 'inbound-rtp' && s.kind === 'audio')
			r = {packetsReceived: s.packetsReceived || 0, bytesReceived: s.bytesReceived || 0};
	});
	return r;
}

// Ends a call's media: stops every track of the streams, closes the peer
// connections and the audio context (null or undefined ones are skipped).
async function closeMedia(streams, pcs, audioCtx) {
	for (const s of streams)
		if (s)
			s.getTracks().forEach((t) => t.stop());
	for (const pc of pcs)
		if (pc)
			pc.close();
	if (audioCtx)
		await audioCtx.close().catch(() => {});
}
