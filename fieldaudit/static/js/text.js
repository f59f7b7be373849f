// Text for the maps' tooltips, popups and icons, always as a DOM text node and never parsed as
// HTML: a name from an import or from OpenStreetMap can never become markup (issue 12).

export function textElement(text, tagName = "span") {
  const element = document.createElement(tagName);
  element.textContent = text == null ? "" : String(text);
  return element;
}
