// The private market's eight steps: list an encrypted item, deposit escrow
// and order, deliver the sealed key, open and check, confirm or dispute;
// and the agent's release / resolve view.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { chain, el, fmtBalance, parseBalance, rpc, sendTx, short, txLine } from '../chain';
import { account, nameOf, onAccountChange } from '../state';
import * as mc from '../marketCrypto';
import { createWallet, hasWallet, importWallet, unlockWallet, type OpenWallet } from '../vault';
import { decodeAddress } from '@polkadot/util-crypto';

const hex = (b: Uint8Array) => '0x' + bytesToHex(b);
const bytes = (h: string) => hexToBytes(h.replace(/^0x/, ''));
const text = (h: string) => new TextDecoder().decode(bytes(h));
/// What every ciphertext of a listing is bound to: its seller and salted hash.
const bindingOf = (item: { seller: string; plaintextHash: string }): mc.Binding => ({
  seller: decodeAddress(item.seller),
  plaintextHash: bytes(item.plaintextHash),
});

// Unlocked wallets live for the page's lifetime only, per account.
const wallets = new Map<string, OpenWallet>();

interface ItemJson {
  id: number;
  seller: string;
  price: string;
  publicMeta: string;
  sealedFields: string;
  keyForAgent: string;
  plaintextHash: string;
  listedAt: number;
}
interface OrderJson {
  id: number;
  item: number;
  buyer: string;
  seller: string;
  price: string;
  buyerKey: string;
  keyForBuyer: string | null;
  state: string;
  since: number;
}

