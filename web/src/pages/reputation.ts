// Reputation and campaign: RPT ranking with its five dimensions, RNodes
// and candidates, and how to join and claim.
import { chain, el, fmtBalance, rpc, sendTx, txLine } from '../chain';
import { groupedBars } from '../charts';
import { account, allAccounts, nameOf, onAccountChange } from '../state';
import { findNonce } from '../admission';
import { decodeAddress } from '@polkadot/util-crypto';
import { hexToU8a } from '@polkadot/util';

const DIMS = ['ab', 'tx', 'dc', 'bm', 'pr'] as const;
const DIM_NAMES = ['AB balance', 'TX sent', 'DC data', 'BM blocks', 'PR proxy'];

export function mount(root: HTMLElement): () => void {
  const settingsBox = el('div', { id: 'rpt-settings' }, 'loading…');
  const chartBox = el('div', { id: 'rpt-chart' });
  const rankingBody = el('tbody', { id: 'rpt-ranking' });
  const rnodesBox = el('div', { id: 'rnodes' });
  const mineBox = el('div', { id: 'my-campaign' });
  const log = el('div', { class: 'txlog' });

  root.append(
    el(
      'div',
      { class: 'grid2' },
      el(
        'section',
        {},
        el('h2', {}, 'RPT ranking'),
        settingsBox,
        chartBox,
        el(
          'table',
          {},
          el('thead', {}, el('tr', {}, ...['#', 'account', ...DIM_NAMES, 'impeached', 'RPT'].map((h) => el('th', {}, h)))),
          rankingBody,
        ),
        el('p', { class: 'note' }, 'rpt_getRanking ranks the RNodes; * marks known accounts that are not RNodes, by their RPT (rpt_getRpts).'),
      ),
      el('section', {}, el('h2', {}, 'RNodes and candidates'), rnodesBox, el('h2', {}, 'Your campaign'), mineBox, log),
    ),
  );
  let alive = true;

  async function refresh() {
    try {
      const [settings, ranking, rnodes, term, config] = await Promise.all([
        rpc<any>('rpt_getSettings'),
        rpc<any[]>('rpt_getRanking'),
        rpc<string[]>('campaign_getRnodes'),
        rpc<number>('dpor_getCurrentTerm'),
        rpc<any>('dpor_getConfig'),
      ]);
      // The ranking covers RNodes; the known accounts that are not RNodes
      // follow, by their RPT (rpt_getRpts), marked.
      let rows: { account: string; rpt: any; rnode: boolean }[] = ranking.map((r) => ({ ...r, rnode: true }));
      const known = allAccounts()
        .map((a) => a.address)
        .filter((a) => !rows.some((r) => r.account === a));
      if (known.length) {
        const rpts = await rpc<any[]>('rpt_getRpts', known);
        rows = rows.concat(
          known.map((a, i) => ({ account: a, rpt: rpts[i], rnode: false })).sort((x, y) => y.rpt.total - x.rpt.total),
        );
      }
      const w = settings.weights;
      if (!alive) return;
      settingsBox.replaceChildren(
        el(
          'div',
          { class: 'chips' },
          ...[`α AB ${w.alpha}`, `β TX ${w.beta}`, `γ BM ${w.gamma}`, `ψ DC ${w.psi}`, `ω PR ${w.omega}`, `window ${settings.window} blocks`].map(
            (t) => el('span', { class: 'chip' }, t),
          ),
        ),
      );
      chartBox.replaceChildren(
        groupedBars(
          rows.slice(0, 10).map((r) => ({ label: nameOf(r.account) + (r.rnode ? '' : '*'), values: DIMS.map((d) => r.rpt[d]) })),
          DIM_NAMES,
          { height: 220 },
        ),
      );
      rankingBody.replaceChildren(
        ...rows.map((r, i) =>
          el(
            'tr',
            {},
            el('td', {}, r.rnode ? String(i + 1) : ''),
            el('td', { title: r.account }, nameOf(r.account), r.rnode ? ' ' : '', r.rnode ? el('span', { class: 'tag ok' }, 'RNode') : el('span', { class: 'muted' }, '*')),
            ...DIMS.map((d) => el('td', {}, String(r.rpt[d]))),
            el('td', {}, String(r.rpt.impeached)),
            el('td', {}, el('b', {}, String(r.rpt.total))),
          ),
        ),
      );
      const lag = config?.electionLag ?? 2;
      const cands: string[] = [];
      for (let t = term; t <= term + lag; t++) {
        const c = await rpc<string[]>('dpor_getCandidates', t);
        cands.push(`term ${t}: ${c.length ? c.map((x) => nameOf(x)).join(', ') : '—'}`);
      }
      rnodesBox.replaceChildren(
        el('h3', {}, `RNodes (${rnodes.length})`),
        rnodes.length ? el('ul', {}, ...rnodes.map((r) => el('li', { title: r }, nameOf(r)))) : el('p', { class: 'muted' }, 'none yet'),
        el('h3', {}, 'Candidates by term'),
        el('ul', {}, ...cands.map((c) => el('li', {}, c))),
      );
      await renderMine(rnodes);
    } catch (e) {
      settingsBox.textContent = `unavailable: ${(e as Error).message}`;
    }
  }

  let proving = false;
  async function renderMine(rnodes: string[]) {
    // Keep the form (and its progress) while a proof search runs.
    if (proving) return;
    const me = account();
    if (!me) {
      mineBox.textContent = 'Choose an account.';
      return;
    }
    const [info, admission] = await Promise.all([
      rpc<any>('campaign_getCandidateInfo', me.address),
      rpc<any>('admission_getSettings'),
    ]);
    const isRnode = rnodes.includes(me.address);
    const httpUrl = chain().url.replace(/^ws(s?):/, 'http$1:');
    const suri = me.source === 'dev' ? `//${me.name}` : '"$(cat my-account.key)"';
    const termsInput = el('input', { id: 'campaign-terms', type: 'number', min: '1', max: '3', value: '1', size: '3' }) as HTMLInputElement;
    const joinBtn = el('button', { id: 'campaign-join' }, 'Prove and claim') as HTMLButtonElement;
    const quitCampaign = el('button', { class: 'secondary', id: 'quit-campaign' }, 'Quit campaign');
    const quitRnode = el('button', { class: 'secondary', id: 'quit-rnode' }, 'Quit RNode');
    quitCampaign.onclick = () => run('campaign.quitCampaign', chain().api.tx.campaign.quitCampaign());
    quitRnode.onclick = () => run('campaign.quitRnode', chain().api.tx.campaign.quitRnode());
    mineBox.replaceChildren(
      el(
        'div',
        { class: 'kv' },
        el('span', {}, 'Account'),
        el('b', {}, me.name),
        el('span', {}, 'RNode'),
        el('span', {}, isRnode ? el('span', { class: 'tag ok' }, 'yes') : el('span', { class: 'tag warn' }, 'no')),
        el('span', {}, 'Candidacy'),
        el('span', {}, info ? `terms ${info.start}–${info.stop} (${info.terms} left), deposit ${fmtBalance(info.deposit)}` : 'none'),
        el('span', {}, 'Admission'),
        el('span', {}, `scrypt proofs: CPU difficulty ${admission.cpuDifficulty}, memory difficulty ${admission.memoryDifficulty}, proof block at most ${admission.acceptableBlocks} blocks old`),
      ),
      el('h3', {}, 'Join as an RNode and claim a campaign'),
      el(
        'p',
        { class: 'note' },
        `Both need two admission proofs over a block at most ${admission.acceptableBlocks} blocks old: SHA-256 (difficulty ${admission.cpuDifficulty}) and scrypt (difficulty ${admission.memoryDifficulty}, 4 MiB per try). This page searches them here; at high difficulties the node binary is faster (it joins as an RNode if needed, then claims):`,
      ),
      el('div', { class: 'form' }, el('label', {}, 'terms', termsInput), joinBtn, el('span', { id: 'proof-progress', class: 'note' })),
      el('div', { class: 'cmd', id: 'campaign-cmd' }, `cpchain-node campaign start --url ${httpUrl} --suri ${suri} --terms 1`),
      el('div', { class: 'cmd' }, `cpchain-node campaign status --url ${httpUrl} --suri ${suri}`),
      el('div', { class: 'form' }, quitCampaign, quitRnode),
    );
    joinBtn.disabled = !!info;
    joinBtn.textContent = isRnode ? 'Prove and claim' : 'Prove, join and claim';
    joinBtn.onclick = async () => {
      joinBtn.disabled = true;
      proving = true;
      const progress = document.getElementById('proof-progress')!;
      try {
        await proveJoinClaim(isRnode, Number(termsInput.value) || 1, admission, (t) => (progress.textContent = t));
      } catch (e) {
        txLine(log, 'campaign')('error', (e as Error).message);
      } finally {
        proving = false;
        void refresh();
      }
    };
  }

  /// Finds both proofs over the best block's parent (as the CLI does), then
  /// joins as an RNode when needed and claims.
  async function proveJoinClaim(isRnode: boolean, terms: number, admission: any, say: (t: string) => void) {
    const me = account();
    if (!me) throw new Error('choose an account');
    const { api } = chain();
    const best = (await api.rpc.chain.getHeader()).number.toNumber();
    const blockNumber = Math.max(best - 1, 0);
    const blockHash = hexToU8a((await api.rpc.chain.getBlockHash(blockNumber)).toHex());
    const who = decodeAddress(me.address);
    const started = Date.now();
    const cpu = await findNonce('cpu', who, blockHash, admission.cpuDifficulty, (n) => say(`CPU proof: ${n} tries…`));
    if (cpu === null) throw new Error('no CPU proof found');
    const memory = await findNonce('memory', who, blockHash, admission.memoryDifficulty, (n) => say(`memory proof: ${n} scrypt tries…`));
    if (memory === null) throw new Error('no memory proof found');
    say(`proofs over block #${blockNumber} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const proof = (nonce: bigint) => ({ blockNumber, nonce });
    if (!isRnode) await sendTx(api.tx.campaign.joinRnode(proof(cpu), proof(memory)), me, txLine(log, 'campaign.joinRnode'));
    await sendTx(api.tx.campaign.claimCampaign(terms, proof(cpu), proof(memory)), me, txLine(log, 'campaign.claimCampaign'));
  }

  async function run(label: string, tx: any) {
    const me = account();
    if (!me) return;
    try {
      await sendTx(tx, me, txLine(log, label));
    } catch {
      /* shown in the log */
    }
    void refresh();
  }

  void refresh();
  const t = setInterval(refresh, 8000);
  const off = onAccountChange(() => void refresh());
  return () => {
    alive = false;
    clearInterval(t);
    off();
  };
}
