// Acknowledged delivery (PROTOCOL.md §5) as the people using the pages see it: "✓ sent" on the receipt, "✓✓ delivered"
// once the other page has the message, and after a dropped connection or a gateway restart every message exactly
// once, in order. The pages' WebSockets go through page.routeWebSocket so the test can hold back acks, lose a
// receipt, or refuse connections, the way a flaky network would.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, eventually, launchBrowser, startGateway } from './gateway.js';

let gw;
let browser;
const problems = [];

before(async () => {
  gw = await startGateway();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await gw?.stop();
});

/**
 * A page whose gateway connection passes through a controllable relay:
 *  - holdAcks: the page's acks wait in `heldAcks` until releaseAcks();
 *  - dropAcks: the page's acks are lost;
 *  - offline: new connections are refused (closed at once), as if the network were down;
 *  - loseReceiptOf(text): the receipt of the normal carrying that text is lost and the connection drops.
 */
async function openRelayed(urlPath, { width = 1100, height = 760 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const relay = { holdAcks: false, dropAcks: false, offline: false, heldAcks: [], urls: [], server: null, route: null,
    loseReceipt: null, sentNormals: [] };
  await page.routeWebSocket(/\/pinter\/imserver\//, (ws) => {
    relay.urls.push(new URL(ws.url()));
    if (relay.offline) {
      ws.close({ code: 4000, reason: 'offline' });
      return;
    }
    const server = ws.connectToServer();
    relay.server = server;
    relay.route = ws;
    ws.onMessage((m) => {
      const env = JSON.parse(m);
      if (env.type === 'normal') relay.sentNormals.push(env);
      if (env.type === 'ack' && relay.dropAcks) return;
      if (env.type === 'ack' && relay.holdAcks) {
        relay.heldAcks.push(m);
        return;
      }
      if (env.type === 'normal' && relay.loseReceipt === env.msg) relay.loseReceipt = env.msgId;
      server.send(m);
    });
    server.onMessage((m) => {
      const env = JSON.parse(m);
      if (env.type === 'receipt' && env.msgId === relay.loseReceipt) {
        relay.loseReceipt = null;
        relay.drop(); // the receipt never reaches the page
        return;
      }
      ws.send(m);
    });
  });
  relay.drop = () => {
    relay.route.close({ code: 4000, reason: 'dropped' });
    relay.server.close({ code: 4000, reason: 'dropped' });
  };
  relay.releaseAcks = () => {
    relay.holdAcks = false;
    for (const m of relay.heldAcks.splice(0)) relay.server.send(m);
  };
  relay.loseReceiptOf = (text) => { relay.loseReceipt = text; };
  page.on('pageerror', (e) => problems.push(`${urlPath}: ${e.message}`));
  page.on('console', (m) => {
    // Refused reconnects while the test restarts the gateway are expected noise.
    if (m.type() === 'error' && !/ERR_CONNECTION_REFUSED/.test(m.text())) problems.push(`${urlPath}: ${m.text()}`);
  });
  await page.goto(gw.base + urlPath);
  return { context, page, relay };
}

const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

