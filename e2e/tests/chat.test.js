// A customer page and an agent page chat through a real gateway in headless Chromium; the dashboard follows along.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, eventually, launchBrowser, startGateway, stats } from './gateway.js';

// The dashboard lists agents by id only for whoever has the API key (docs/SECURITY.md); the pages get it the way an
// operator's tab keeps it once typed in (sessionStorage 'sb.apiKey').
const API_KEY = 'e2e-dashboard-key';
let gw;
let browser;
const external = [];
const problems = [];

before(async () => {
  gw = await startGateway(['--api-key', API_KEY]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await gw?.stop();
});

async function openPage(urlPath, { width = 1100, height = 760 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  await context.addInitScript((key) => sessionStorage.setItem('sb.apiKey', key), API_KEY);
  const page = await context.newPage();
  const origin = new URL(gw.base);
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.host !== origin.host && u.protocol !== 'data:') external.push(r.url());
  });
  page.on('websocket', (ws) => {
    if (new URL(ws.url()).host !== origin.host) external.push(ws.url());
  });
  page.on('pageerror', (e) => problems.push(`${urlPath}: ${e.message}`));
  page.on('console', (m) => {
    // Failed reconnects while the test holds the customer offline are expected noise.
    if (m.type() === 'error' && !/ERR_INTERNET_DISCONNECTED/.test(m.text())) problems.push(`${urlPath}: ${m.text()}`);
  });
  await page.goto(gw.base + urlPath);
  return { context, page };
}

const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

