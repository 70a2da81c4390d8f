// DOM helpers: every value reaches the page through textContent or setAttribute, never markup.

export const $ = (id) => document.getElementById(id);

// DOM helpers

/** Builds an element. Strings and numbers become text nodes; null/false children are skipped. */
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = String(value);
    else if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name.startsWith('on')) throw new Error('refusing inline handler attribute ' + name);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  appendAll(node, children);
  return node;
}

export function appendAll(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces a container's children (facts, static tables). */
export function replaceContent(container, children) {
  container.replaceChildren();
  appendAll(container, children);
}

/**
 * Keeps a table body in step with `items`, one <tr> per key, updated in place: a row that
 * stays keeps its elements, so a live refresh every 2 s neither steals keyboard focus nor
 * swallows a click that lands while it runs. Columns: { render(item, row), header, class,
 * stable }; a stable column (ids, action buttons) is rendered once when its row appears, and
 * its handlers read the latest item from `row.item`.
 */
export function syncRows(tbody, items, keyOf, columns, emptyText) {
  const active = document.activeElement;
  const existing = new Map();
  for (const row of Array.from(tbody.rows)) {
    if (row.hasAttribute('data-key')) existing.set(row.getAttribute('data-key'), row);
    else row.remove();
  }
  const rows = items.map((item) => {
    const key = String(keyOf(item));
    let row = existing.get(key);
    existing.delete(key);
    const fresh = !row;
    if (fresh) {
      row = el('tr', { 'data-key': key });
      for (const column of columns) {
        row.append(el(column.header ? 'th' : 'td', { scope: column.header ? 'row' : null, class: column.class }));
      }
    }
    row.item = item;
    columns.forEach((column, index) => {
      if (column.stable && !fresh) return;
      const cell = row.cells[index];
      cell.replaceChildren();
      appendAll(cell, [column.render(item, row)]);
    });
    return row;
  });
  for (const gone of existing.values()) gone.remove();
  rows.forEach((row, index) => {
    if (tbody.rows[index] !== row) tbody.insertBefore(row, tbody.rows[index] || null);
  });
  if (rows.length === 0) {
    tbody.append(el('tr', { class: 'empty' }, el('td', { colspan: columns.length }, emptyText)));
  }
  // A row that moved was taken out of the document for a moment, which drops focus.
  if (active && active !== document.activeElement && active.isConnected && tbody.contains(active)) active.focus();
}

export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
