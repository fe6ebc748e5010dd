// The web app in a real browser (Debian's Chromium through playwright-core)
// against a dev node: every page, the private market's eight steps across
// a seller, a buyer, the agent and an outsider, balances to the planck,
// byte compatibility with `cpchain-node market`, and a council motion.
//
//   npm run build && node --test tests/
//
// Environment: CPCHAIN_NODE (the node binary), CHROMIUM (default
// /usr/bin/chromium), SCREENSHOTS (where the screenshots go).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { launchBrowser, nodeBinary, serveStatic, startNode } from './harness.mjs';

const run = promisify(execFile);
const TOTAL_TIMEOUT_MS = 5 * 60 * 1000;
const CPC = 10n ** 18n;
const PRICE = 5n * CPC;
const ESCROW = 12n * CPC;
const PASS = 'correct horse battery staple';
const PRIVATE = '{"name":"weather-2026.csv","ipfs_cid":"bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi","description":"hourly readings"}';
const shotsDir = resolve(process.env.SCREENSHOTS || `test-output/screenshots-${Date.now()}`);

const cleanups = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});
// Whatever happens, nothing outlives the time bound.
const killer = setTimeout(async () => {
  console.error(`e2e: over ${TOTAL_TIMEOUT_MS / 1000} s, stopping`);
  for (const c of cleanups.reverse()) await c().catch(() => {});
  process.exit(1);
}, TOTAL_TIMEOUT_MS);
killer.unref();

