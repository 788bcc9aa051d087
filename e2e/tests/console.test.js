// Browser tests of the console against a running `ward demo` (see run.sh).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

let browser;
test.before(async () => { browser = await h.launch(); });
test.after(async () => { await browser?.close(); });

// offQueueAccess logs a worker in through the API and reads a patient
// they hold no grant for through /fhir: the gateway denies it and the
// monitor must raise an alert. It returns the patient reference.
async function offQueueAccess() {
  const patients = await (await fetch(h.creds.ehr_base + '/Patient?_count=50')).json();
  const ids = (patients.entry || []).map((e) => e.resource.id);
  assert.ok(ids.length > 0, 'the demo EHR has patients');
  for (const u of h.creds.users.filter((x) => x.role === 'worker')) {
    const token = await h.apiLogin(u);
    if (!token) { continue; }
    const grants = await h.api('GET', '/me', { token });
    assert.equal(grants.status, 200);
    const id = ids[ids.length - 1];
    const res = await fetch(h.creds.fhir_base + '/Patient/' + id, { headers: { Authorization: 'Bearer ' + token } });
    assert.equal(res.status, 403, 'an off-queue read is denied');
    return { patient: 'Patient/' + id, worker: u };
  }
  throw new Error('no demo worker could log in (all off shift?)');
}

let access; // the scripted off-queue access, made once

test('an off-queue access appears in the patient access report', async () => {
  const compliance = h.user((u) => u.role === 'compliance');
  const page = await h.login(browser, compliance);
  await h.shot(page, '01-overview');
  access = await offQueueAccess();
  await page.goto(h.base + '/patients');
  await page.getByLabel('Patient reference').fill(access.patient);
  await page.getByRole('button', { name: 'Search' }).click();
  const row = page.locator('#access-report tbody tr', { hasText: access.worker.username });
  assert.ok(await row.count() > 0, 'the patient access report lists the worker\'s access');
  assert.match(await row.first().innerText(), /deny/);
  await h.shot(page, '05-patient-report');
  await page.goto(h.base + '/patients/print?patient=' + encodeURIComponent(access.patient));
  await h.shot(page, '06-patient-report-print');
  await page.context().close();
});

test('compliance sees, opens and resolves the alert the off-queue access raised', async () => {
  assert.ok(access, 'the off-queue access was made');
  const compliance = h.user((u) => u.role === 'compliance');
  const page = await h.login(browser, compliance);
  await page.goto(h.base + '/alerts?status=open');
  // The live list (SSE) or a reload shows the alert within the monitor's latency.
  const row = page.locator('#alert-rows tr', { hasText: /access/i }).first();
  let found = false;
  for (let i = 0; i < 15 && !found; i++) {
    if (await row.count() > 0) { found = true; break; }
    await page.waitForTimeout(1000);
    if (i % 5 === 4) { await page.reload(); }
  }
  await h.shot(page, '02-alerts');
  assert.ok(found, 'the monitor raised an alert for the off-queue access (is the monitor wired into ward demo?)');
  await row.getByRole('link').click();
  await page.waitForURL(/\/alerts\/[^/]+$/);
  await h.shot(page, '03-alert');
  await page.getByLabel(/Note/).fill('Worker ' + access.worker.username + ' opened a chart outside the queue; vendor informed.');
  await page.getByRole('button', { name: 'Resolve' }).click();
  await page.waitForURL(/done=resolved/);
  assert.match(await page.locator('#alert-status').innerText(), /resolved/);
  await h.shot(page, '04-alert-resolved');
  await page.context().close();
});

test('every page renders for compliance', async () => {
  const compliance = h.user((u) => u.role === 'compliance');
  const page = await h.login(browser, compliance);
  const pages = [['/', 'Overview'], ['/alerts', 'Alerts'], ['/patients', 'Patient access report'], ['/workforce', 'Workforce'],
    ['/work', 'Work'], ['/coding', 'Coding quality'], ['/audit', 'Audit ledger'], ['/risk', 'Risk posture']];
  for (const [p, title] of pages) {
    const res = await page.goto(h.base + p);
    assert.equal(res.status(), 200, p);
    assert.equal(await page.locator('h1').first().innerText(), title);
    await h.shot(page, '10-page' + (p === '/' ? '-overview' : p.replace(/\//g, '-')));
  }
  await page.goto(h.base + '/audit');
  const verify = page.getByRole('button', { name: /Verify the ledger/ });
  if (await verify.count() > 0) { // needs the audit log to implement http.LedgerVerifier
    await verify.click();
    assert.match(await page.locator('#verify-result').innerText(), /intact/);
    await h.shot(page, '11-audit-verified');
  }
  // Keyboard: the skip link is the first stop and leads to the content.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  await page.context().close();
});

test('a vendor supervisor cannot see another vendor\'s workers', async () => {
  const sup = h.user((u) => u.username === 'lea.bautista');
  const others = h.creds.users.filter((u) => u.vendor && u.vendor !== sup.vendor);
  const own = h.creds.users.filter((u) => u.vendor === sup.vendor && u.username !== sup.username);
  assert.ok(others.length > 0 && own.length > 0);
  const page = await h.login(browser, sup);
  await page.goto(h.base + '/workforce');
  const table = await page.locator('#workers-table').innerText();
  for (const u of own) { assert.ok(table.includes(u.username), 'sees own ' + u.username); }
  for (const u of others) { assert.ok(!table.includes(u.username), 'must not see ' + u.username); }
  await h.shot(page, '20-supervisor-workforce');
  // Another vendor's worker page answers as a missing one.
  const res = await page.goto(h.base + '/workforce/workers/' + others[0].worker_id);
  assert.equal(res.status(), 404);
  const alerts = await page.goto(h.base + '/alerts');
  assert.equal(alerts.status(), 403);
  await h.shot(page, '21-supervisor-forbidden');
  await page.context().close();
});
