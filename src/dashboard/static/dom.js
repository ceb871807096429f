// @ts-check
/** The few DOM helpers the page needs. Text always goes in as textContent, never as HTML. */

/**
 * The element with this id; the page is static, so a missing one is a bug.
 * @param {string} id
 */
export function byId(id) {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`#${id} missing`);
  return e;
}

/**
 * A new element with a class and text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string} [className]
 * @param {string} [text]
 */
export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * Sets the text of `root`'s first match of `selector`, touching the DOM only on a change.
 * @param {Element} root
 * @param {string} selector
 * @param {string} text
 */
export function setText(root, selector, text) {
  const e = root.querySelector(selector);
  if (e !== null && e.textContent !== text) e.textContent = text;
}

/**
 * The value of a CSS custom property of the page (colours for the canvas charts).
 * @param {string} name
 */
export function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}
