// Text for the maps' tooltips, popups and icons, always as a DOM text node and never parsed as
// HTML: a name from an import or from OpenStreetMap can never become markup (issue 12).

export function textElement(text, tagName = "span") {
  const element = document.createElement(tagName);
  element.textContent = text == null ? "" : String(text);
  return element;
}

// Text a person typed or pasted, without control characters (a text pasted from a word processor
// carries invisible vertical tabs): the API refuses them, so the field app strips them before a
// report is queued, the way fieldaudit/plain_text.py's clean_text does for the web forms.
const LINE_BREAKS = /\r\n|[\r\v\f\u0085]/g;
const NOT_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]/g;

export function plainText(text) {
  return String(text).replace(LINE_BREAKS, "\n").replace(NOT_TEXT, "");
}
