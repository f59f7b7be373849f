// "Mine rapporter": what waits on the phone, and what the server has with status and notes.
import { config, formatDate, label, t } from "./config.js";
import { HELD, startOutbox } from "./outbox.js";
import { deviceToken, getMeta, outboxStore, setMeta } from "./store.js";

const $ = (id) => document.getElementById(id);

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

function categoryName(code) {
  const category = config.taxonomy.categories.find((c) => c.code === code);
  return category ? label(category.label) : code;
}

// The short reference the done screen showed (the first characters of the UUID).
function referenceLine(uuid) {
  return element("p", { class: "reference" }, t("my_reference", { ref: uuid.slice(0, 8) }));
}

function reportItem(report) {
  const li = element("li", { class: "my-report", id: `rapport-${report.uuid}`, tabindex: "-1" });
  li.append(element("h3", {}, `${label(report.category_label)} · ${report.area ? report.area.name : ""}`.replace(/ · $/, "")));
  li.append(element("p", {}, t("my_reported", { date: formatDate(report.created_at) })));
  li.append(referenceLine(report.uuid));
  li.append(element("p", { class: "status-line" }, t("my_status", { status: label(report.status.label) })));
  if (report.status_reason) li.append(element("p", {}, report.status_reason));
  if (report.photos.length) {
    const image = element("img", { alt: "", width: "96", height: "96" });
    li.append(image);
    showOwnPhoto(image, report.photos[0].thumbnail_url);
  }
  if (report.public_notes.length) {
    li.append(element("h4", {}, t("my_notes")));
    const notes = element("ul");
    for (const note of report.public_notes) {
      const status = note.status ? `${label(note.status.label)}: ` : "";
      notes.append(element("li", {}, `${formatDate(note.at)} · ${status}${note.note}`));
    }
    li.append(notes);
  }
  return li;
}

// Before review a photo is served only to the device that sent it, so ask with its token.
async function showOwnPhoto(image, url) {
  try {
    const response = await fetch(url, { headers: { "X-Device-Token": await deviceToken() } });
    if (response.ok) image.src = URL.createObjectURL(await response.blob());
    else image.remove();
  } catch {
    image.remove();
  }
}

function confirmationItem(confirmation) {
  const key = confirmation.kind === "fixed_now" ? "my_confirmation_fixed_now" : "my_confirmation_still_there";
  return element("li", { class: "my-report" }, t(key, { date: formatDate(confirmation.created_at) }));
}

async function renderWaiting() {
  const items = (await outboxStore.all()).filter((item) => item.kind === "report");
  const list = $("waiting-list");
  list.replaceChildren(
    ...items.map((item) => {
      const li = element("li", { class: "my-report", id: `rapport-${item.uuid}`, tabindex: "-1" });
      li.append(element("h3", {}, categoryName(item.payload.category)));
      li.append(referenceLine(item.uuid));
      li.append(element("p", {}, item.state === HELD ? t("rejected", { message: item.message || "" }) : t("my_waiting")));
      return li;
    }),
  );
  $("waiting-section").hidden = items.length === 0;
}

function renderSent(data) {
  const list = $("sent-list");
  const items = [...data.reports.map(reportItem), ...data.confirmations.map(confirmationItem)];
  list.replaceChildren(...items);
  if (!items.length) $("sent-status").textContent = t("my_empty");
}

async function loadSent() {
  const status = $("sent-status");
  status.textContent = t("my_loading");
  try {
    const response = await fetch(config.urls.my_reports, {
      headers: { Accept: "application/json", "X-Device-Token": await deviceToken() },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (!response.ok || !(response.headers.get("Content-Type") || "").includes("json")) throw new Error("status");
    const data = await response.json();
    await setMeta("lastMyReports", data);
    status.textContent = "";
    renderSent(data);
  } catch {
    // The server could not be asked (no connection, or the server is away): say so, and show
    // what the phone fetched last.
    const last = await getMeta("lastMyReports");
    if (last) renderSent(last);
    status.textContent = last ? t("my_offline") : t("my_failed");
  }
  followLink();
}

// Opened from the done screen (#rapport-<uuid>): that report, once it is drawn.
function followLink() {
  const wanted = location.hash.slice(1);
  const item = wanted ? document.getElementById(wanted) : null;
  if (item && document.activeElement !== item) item.focus();
}

startOutbox();
renderWaiting();
loadSent();
document.addEventListener("outbox-change", () => {
  renderWaiting();
  loadSent();
});
if ("serviceWorker" in navigator && config.urls.sw) {
  navigator.serviceWorker.register(config.urls.sw, { scope: "/" }).catch(() => {});
}
