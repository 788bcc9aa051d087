// Helpers shared by the console's browser tests: the demo's credentials,
// TOTP codes computed from their base32 secrets, a browser, and API calls.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const demoDir = process.env.WARD_DEMO_DIR;
if (!demoDir) { throw new Error('WARD_DEMO_DIR is not set; run e2e/run.sh'); }
const creds = JSON.parse(fs.readFileSync(path.join(demoDir, 'demo-credentials.json'), 'utf8'));
const base = creds.console_url.replace(/\/$/, '');
const artifacts = path.join(__dirname, '..', 'artifacts');
fs.mkdirSync(artifacts, { recursive: true });

function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) { throw new Error('bad base32'); }
    bits += v.toString(2).padStart(5, '0');
  }
  const out = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) { out.push(parseInt(bits.slice(i, i + 8), 2)); }
  return Buffer.from(out);
}

// totp returns the RFC 6238 code (SHA-1, 6 digits, 30 s) for a time step.
function totp(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = crypto.createHmac('sha1', base32(secret)).update(msg).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1000000).padStart(6, '0');
}

// Each code is accepted once per account: hand out a fresh time step each
// time, waiting for the next one when this account used the current one.
const lastStep = new Map();
async function freshCode(user) {
  for (;;) {
    const step = Math.floor(Date.now() / 30000);
    if ((lastStep.get(user.username) ?? -1) < step) {
      lastStep.set(user.username, step);
      return totp(user.totp_secret, step);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function user(pred) {
  const u = creds.users.find(pred);
  if (!u) { throw new Error('no such demo user'); }
  return u;
}

async function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
}

// login signs in through the console's form and returns the page.
async function login(browser, u) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base + '/login');
  await page.getByLabel('Username').fill(u.username);
  await page.getByLabel('Password').fill(u.password);
  await page.getByLabel('Authenticator code').fill(await freshCode(u));
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/login')), page.getByRole('button', { name: 'Sign in' }).click()]);
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, name + '.png'), fullPage: true });
}

// api calls ward's JSON API.
async function api(method, p, { token, body } = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) { headers.Authorization = 'Bearer ' + token; }
  const res = await fetch(creds.api_base + p, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

// apiLogin logs a demo user in through the API and returns the token, or
// null when ward refuses (off shift, for example).
async function apiLogin(u) {
  const r = await api('POST', '/login', { body: { username: u.username, password: u.password, otp: await freshCode(u) } });
  return r.status === 200 ? r.json.token : null;
}

module.exports = { creds, base, totp, freshCode, user, launch, login, shot, api, apiLogin, artifacts };
