/**
 * The side panel's pipeline section: the session's live ParaView pipeline (datasets and
 * filters) with show/hide and delete, adding a filter, a property editor generated from
 * the filter's ParaView properties, and the colouring (array, preset, rescale, log, legend).
 *
 * It shares the panel viewport's connection; every change any client makes is published on
 * the pipeline topic, so this view, `%pvw` and other viewers stay in step.
 */
import { IDisposable } from '@lumino/disposable';
import { Widget } from '@lumino/widgets';

import { SessionConnection } from './connection';
import { PIPELINE_TOPIC } from './wire';

/** The filters offered by "Add filter" (any ParaView filter works from Python). */
export const FILTER_KINDS = [
  'Slice',
  'Clip',
  'Contour',
  'Threshold',
  'Calculator',
  'Glyph',
  'ExtractSubset',
  'Outline'
];

/** One pipeline item, as `pvw.pipeline.list` describes it. */
export interface IPipelineItem {
  name: string;
  kind: string;
  input: string | null;
  source: boolean;
  visible: boolean;
  coloring: {
    association: string;
    array: string;
    preset: string | null;
    log: boolean;
    mode: string;
    range: number[] | null;
  } | null;
  scalar_bar: boolean;
  arrays: { association: string; name: string; components: number }[];
}

/** One editable property, as `pvw.pipeline.properties` describes it. */
export interface IPropertyInfo {
  name: string;
  label: string;
  type: 'double' | 'int' | 'bool' | 'enum' | 'proxy' | 'string' | 'array';
  length: number;
  repeatable: boolean;
  advanced: boolean;
  value: unknown;
  choices?: string[];
  arrays?: { association: string; name: string }[];
}

/**
 * The pipeline section of the side panel.
 */
export class PipelineView extends Widget {
  constructor(connection: SessionConnection) {
    super();
    this._connection = connection;
    this.addClass('jp-pvw-Pipeline');
    this.node.setAttribute('aria-label', 'ParaView pipeline');
    const title = document.createElement('h3');
    title.className = 'jp-pvw-Pipeline-title';
    title.textContent = 'Pipeline';
    this._list = document.createElement('ul');
    this._list.className = 'jp-pvw-Pipeline-items';
    this._add = document.createElement('div');
    this._add.className = 'jp-pvw-Pipeline-add';
    this._editor = document.createElement('div');
    this._editor.className = 'jp-pvw-Pipeline-editor';
    this._message = document.createElement('div');
    this._message.className = 'jp-pvw-Pipeline-message';
    this._message.setAttribute('role', 'status');
    this.node.append(title, this._list, this._add, this._editor, this._message);

    this._subscription = connection.subscribe(PIPELINE_TOPIC, data => this._onTopic(data));
    connection.statusChanged.connect(this._onStatus, this);
    if (connection.status.state === 'live') {
      void this.refresh();
    }
  }

  /** The items shown. */
  get items(): readonly IPipelineItem[] {
    return this._items;
  }

  /** Ask the engine for the pipeline again. */
  async refresh(): Promise<void> {
    await this._do(async () => {
      const datasets = await this._connection.call<{ ranks: Record<string, string[]> }>(
        'pvw.datasets'
      );
      // A filter's input: any item, or a dataset registered on every rank.
      const perRank = Object.values(datasets.ranks);
      this._datasets = (perRank[0] ?? []).filter(n => perRank.every(r => r.includes(n)));
      this._setItems(await this._connection.call<IPipelineItem[]>('pvw.pipeline.list'));
      if (this._presets.length === 0) {
        this._presets = await this._connection.call<string[]>('pvw.presets');
        this._renderEditor();
      }
    });
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._subscription.dispose();
    this._connection.statusChanged.disconnect(this._onStatus, this);
    super.dispose();
  }

  private _onTopic(data: unknown): void {
    if (Array.isArray(data)) {
      this._setItems(data as IPipelineItem[]);
    }
  }

  private _onStatus(): void {
    if (this._connection.status.state === 'live') {
      void this.refresh();
    }
  }

