// The page's configuration (URLs, translated texts, taxonomy), passed in a JSON block (no inline script).
const element = document.getElementById("field-config");

export const config = element ? JSON.parse(element.textContent) : { strings: {}, urls: {} };

// A translated text with {placeholders} filled in.
export function t(key, values = {}) {
  const text = config.strings[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
}

// A {da, en} label in the page's language.
export function label(pair) {
  if (!pair) return "";
  return pair[config.lang] || pair.da || "";
}

// Numbers as people write them in the page's language (Danish: decimal comma).
export function formatNumber(value) {
  return new Intl.NumberFormat(config.lang === "en" ? "en-GB" : "da-DK", {
    maximumFractionDigits: 2,
  }).format(value);
}

export function formatDate(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(config.lang === "en" ? "en-GB" : "da-DK", {
    dateStyle: "medium",
    timeStyle: "short",
  }).format(new Date(iso));
}
