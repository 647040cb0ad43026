/**
 * DOM builders. Every piece of dataset text goes through textContent (never innerHTML), so a
 * statement that contains markup is shown literally, and nothing here needs 'unsafe-inline'.
 */
export interface Props {
  id?: string;
  class?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
  data?: Record<string, string>;
}

type Child = Node | string | null | undefined | false;

function apply(el: Element, props: Props | undefined, children: Child[]): void {
  if (props) {
    if (props.id) el.id = props.id;
    if (props.class) el.setAttribute('class', props.class);
    if (props.title !== undefined) el.setAttribute('title', props.title);
    for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
    for (const [k, v] of Object.entries(props.data ?? {})) el.setAttribute(`data-${k}`, v);
    if (props.text !== undefined) el.textContent = props.text;
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, props, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  apply(el, undefined, children);
  return el;
}

/** A section with a heading, an optional one-line explanation and a body. */
export function section(id: string, title: string, lead?: string): HTMLElement {
  return h(
    'section',
    { id, class: 'card' },
    h('h2', { text: title }),
    lead ? h('p', { class: 'lead', text: lead }) : null,
  );
}

export function last(xs: readonly number[]): number | undefined {
  return xs.length ? xs[xs.length - 1] : undefined;
}
