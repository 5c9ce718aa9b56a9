// Console screenshots with headless Chromium over the DevTools protocol (no npm packages).
// Usage: node --experimental-websocket scripts/screenshots.mjs http://127.0.0.1:8080 docs/screenshots
// Needs a running `citysteward demo` and Chromium (Debian package `chromium`).
import { spawn } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const base = process.argv[2] ?? "http://127.0.0.1:8080";
const out = process.argv[3] ?? "docs/screenshots";
const port = 9300 + Math.floor(Math.random() * 500);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function login(username) {
  const session = (r) => r.headers.getSetCookie().map((c) => c.split(";")[0]).find((c) => c.startsWith("citysteward_session="));
  const form = await fetch(`${base}/login`);
  const cookie = session(form);
  const csrf = (await form.text()).match(/name="_csrf" value="([^"]+)"/)[1];
  const body = new URLSearchParams({ _csrf: csrf, username, password: "demo1234", next: "/" });
  const reply = await fetch(`${base}/login`, { method: "POST", body, redirect: "manual", headers: { cookie } });
  const [name, ...rest] = (session(reply) ?? cookie).split("=");
  return [name, rest.join("=")];
}

const browser = spawn("chromium", ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
  `--remote-debugging-port=${port}`, `--user-data-dir=${mkdtempSync(join(tmpdir(), "cs-chrome-"))}`, "about:blank"],
  { stdio: "ignore" });
let target;
for (let i = 0; i < 100 && !target; i++) {
  await sleep(100);
  try { target = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()).find((t) => t.type === "page"); } catch {}
}
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((r) => ws.addEventListener("open", r));
let id = 0;
const waiting = new Map();
const events = [];
ws.addEventListener("message", (m) => {
  const msg = JSON.parse(m.data);
  if (msg.id && waiting.has(msg.id)) { waiting.get(msg.id)(msg); waiting.delete(msg.id); } else events.push(msg);
});
const send = (method, params = {}) => new Promise((resolve) => { const n = ++id; waiting.set(n, resolve); ws.send(JSON.stringify({ id: n, method, params })); });
await send("Page.enable");
await send("Network.enable");

