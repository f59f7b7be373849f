// Small helpers the capture flow's modules share: elements by id, new elements, numbers as people
// type them, and which controls a person can reach now.
export const CONTROLS = "input, select, textarea, button, a[href], summary, [tabindex='0']";

export const $ = (id) => document.getElementById(id);

export function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

// "4,5" or "4.5" (a decimal comma as Danes write it); null for anything that is not a number.
export function parseNumber(text) {
  const cleaned = text.trim().replace(/\s/g, "").replace(",", ".");
  if (!/^-?\d+(\.\d+)?$/.test(cleaned)) return null;
  return Number(cleaned);
}

export function newUuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// Visible and usable: not inside a hidden part, not disabled, laid out.
export function shown(node) {
  return !node.closest("[hidden]") && !node.disabled && node.getClientRects().length > 0;
}
