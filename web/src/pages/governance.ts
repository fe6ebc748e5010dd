// Governance: the council, its open motions and votes; propose, vote and
// close; the runtime upgrade route (whitelist + authorize_upgrade +
// apply_authorized_upgrade, as `cpchain-node governance upgrade`).
import { blake2AsHex } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { chain, decodeError, el, sendTx, txLine } from '../chain';
import { account, nameOf, onAccountChange } from '../state';

export function mount(root: HTMLElement): () => void {
  const membersBox = el('div', { id: 'council-members' }, 'loading…');
  const motionsBox = el('div', { id: 'motions' });
  const log = el('div', { class: 'txlog', id: 'gov-log' });
  const callInput = el('input', { id: 'call-path', value: 'system.remarkWithEvent', size: '28' }) as HTMLInputElement;
  const argsInput = el('input', { id: 'call-args', value: '["hello council"]', size: '40' }) as HTMLInputElement;
  const thresholdInput = el('input', { id: 'threshold', type: 'number', min: '1', size: '4' }) as HTMLInputElement;
  const proposeBtn = el('button', { id: 'propose' }, 'Propose');
  const wasmInput = el('input', { id: 'wasm', type: 'file', accept: '.wasm' }) as HTMLInputElement;
  const upgradeBox = el('div', { id: 'upgrade' });

  root.append(
    el(
      'div',
      { class: 'grid2' },
      el('section', {}, el('h2', {}, 'Open motions'), motionsBox, el('h2', {}, 'Transactions'), log),
      el(
        'section',
        {},
        el('h2', {}, 'Council'),
        membersBox,
        el('h2', {}, 'New motion'),
        el(
          'div',
          { class: 'form' },
          el('label', {}, 'call (pallet.method)', callInput),
          el('label', {}, 'arguments (JSON array)', argsInput),
          el('label', {}, 'threshold', thresholdInput),
          proposeBtn,
        ),
        el('h2', {}, 'Runtime upgrade'),
        el(
          'p',
          { class: 'note' },
          'Motion 1 whitelists system.authorizeUpgrade(code hash); motion 2 dispatches it (dispatchWhitelistedCallWithPreimage); then any account applies the code (system.applyAuthorizedUpgrade, fee-free when it succeeds). Each motion needs two thirds of the council.',
        ),
        el('div', { class: 'form' }, el('label', {}, 'runtime wasm', wasmInput)),
        upgradeBox,
      ),
    ),
  );

  let alive = true;
  let members: string[] = [];
  let wasm: Uint8Array | null = null;

  const twoThirds = () => Math.max(1, Math.ceil((members.length * 2) / 3));

  async function run(label: string, tx: any): Promise<boolean> {
    const me = account();
    if (!me) return false;
    try {
      await sendTx(tx, me, txLine(log, label));
      return true;
    } catch {
      return false;
    } finally {
      void refresh();
    }
  }

  async function propose(call: any, threshold: number, label: string) {
    const { api } = chain();
    await run(`council.propose(${label})`, api.tx.council.propose(threshold, call, call.encodedLength));
  }

  proposeBtn.onclick = async () => {
    const { api } = chain();
    try {
      const [section, method] = callInput.value.trim().split('.');
      const fn = (api.tx as any)[section]?.[method];
      if (!fn) throw new Error(`no call ${callInput.value}`);
      const args = JSON.parse(argsInput.value || '[]');
      const call = fn(...args);
      await propose(call, Number(thresholdInput.value) || twoThirds(), callInput.value.trim());
    } catch (e) {
      txLine(log, 'propose')('error', (e as Error).message);
    }
  };

  function authorizeCall() {
    const { api } = chain();
    return api.tx.system.authorizeUpgrade(blake2AsHex(wasm!, 256));
  }

  function renderUpgrade() {
    const { api } = chain();
    if (!wasm) {
      upgradeBox.replaceChildren(el('p', { class: 'muted' }, 'Choose a wasm file to start.'));
      return;
    }
    const authorize = authorizeCall();
    const authorizeHash = blake2AsHex(authorize.method.toU8a(), 256);
    const b1 = el('button', { id: 'upgrade-whitelist' }, '1. Propose whitelist');
    const b2 = el('button', { id: 'upgrade-dispatch' }, '2. Propose dispatch');
    const b3 = el('button', { id: 'upgrade-apply' }, '3. Apply the code');
    b1.onclick = () => propose(api.tx.whitelist.whitelistCall(authorizeHash), twoThirds(), 'whitelist.whitelistCall');
    b2.onclick = () =>
      propose(
        api.tx.whitelist.dispatchWhitelistedCallWithPreimage(authorize.method),
        twoThirds(),
        'whitelist.dispatchWhitelistedCallWithPreimage',
      );
    b3.onclick = async () => {
      const me = account();
      if (!me) return;
      const progress = txLine(log, 'system.applyAuthorizedUpgrade');
      try {
        const res = await sendTx(api.tx.system.applyAuthorizedUpgrade(u8aToHex(wasm!)), me, progress);
        for (const { event } of res.events) {
          // frame-system refuses an invalid version with Ok and this event
          // (the caller pays nothing), and forgets the authorization.
          if (api.events.system.RejectedInvalidAuthorizedUpgrade?.is(event)) {
            const err = event.data[1] as any;
            progress('error', `the chain rejected the code: ${err?.isModule ? decodeError(err) : err?.toString()}`);
          }
          if (api.events.system.CodeUpdated.is(event)) progress('final', 'the runtime code is updated');
        }
      } catch {
        /* shown in the log */
      }
      void refresh();
    };
    upgradeBox.replaceChildren(
      el(
        'div',
        { class: 'kv' },
        el('span', {}, 'size'),
        el('span', {}, `${wasm.length.toLocaleString('en')} bytes`),
        el('span', {}, 'code hash'),
        el('span', { class: 'mono' }, blake2AsHex(wasm, 256)),
        el('span', {}, 'authorize call hash'),
        el('span', { class: 'mono' }, authorizeHash),
      ),
      el('div', { class: 'form' }, b1, b2, b3),
      el('div', { id: 'upgrade-state', class: 'note' }),
    );
    void upgradeState();
  }

  async function upgradeState() {
    const box = document.getElementById('upgrade-state');
    if (!box || !wasm) return;
    const { api } = chain();
    const authorize = authorizeCall();
    const [whitelisted, authorized] = await Promise.all([
      api.query.whitelist.whitelistedCall(blake2AsHex(authorize.method.toU8a(), 256)),
      api.query.system.authorizedUpgrade(),
    ]);
    const auth = (authorized as any).unwrapOr(null);
    const mine = auth && auth.codeHash.toHex() === blake2AsHex(wasm, 256);
    box.dataset.whitelisted = (whitelisted as any).isSome ? 'yes' : 'no';
    box.dataset.authorized = mine ? 'yes' : 'no';
    box.textContent = `whitelisted: ${(whitelisted as any).isSome ? 'yes' : 'no'} · authorized: ${mine ? 'yes' : 'no'} · runtime ${api.runtimeVersion.specName} v${api.runtimeVersion.specVersion}`;
  }

  wasmInput.onchange = async () => {
    const f = wasmInput.files?.[0];
    wasm = f ? new Uint8Array(await f.arrayBuffer()) : null;
    renderUpgrade();
  };

  async function refresh() {
    const { api } = chain();
    try {
      const [m, hashes, prime] = await Promise.all([
        api.query.council.members(),
        api.query.council.proposals(),
        api.query.council.prime(),
      ]);
      members = (m as any).map((x: any) => x.toString());
      if (!thresholdInput.value) thresholdInput.value = String(twoThirds());
      const motions = await Promise.all(
        (hashes as any).map(async (h: any) => {
          const [call, voting] = await Promise.all([api.query.council.proposalOf(h), api.query.council.voting(h)]);
          return { hash: h.toHex(), call: (call as any).unwrapOr(null), voting: (voting as any).unwrapOr(null) };
        }),
      );
      if (!alive) return;
      membersBox.replaceChildren(
        el(
          'ul',
          {},
          ...members.map((x) =>
            el('li', { title: x }, nameOf(x), (prime as any).isSome && (prime as any).unwrap().toString() === x ? ' (prime)' : ''),
          ),
        ),
        el('p', { class: 'note' }, `Two thirds: ${twoThirds()} of ${members.length}.`),
      );
      const me = account();
      motionsBox.replaceChildren(
        motions.length
          ? el(
              'div',
              {},
              ...motions.map((mo: any) => {
                const v = mo.voting;
                const ayes: string[] = v ? v.ayes.map((a: any) => a.toString()) : [];
                const nays: string[] = v ? v.nays.map((a: any) => a.toString()) : [];
                const index = v ? v.index.toNumber() : 0;
                const threshold = v ? v.threshold.toNumber() : 0;
                const callText = mo.call ? `${mo.call.section}.${mo.call.method}(${JSON.stringify(mo.call.toHuman().args ?? {})})` : mo.hash;
                const aye = el('button', { class: 'vote-aye' }, 'Aye');
                const nay = el('button', { class: 'secondary vote-nay' }, 'Nay');
                const close = el('button', { class: 'secondary close' }, 'Close');
                aye.onclick = () => run(`council.vote(#${index}, aye)`, api.tx.council.vote(mo.hash, index, true));
                nay.onclick = () => run(`council.vote(#${index}, nay)`, api.tx.council.vote(mo.hash, index, false));
                close.onclick = async () => {
                  const info = await api.tx(mo.call).paymentInfo(me!.address);
                  await run(`council.close(#${index})`, api.tx.council.close(mo.hash, index, info.weight, mo.call.encodedLength));
                };
                const voted = me && (ayes.includes(me.address) || nays.includes(me.address));
                return el(
                  'div',
                  { class: 'motion', 'data-index': String(index) },
                  el('h3', {}, `Motion #${index}`),
                  el('div', { class: 'mono' }, callText),
                  el(
                    'div',
                    { class: 'kv' },
                    el('span', {}, 'threshold'),
                    el('span', {}, `${threshold} of ${members.length}`),
                    el('span', {}, 'ayes'),
                    el('span', { class: 'ayes' }, `${ayes.length}: ${ayes.map((a) => nameOf(a)).join(', ')}`),
                    el('span', {}, 'nays'),
                    el('span', {}, `${nays.length}: ${nays.map((a) => nameOf(a)).join(', ')}`),
                    el('span', {}, 'ends'),
                    el('span', {}, v ? `block #${v.end.toString()}` : '—'),
                  ),
                  el('div', { class: 'form' }, aye, nay, close, voted ? el('span', { class: 'note' }, 'you voted') : ''),
                );
              }),
            )
          : el('p', { class: 'muted' }, 'No open motions.'),
      );
      if (!wasm) renderUpgrade();
      else void upgradeState();
    } catch (e) {
      membersBox.textContent = `council unavailable: ${(e as Error).message}`;
    }
  }

  void refresh();
  const t = setInterval(refresh, 6000);
  const off = onAccountChange(() => void refresh());
  return () => {
    alive = false;
    clearInterval(t);
    off();
  };
}