  /** Run an engine request; its error shows in the section instead of being lost. */
  private async _do(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
      this._message.textContent = '';
    } catch (reason) {
      this._message.textContent = reason instanceof Error ? reason.message : String(reason);
    }
  }

  private _setItems(items: IPipelineItem[]): void {
    const selectedBefore = this._selected;
    this._items = items;
    if (this._selected && !items.some(i => i.name === this._selected)) {
      this._selected = null;
    }
    this._renderList();
    this._renderAdd();
    // Reload the editor unless the user is typing in it (a topic arrives at any time).
    const active = document.activeElement;
    const typing = !!active && this._editor.contains(active) && active.tagName !== 'BUTTON';
    if (this._selected !== selectedBefore || !typing) {
      void this._loadProperties();
    }
  }

  private _renderList(): void {
    this._list.replaceChildren();
    for (const item of this._items) {
      const row = document.createElement('li');
      row.className = 'jp-pvw-Pipeline-item';
      row.dataset.name = item.name;
      row.classList.toggle('jp-mod-selected', item.name === this._selected);
      const eye = button(
        item.visible ? '👁' : '–',
        `${item.visible ? 'Hide' : 'Show'} ${item.name}`,
        () =>
          this._do(() =>
            this._connection.call(`pvw.pipeline.${item.visible ? 'hide' : 'show'}`, [item.name])
          )
      );
      eye.className = 'jp-pvw-Pipeline-eye';
      eye.setAttribute('aria-pressed', String(item.visible));
      const label = button(
        item.input ? `${item.name} (${item.kind} ← ${item.input})` : `${item.name} (dataset)`,
        `Edit ${item.name}`,
        () => {
          this._selected = item.name;
          this._renderList();
          void this._loadProperties();
        }
      );
      label.className = 'jp-pvw-Pipeline-name';
      row.append(eye, label);
      if (!item.source) {
        row.append(
          button('✕', `Delete ${item.name}`, () =>
            this._do(() => this._connection.call('pvw.pipeline.remove', [item.name]))
          )
        );
      }
      this._list.append(row);
    }
  }

  private _renderAdd(): void {
    const kind = select(
      'Filter kind',
      FILTER_KINDS.map(k => [k, k]),
      this._addKind
    );
    kind.addEventListener('change', () => (this._addKind = kind.value));
    const names = this._items.map(i => i.name);
    names.push(...this._datasets.filter(n => !names.includes(n)));
    const inputs = names.map(n => [n, n] as [string, string]);
    const input = select('Filter input', inputs, this._selected ?? inputs[0]?.[0] ?? '');
    const add = button('Add filter', 'Add this filter to the pipeline', () =>
      this._do(async () => {
        const answer = await this._connection.call<{ name: string }>('pvw.pipeline.add', [
          kind.value,
          input.value
        ]);
        this._selected = answer.name;
      })
    );
    add.disabled = inputs.length === 0;
    this._add.replaceChildren(kind, input, add);
  }

  private async _loadProperties(): Promise<void> {
    const item = this._items.find(i => i.name === this._selected);
    this._properties = [];
    if (item && !item.source) {
      try {
        this._properties = await this._connection.call<IPropertyInfo[]>('pvw.pipeline.properties', [
          item.name
        ]);
      } catch (reason) {
        this._message.textContent = reason instanceof Error ? reason.message : String(reason);
      }
    }
    this._renderEditor();
  }

  private _renderEditor(): void {
    const item = this._items.find(i => i.name === this._selected);
    this._editor.replaceChildren();
    if (!item) {
      return;
    }
    const heading = document.createElement('h4');
    heading.textContent = `${item.name} — ${item.source ? 'dataset' : item.kind}`;
    this._editor.append(heading);
    if (this._properties.length > 0) {
      const form = document.createElement('form');
      form.className = 'jp-pvw-Pipeline-properties';
      const readers: [string, () => unknown][] = [];
      for (const prop of this._properties.filter(p => !p.advanced)) {
        const field = propertyField(prop);
        readers.push([prop.name, field.read]);
        form.append(field.node);
      }
      const apply = document.createElement('button');
      apply.type = 'submit';
      apply.textContent = 'Apply';
      form.append(apply);
      form.addEventListener('submit', event => {
        event.preventDefault();
        const changed: Record<string, unknown> = {};
        for (const [name, read] of readers) {
          const before = this._properties.find(p => p.name === name)?.value;
          const value = read();
          if (JSON.stringify(value) !== JSON.stringify(before)) {
            changed[name] = value;
          }
        }
        if (Object.keys(changed).length > 0) {
          void this._do(() => this._connection.call('pvw.pipeline.set', [item.name, changed]));
        }
      });
      this._editor.append(form);
    }
    this._editor.append(this._colorControls(item));
  }

  private _colorControls(item: IPipelineItem): HTMLElement {
    const box = document.createElement('div');
    box.className = 'jp-pvw-Pipeline-color';
    const c = item.coloring;
    const arrays: [string, string][] = [['', 'Solid colour']];
    for (const a of item.arrays) {
      arrays.push([
        `${a.association}:${a.name}`,
        `${a.name} (${a.association === 'CELLS' ? 'cells' : 'points'})`
      ]);
    }
    const current = c ? `${c.association}:${c.array}` : '';
    const array = select('Colour by', arrays, current);
    const color = (options: Record<string, unknown>) =>
      this._do(() => this._connection.call('pvw.pipeline.color_by', [item.name, options]));
    array.addEventListener('change', () => {
      if (!array.value) {
        void color({ solid: [1, 1, 1] });
        return;
      }
      const [association, ...rest] = array.value.split(':');
      void color({ array: rest.join(':'), association });
    });
    const presets = select(
      'Colour map',
      [['', 'Colour map…'], ...this._presets.map(p => [p, p] as [string, string])],
      c?.preset ?? ''
    );
    presets.disabled = !c;
    presets.addEventListener(
      'change',
      () => presets.value && void color({ preset: presets.value })
    );
    const rescale = button('Rescale', 'Fit the colour range to the data now', () =>
      color({ mode: 'grow' })
    );
    rescale.disabled = !c;
    const log = checkbox('Log scale', c?.log ?? false, on => void color({ log: on }));
    const legend = checkbox(
      'Legend',
      item.scalar_bar,
      on => void this._do(() => this._connection.call('pvw.pipeline.scalar_bar', [item.name, on]))
    );
    (log.querySelector('input') as HTMLInputElement).disabled = !c;
    (legend.querySelector('input') as HTMLInputElement).disabled = !c;
    const range = document.createElement('span');
    range.className = 'jp-pvw-Pipeline-range';
    range.textContent = c?.range
      ? `[${c.range[0].toPrecision(4)}, ${c.range[1].toPrecision(4)}]`
      : '';
    box.append(array, presets, rescale, log, legend, range);
    return box;
  }

  private _connection: SessionConnection;
  private _subscription: IDisposable;
  private _list: HTMLUListElement;
  private _add: HTMLDivElement;
  private _editor: HTMLDivElement;
  private _message: HTMLDivElement;
  private _items: IPipelineItem[] = [];
  private _selected: string | null = null;
  private _properties: IPropertyInfo[] = [];
  private _presets: string[] = [];
  private _datasets: string[] = [];
  private _addKind = FILTER_KINDS[0];
}

