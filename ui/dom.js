// Building the panel's DOM, shared by its pages (no Tauri here).

export const str = (v) => (v == null ? '' : String(v));

/**
 * `tag` with `props` and `children`. Props: `class`; `testid` (`data-testid`); `data`, an object
 * of `data-` attributes; `on`, `{ event: handler }`; `onclick`; `checked` and `value`, set as
 * properties; any other is an attribute (`true`: present and empty). `null` or `false` props
 * and children are left out; strings become text nodes.
 */
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'testid') node.dataset.testid = value;
    else if (key === 'data') Object.assign(node.dataset, value);
    else if (key === 'on') for (const [name, fn] of Object.entries(value)) node.addEventListener(name, fn);
    else if (key === 'onclick') node.addEventListener('click', value);
    else if (key === 'checked') node.checked = value === true;
    else if (key === 'value') node.value = str(value);
    else node.setAttribute(key, value === true ? '' : str(value));
  }
  for (const child of children.flat()) {
    if (child != null && child !== false) node.append(child);
  }
  return node;
}
