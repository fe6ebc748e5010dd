// Network: heights, recent blocks with proposer and certificate, the
// committee, LBFT's round state and finality latency.
import { chain, el, rpc, short } from '../chain';
import { loadBlock, type BlockInfo } from '../dpor';
import { heights, onChange, seen } from '../tracker';
import { nameOf } from '../state';
import { barChart } from '../charts';

const RECENT = 12;
const LATENCY_N = 40;

export function mount(root: HTMLElement): () => void {
  const best = el('span', { class: 'big', id: 'best-height' }, '…');
  const fin = el('span', { class: 'big', id: 'final-height' }, '…');
  const blocksBody = el('tbody', { id: 'blocks' });
  const committeeBox = el('div', { id: 'committee' }, 'loading…');
  const roundBox = el('div', { id: 'round-state' });
  const latencyBox = el('div', { id: 'latency' });

  root.append(
    el(
      'section',
      { class: 'cards' },
      el('div', { class: 'card' }, el('div', { class: 'label' }, 'Best block'), best),
      el('div', { class: 'card' }, el('div', { class: 'label' }, 'Final block'), fin),
      el('div', { class: 'card wide' }, el('div', { class: 'label' }, 'LBFT round (dpor_roundState)'), roundBox),
    ),
    el(
      'div',
      { class: 'grid2' },
      el(
        'section',
        {},
        el('h2', {}, 'Recent blocks'),
        el(
          'table',
          { class: 'blocks' },
          el(
            'thead',
            {},
            el('tr', {}, ...['#', 'hash', 'term/view', 'proposer', 'certificate', 'signers'].map((h) => el('th', {}, h))),
          ),
          blocksBody,
        ),
      ),
      el(
        'section',
        {},
        el('h2', {}, 'Committee'),
        committeeBox,
        el('h2', {}, `Finality latency (last ${LATENCY_N} blocks seen here)`),
        latencyBox,
      ),
    ),
  );

  let alive = true;
  const cache = new Map<string, BlockInfo>();
  let rendering = false;

  async function renderBlocks() {
    if (rendering) return;
    rendering = true;
    try {
      const { api } = chain();
      let hash: string = (await api.rpc.chain.getBlockHash()).toHex();
      const rows: BlockInfo[] = [];
      for (let i = 0; i < RECENT && hash; i++) {
        let b = cache.get(hash);
        // A block's certificate may arrive after we first read it.
        if (!b || !b.certificate) {
          b = await loadBlock(hash);
          cache.set(hash, b);
        }
        rows.push(b);
        if (b.number === 0) break;
        hash = b.parent;
      }
      if (!alive) return;
      blocksBody.replaceChildren(
        ...rows.map((b) => {
          const proposer = !b.digest
            ? el('span', { class: 'muted' }, b.number === 0 ? 'genesis' : '—')
            : b.digest.impeach
              ? el('span', { class: 'tag bad' }, 'impeached')
              : el('span', { title: b.digest.proposer }, nameOf(b.digest.proposer));
          const cert = b.certificate
            ? el('span', { class: 'tag ok' }, `round ${b.certificate.round}, ${b.certificate.keys.length} sig`)
            : el('span', { class: 'muted' }, b.number === 0 ? '' : 'none yet');
          return el(
            'tr',
            { 'data-number': String(b.number) },
            el('td', {}, String(b.number)),
            el('td', { class: 'mono', title: b.hash }, short(b.hash)),
            el('td', {}, b.digest ? `${b.digest.term}/${b.digest.view}` : ''),
            el('td', { class: 'proposer' }, proposer),
            el('td', {}, cert),
            el('td', { class: 'signers' }, b.signers.map((s) => nameOf(s)).join(', ')),
          );
        }),
      );
      if (cache.size > 200) cache.clear();
    } catch (e) {
      console.error(e);
    } finally {
      rendering = false;
    }
  }

  async function renderCommittee() {
    try {
      const [committee, term, config] = await Promise.all([
        rpc<any>('dpor_getCommittee'),
        rpc<number>('dpor_getCurrentTerm'),
        rpc<any>('dpor_getConfig'),
      ]);
      const lag = config?.electionLag ?? 0;
      const next: { term: number; candidates: string[] }[] = [];
      for (let t = term + 1; t <= term + Math.max(lag, 1); t++) {
        next.push({ term: t, candidates: await rpc<string[]>('dpor_getCandidates', t) });
      }
      const upcoming: { n: number; who: string | null }[] = [];
      for (let n = heights.best + 1; n <= heights.best + 6; n++) {
        upcoming.push({ n, who: await rpc<string | null>('dpor_getProposer', n) });
      }
      if (!alive) return;
      committeeBox.replaceChildren(
        el(
          'div',
          { class: 'kv' },
          el('span', {}, 'Term / view'),
          el('b', { id: 'term' }, `${committee.term} / ${committee.view}`),
          el('span', {}, 'Term shape'),
          el(
            'span',
            {},
            config
              ? `${config.termLen} view(s) × ${config.viewLen} blocks, ${config.periodMs} ms period, impeach after ${config.impeachTimeoutMs} ms, elected ${config.electionLag} terms ahead`
              : 'no committee',
          ),
          el('span', {}, 'Next committee change'),
          el('span', {}, committee.nextChange == null ? 'none scheduled' : `#${committee.nextChange}`),
        ),
        el('h3', {}, `Validators (${committee.validators.length})`),
        el(
          'ul',
          { class: 'validators' },
          ...committee.validators.map((v: any) =>
            el('li', {}, el('b', {}, nameOf(v.account)), ' key ', el('span', { class: 'mono' }, short(v.key))),
          ),
        ),
        el('h3', {}, "This term's proposers"),
        el('ol', { class: 'proposers' }, ...committee.proposers.map((p: string) => el('li', {}, nameOf(p)))),
        el('h3', {}, 'Upcoming blocks'),
        el('div', { class: 'chips' }, ...upcoming.map((u) => el('span', { class: 'chip' }, `#${u.n} ${u.who ? nameOf(u.who) : '—'}`))),
        el('h3', {}, 'Elected terms ahead (candidates)'),
        el(
          'ul',
          {},
          ...next.map((t) =>
            el('li', {}, `term ${t.term}: `, t.candidates.length ? t.candidates.map((c) => nameOf(c)).join(', ') : el('span', { class: 'muted' }, 'no candidates (default proposers)')),
          ),
        ),
      );
    } catch (e) {
      committeeBox.textContent = `committee unavailable: ${(e as Error).message}`;
    }
  }

  async function renderRound() {
    try {
      const s = await rpc<any>('dpor_roundState');
      if (!alive) return;
      roundBox.replaceChildren(roundDiagram(s));
    } catch (e) {
      roundBox.textContent = `not a DPoR node (${(e as Error).message})`;
    }
  }

  function renderLatency() {
    const pts = [...seen.values()]
      .filter((s) => s.finalAt !== undefined)
      .sort((a, b) => a.number - b.number)
      .slice(-LATENCY_N);
    latencyBox.replaceChildren(
      barChart(
        pts.map((p) => ({ label: `#${p.number}`, value: (p.finalAt! - p.bestAt) / 1000 })),
        { unit: 's', height: 150, empty: 'waiting for blocks…' },
      ),
    );
  }

  const update = () => {
    best.textContent = `#${heights.best}`;
    fin.textContent = `#${heights.final}`;
    renderLatency();
  };
  update();
  void renderBlocks();
  void renderCommittee();
  void renderRound();
  const off = onChange(() => {
    update();
    void renderBlocks();
  });
  const t1 = setInterval(renderRound, 1000);
  // A certificate may be stored just after the block is reported final.
  const t2 = setInterval(() => {
    void renderCommittee();
    void renderBlocks();
  }, 3000);
  return () => {
    alive = false;
    off();
    clearInterval(t1);
    clearInterval(t2);
  };
}

