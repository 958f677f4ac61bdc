/**
 * Who watches a session and who drives it, as a list (the side panel shows it above its
 * viewport; the viewport's own footer shows only initials).
 */
import { Widget } from '@lumino/widgets';

import type { SessionConnection } from './connection';
import { presenceLines, viewerName } from './presencetext';

/**
 * The viewers of one connection's session, kept current.
 */
export class PresenceList extends Widget {
  constructor(readonly connection: SessionConnection) {
    super({ node: document.createElement('ul') });
    this.addClass('jp-pvw-PresenceList');
    this.node.setAttribute('aria-label', 'Who watches this ParaViewWeb session');
    connection.presenceChanged.connect(this._render, this);
    this._render();
  }

  dispose(): void {
    this.connection.presenceChanged.disconnect(this._render, this);
    super.dispose();
  }

  private _render(): void {
    const lines = presenceLines(this.connection.presence);
    this.node.replaceChildren(
      ...lines.map(({ text, viewer }) => {
        const item = document.createElement('li');
        item.className = 'jp-pvw-PresenceList-viewer';
        item.classList.toggle('jp-mod-driver', viewer.driver);
        item.dataset.username = viewer.username;
        item.dataset.name = viewerName(viewer);
        const dot = document.createElement('span');
        dot.className = 'jp-pvw-PresenceList-dot';
        dot.style.background = viewer.color || '';
        item.append(dot, text);
        return item;
      })
    );
    this.node.dataset.viewers = String(lines.length);
    this.setHidden(lines.length === 0);
  }
}