async function shoot(user, path, file, width, height, mobile) {
  const [name, value] = await login(user);
  await send("Network.clearBrowserCookies");
  await send("Network.setCookie", { name, value, url: base });
  await send("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: mobile ? 2 : 1, mobile });
  events.length = 0;
  await send("Page.navigate", { url: base + path });
  for (let i = 0; i < 100 && !events.some((e) => e.method === "Page.loadEventFired"); i++) await sleep(50);
  await sleep(300);
  const shot = await send("Page.captureScreenshot", { format: "png", captureBeyondViewport: false });
  writeFileSync(join(out, file), Buffer.from(shot.result.data, "base64"));
  console.log(`${file}: ${path} as ${user}`);
}

const cases = await (await fetch(`${base}/api/v1/cases?category=06010`, { headers: { authorization: "Bearer " + (await (await fetch(`${base}/api/v1/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "steward-dispatch", password: "demo1234" }) })).json()).token } })).json();
const first = cases.items[0].id.toLowerCase();
await shoot("steward-dispatch", "/cases?lang=zh-Hans", "cases-queue.png", 1280, 800, false);
await shoot("steward-dispatch", `/cases/${first}?lang=zh-Hans`, "case-detail.png", 1280, 1000, false);
await shoot("steward-dispatch", "/cases/map?lang=zh-Hans", "cases-map.png", 1280, 900, false);
await shoot("steward-patrol", "/tasks?lang=zh-Hans", "tasks-phone.png", 390, 844, true);
await shoot("steward-patrol", "/patrol?lang=en", "patrol-phone-en.png", 390, 844, true);
await shoot("district-admin", "/taxonomy/06010?lang=zh-Hans", "taxonomy-edit.png", 1280, 900, false);
await shoot("district-admin", "/directory/users?lang=zh-Hans", "directory-users.png", 1280, 900, false);
await shoot("district-admin", "/directory/orgs?lang=en", "directory-orgs-en.png", 390, 844, true);
// Operations (docs/operations.md): completion per village, a patrol route with its rounds, a checkpoint on the phone.
const dispatchToken = (await (await fetch(`${base}/api/v1/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "steward-dispatch", password: "demo1234" }) })).json()).token;
const routes = await (await fetch(`${base}/api/v1/patrol-routes`, { headers: { authorization: "Bearer " + dispatchToken } })).json();
await shoot("steward-dispatch", "/operations?lang=zh-Hans", "operations.png", 1280, 1000, false);
if (routes.length > 0) {
  await shoot("steward-dispatch", `/patrol-routes/${routes[0].id.toLowerCase()}?lang=zh-Hans`, "patrol-route.png", 1280, 900, false);
  await shoot("steward-patrol", `/k/${routes[0].checkpoints[0].code}?lang=en`, "checkpoint-phone-en.png", 390, 844, true);
}
await shoot("steward-patrol", "/notifications?lang=zh-Hans", "notifications-phone.png", 390, 844, true);
// The asset register, the roster (docs/operations.md) and the assessment (docs/assessment.md).
await shoot("steward-dispatch", "/assets?lang=zh-Hans", "assets.png", 1280, 1000, false);
await shoot("steward-dispatch", "/shifts?lang=zh-Hans", "shifts.png", 1280, 1000, false);
const adminToken = (await (await fetch(`${base}/api/v1/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "district-admin", password: "demo1234" }) })).json()).token;
const plans = await (await fetch(`${base}/api/v1/assessment/plans`, { headers: { authorization: "Bearer " + adminToken } })).json();
const plan = (plans.items ?? plans).sort((a, b) => b.year - a.year)[0];
if (plan) {
  await shoot("district-admin", `/assessment/plans/${plan.id.toLowerCase()}?lang=zh-Hans`, "assessment-plan.png", 1280, 1100, false);
  // Last year's page: its published results (公示) with the working of each point, the comments, the method.
  const shown = (plans.items ?? plans).find((p) => p.year === plan.year - 1) ?? plan;
  await shoot("district-admin", `/public/assessment/${shown.year}?lang=en`, "assessment-public-phone-en.png", 390, 844, true);
}
// The oversight dashboard, and a spot check's findings on the inspector's phone (docs/assessment.md).
await shoot("district-admin", "/dashboard?lang=zh-Hans", "dashboard.png", 1280, 1300, false);
const rounds = await (await fetch(`${base}/api/v1/assessment/spot-checks`, { headers: { authorization: "Bearer " + adminToken } })).json();
const failedRound = rounds.find((r) => r.spots.some((s) => s.failed > 0));
if (failedRound) {
  const spot = failedRound.spots.find((s) => s.failed > 0);
  await shoot("district-admin", `/spot-checks/${failedRound.id.toLowerCase()}/spots/${spot.id.toLowerCase()}?lang=zh-Hans`, "spot-check-phone.png", 390, 844, true);
}
// Notices to residents (docs/community.md): a village's page on a phone, the console's list.
await shoot("district-admin", "/v/440309002001V01?lang=zh-Hans", "village-notices-phone.png", 390, 844, true);
await shoot("street-minzhi", "/notices?lang=zh-Hans", "notices.png", 1280, 1000, false);
// Activities (docs/community.md): the theme activity on a phone, its check-in page, the console's list.
const minzhiToken = (await (await fetch(`${base}/api/v1/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "street-minzhi", password: "demo1234" }) })).json()).token;
const activities = (await (await fetch(`${base}/api/v1/activities?kind=villageTheme`, { headers: { authorization: "Bearer " + minzhiToken } })).json()).items;
if (activities.length > 0) {
  await shoot("district-admin", `/a/${activities[0].id}?lang=zh-Hans`, "activity-phone.png", 390, 844, true);
  await shoot("district-admin", `${new URL(activities[0].checkinURL).pathname}?lang=en`, "activity-checkin-phone.png", 390, 844, true);
}
await shoot("street-minzhi", "/activities?lang=zh-Hans", "activities.png", 1280, 1100, false);
// Deliberation and coordination (docs/community.md, docs/coordination.md): the item decided into a case, the meeting
// with the overdue action item carried forward.
const items = (await (await fetch(`${base}/api/v1/deliberations?state=decided`, { headers: { authorization: "Bearer " + minzhiToken } })).json()).items;
if (items.length > 0) await shoot("street-minzhi", `/deliberations/${items[0].id}?lang=zh-Hans`, "deliberation.png", 1280, 1200, false);
const meetingsList = (await (await fetch(`${base}/api/v1/meetings`, { headers: { authorization: "Bearer " + adminToken } })).json()).items;
const planned = meetingsList.find((m) => m.state === "planned");
if (planned) await shoot("district-admin", `/meetings/${planned.id}?lang=zh-Hans`, "meeting.png", 1280, 1000, false);
ws.close();
browser.kill();