async function say(page, text) {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

/** The texts of the page's bubbles from the other side, in order, once there are `n` of them (fails on more). */
async function theirTexts(page, n) {
  const bubbles = page.locator('.msg.theirs .bubble');
  await bubbles.nth(n - 1).waitFor({ timeout: 20000 });
  return bubbles.allTextContents();
}

test('delivered ticks, and every message exactly once through drops and a gateway restart', async (t) => {
  const { page: agent, relay: agentNet } = await openRelayed('/agent');
  const { page: customer, relay: customerNet } = await openRelayed('/', { width: 420, height: 760 });

  await t.test('both pages connect with ack=1 and are paired', async () => {
    await agent.fill('#agent-id', 'agent-ada');
    await agent.press('#agent-id', 'Enter');
    await agent.locator('#conn', { hasText: 'Online' }).waitFor();
    await customer.fill('#user-id', 'alice');
    await customer.click('#connect');
    await customer.locator('#conn', { hasText: 'Online' }).waitFor();
    await customer.click('#contact');
    await customer.locator('#pair-status', { hasText: 'agent-ada' }).waitFor();
    await agent.locator('#convo-title', { hasText: 'alice' }).waitFor();
    assert.equal(agentNet.urls[0].search, '?role=agent&ack=1');
    assert.equal(customerNet.urls[0].search, '?ack=1');
  });

  await t.test('"✓ sent" on the receipt; "✓✓ delivered" only once the agent\'s page has acknowledged it', async () => {
    agentNet.holdAcks = true;
    await say(customer, 'Is my order shipped?');
    const tick = customer.locator('.msg.mine .tick').last();
    await customer.locator('.msg.mine .tick[data-status="sent"]', { hasText: '✓ sent' }).waitFor();
    await agent.locator('.msg.theirs .bubble', { hasText: 'Is my order shipped?' }).waitFor();
    // The agent shows it; its ack is on its way (held by the test): the customer must not claim delivery yet.
    await eventually(() => agentNet.heldAcks.length > 0, 5000, 'the agent page to acknowledge what it shows');
    assert.equal(await tick.getAttribute('data-status'), 'sent');
    await shot(customer, 'customer-sent-tick');

    agentNet.releaseAcks();
    await customer.locator('.msg.mine .tick[data-status="delivered"]', { hasText: '✓✓ delivered' }).waitFor();
    await shot(customer, 'customer-delivered-tick');

    await say(agent, 'Let me look.');
    await agent.locator('.msg.mine .tick[data-status="delivered"]', { hasText: '✓✓ delivered' }).waitFor();
    assert.deepEqual(await theirTexts(customer, 1), ['Let me look.']);
  });

  await t.test('the customer\'s connection drops: every agent message once, in order, no duplicates', async () => {
    // The customer's acks are lost from here on, so the gateway still holds everything it sent: only since= and the
    // page's own seq check keep those from being shown twice.
    customerNet.dropAcks = true;
    await say(agent, 'It left the warehouse.');
    await say(agent, 'Tracking is on its way.');
    assert.deepEqual(await theirTexts(customer, 3), ['Let me look.', 'It left the warehouse.', 'Tracking is on its way.']);

    customerNet.offline = true;
    const attempts = customerNet.urls.length;
    customerNet.drop();
    await customer.locator('#conn', { hasText: 'Reconnecting' }).waitFor();
    await eventually(() => customerNet.urls.length > attempts, 10000, 'a refused reconnect');
    await say(agent, 'Number 1Z999.');
    await agent.locator('.msg.mine .tick[data-status="stored"]').last().waitFor();
    await say(agent, 'Anything else?');
    await agent.locator('.msg.mine .tick[data-status="stored"]').nth(1).waitFor();

    customerNet.offline = false;
    await customer.locator('#conn', { hasText: 'Online' }).waitFor({ timeout: 20000 });
    const texts = await theirTexts(customer, 5);
    assert.deepEqual(texts, ['Let me look.', 'It left the warehouse.', 'Tracking is on its way.', 'Number 1Z999.',
      'Anything else?']);
    const resumed = customerNet.urls[customerNet.urls.length - 1];
    assert.equal(resumed.searchParams.get('ack'), '1');
    // Seqs 1..4: the delivered notice, then the agent's first three messages.
    assert.equal(resumed.searchParams.get('since'), '4', 'resumed above the last seq the page processed');
    assert.equal(await customer.locator('.msg.theirs').count(), 5);
    await shot(customer, 'customer-after-drop');
  });

  await t.test('the gateway restarts: the conversation goes on, nothing is shown twice', async () => {
    await gw.restart('SIGKILL');
    await customer.locator('#conn', { hasText: 'Online' }).waitFor({ timeout: 30000 });
    await agent.locator('#conn', { hasText: 'Online' }).waitFor({ timeout: 30000 });
    await say(agent, 'Back after the restart.');
    const texts = await theirTexts(customer, 6);
    assert.equal(texts.length, 6, texts.join(' | '));
    assert.equal(texts[5], 'Back after the restart.');
    assert.equal(new Set(texts).size, 6, 'no duplicate bubbles');
    assert.equal(customerNet.urls[customerNet.urls.length - 1].searchParams.get('since'), '6');
  });

  await t.test('a message whose receipt was lost is resent with its msgId and reaches the agent once', async () => {
    customerNet.dropAcks = false;
    customerNet.loseReceiptOf('Did you get this?');
    await say(customer, 'Did you get this?');
    await customer.locator('#conn', { hasText: 'Reconnecting' }).waitFor();
    await customer.locator('#conn', { hasText: 'Online' }).waitFor({ timeout: 20000 });
    const mine = customer.locator('.msg.mine');
    await mine.last().locator('.tick[data-status="delivered"]').waitFor();
    const sends = customerNet.sentNormals.filter((m) => m.msg === 'Did you get this?');
    assert.equal(sends.length, 2, 'sent, then resent after the reconnect');
    assert.equal(sends[0].msgId, sends[1].msgId);
    assert.equal(await customer.locator('.msg.mine .bubble', { hasText: 'Did you get this?' }).count(), 1);
    await agent.locator('.msg.theirs .bubble', { hasText: 'Did you get this?' }).waitFor();
    // The agent's delivered notice came through the same path; one more round trip proves nothing else follows.
    await say(agent, 'Yes, once.');
    await customer.locator('.msg.theirs .bubble', { hasText: 'Yes, once.' }).waitFor();
    assert.equal(await agent.locator('.msg.theirs .bubble', { hasText: 'Did you get this?' }).count(), 1);
    await shot(agent, 'agent-after-resend');
  });

  assert.deepEqual(problems, [], 'no page errors or console errors');
});