/// LBFT's phases for the height being decided: a proposal, then prepare
/// and commit votes reaching 2f+1 (a C-certificate), or the impeach path
/// when the proposer times out.
function roundDiagram(s: any): HTMLElement {
  const decided = s.lastFinalized >= s.height;
  const phase = decided ? 'final' : s.impeachBlock ? 'impeach' : s.proposal ? 'vote' : 'propose';
  const steps: [string, string][] = [
    ['propose', 'Propose'],
    ['vote', 'Prepare → Commit'],
    ['impeach', 'Impeach'],
    ['final', 'Certified'],
  ];
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 580 70');
  svg.setAttribute('class', 'round-svg');
  steps.forEach(([key, label], i) => {
    const x = 5 + i * 145;
    const r = document.createElementNS(ns, 'rect');
    r.setAttribute('x', String(x));
    r.setAttribute('y', '10');
    r.setAttribute('width', '124');
    r.setAttribute('height', '34');
    r.setAttribute('rx', '6');
    r.setAttribute('class', `phase ${key === phase ? 'active' : ''} ${key}`);
    svg.append(r);
    const t = document.createElementNS(ns, 'text');
    t.setAttribute('x', String(x + 62));
    t.setAttribute('y', '32');
    t.setAttribute('text-anchor', 'middle');
    t.textContent = label;
    svg.append(t);
    if (i < steps.length - 1) {
      const a = document.createElementNS(ns, 'path');
      a.setAttribute('d', `M${x + 126} 27 L${x + 143} 27`);
      a.setAttribute('class', 'arrow');
      svg.append(a);
    }
  });
  const info = document.createElementNS(ns, 'text');
  info.setAttribute('x', '5');
  info.setAttribute('y', '64');
  info.setAttribute('class', 'small');
  info.textContent = `height ${s.height} · round ${s.round} · ${s.validators} validator(s)${s.validator ? ' (this node votes)' : ''} · ${s.peers} peer(s) · last final #${s.lastFinalized}`;
  svg.append(info);
  const wrap = el('div', { 'data-phase': phase });
  wrap.append(svg);
  return wrap;
}
