import { api } from '../api';
import { html, time } from '../html';
import type { QuarantineEntry, ViewContext } from '../types';

interface PortUsage {
  nodeId: string;
  quarantine: QuarantineEntry[];
}

/** The node's quarantined pairs with why and who holds them (pid, command, uid). */
export class QuarantineView {
  constructor(private readonly ctx: ViewContext) {}

  async refresh(): Promise<void> {
    const u = await api<PortUsage>('GET', '/ports', { nodeId: this.ctx.node });
    this.ctx.root.innerHTML = html`<h2>Quarantine on ${u.nodeId} (${u.quarantine.length})</h2>
      ${
        u.quarantine.length === 0
          ? html`<p class="muted">no pair is quarantined</p>`
          : html`<table class="rows">
              <thead>
                <tr>
                  <th>pair</th>
                  <th>port</th>
                  <th>reason</th>
                  <th>pid</th>
                  <th>command</th>
                  <th>uid</th>
                  <th>since</th>
                </tr>
              </thead>
              <tbody>
                ${u.quarantine.map(
                  (q) =>
                    html`<tr data-quarantine="${q.rtpPort}">
                      <td>${q.rtpPort}/${q.rtcpPort}</td>
                      <td>${q.port}</td>
                      <td>${q.reason}</td>
                      <td>${q.owner.pid ?? '?'}</td>
                      <td class="cmd">${q.owner.command ?? 'unknown'}</td>
                      <td>${q.owner.uid ?? '?'}</td>
                      <td>${time(q.since)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }`.html;
  }
}
