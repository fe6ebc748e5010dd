import { connect, rpcUrl, saveRpcUrl, toast } from './chain';
import { loadAccounts } from './accounts';
import { startTracker } from './tracker';
import { allAccounts, selectAccount, setAccounts } from './state';
import * as network from './pages/network';
import * as reputation from './pages/reputation';
import * as market from './pages/market';
import * as governance from './pages/governance';

type Page = { mount(root: HTMLElement): () => void };
const pages: Record<string, Page> = { network, reputation, market, governance };

const root = document.getElementById('page')!;
const urlInput = document.getElementById('rpc-url') as HTMLInputElement;
const status = document.getElementById('conn-status')!;
const accountSelect = document.getElementById('account') as HTMLSelectElement;
let unmount: (() => void) | null = null;
let connected = false;

function route(): void {
  const name = location.hash.replace('#', '') || 'network';
  const page = pages[name] ?? pages.network;
  document.querySelectorAll<HTMLAnchorElement>('#tabs a').forEach((a) =>
    a.classList.toggle('active', a.dataset.page === name),
  );
  unmount?.();
  unmount = null;
  root.replaceChildren();
  document.body.dataset.page = name;
  if (!connected) {
    root.textContent = 'Connecting…';
    return;
  }
  try {
    unmount = page.mount(root);
  } catch (e) {
    root.textContent = `This page failed: ${(e as Error).message}`;
  }
}

async function start(url: string): Promise<void> {
  connected = false;
  status.textContent = 'connecting';
  status.className = 'pill wait';
  urlInput.value = url;
  route();
  try {
    const c = await connect(url);
    const [chainName, version] = await Promise.all([c.api.rpc.system.chain(), c.api.rpc.system.version()]);
    status.textContent = `${chainName} · ${c.api.runtimeVersion.specName} v${c.api.runtimeVersion.specVersion}`;
    status.title = `node ${version}`;
    status.className = 'pill ok';
    await startTracker();
    const accounts = await loadAccounts(c.api.registry.chainSS58 ?? 42, c.isDev);
    setAccounts(accounts);
    accountSelect.replaceChildren(
      ...accounts.map((a) => {
        const o = document.createElement('option');
        o.value = a.address;
        o.textContent = `${a.name} — ${a.address.slice(0, 8)}…`;
        return o;
      }),
    );
    const wanted = new URLSearchParams(location.search).get('account') || localStorage.getItem('cpchain.account');
    const pick = accounts.find((a) => a.name === wanted || a.address === wanted) ?? accounts[0] ?? null;
    if (pick) accountSelect.value = pick.address;
    selectAccount(pick);
    connected = true;
    document.body.dataset.connected = 'yes';
    route();
  } catch (e) {
    status.textContent = 'not connected';
    status.className = 'pill bad';
    toast(`cannot connect to ${url}: ${(e as Error).message}`, 'error');
  }
}

accountSelect.addEventListener('change', () => {
  selectAccount(allAccounts().find((a) => a.address === accountSelect.value) ?? null);
});
document.getElementById('rpc-connect')!.addEventListener('click', () => {
  const url = urlInput.value.trim();
  saveRpcUrl(url);
  void start(url);
});
window.addEventListener('hashchange', route);
void start(rpcUrl());