test('the web app against a dev node', { timeout: TOTAL_TIMEOUT_MS }, async (t) => {
  const started = Date.now();
  const node = await startNode();
  cleanups.push(node.stop);
  const server = await serveStatic(resolve('dist'));
  cleanups.push(server.stop);
  const { browser, stop } = await launchBrowser();
  cleanups.push(stop);
  const api = await ApiPromise.create({ provider: new WsProvider(node.ws), noInitWarn: true });
  cleanups.push(() => api.disconnect());
  mkdirSync(shotsDir, { recursive: true });
  console.log(`e2e: node ${node.ws}, app ${server.url}, screenshots in ${shotsDir}`);

  const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
  const who = Object.fromEntries(['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'].map((n) => [n, keyring.addFromUri(`//${n}`).address]));
  const startBlock = (await api.rpc.chain.getHeader()).number.toNumber();
  const balance = async (name) => {
    const a = await api.query.system.account(who[name]);
    return { free: a.data.free.toBigInt(), reserved: a.data.reserved.toBigInt() };
  };
  const before = {};
  for (const n of ['Bob', 'Charlie', 'Ferdie', 'Eve']) before[n] = await balance(n);

  // One browser context per party: separate storage, as separate people.
  const open = async (name, page) => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    const p = await ctx.newPage();
    p.on('pageerror', (e) => console.log(`[${name}] pageerror: ${e.message}`));
    await p.goto(`${server.url}/?rpc=${encodeURIComponent(node.ws)}&account=${name}#${page}`);
    await p.waitForSelector('body[data-connected=yes]', { timeout: 30000 });
    return p;
  };
  const shot = async (p, file) => {
    await p.screenshot({ path: join(shotsDir, file), fullPage: true });
  };
  /// Clicks and waits for the transaction it starts to be final (or refused).
  const tx = async (p, locator, expect = 'final') => {
    const n = await p.locator('.txlog .tx').count();
    await locator.click();
    await p.waitForFunction(
      (n) => {
        const all = document.querySelectorAll('.txlog .tx');
        return all.length > n && ['final', 'error'].includes(all[0].dataset.stage);
      },
      n,
      { timeout: 60000 },
    );
    const first = p.locator('.txlog .tx').first();
    const stage = await first.getAttribute('data-stage');
    const text = await first.innerText();
    assert.equal(stage, expect, `transaction ended ${stage}: ${text}`);
    return text;
  };
  const createWallet = async (p) => {
    await p.fill('#wallet-pass', PASS);
    await p.click('#wallet-create');
    await p.waitForSelector('#wallet-status[data-state=unlocked]');
  };
  const orderRow = (p, id) => p.locator(`tr[data-order="${id}"]`);
  const waitOrder = (p, id, state) => p.waitForSelector(`tr[data-order="${id}"][data-state=${state}]`, { timeout: 30000 });

  let network;
  await t.test('network page: heights, blocks with proposer and certificate, committee, round', async () => {
    const p = (network = await open('Alice', 'network'));
    await p.waitForFunction(() => Number(document.querySelector('#final-height')?.textContent?.slice(1)) >= 1);
    await p.waitForSelector('#blocks tr td.proposer');
    await p.waitForSelector('#committee .validators li');
    await p.waitForSelector('#round-state svg');
    // Wait for a few blocks seen live, for the latency chart.
    const h0 = Number((await p.textContent('#best-height')).slice(1));
    await p.waitForFunction((h0) => Number(document.querySelector('#best-height').textContent.slice(1)) >= h0 + 2, h0, { timeout: 30000 });
    const row = await p.locator('#blocks tr').nth(1).innerText();
    assert.match(row, /Alice/, 'the proposer is Alice on the dev chain');
    assert.match(row, /round \d+, 1 sig/, 'the certificate has Alice\'s signature');
    assert.match(await p.textContent('#committee'), /Alice/);
    await p.waitForSelector('#latency svg rect.bar');
  });

  let agent, seller, buyer, outsider;
  await t.test('market: the agent registers its encryption key', async () => {
    agent = await open('Ferdie', 'market');
    assert.equal(await agent.textContent('#agent-name'), 'Ferdie');
    await createWallet(agent);
    await tx(agent, agent.locator('#register-key'));
    await agent.waitForSelector('#key-registered[data-registered=yes]');
  });

  await t.test('market 1-2: the seller lists an encrypted item', async () => {
    seller = await open('Bob', 'market');
    await createWallet(seller);
    await seller.fill('#list-price', '5');
    await seller.fill('#list-private', PRIVATE);
    await tx(seller, seller.locator('#list-submit'));
    await seller.waitForSelector('tr[data-item="0"]');
    const item = await api.query.privateMarket.items(0);
    assert.ok(item.isSome);
    const sealed = Buffer.from(item.unwrap().sealedFields.toU8a(true)).toString('latin1');
    assert.ok(!sealed.includes('weather'), 'the chain holds no plaintext');
  });

  await t.test('market 3-4: the buyer deposits escrow and orders with a fresh key', async () => {
    buyer = await open('Charlie', 'market');
    await createWallet(buyer);
    await buyer.fill('#escrow-amount', '12');
    await tx(buyer, buyer.locator('#escrow-deposit'));
    await buyer.waitForSelector(`#free-escrow[data-planck="${ESCROW}"]`);
    await buyer.waitForSelector('tr[data-item="0"] .order-item');
    await tx(buyer, buyer.locator('tr[data-item="0"] .order-item'));
    await waitOrder(buyer, 0, 'placed');
    // Too early for the delivery timeout: refused, with the pallet's error.
    assert.match(await tx(buyer, orderRow(buyer, 0).locator('.claim-timeout'), 'error'), /privateMarket\.TooEarly/);
  });

  await t.test('market 5-6: the seller sees the order and delivers the sealed key', async () => {
    await waitOrder(seller, 0, 'placed');
    await tx(seller, orderRow(seller, 0).locator('.deliver'));
    await waitOrder(seller, 0, 'delivered');
  });

  await t.test('market 7: the buyer opens, checks the hash and confirms', async () => {
    await waitOrder(buyer, 0, 'delivered');
    await orderRow(buyer, 0).locator('.open-order').click();
    await buyer.waitForSelector('#opened[data-ok=yes]');
    assert.equal(await buyer.textContent('#opened-text'), PRIVATE);
    await shot(buyer, 'market.png');
    await tx(buyer, orderRow(buyer, 0).locator('.confirm'));
    await waitOrder(buyer, 0, 'confirmed');
  });

  await t.test('market 8: the agent opens the item and releases the escrow', async () => {
    await waitOrder(agent, 0, 'confirmed');
    await agent.locator('tr[data-item="0"] .open-item').click();
    await agent.waitForSelector('#opened[data-ok=yes]');
    assert.equal(await agent.textContent('#opened-text'), PRIVATE);
    await tx(agent, orderRow(agent, 0).locator('.release'));
    await waitOrder(agent, 0, 'paid');
  });

  await t.test('an outsider cannot open the item', async () => {
    outsider = await open('Eve', 'market');
    await createWallet(outsider);
    await outsider.locator('tr[data-item="0"] .open-item').click();
    await outsider.waitForSelector('#opened[data-ok=no]');
    assert.match(await outsider.textContent('#opened'), /Cannot open item 0/);
    assert.ok(!(await outsider.content()).includes('bafybeig'), 'no plaintext in the outsider\'s page');
  });

  const cliDir = mkdtempSync(join(tmpdir(), 'cpchain-web-cli-'));
  const passFile = join(cliDir, 'passphrase');
  writeFileSync(passFile, `${PASS}\n`);
  const cli = (...args) => run(nodeBinary(), ['market', ...args, '--url', node.http], { timeout: 90000 });
  const exportWallet = async (p, file) => {
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('#export-wallet')]);
    await download.saveAs(join(cliDir, file));
    return join(cliDir, file);
  };
  // The browser speaks the market CLI's format 2 (listing-bound ciphertexts,
  // salted hashes, encrypted wallet files); an older cpchain-node cannot
  // read it, so the cross-checks need a node with that CLI.
  const help = await run(nodeBinary(), ['market', 'keygen', '--help']);
  const cliFormat2 = help.stdout.includes('--passphrase-file');
  const evidence = !!api.query.privateMarket.disputeEvidence;

  await t.test('byte compatibility with cpchain-node market, both ways', { skip: !cliFormat2 && 'this cpchain-node\'s market CLI predates format 2' }, async () => {
    // The CLI opens the browser's encrypted wallets, the browser's key
    // sealed to the agent, its sealed fields, and the key it delivered.
    const agentWallet = await exportWallet(agent, 'agent.json');
    const byAgent = JSON.parse((await cli('open', '--wallet', agentWallet, '--passphrase-file', passFile, '--item', '0')).stdout);
    assert.equal(byAgent.plaintextHashMatches, true);
    assert.equal(byAgent.fields, PRIVATE);
    const sellerWallet = await exportWallet(seller, 'seller.json');
    const bySeller = JSON.parse((await cli('open', '--wallet', sellerWallet, '--passphrase-file', passFile, '--item', '0')).stdout);
    assert.equal(bySeller.fields, PRIVATE);
    const buyerWallet = await exportWallet(buyer, 'buyer.json');
    const byBuyer = JSON.parse((await cli('open', '--wallet', buyerWallet, '--passphrase-file', passFile, '--order', '0')).stdout);
    assert.equal(byBuyer.plaintextHashMatches, true);
    assert.equal(byBuyer.fields, PRIVATE);
  });

  await t.test('a second order, delivered by the CLI when it speaks format 2, opens in the browser', async () => {
    await tx(buyer, buyer.locator('tr[data-item="0"] .order-item'));
    await waitOrder(buyer, 1, 'placed');
    if (cliFormat2) {
      // The browser opens the key the CLI sealed, from the seller's exported wallet.
      await cli('deliver', '--suri', '//Bob', '--wallet', join(cliDir, 'seller.json'), '--passphrase-file', passFile, '--order', '1');
    } else {
      await waitOrder(seller, 1, 'placed');
      await tx(seller, orderRow(seller, 1).locator('.deliver'));
    }
    await waitOrder(buyer, 1, 'delivered');
    await orderRow(buyer, 1).locator('.open-order').click();
    await buyer.waitForSelector('#opened[data-ok=yes]');
    assert.equal(await buyer.textContent('#opened-text'), PRIVATE);
  });

  await t.test('dispute: the buyer disputes, the agent rules', async () => {
    await tx(buyer, orderRow(buyer, 1).locator('.dispute'));
    await waitOrder(agent, 1, 'disputed');
    if (evidence) {
      // The buyer's revealed order key lets the agent check the delivery:
      // it was right, so the agent pays the seller (the buyer's bond too).
      await orderRow(agent, 1).locator('.check-delivery').click();
      await agent.waitForSelector('#opened[data-ok=yes][data-finding=seller]');
      await shot(agent, 'market-agent.png');
      await tx(agent, orderRow(agent, 1).locator('.resolve-seller'));
      await waitOrder(agent, 1, 'paid');
    } else {
      await tx(agent, orderRow(agent, 1).locator('.resolve-buyer'));
      await waitOrder(agent, 1, 'refunded');
      await shot(agent, 'market-agent.png');
    }
  });

  await t.test('reputation page: RPT, and Dave proves admission in the browser, joins and claims', async () => {
    const p = await open('Dave', 'reputation');
    await p.waitForSelector('#rpt-chart svg');
    await p.waitForSelector('#rpt-ranking tr');
    assert.match(await p.textContent('#campaign-cmd'), /cpchain-node campaign start --url http:\/\/127\.0\.0\.1:\d+ --suri \/\/Dave/);
    await p.waitForSelector('#campaign-join:not([disabled])');
    const n = await p.locator('.txlog .tx').count();
    await p.click('#campaign-join');
    // Two transactions: join_rnode, then claim_campaign.
    await p.waitForFunction(
      (n) => {
        const all = document.querySelectorAll('.txlog .tx');
        return (all.length >= n + 2 && ['final', 'error'].includes(all[0].dataset.stage)) || [...all].some((t) => t.dataset.stage === 'error');
      },
      n,
      { timeout: 90000 },
    );
    const log = await p.locator('.txlog').innerText();
    assert.doesNotMatch(log, /refused/, log);
    const candidacy = await fetch(node.http, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'campaign_getCandidateInfo', params: [who.Dave] }),
    }).then((r) => r.json());
    assert.ok(candidacy.result, 'Dave is a candidate');
    await p.waitForFunction(() => /Dave/.test(document.querySelector('#rnodes')?.textContent ?? ''), null, { timeout: 20000 });
    await p.waitForFunction(() => /deposit/.test(document.querySelector('#my-campaign')?.textContent ?? ''), null, { timeout: 20000 });
    await shot(p, 'reputation.png');
  });

  await t.test('governance: propose, vote, close; the runtime upgrade route; refusals decoded', async () => {
    const alice = await open('Alice', 'governance');
    await alice.waitForFunction(() => document.querySelector('#threshold').value === '2');
    await alice.fill('#call-args', '["web app motion"]');
    await tx(alice, alice.locator('#propose'));
    await alice.waitForSelector('.motion[data-index="0"] .vote-aye');
    // The proposer's motion starts with no votes: Alice votes too.
    await tx(alice, alice.locator('.motion[data-index="0"] .vote-aye'));
    const bob = seller;
    await bob.goto(`${server.url}/?rpc=${encodeURIComponent(node.ws)}&account=Bob#governance`);
    await bob.waitForSelector('.motion[data-index="0"] .vote-aye', { timeout: 30000 });
    await tx(bob, bob.locator('.motion[data-index="0"] .vote-aye'));
    await bob.waitForFunction(() => /2: /.test(document.querySelector('.motion[data-index="0"] .ayes')?.textContent ?? ''));
    await shot(bob, 'governance.png');
    await tx(bob, bob.locator('.motion[data-index="0"] .close'));
    await bob.waitForSelector('text=No open motions.');
    // The runtime upgrade route, with the chain's own code: both motions
    // pass, and applying it is refused for its unchanged spec_version.
    const code = await api.rpc.state.getStorage('0x3a636f6465');
    const wasmFile = join(cliDir, 'runtime.wasm');
    writeFileSync(wasmFile, code.unwrap().toU8a(true));
    const vote2 = async (index) => {
      await alice.waitForSelector(`.motion[data-index="${index}"] .vote-aye`, { timeout: 30000 });
      await tx(alice, alice.locator(`.motion[data-index="${index}"] .vote-aye`));
      await bob.reload();
      await bob.waitForSelector(`.motion[data-index="${index}"] .vote-aye`, { timeout: 30000 });
      await tx(bob, bob.locator(`.motion[data-index="${index}"] .vote-aye`));
      await tx(bob, bob.locator(`.motion[data-index="${index}"] .close`));
    };
    await alice.setInputFiles('#wasm', wasmFile);
    await alice.waitForSelector('#upgrade-state[data-whitelisted=no]');
    await tx(alice, alice.locator('#upgrade-whitelist'));
    await vote2(1);
    await alice.waitForSelector('#upgrade-state[data-whitelisted=yes]', { timeout: 30000 });
    await tx(alice, alice.locator('#upgrade-dispatch'));
    await vote2(2);
    await alice.waitForSelector('#upgrade-state[data-authorized=yes]', { timeout: 30000 });
    await alice.locator('#upgrade-apply').click();
    await alice.waitForFunction(() => /rejected the code/.test(document.querySelector('#gov-log .tx')?.textContent ?? ''), null, { timeout: 60000 });
    assert.match(await alice.locator('#gov-log .tx').first().innerText(), /SpecVersionNeedsToIncrease/);
    await alice.waitForSelector('#upgrade-state[data-authorized=no]', { timeout: 30000 });

    // Eve is no council member: the chain refuses, the page says why.
    const eve = outsider;
    await eve.goto(`${server.url}/?rpc=${encodeURIComponent(node.ws)}&account=Eve#governance`);
    await eve.waitForSelector('#propose');
    await eve.waitForTimeout(500);
    const refused = await tx(eve, eve.locator('#propose'), 'error');
    assert.match(refused, /council\.NotMember/);
  });

  await t.test('balances to the planck', async () => {
    // Every fee each party paid, from the TransactionFeePaid events.
    // A refusal is reported in its block, maybe before that block is final:
    // wait until everything seen so far is final.
    const bestNow = (await api.rpc.chain.getHeader()).number.toNumber();
    for (let i = 0; i < 100; i++) {
      const f = await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead());
      if (f.number.toNumber() >= bestNow) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const end = (await api.rpc.chain.getFinalizedHead()).toHex();
    const endNumber = (await api.rpc.chain.getHeader(end)).number.toNumber();
    const fees = {};
    for (let n = startBlock + 1; n <= endNumber; n++) {
      const hash = await api.rpc.chain.getBlockHash(n);
      const events = await (await api.at(hash)).query.system.events();
      for (const { event } of events) {
        if (api.events.transactionPayment.TransactionFeePaid.is(event)) {
          const payer = event.data[0].toString();
          fees[payer] = (fees[payer] ?? 0n) + event.data[1].toBigInt();
        }
      }
    }
    const fee = (n) => fees[who[n]] ?? 0n;
    const deposit = (await api.query.privateMarket.items(0)).unwrap().deposit.toBigInt();
    // Runtimes with dispute bonds and key deposits (the market branch): each
    // bond is bond(price, ratio, minimum); the agent's key holds a deposit.
    const pm = api.consts.privateMarket;
    const bond = pm.disputeBondRatio
      ? (() => {
          const b = (BigInt(pm.disputeBondRatio.toString()) * PRICE) / 1_000_000n;
          const min = pm.disputeBondMinimum.toBigInt();
          return b > min ? b : min;
        })()
      : 0n;
    const keyDeposit = api.query.privateMarket.keyDeposits
      ? (await api.query.privateMarket.keyDeposits(who.Ferdie)).unwrapOrDefault().toBigInt()
      : 0n;
    // Order 0 is paid to the seller. Order 1: with evidence (the market
    // runtime) the agent rules for the seller, who gets the price and the
    // buyer's bond; without, it refunds the buyer. The seller's delivery
    // bonds come back either way.
    const paid = evidence ? 2n * PRICE : PRICE;
    const buyerBondLost = evidence ? bond : 0n;
    const expect = {
      Bob: { free: before.Bob.free - fee('Bob') - deposit + paid + buyerBondLost, reserved: before.Bob.reserved + deposit },
      Charlie: {
        free: before.Charlie.free - fee('Charlie') - ESCROW - buyerBondLost,
        reserved: before.Charlie.reserved + ESCROW - paid,
      },
      Ferdie: { free: before.Ferdie.free - fee('Ferdie') - keyDeposit, reserved: before.Ferdie.reserved + keyDeposit },
      Eve: { free: before.Eve.free - fee('Eve'), reserved: before.Eve.reserved },
    };
    for (const n of Object.keys(expect)) {
      assert.ok(fee(n) > 0n, `${n} paid fees`);
      assert.deepEqual(await balance(n), expect[n], n);
    }
    const free = await fetch(node.http, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'market_getFreeEscrow', params: [who.Charlie] }),
    }).then((r) => r.json());
    assert.equal(BigInt(free.result), expect.Charlie.reserved - before.Charlie.reserved);
  });

  // The network page has followed the chain all along: its latency chart is full now.
  await shot(network, 'network.png');
  console.log(`e2e: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