/**
 * An input for one ParaView property and how to read its value back.
 */
export function propertyField(prop: IPropertyInfo): { node: HTMLElement; read: () => unknown } {
  const node = document.createElement('label');
  node.className = 'jp-pvw-Pipeline-property';
  node.dataset.property = prop.name;
  const caption = document.createElement('span');
  caption.textContent = prop.name;
  node.append(caption);
  if (prop.type === 'bool') {
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.checked = Boolean(prop.value);
    node.append(input);
    return { node, read: () => input.checked };
  }
  if (prop.type === 'enum' || prop.type === 'proxy') {
    const choices = (prop.choices ?? []).map(c => [c, c] as [string, string]);
    const input = select(prop.name, choices, String(prop.value));
    node.append(input);
    return { node, read: () => input.value };
  }
  if (prop.type === 'array') {
    const value = Array.isArray(prop.value) ? prop.value : [];
    const choices = (prop.arrays ?? []).map(
      a =>
        [
          `${a.association}:${a.name}`,
          `${a.name} (${a.association === 'CELLS' ? 'cells' : 'points'})`
        ] as [string, string]
    );
    const input = select(prop.name, choices, `${value[0]}:${value[1]}`);
    node.append(input);
    return {
      node,
      read: () => {
        const [association, ...rest] = input.value.split(':');
        return [association, rest.join(':')];
      }
    };
  }
  const values = Array.isArray(prop.value) ? prop.value : [prop.value];
  if (prop.type === 'string' || prop.repeatable) {
    // Text, or a list of any length (e.g. contour values): comma-separated.
    const input = document.createElement('input');
    input.type = 'text';
    input.value = values.join(', ');
    input.setAttribute('aria-label', prop.name);
    node.append(input);
    return {
      node,
      read: () =>
        prop.type === 'string'
          ? input.value
          : input.value
              .split(',')
              .map(v => v.trim())
              .filter(v => v !== '')
              .map(Number)
    };
  }
  const inputs = values.map((v, i) => {
    const input = document.createElement('input');
    input.type = 'number';
    input.step = prop.type === 'int' ? '1' : 'any';
    input.value = String(v);
    input.setAttribute('aria-label', values.length > 1 ? `${prop.name} ${i + 1}` : prop.name);
    node.append(input);
    return input;
  });
  return {
    node,
    read: () => {
      const numbers = inputs.map(input => Number(input.value));
      return numbers.length === 1 && !Array.isArray(prop.value) ? numbers[0] : numbers;
    }
  };
}

function button(text: string, title: string, onClick: () => unknown): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.title = title;
  b.setAttribute('aria-label', title);
  b.addEventListener('click', () => void onClick());
  return b;
}

function select(label: string, options: [string, string][], value: string): HTMLSelectElement {
  const s = document.createElement('select');
  s.setAttribute('aria-label', label);
  for (const [v, text] of options) {
    const option = document.createElement('option');
    option.value = v;
    option.textContent = text;
    s.append(option);
  }
  s.value = value;
  return s;
}

function checkbox(label: string, checked: boolean, onChange: (on: boolean) => void): HTMLElement {
  const node = document.createElement('label');
  const input = document.createElement('input');
  input.type = 'checkbox';
  input.checked = checked;
  input.addEventListener('change', () => onChange(input.checked));
  node.append(input, document.createTextNode(` ${label}`));
  return node;
}
