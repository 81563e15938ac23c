import { api } from '../api';
import { stateClass, stateIcon, STATES } from '../fields';
import { html, time } from '../html';
import type { Lease, Page, ViewContext } from '../types';
import { Pager } from './paged';

const FILTERS = ['state', 'streamId', 'port', 'nodeId', 'from', 'to', 'limit'] as const;

/** Lease history with the filters of GET /api/v1/leases, cursor paging and a link to each lease. */
export class HistoryView {
  private readonly pager = new Pager<Lease>((cursor) => api<Page<Lease>>('GET', '/leases', { ...this.filters(), cursor }));

  constructor(
    private readonly ctx: ViewContext,
    private readonly fail: (e: unknown) => void,
  ) {
    const states = ['active', ...Object.keys(STATES).filter((s) => s !== 'free' && s !== 'quarantined')];
    ctx.root.innerHTML = html`<form id="history-form" class="filters">
        <label
          >state
          <select name="state">
            <option value="">any</option>
            ${states.map((s) => html`<option>${s}</option>`)}
          </select></label
        >
        <label>stream <input name="streamId" placeholder="streamId" /></label>
        <label>port <input name="port" type="number" min="1" max="65535" /></label>
        <label>node <input name="nodeId" value="${ctx.node ?? ''}" /></label>
        <label>from <input name="from" type="datetime-local" step="1" /></label>
        <label>to <input name="to" type="datetime-local" step="1" /></label>
        <label>per page <input name="limit" type="number" min="1" max="1000" value="50" /></label>
        <button type="submit">Filter</button>
      </form>
      <div id="history-list"></div>`.html;
    ctx.root.querySelector('#history-form')!.addEventListener('submit', (e) => {
      e.preventDefault();
      this.pager.first().then(() => this.draw(), fail);
    });
  }

  private filters(): Record<string, string | undefined> {
    const form = new FormData(this.ctx.root.querySelector<HTMLFormElement>('#history-form')!);
    const out: Record<string, string | undefined> = {};
    for (const k of FILTERS) {
      const raw = form.get(k);
      const v = typeof raw === 'string' ? raw.trim() : '';
      out[k] = v === '' ? undefined : k === 'from' || k === 'to' ? new Date(v).toISOString() : v;
    }
    return out;
  }

  async refresh(): Promise<void> {
    await this.pager.reload();
    this.draw();
  }

  private draw(): void {
    const list = this.ctx.root.querySelector<HTMLElement>('#history-list')!;
    const items = this.pager.page.items;
    list.innerHTML = html`<table class="rows">
        <thead>
          <tr>
            <th>lease</th>
            <th>stream</th>
            <th>state</th>
            <th>ports</th>
            <th>node</th>
            <th>created</th>
            <th>ended</th>
            <th>reason</th>
          </tr>
        </thead>
        <tbody>
          ${items.map(
            (l) =>
              html`<tr data-lease-row="${l.id}">
                <td><a href="#/lease/${l.id}">${l.id.slice(0, 8)}</a></td>
                <td>${l.streamId}</td>
                <td class="${stateClass(l.state)}">${stateIcon(l.state)} ${l.state}</td>
                <td>${l.rtpPort}/${l.rtcpPort}</td>
                <td>${l.nodeId}</td>
                <td>${time(l.createdAt)}</td>
                <td>${time(l.releasedAt)}</td>
                <td>${l.releaseReason ?? ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${items.length === 0 ? html`<p class="muted">no lease matches</p>` : ''} ${this.pager.controls()}`.html;
    this.pager.wire(list, () => this.draw(), this.fail);
  }
}
