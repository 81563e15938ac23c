import { api, forgetToken, onTokenNeeded, token } from './api';
import { html } from './html';
import type { FleetNode, ViewContext } from './types';
import { GridView } from './views/grid';
import { HistoryView } from './views/history';
import { LeaseView } from './views/lease';
import { QuarantineView } from './views/quarantine';
import { ReconcileView } from './views/reconcile';
import { WebhooksView } from './views/webhooks';

/** How often the range, the quarantine list, the webhook queue and an open lease re-read the API. */
const LIVE_MS = 3000;

interface View {
  refresh(): Promise<void>;
}

const TABS = ['range', 'history', 'quarantine', 'reconcile', 'webhooks'] as const;
type Tab = (typeof TABS)[number];
/** Tabs whose data changes by itself; the others hold forms and pages the user is reading. */
const LIVE_TABS = new Set<Tab>(['range', 'quarantine', 'webhooks']);

const $ = <T extends HTMLElement>(sel: string) => document.querySelector<T>(sel)!;

let tab: Tab | null = null;
let view: View | null = null;
let lease: LeaseView | null = null;
let node: string | undefined;
let busy = false;

function showError(e: unknown): void {
  $('#live').textContent = `error: ${(e as Error).message}`;
  $('#live').classList.add('down');
}

function context(): ViewContext {
  return { root: $('#view'), node };
}

function makeView(t: Tab): View {
  const ctx = context();
  switch (t) {
    case 'range':
      return new GridView(ctx);
    case 'history':
      return new HistoryView(ctx, showError);
    case 'quarantine':
      return new QuarantineView(ctx);
    case 'reconcile':
      return new ReconcileView(ctx, showError);
    case 'webhooks':
      return new WebhooksView(ctx, showError);
  }
}

function openTab(t: Tab): void {
  if (t === tab && view) return;
  tab = t;
  document.querySelectorAll<HTMLAnchorElement>('#tabs a').forEach((a) => a.classList.toggle('active', a.dataset.tab === t));
  view = makeView(t);
  void refresh(true);
}

/** The hash is the address: #/range, #/history, … and #/lease/<id> (the lease over the current tab). */
function route(): void {
  const [, first, second] = location.hash.split('/');
  if (first === 'lease' && second) {
    openTab(tab ?? 'range');
    lease = new LeaseView($('#lease'), decodeURIComponent(second), () => (location.hash = `#/${tab ?? 'range'}`));
    void refresh(false);
    return;
  }
  lease = null;
  $('#lease').hidden = true;
  openTab((TABS as readonly string[]).includes(first) ? (first as Tab) : 'range');
}

/** One refresh at a time; `all` also refreshes a tab that is not live (its first load). */
async function refresh(all: boolean): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    const work: Promise<void>[] = [];
    if (view && tab && (all || LIVE_TABS.has(tab))) work.push(view.refresh());
    if (lease) work.push(lease.refresh());
    await Promise.all(work);
    $('#live').textContent = `updated ${new Date().toLocaleTimeString()}`;
    $('#live').classList.remove('down');
    $('#forget').hidden = token() === null;
  } catch (e) {
    showError(e);
  } finally {
    busy = false;
  }
}

async function loadNodes(): Promise<void> {
  const { items } = await api<{ items: FleetNode[] }>('GET', '/nodes');
  const select = $<HTMLSelectElement>('#node');
  select.innerHTML = items
    .map(
      (n) =>
        html`<option value="${n.self ? '' : n.nodeId}" ${n.self ? 'selected' : ''}>
          ${n.nodeId}${n.self ? ' (this)' : n.running ? '' : ' (stopped)'}
        </option>`.html,
    )
    .join('');
  select.disabled = items.length < 2;
}

function tokenPrompt(why: string): Promise<string> {
  const dialog = $<HTMLDialogElement>('#token-dialog');
  const input = $<HTMLInputElement>('#token');
  $('#token-why').textContent = `${why} It is kept for this tab only.`;
  input.value = '';
  if (!dialog.open) dialog.showModal();
  return new Promise((resolve) => {
    const form = $<HTMLFormElement>('#token-form');
    const submit = (e: Event) => {
      e.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      form.removeEventListener('submit', submit);
      dialog.close();
      resolve(value);
    };
    form.addEventListener('submit', submit);
    // Escape would close the dialog with no token; there is nothing to show without one.
    dialog.addEventListener('cancel', (e) => e.preventDefault(), { once: true });
  });
}

function start(): void {
  onTokenNeeded(tokenPrompt);
  $<HTMLSelectElement>('#node').addEventListener('change', (e) => {
    node = (e.target as HTMLSelectElement).value || undefined;
    tab = null;
    route();
  });
  $('#forget').addEventListener('click', () => {
    forgetToken();
    location.reload();
  });
  window.addEventListener('hashchange', route);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && lease && !$<HTMLDialogElement>('#token-dialog').open) location.hash = `#/${tab ?? 'range'}`;
  });
  loadNodes().then(route, (e) => {
    showError(e);
    route();
  });
  setInterval(() => {
    if (!document.hidden) void refresh(false);
  }, LIVE_MS);
}

start();
