// The customer-service extensions (PROTOCOL.md §6) as the people using the pages see them: the customer's place in
// line while every agent is busy and the match when one frees up, typing indicators both ways, read ticks, the
// available/away switch, a transfer from the console (the widget sees the new agent, who sees what was said before),
// the history after a widget reload, and the dashboard's queue and agents by status. Agents serve one customer each
// here (--agent-capacity 1), so a second customer has to wait.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, eventually, launchBrowser, startGateway, stats } from './gateway.js';

let gw;
let browser;
const problems = [];

before(async () => {
  gw = await startGateway(['--agent-capacity', '1']);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await gw?.stop();
});

async function openPage(urlPath, { width = 1100, height = 760 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`${urlPath}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${urlPath}: ${m.text()}`);
  });
  await page.goto(gw.base + urlPath);
  return { context, page };
}

const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

async function agentOnline(id) {
  const { page } = await openPage('/agent');
  await page.fill('#agent-id', id);
  await page.press('#agent-id', 'Enter');
  await page.locator('#conn', { hasText: 'Online' }).waitFor();
  return page;
}

async function customerOnline(id) {
  const { page } = await openPage('/', { width: 420, height: 760 });
  await page.fill('#user-id', id);
  await page.click('#connect');
  await page.locator('#conn', { hasText: 'Online' }).waitFor();
  return page;
}

