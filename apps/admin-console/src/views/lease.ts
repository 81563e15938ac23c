import { api, ApiError } from '../api';
import { FIELDS, formatField, stateClass, stateIcon } from '../fields';
import { html, plain, time } from '../html';
import type { LeaseDetail, LeaseEvent, Page } from '../types';

const ACTIVE = new Set(['reserved', 'listening', 'streaming']);
const SHOWN_ELSEWHERE = new Set(['stats', 'events']);

/**
 * One lease: every field of the lease and its stats (FIELDS first, then anything else it has,
 * under its own name), its whole event history, and a Release button that asks first.
 */
export class LeaseView {
  private confirming = false;

  constructor(
    private readonly panel: HTMLElement,
    private readonly id: string,
    private readonly onClose: () => void,
  ) {
    panel.hidden = false;
    panel.innerHTML = html`<div class="lease-head">
        <h2>lease</h2>
        <button type="button" id="close-lease" aria-label="close">✕</button>
      </div>
      <div id="lease-body"><p class="muted">loading…</p></div>`.html;
    panel.querySelector('#close-lease')!.addEventListener('click', () => this.onClose());
  }

  async refresh(): Promise<void> {
    if (this.confirming) return; // a redraw must not take the confirmation away under the user's pointer
    const body = this.panel.querySelector('#lease-body')!;
    let lease: LeaseDetail;
    let events: Page<LeaseEvent>;
    try {
      [lease, events] = await Promise.all([
        api<LeaseDetail>('GET', `/leases/${encodeURIComponent(this.id)}`),
        api<Page<LeaseEvent>>('GET', `/leases/${encodeURIComponent(this.id)}/events`, { limit: 1000 }),
      ]);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 400)) {
        body.innerHTML = html`<p class="warn">No lease ${this.id}.</p>`.html;
        return;
      }
      throw e;
    }
    body.innerHTML = html` <p class="badge ${stateClass(lease.state)}" data-lease-state="${lease.state}">
        ${stateIcon(lease.state)} ${lease.state}
      </p>
      ${ACTIVE.has(lease.state) ? html`<div id="release-box"><button type="button" id="release" class="danger">Release…</button></div>` : ''}
      <h3>Stats</h3>
      ${lease.stats ? fieldTable('stats', lease.stats) : html`<p class="muted">no stats</p>`}
      <h3>Lease</h3>
      ${fieldTable('lease', lease)}
      <h3>Events (${events.items.length}${events.nextCursor ? '+' : ''})</h3>
      <table class="events">
        <thead>
          <tr>
            <th>at</th>
            <th>event</th>
            <th>detail</th>
          </tr>
        </thead>
        <tbody>
          ${events.items.map(
            (e) =>
              html`<tr data-event="${e.type}">
                <td>${time(e.at)}</td>
                <td>${e.type}</td>
                <td>${plain(e.detail)}</td>
              </tr>`,
          )}
        </tbody>
      </table>`.html;
    body.querySelector('#release')?.addEventListener('click', () => this.askRelease());
  }

  private askRelease(): void {
    this.confirming = true;
    const box = this.panel.querySelector('#release-box')!;
    box.innerHTML = html`<p role="alertdialog" class="confirm">
      Release lease ${this.id}? Its sockets close and a device streaming to it is cut off.
      <button type="button" id="confirm-release" class="danger">Release now</button>
      <button type="button" id="cancel-release">Cancel</button>
    </p>`.html;
    box.querySelector('#cancel-release')!.addEventListener('click', () => {
      this.confirming = false;
      void this.refresh();
    });
    box.querySelector('#confirm-release')!.addEventListener('click', () => {
      void (async () => {
        try {
          await api('DELETE', `/leases/${encodeURIComponent(this.id)}`);
        } catch (e) {
          box.innerHTML = html`<p class="warn">release failed: ${(e as Error).message}</p>`.html;
          return;
        } finally {
          this.confirming = false;
        }
        await this.refresh();
      })();
    });
  }
}

function fieldTable(from: 'lease' | 'stats', values: Record<string, unknown>): ReturnType<typeof html> {
  const known = FIELDS.filter((f) => f.from === from && f.key in values);
  const knownKeys = new Set(FIELDS.filter((f) => f.from === from).map((f) => f.key));
  const others = Object.keys(values).filter((k) => !knownKeys.has(k) && !SHOWN_ELSEWHERE.has(k));
  const rows = [...known.map((f) => [f.key, f.label] as const), ...others.map((k) => [k, k] as const)];
  return html`<table class="fields">
    ${rows.map(
      ([k, label]) =>
        html`<tr data-field="${from}.${k}">
          <th>${label}</th>
          <td>${formatField(from, k, values[k])}</td>
        </tr>`,
    )}
  </table>`;
}