test('customer and agent chat through the gateway; receipts, offline hold, reconnect, leave, dashboard', async (t) => {
  const { page: dash } = await openPage('/dashboard');
  await dash.locator('#live', { hasText: 'Live' }).waitFor();
  const before = await stats(gw.base, API_KEY);
  assert.equal(before.connections.total, 0);

  const { page: agent } = await openPage('/agent');
  const { context: customerCtx, page: customer } = await openPage('/', { width: 420, height: 760 });

  await t.test('both sides connect', async () => {
    await agent.fill('#agent-id', 'agent-ada');
    await agent.press('#agent-id', 'Enter');
    await agent.locator('#conn', { hasText: 'Online' }).waitFor();
    await customer.fill('#user-id', 'alice');
    await customer.click('#connect');
    await customer.locator('#conn', { hasText: 'Online' }).waitFor();
    await dash.locator('[data-k="connections.total"]', { hasText: '2' }).waitFor();
    assert.equal(await dash.locator('[data-k="connections.users"]').textContent(), '1');
    assert.equal(await dash.locator('[data-k="connections.agents"]').textContent(), '1');
  });

  await t.test('"Contact support" matches the customer with the agent', async () => {
    await customer.click('#contact');
    await customer.locator('#pair-status', { hasText: 'Chatting with agent agent-ada' }).waitFor();
    await agent.locator('#convos button', { hasText: 'alice' }).waitFor();
    await agent.locator('#convo-title', { hasText: 'alice' }).waitFor();
    await dash.locator('[data-k="pairings"]', { hasText: '1' }).waitFor();
  });

  await t.test('messages both ways, with delivered ticks from receipts', async () => {
    await customer.fill('#text', 'Hello! My order has not arrived.');
    await customer.press('#text', 'Enter');
    await customer.locator('.msg.mine .tick[data-status="delivered"]').first().waitFor();
    await agent.locator('.msg.theirs .bubble', { hasText: 'My order has not arrived' }).waitFor();

    await agent.fill('#text', '你好! Let me check that for you.');
    await agent.click('#send');
    await agent.locator('.msg.mine .tick[data-status="delivered"]').first().waitFor();
    await customer.locator('.msg.theirs .bubble', { hasText: 'Let me check that for you' }).waitFor();
    await dash.locator('[data-k="messages.routed"]', { hasText: '2' }).waitFor();
    await shot(customer, 'customer-chat');
    await shot(agent, 'agent-chat');
  });

  await t.test('an empty-after-trim message is not sent; a failure receipt shows its exact text', async () => {
    // The UI never sends blank text; ask the client directly to show a code "1" receipt path end to end.
    const receipt = await customer.evaluate(() => window.sbClient.sendNormal('agent-ada', ''));
    assert.equal(receipt.code, '1');
    assert.equal(receipt.msg, '消息内容为空');
    assert.equal(receipt.reason, 'EMPTY_MSG');
  });

  await t.test('the customer drops; the agent\'s messages are held and arrive after the reconnect', async () => {
    await customerCtx.setOffline(true); // new connections fail until back online: the backoff keeps retrying
    await customer.evaluate(() => window.sbClient.ws.close());
    await customer.locator('#conn', { hasText: 'Reconnecting' }).waitFor();
    await customer.locator('.notice.warn', { hasText: 'Connection lost' }).first().waitFor();
    await eventually(async () => (await stats(gw.base, API_KEY)).connections.users === 0, 10000, 'the gateway to see the drop');

    await agent.fill('#text', 'Found it: it ships tomorrow.');
    await agent.press('#text', 'Enter');
    await agent.locator('.msg.mine .tick[data-status="stored"]').first().waitFor();
    await agent.locator('.notice.warn', { hasText: 'alice is offline' }).waitFor();
    await agent.fill('#text', 'Tracking number 42.');
    await agent.press('#text', 'Enter');
    await eventually(async () => (await agent.locator('.msg.mine .tick[data-status="stored"]').count()) === 2,
      5000, 'two stored-offline ticks');
    await dash.locator('[data-k="offlineHeld"]', { hasText: '2' }).waitFor();
    await shot(customer, 'customer-reconnecting');
    await shot(agent, 'agent-customer-offline');
    await shot(dash, 'dashboard-offline-held');

    await customerCtx.setOffline(false);
    await customer.locator('#conn', { hasText: 'Online' }).waitFor({ timeout: 20000 });
    await customer.locator('.notice', { hasText: 'Reconnected.' }).waitFor();
    const theirs = customer.locator('.msg.theirs .bubble');
    await eventually(async () => (await theirs.count()) === 3, 5000, 'the held messages');
    assert.deepEqual((await theirs.allTextContents()).slice(1), ['Found it: it ships tomorrow.', 'Tracking number 42.']);
    await dash.locator('[data-k="offlineHeld"]', { hasText: '0' }).waitFor();
  });

  await t.test('the customer replies after the reconnect and the agent sees an unread count elsewhere', async () => {
    await customer.fill('#text', 'Thanks!');
    await customer.press('#text', 'Enter');
    await customer.locator('.msg.mine .tick[data-status="delivered"]').nth(1).waitFor();
    await agent.locator('.msg.theirs .bubble', { hasText: 'Thanks!' }).waitFor();
  });

  await t.test('a second customer shows up as a new conversation with an unread badge', async () => {
    const { page: bob } = await openPage('/', { width: 420, height: 760 });
    await bob.fill('#user-id', 'bob');
    await bob.click('#connect');
    await bob.locator('#conn', { hasText: 'Online' }).waitFor();
    await bob.click('#contact');
    await bob.locator('#pair-status', { hasText: 'agent-ada' }).waitFor();
    await bob.fill('#text', 'Hi, quick question');
    await bob.press('#text', 'Enter');
    await agent.locator('#convos button', { hasText: 'bob' }).locator('.badge', { hasText: '1' }).waitFor();
    await dash.locator('[data-k="pairings"]', { hasText: '2' }).waitFor();
    await dash.locator('#loads li', { hasText: 'agent-ada' }).locator('text=2/50').waitFor();
    await shot(agent, 'agent-two-conversations');
    await agent.locator('#convos button', { hasText: 'bob' }).click();
    await agent.locator('.msg.theirs .bubble', { hasText: 'quick question' }).waitFor();
    assert.equal(await agent.locator('#convos .badge').count(), 0);
    await agent.locator('#convos button', { hasText: 'alice' }).click();
  });

  await t.test('the agent ends the conversation; the customer is told', async () => {
    await agent.click('#leave');
    await agent.locator('#convo-status', { hasText: 'Conversation ended' }).waitFor();
    await customer.locator('.notice.warn', { hasText: 'The agent left the chat.' }).waitFor();
    await customer.locator('#contact').waitFor({ state: 'visible' });
    assert.equal(await customer.locator('#text').isDisabled(), true);
    await dash.locator('[data-k="pairings"]', { hasText: '1' }).waitFor();
    await shot(customer, 'customer-agent-left');
  });

  await t.test('the dashboard moved with the traffic', async () => {
    const now = await stats(gw.base, API_KEY);
    assert.equal(now.connections.users, 2);
    assert.equal(now.connections.agents, 1);
    assert.ok(now.messages.routed >= 4, `routed ${now.messages.routed}`);
    assert.equal(now.messages.held, 2);
    assert.equal(now.receipts.failed.EMPTY_MSG, 1);
    assert.ok(now.latency.total.count >= 4, 'routing latency recorded');
    assert.ok(now.counters['offline.delivered'] >= 2);
    await dash.locator('#reasons dt', { hasText: 'EMPTY_MSG' }).waitFor();
    await dash.locator('[data-k="p99total"]', { hasText: /s$/ }).waitFor();
    await dash.waitForTimeout(1500); // a few more points on the charts
    await shot(dash, 'dashboard');
  });

  await t.test('phone width (360px): pages fit without horizontal scrolling', async () => {
    for (const [p, name] of [['/', 'phone-customer'], ['/agent', 'phone-agent'], ['/dashboard', 'phone-dashboard']]) {
      const { page } = await openPage(p, { width: 360, height: 740 });
      if (p === '/dashboard') await page.locator('#live', { hasText: 'Live' }).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${p} overflows by ${overflow}px`);
      await shot(page, name);
    }
  });

  await t.test('keyboard only: the customer can sign in and contact support', async () => {
    const { page } = await openPage('/', { width: 420, height: 760 });
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'user-id');
    await page.keyboard.type('carol');
    await page.keyboard.press('Enter');
    await page.locator('#conn', { hasText: 'Online' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'contact');
    await page.keyboard.press('Enter');
    await page.locator('#pair-status', { hasText: 'agent-ada' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'text');
  });

  assert.deepEqual(external, [], 'no request leaves the gateway\'s origin');
  assert.deepEqual(problems, [], 'no page errors, console errors or CSP violations');
});
