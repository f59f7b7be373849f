// The page's configuration (URLs, translated texts, taxonomy), passed in a JSON block (no inline script).
const element = document.getElementById("field-config");

export const config = element ? JSON.parse(element.textContent) : { strings: {}, urls: {} };

let pluralRules = null;

// The form of a counted text ({one, other}, from ngettext on the server) for the count n.
function pluralForm(forms, n) {
  pluralRules = pluralRules || new Intl.PluralRules(config.lang === "en" ? "en" : "da");
  return forms[pluralRules.select(Number(n))] ?? forms.other;
}

// A translated text with {placeholders} filled in; a counted text takes its form from {n}.
export function t(key, values = {}) {
  const found = config.strings[key] ?? key;
  const text = typeof found === "object" ? pluralForm(found, values.n ?? 0) : found;
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