async function say(page, text) {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

test('queue, typing, read ticks, status, transfer and history in the pages', async (t) => {
  const { page: dash } = await openPage('/dashboard');
  await dash.locator('#live', { hasText: 'Live' }).waitFor();
  const ada = await agentOnline('agent-ada');
  const alice = await customerOnline('alice');
  const bob = await customerOnline('bob');
  const carol = await customerOnline('carol');

  await t.test('with the only agent busy, customers wait in line and see their place', async () => {
    await alice.click('#contact');
    await alice.locator('#pair-status', { hasText: 'Chatting with agent agent-ada' }).waitFor();
    await ada.locator('#convo-title', { hasText: 'alice' }).waitFor();

    await bob.click('#contact');
    await bob.locator('#queue-line', { hasText: 'You are number 1 in line' }).waitFor();
    await carol.click('#contact');
    await carol.locator('#queue-line', { hasText: 'You are number 2 in line' }).waitFor();
    assert.equal(await bob.locator('#text').isDisabled(), true, 'no chatting while waiting');
    assert.equal(await carol.locator('#end').textContent(), 'Leave the queue');

    await dash.locator('[data-k="queue.length"]', { hasText: '2' }).waitFor();
    await dash.locator('[data-k="longestWait"]', { hasText: /s$/ }).waitFor();
    await dash.locator('[data-k="agents.byStatus.available"]', { hasText: '1' }).waitFor();
    const s = await stats(gw.base);
    assert.equal(s.queue.length, 2);
    assert.ok(s.queue.longestWaitMillis >= 0);
    assert.deepEqual(s.agents.byStatus, { available: 1, away: 0 });
    assert.ok(!JSON.stringify(s.queue).includes('bob'), 'the queue figures carry no user ids');
    await shot(carol, 'customer-in-queue');
    await shot(dash, 'dashboard-queue');
  });

  await t.test('typing shows on both sides and goes away after the last keystroke', async () => {
    await alice.fill('#text', 'Hello, I have a quest');
    await ada.locator('#typing', { hasText: 'alice is typing…' }).waitFor();
    await ada.locator('#convos button', { hasText: 'alice' }).locator('.sub', { hasText: 'typing…' }).waitFor();
    await ada.fill('#text', 'Hi al');
    await alice.locator('#typing', { hasText: 'Agent is typing…' }).waitFor();
    await shot(alice, 'customer-agent-typing');
    await shot(ada, 'agent-customer-typing');
    await alice.locator('#typing').waitFor({ state: 'hidden', timeout: 8000 });
    await ada.locator('#typing').waitFor({ state: 'hidden', timeout: 8000 });
    await ada.fill('#text', '');
  });

  await t.test('a message read on the other side gets a read tick', async () => {
    await say(alice, 'Hello, I have a question about my bill.');
    await ada.locator('.msg.theirs .bubble', { hasText: 'question about my bill' }).waitFor();
    await alice.locator('.msg.mine .tick[data-read="true"]', { hasText: '✓✓ delivered · read' }).waitFor();
    await say(ada, 'Sure, what about it?');
    await alice.locator('.msg.theirs .bubble', { hasText: 'what about it' }).waitFor();
    await ada.locator('.msg.mine .tick[data-read="true"]', { hasText: '✓✓ delivered · read' }).waitFor();
    await shot(alice, 'customer-read-tick');
  });

  await t.test('when the agent is free again the head of the line is matched and the rest move up', async () => {
    await ada.click('#leave');
    await alice.locator('.notice.warn', { hasText: 'The agent left the chat.' }).waitFor();
    await bob.locator('#pair-status', { hasText: 'Chatting with agent agent-ada' }).waitFor();
    await bob.locator('.notice', { hasText: 'You are now chatting with agent agent-ada' }).waitFor();
    assert.equal(await bob.locator('#queue-line').isHidden(), true);
    await carol.locator('#queue-line', { hasText: 'You are number 1 in line' }).waitFor();
    await ada.locator('#convos button', { hasText: 'bob' }).waitFor();
    await dash.locator('[data-k="queue.length"]', { hasText: '1' }).waitFor();
    await say(bob, 'Hi, I need to change my address.');
    await ada.locator('#convos button', { hasText: 'bob' }).click();
    await ada.locator('.msg.theirs .bubble', { hasText: 'change my address' }).waitFor();
    await say(ada, 'I can hand you to our address team.');
    await bob.locator('.msg.theirs .bubble', { hasText: 'address team' }).waitFor();
  });

  let bea;
  let cid;
  await t.test('a new agent takes the head of the line; a transfer to a full agent is refused', async () => {
    bea = await agentOnline('agent-bea');
    await carol.locator('#pair-status', { hasText: 'Chatting with agent agent-bea' }).waitFor();
    await bea.locator('#convo-title', { hasText: 'carol' }).waitFor();
    await dash.locator('[data-k="queue.length"]', { hasText: '0' }).waitFor();
    await dash.locator('[data-k="waitP99"]', { hasText: /s$/ }).waitFor();

    await ada.fill('#transfer-to', 'agent-bea');
    await ada.click('#transfer-go');
    await ada.locator('.notice.bad', { hasText: 'Could not transfer bob: no agent has room' }).waitFor();
    await ada.locator('#convo-status', { hasText: 'In conversation' }).waitFor();
  });

  await t.test('the console transfers a customer to any agent; the widget sees the new agent, who sees the history',
    async () => {
      cid = await agentOnline('agent-cid');
      await ada.fill('#transfer-to', 'any');
      await ada.click('#transfer-go');
      await ada.locator('.notice', { hasText: 'Transferred bob to agent-cid.' }).waitFor();
      await ada.locator('#convo-status', { hasText: 'Transferred to another agent' }).waitFor();
      assert.equal(await ada.locator('.notice', { hasText: 'bob left the chat' }).count(), 0);
      assert.equal(await ada.locator('#text').isDisabled(), true);

      await bob.locator('.notice', { hasText: 'You were transferred to agent agent-cid.' }).waitFor();
      await bob.locator('#pair-status', { hasText: 'Chatting with agent agent-cid' }).waitFor();
      await cid.locator('#convo-title', { hasText: 'bob' }).waitFor();
      await cid.locator('.msg.theirs .bubble', { hasText: 'change my address' }).waitFor();
      await cid.locator('.msg.mine', { hasText: 'address team' }).locator('.tick', { hasText: 'by agent-ada' }).waitFor();
      await shot(cid, 'agent-after-transfer');

      await say(bob, 'Am I talking to the address team now?');
      await cid.locator('.msg.theirs .bubble', { hasText: 'address team now' }).waitFor();
      await say(cid, 'Yes. What is the new address?');
      await bob.locator('.msg.theirs .bubble', { hasText: 'new address' }).waitFor();
      await bob.locator('.msg.mine').last().locator('.tick[data-read="true"]').waitFor();
    });

  await t.test('an away agent gets no new customers until available again', async () => {
    await ada.locator('#available').uncheck();
    await ada.locator('#status-text', { hasText: 'Away' }).waitFor();
    await dash.locator('[data-k="agents.byStatus.away"]', { hasText: '1' }).waitFor();
    const dave = await customerOnline('dave');
    await dave.click('#contact');
    await dave.locator('#queue-line', { hasText: 'You are number 1 in line' }).waitFor();
    await ada.locator('#available').check();
    await ada.locator('#status-text', { hasText: 'Available' }).waitFor();
    await dave.locator('#pair-status', { hasText: 'Chatting with agent agent-ada' }).waitFor();
    await ada.locator('#convos button', { hasText: 'dave' }).waitFor();
    const s = await stats(gw.base);
    assert.deepEqual(s.agents.byStatus, { available: 3, away: 0 });
    assert.equal(s.queue.wait.count, 3, 'bob, carol and dave left the queue');
  });

  await t.test('after a reload the widget shows the conversation again, each message once', async () => {
    const before = await bob.locator('.msg .bubble').allTextContents();
    assert.equal(before.length, 4);
    await bob.reload();
    await bob.click('#connect'); // the id is remembered
    await bob.locator('#conn', { hasText: 'Online' }).waitFor();
    await bob.locator('#pair-status', { hasText: 'Chatting with agent agent-cid' }).waitFor();
    await bob.locator('.msg .bubble').nth(3).waitFor();
    assert.deepEqual(await bob.locator('.msg .bubble').allTextContents(), before);
    assert.deepEqual(await bob.locator('.msg.mine .bubble').allTextContents(),
      ['Hi, I need to change my address.', 'Am I talking to the address team now?']);

    await say(cid, 'Still there?');
    await bob.locator('.msg.theirs .bubble', { hasText: 'Still there?' }).waitFor();
    await say(bob, 'Yes: 1 Main Street.');
    await cid.locator('.msg.theirs .bubble', { hasText: '1 Main Street' }).waitFor();
    await bob.locator('.msg.mine').last().locator('.tick[data-read="true"]').waitFor();
    assert.equal(await bob.locator('.msg .bubble').count(), 6, 'nothing shown twice');
    await shot(bob, 'customer-after-reload');
  });

  assert.deepEqual(problems, [], 'no page errors or console errors');
});