export function mount(root: HTMLElement): () => void {
  const walletBox = el('div', { id: 'wallet' });
  const escrowBox = el('div', { id: 'escrow' });
  const listBox = el('div', { id: 'list-form' });
  const itemsBody = el('tbody', { id: 'items' });
  const ordersBody = el('tbody', { id: 'orders' });
  const agentBox = el('div', { id: 'agent' });
  const opened = el('div', { id: 'opened' });
  const log = el('div', { class: 'txlog', id: 'market-log' });

  root.append(
    el(
      'div',
      { class: 'grid2' },
      el(
        'div',
        {},
        el(
          'section',
          {},
          el('h2', {}, 'Items'),
          el(
            'table',
            {},
            el('thead', {}, el('tr', {}, ...['id', 'seller', 'price', 'public', ''].map((h) => el('th', {}, h)))),
            itemsBody,
          ),
        ),
        el(
          'section',
          {},
          el('h2', {}, 'Orders'),
          el(
            'table',
            {},
            el(
              'thead',
              {},
              el('tr', {}, ...['id', 'item', 'buyer', 'seller', 'price', 'state', ''].map((h) => el('th', {}, h))),
            ),
            ordersBody,
          ),
          el('h3', {}, 'Opened'),
          opened,
        ),
        el('section', {}, el('h2', {}, 'Agent'), agentBox),
      ),
      el(
        'div',
        {},
        el('section', {}, el('h2', {}, 'Market wallet'), walletBox),
        el('section', {}, el('h2', {}, 'Escrow'), escrowBox),
        el('section', {}, el('h2', {}, 'List an item'), listBox),
        el('section', {}, el('h2', {}, 'Transactions'), log),
      ),
    ),
  );

  let alive = true;
  let agent: string | null = null;
  let lastItems = '';
  let lastOrders = '';
  let items: ItemJson[] = [];

  const wallet = () => {
    const me = account();
    return me ? wallets.get(me.address) ?? null : null;
  };

  async function run(label: string, tx: any) {
    const me = account();
    if (!me) throw new Error('choose an account');
    try {
      return await sendTx(tx, me, txLine(log, label));
    } finally {
      void refresh(true);
      void renderWallet();
    }
  }

  function showOpened(ok: boolean, title: string, body = '') {
    opened.dataset.ok = ok ? 'yes' : 'no';
    opened.replaceChildren(
      el('div', { class: ok ? 'ok-text' : 'bad-text' }, title),
      body ? el('pre', { class: 'cmd', id: 'opened-text' }, body) : '',
    );
  }

  // --- wallet ----------------------------------------------------------
  async function renderWallet() {
    const me = account();
    if (!me) {
      walletBox.textContent = 'Choose an account.';
      return;
    }
    const w = wallets.get(me.address);
    const onChain = await rpc<string | null>('market_getEncryptionKey', me.address);
    if (!w) {
      const exists = await hasWallet(me.address);
      const pass = el('input', { id: 'wallet-pass', type: 'password', placeholder: 'passphrase' }) as HTMLInputElement;
      const btn = el('button', { id: exists ? 'wallet-unlock' : 'wallet-create' }, exists ? 'Unlock' : 'Create wallet');
      btn.onclick = async () => {
        try {
          const opened = exists ? await unlockWallet(me.address, pass.value) : await createWallet(me.address, pass.value);
          wallets.set(me.address, opened);
          void renderWallet();
          void refresh(true);
        } catch (e) {
          txLine(log, 'wallet')('error', (e as Error).message);
        }
      };
      const importInput = el('label', {}, 'or import a CLI wallet (same passphrase)', el('input', { type: 'file', id: 'wallet-import', accept: '.json' }));
      (importInput.querySelector('input') as HTMLInputElement).onchange = async (ev) => {
        const f = (ev.target as HTMLInputElement).files?.[0];
        if (!f) return;
        try {
          wallets.set(me.address, await importWallet(me.address, await f.text(), pass.value));
          void renderWallet();
          void refresh(true);
        } catch (e) {
          txLine(log, 'import wallet')('error', (e as Error).message);
        }
      };
      walletBox.replaceChildren(
        el(
          'p',
          { class: 'note' },
          exists
            ? 'This account has an encrypted wallet in this browser.'
            : 'Create a wallet: an x25519 encryption key and your item keys, stored in this browser (IndexedDB), encrypted under the passphrase.',
        ),
        el('div', { class: 'form' }, el('label', {}, 'passphrase', pass), btn, exists ? '' : importInput),
        el('div', { id: 'wallet-status', 'data-state': 'locked' }, 'locked'),
      );
      return;
    }
    const pub = w.data.encryptionPublic;
    const registered = onChain?.toLowerCase() === pub.toLowerCase();
    const reg = el('button', { id: 'register-key', class: registered ? 'secondary' : '' }, 'Register encryption key');
    reg.onclick = () => run('privateMarket.setEncryptionKey', chain().api.tx.privateMarket.setEncryptionKey(pub)).catch(() => {});
    const exp = el('button', { class: 'secondary', id: 'export-wallet', title: 'the encrypted wallet file for cpchain-node market --wallet FILE --passphrase-file FILE' }, 'Export CLI wallet');
    exp.onclick = () => {
      const blob = new Blob([w.cliWallet()], { type: 'application/json' });
      const a = el('a', { href: URL.createObjectURL(blob), download: `market-wallet-${me.name}.json` });
      a.click();
    };
    const actions: (Node | string)[] = [reg, ' ', exp];
    if (onChain && (chain().api.tx.privateMarket as any).removeEncryptionKey) {
      const rm = el('button', { class: 'secondary', id: 'remove-key' }, 'Remove key (returns its deposit)');
      rm.onclick = () =>
        run('privateMarket.removeEncryptionKey', (chain().api.tx.privateMarket as any).removeEncryptionKey()).catch(() => {});
      actions.push(' ', rm);
    }
    walletBox.replaceChildren(
      el(
        'div',
        { class: 'kv' },
        el('span', {}, 'state'),
        el('span', { id: 'wallet-status', 'data-state': 'unlocked' }, 'unlocked'),
        el('span', {}, 'encryption key'),
        el('span', { class: 'mono' }, short(pub)),
        el('span', {}, 'on chain'),
        el('span', { id: 'key-registered', 'data-registered': registered ? 'yes' : 'no' }, registered ? 'registered ✓' : onChain ? 'another key' : 'not registered'),
        el('span', {}, 'item keys'),
        el('span', {}, String(Object.keys(w.data.itemKeys).length)),
      ),
      el('div', { class: 'form' }, ...actions),
      el('p', { class: 'note' }, 'The agent must register its key (sellers seal each item key to it); buyers get a fresh key per order.'),
    );
  }

  // --- escrow ----------------------------------------------------------
  const freeEscrow = el('b', { id: 'free-escrow' }, '…');
  function renderEscrowForm() {
    const amount = el('input', { id: 'escrow-amount', value: '10', size: '8' }) as HTMLInputElement;
    const dep = el('button', { id: 'escrow-deposit' }, 'Deposit');
    const wd = el('button', { id: 'escrow-withdraw', class: 'secondary' }, 'Withdraw');
    dep.onclick = () =>
      run('privateMarket.depositEscrow', chain().api.tx.privateMarket.depositEscrow(parseBalance(amount.value))).catch(() => {});
    wd.onclick = () =>
      run('privateMarket.withdrawEscrow', chain().api.tx.privateMarket.withdrawEscrow(parseBalance(amount.value))).catch(() => {});
    escrowBox.replaceChildren(
      el('div', { class: 'kv' }, el('span', {}, 'free escrow'), freeEscrow),
      el('p', { class: 'note' }, 'Escrow stays held on your account; an order moves its price from free escrow to the order.'),
      el('div', { class: 'form' }, el('label', {}, `amount (${chain().symbol})`, amount), dep, wd),
    );
  }
  async function renderEscrow() {
    const me = account();
    if (!me) return;
    const free = await rpc<string>('market_getFreeEscrow', me.address);
    freeEscrow.dataset.planck = free;
    freeEscrow.textContent = fmtBalance(free);
  }

  // --- listing ---------------------------------------------------------
  function renderListForm() {
    const price = el('input', { id: 'list-price', value: '5', size: '8' }) as HTMLInputElement;
    const meta = el('input', { id: 'list-meta', value: 'weather data 2026, hourly, 12 MB', size: '34' }) as HTMLInputElement;
    const priv = el('textarea', { id: 'list-private', rows: '3', cols: '44' }) as HTMLTextAreaElement;
    priv.value = '{"name":"weather-2026.csv","ipfs_cid":"bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi","description":"hourly readings"}';
    const btn = el('button', { id: 'list-submit' }, 'Encrypt and list');
    btn.onclick = async () => {
      const w = wallet();
      if (!w) return txLine(log, 'list')('error', 'unlock your market wallet first');
      try {
        if (!agent) throw new Error('the market has no agent');
        const agentKey = await rpc<string | null>('market_getEncryptionKey', agent);
        if (!agentKey) throw new Error(`the agent (${nameOf(agent)}) has not registered an encryption key`);
        const me = account()!;
        const itemKey = mc.generateItemKey();
        const { sealedFields, plaintextHash: hash } = mc.sealItem(itemKey, new TextEncoder().encode(priv.value), decodeAddress(me.address));
        const keyForAgent = mc.sealKey(itemKey, bytes(agentKey), { seller: decodeAddress(me.address), plaintextHash: hash });
        // Keep the key before sending: a closed tab must not lose it.
        w.data.pendingItemKeys = { ...(w.data.pendingItemKeys ?? {}), [hex(hash)]: hex(itemKey) };
        await w.save();
        const tx = chain().api.tx.privateMarket.listItem(
          parseBalance(price.value),
          hex(new TextEncoder().encode(meta.value)),
          hex(sealedFields),
          hex(keyForAgent),
          hex(hash),
        );
        const res = await run('privateMarket.listItem', tx);
        for (const { event } of res.events) {
          if (event.section === 'privateMarket' && event.method === 'ItemListed') {
            const id = event.data[0].toString();
            w.data.itemKeys[id] = hex(itemKey);
            delete w.data.pendingItemKeys![hex(hash)];
            await w.save();
          }
        }
        void renderWallet();
      } catch (e) {
        txLine(log, 'list')('error', (e as Error).message);
      }
    };
    listBox.replaceChildren(
      el('div', { class: 'form' }, el('label', {}, `price (${chain().symbol})`, price), el('label', {}, 'public metadata', meta)),
      el('div', { class: 'form' }, el('label', {}, 'private fields (encrypted in this browser)', priv)),
      el('div', { class: 'form' }, btn),
    );
  }

  /// Item keys saved before their listing was seen on chain (say the tab
  /// closed meanwhile) join the wallet once the listing is there.
  async function adoptPendingKeys() {
    const w = wallet();
    const me = account();
    const pending = w?.data.pendingItemKeys;
    if (!w || !me || !pending || !Object.keys(pending).length) return;
    let changed = false;
    for (const it of items) {
      const key = pending[it.plaintextHash.toLowerCase()];
      if (key && it.seller === me.address) {
        w.data.itemKeys[String(it.id)] = key;
        delete pending[it.plaintextHash.toLowerCase()];
        changed = true;
      }
    }
    if (changed) await w.save();
  }

  // --- opening ---------------------------------------------------------
  function openWithKey(item: ItemJson, itemKey: Uint8Array, how: string): boolean {
    const { fields, hashMatches: matches } = mc.openItem(itemKey, bytes(item.sealedFields), bindingOf(item));
    showOpened(
      matches,
      `Item ${item.id} opened ${how}: ${matches ? 'the plaintext matches its hash ✓' : 'the plaintext does NOT match its hash ✗'}`,
      new TextDecoder().decode(fields),
    );
    return matches;
  }

  function openItem(item: ItemJson) {
    const me = account();
    const w = wallet();
    try {
      if (!w) throw new Error('unlock your market wallet first');
      const own = w.data.itemKeys[String(item.id)];
      if (own) return openWithKey(item, bytes(own), 'with your item key');
      // The agent's view: the key sealed to the agent's registered key.
      const key = mc.openKey(w.keypair().secret, bytes(item.keyForAgent), bindingOf(item));
      return openWithKey(item, key, me?.address === agent ? 'as the agent' : 'with your key');
    } catch (e) {
      showOpened(false, `Cannot open item ${item.id}: ${(e as Error).message}`);
      return false;
    }
  }

  function openOrder(order: OrderJson): boolean {
    const w = wallet();
    try {
      if (!w) throw new Error('unlock your market wallet first');
      if (!order.keyForBuyer) throw new Error('the key is not delivered yet');
      const secret = w.orderSecret(order.buyerKey);
      if (!secret) throw new Error('this wallet does not hold the order\'s key');
      const item = items.find((i) => i.id === order.item);
      if (!item) throw new Error('the item is gone');
      return openWithKey(item, mc.openKey(secret, bytes(order.keyForBuyer), bindingOf(item)), `through order ${order.id}`);
    } catch (e) {
      showOpened(false, `Cannot open order ${order.id}: ${(e as Error).message}`);
      return false;
    }
  }

  /// The agent's check of a disputed delivery, on runtimes that store the
  /// buyer's evidence: the order's secret opens what the seller delivered;
  /// it must be the key sealed to the agent at listing and open the item
  /// to its hash.
  async function checkDelivery(order: OrderJson) {
    const w = wallet();
    try {
      if (!w) throw new Error('unlock your market wallet first');
      const evidence = await (chain().api.query.privateMarket as any).disputeEvidence(order.id);
      if (evidence.isNone) throw new Error('no evidence stored for this order');
      if (!order.keyForBuyer) throw new Error('nothing was delivered');
      const item = items.find((i) => i.id === order.item);
      if (!item) throw new Error('the item is gone');
      const delivered = mc.openKey(evidence.unwrap().toU8a(true), bytes(order.keyForBuyer), bindingOf(item));
      let same = false;
      try {
        same = hex(mc.openKey(w.keypair().secret, bytes(item.keyForAgent), bindingOf(item))) === hex(delivered);
      } catch {
        /* the agent's own copy does not open: say so below */
      }
      // As the CLI's finding: the seller delivered right if and only if the
      // delivered key opens the item and the plaintext matches the listed hash.
      const ok = openWithKey(item, delivered, `with the key delivered for order ${order.id}`);
      const shown = opened.querySelector('#opened-text')?.textContent ?? '';
      showOpened(
        ok,
        `Order ${order.id}: the delivered key opens the item ${ok ? 'and matches its hash' : 'but does NOT match its hash'}; it ${same ? 'is' : 'is not'} the key sealed to the agent. ${ok ? 'The seller delivered: pay the seller.' : 'The delivery is bad: refund the buyer.'}`,
        shown,
      );
      opened.dataset.finding = ok ? 'seller' : 'buyer';
    } catch (e) {
      showOpened(false, `Order ${order.id}: the delivered key does not open (${(e as Error).message}): refund the buyer.`);
      opened.dataset.finding = 'buyer';
    }
  }

  // --- tables ----------------------------------------------------------
  function renderItems() {
    const me = account();
    itemsBody.replaceChildren(
      ...items.map((it) => {
        const actions = el('td', { class: 'actions' });
        const open = el('button', { class: 'secondary open-item' }, 'Open');
        open.onclick = () => openItem(it);
        actions.append(open);
        if (me && it.seller === me.address) {
          const cancel = el('button', { class: 'secondary cancel-item' }, 'Cancel');
          cancel.onclick = () => run('privateMarket.cancelItem', chain().api.tx.privateMarket.cancelItem(it.id)).catch(() => {});
          actions.append(' ', cancel);
        } else {
          const order = el('button', { class: 'order-item' }, 'Order');
          order.onclick = async () => {
            const w = wallet();
            if (!w) return txLine(log, 'order')('error', 'unlock your market wallet first');
            const kp = await w.newOrderKey();
            await run('privateMarket.placeOrder', chain().api.tx.privateMarket.placeOrder(it.id, hex(kp.public))).catch(() => {});
          };
          actions.append(' ', order);
        }
        return el(
          'tr',
          { 'data-item': String(it.id) },
          el('td', {}, String(it.id)),
          el('td', { title: it.seller }, nameOf(it.seller)),
          el('td', {}, fmtBalance(it.price)),
          el('td', {}, text(it.publicMeta)),
          actions,
        );
      }),
    );
    if (!items.length) itemsBody.append(el('tr', {}, el('td', { colspan: '5', class: 'muted' }, 'No items listed.')));
  }

  function renderOrders(orders: OrderJson[]) {
    const me = account()?.address;
    const { api } = chain();
    const btn = (cls: string, label: string, f: () => void, kind = '') => {
      const b = el('button', { class: `${kind} ${cls}` }, label);
      b.onclick = f;
      return b;
    };
    ordersBody.replaceChildren(
      ...orders.map((o) => {
        const actions = el('td', { class: 'actions' });
        if (me === o.seller && o.state === 'placed') {
          actions.append(
            btn('deliver', 'Deliver key', async () => {
              const w = wallet();
              const k = w?.data.itemKeys[String(o.item)];
              if (!k) return txLine(log, 'deliver')('error', 'this wallet does not hold the item key');
              const item = items.find((i) => i.id === o.item);
              if (!item) return txLine(log, 'deliver')('error', 'the item is gone');
              const sealed = mc.sealKey(bytes(k), bytes(o.buyerKey), bindingOf(item));
              await run('privateMarket.deliverKey', api.tx.privateMarket.deliverKey(o.id, hex(sealed))).catch(() => {});
            }),
            ' ',
            btn('reject', 'Reject', () => run('privateMarket.rejectOrder', api.tx.privateMarket.rejectOrder(o.id)).catch(() => {}), 'secondary'),
          );
        }
        if (me === o.buyer && o.keyForBuyer) {
          actions.append(btn('open-order', 'Open & check', () => openOrder(o), 'secondary'));
        }
        if (me === o.buyer && o.state === 'delivered') {
          actions.append(
            ' ',
            btn('confirm', 'Confirm', async () => {
              // As the CLI: confirm only what opens and matches its hash.
              if (!openOrder(o)) return txLine(log, 'confirm')('error', 'not confirming: the item does not open or does not match its hash');
              await run('privateMarket.confirm', api.tx.privateMarket.confirm(o.id)).catch(() => {});
            }),
            ' ',
            btn('dispute', 'Dispute', async () => {
              // Runtimes with on-chain checked evidence take the order's
              // secret (a fresh key for this order only): with it the agent
              // can open what was delivered.
              const f = api.tx.privateMarket.dispute as any;
              let tx;
              if (f.meta.args.length === 2) {
                const secret = wallet()?.orderSecret(o.buyerKey);
                if (!secret) return txLine(log, 'dispute')('error', 'this wallet does not hold the order\'s key');
                tx = f(o.id, hex(secret));
              } else {
                tx = f(o.id);
              }
              await run('privateMarket.dispute', tx).catch(() => {});
            }, 'danger'),
          );
        }
        if (me === agent && o.state === 'confirmed') {
          actions.append(btn('release', 'Release to seller', () => run('privateMarket.release', api.tx.privateMarket.release(o.id)).catch(() => {})));
        }
        if (me === agent && o.state === 'disputed') {
          if ((api.query.privateMarket as any).disputeEvidence) {
            actions.append(btn('check-delivery', 'Check delivery', () => void checkDelivery(o), 'secondary'), ' ');
          }
          actions.append(
            btn('resolve-seller', 'Pay seller', () =>
              run('privateMarket.resolveDispute', api.tx.privateMarket.resolveDispute(o.id, true)).catch(() => {}),
            ),
            ' ',
            btn('resolve-buyer', 'Refund buyer', () =>
              run('privateMarket.resolveDispute', api.tx.privateMarket.resolveDispute(o.id, false)).catch(() => {}),
            'secondary'),
          );
        }
        if (['placed', 'delivered', 'confirmed', 'disputed'].includes(o.state)) {
          // Anyone may apply the state's timeout rule once it has passed;
          // before, the chain refuses (TooEarly) and the log says so.
          actions.append(
            ' ',
            btn('claim-timeout', 'Timeout', () =>
              run('privateMarket.claimTimeout', api.tx.privateMarket.claimTimeout(o.id)).catch(() => {}),
            'secondary'),
          );
        }
        const stateClass = { paid: 'ok', refunded: 'warn', rejected: 'warn', split: 'warn', disputed: 'bad' }[o.state] ?? 'info';
        return el(
          'tr',
          { 'data-order': String(o.id), 'data-state': o.state },
          el('td', {}, String(o.id)),
          el('td', {}, String(o.item)),
          el('td', { title: o.buyer }, nameOf(o.buyer)),
          el('td', { title: o.seller }, nameOf(o.seller)),
          el('td', {}, fmtBalance(o.price)),
          el('td', {}, el('span', { class: `tag ${stateClass}` }, o.state)),
          actions,
        );
      }),
    );
    if (!orders.length) ordersBody.append(el('tr', {}, el('td', { colspan: '7', class: 'muted' }, 'No orders.')));
  }

  function renderAgent(orders: OrderJson[]) {
    const me = account()?.address;
    const waiting = orders.filter((o) => o.state === 'confirmed' || o.state === 'disputed');
    agentBox.replaceChildren(
      el(
        'div',
        { class: 'kv' },
        el('span', {}, 'agent'),
        el('b', { id: 'agent-name', title: agent ?? '' }, agent ? nameOf(agent) : 'none'),
        el('span', {}, 'waiting for the agent'),
        el('span', {}, waiting.length ? waiting.map((o) => `order ${o.id} (${o.state})`).join(', ') : 'nothing'),
      ),
      el(
        'p',
        { class: 'note' },
        me === agent
          ? 'You are the agent: release confirmed orders; for a disputed one, check the delivery (the buyer\'s revealed order key opens what the seller delivered), then pay the seller or refund the buyer.'
          : 'The agent releases confirmed orders and resolves disputes; it can open any item through the key sealed to it.',
      ),
    );
  }

  async function refresh(force = false) {
    try {
      agent = await rpc<string | null>('market_getAgent');
      const fetched = await rpc<ItemJson[]>('market_getItems', 0, 50);
      const next = Number((await chain().api.query.privateMarket.nextOrderId()).toString());
      const orders: OrderJson[] = [];
      for (let id = next - 1; id >= Math.max(0, next - 30); id--) {
        const o = await rpc<OrderJson | null>('market_getOrder', id);
        if (o) orders.push(o);
      }
      if (!alive) return;
      items = fetched;
      await adoptPendingKeys();
      const ik = JSON.stringify(fetched) + account()?.address;
      const ok = JSON.stringify(orders) + account()?.address + agent;
      if (force || ik !== lastItems) renderItems();
      if (force || ok !== lastOrders) {
        renderOrders(orders);
        renderAgent(orders);
      }
      lastItems = ik;
      lastOrders = ok;
      await renderEscrow();
    } catch (e) {
      console.error(e);
    }
  }

  const all = () => {
    void renderWallet();
    renderListForm();
    renderEscrowForm();
    void refresh(true);
  };
  all();
  const t = setInterval(() => {
    void refresh();
  }, 3000);
  const off = onAccountChange(all);
  return () => {
    alive = false;
    clearInterval(t);
    off();
  };
}
