// The outbox: every report is stored on the phone BEFORE any network attempt, then sent one at a
// time. Only the server's explicit acceptance (201 or 200 with the expected JSON) removes it.
// One tab at a time sends (a Web Lock), every change to an item is a single IndexedDB
// transaction (a delivered item is never written back), and a server's Retry-After is obeyed.
import { config, t } from "./config.js";
import { deviceToken, outboxStore } from "./store.js";

const FIRST_DELAY_MS = 2000;
const MAX_DELAY_MS = 5 * 60 * 1000;
const REQUEST_TIMEOUT_MS = 60 * 1000;
const LOCK_NAME = "fieldaudit-outbox";

export const WAITING = "waiting";
export const HELD = "held"; // refused by the server (409 conflict, 422 invalid): kept, not retried

let draining = false;
let again = false;
let timer = null;
const listeners = new Set();
// Other open tabs of the app share the outbox: tell them when it changes, so they show it right.
const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(LOCK_NAME) : null;

export function onChange(listener) {
  listeners.add(listener);
}

async function notify(broadcast = true) {
  const items = await outboxStore.all();
  for (const listener of listeners) listener(items);
  document.dispatchEvent(new CustomEvent("outbox-change", { detail: items }));
  if (broadcast && channel) channel.postMessage("change");
}

if (channel) channel.onmessage = () => notify(false);

export async function addReport(payload, photos) {
  await outboxStore.put({
    uuid: payload.uuid,
    kind: "report",
    payload,
    photos, // [{blob, name}]
    state: WAITING,
    attempts: 0,
    nextAttemptAt: 0,
    queuedAt: Date.now(),
  });
  await notify();
  drain();
}

export async function addConfirmation(siteId, payload) {
  await outboxStore.put({
    uuid: payload.uuid,
    kind: "confirmation",
    siteId,
    payload,
    photos: [],
    state: WAITING,
    attempts: 0,
    nextAttemptAt: 0,
    queuedAt: Date.now(),
  });
  await notify();
  drain();
}

export async function forget(uuid) {
  await outboxStore.remove(uuid);
  await notify();
}

// "Send nu": try every waiting item at once, whatever its back-off.
export async function sendNow() {
  for (const item of await outboxStore.all()) {
    if (item.state === WAITING && item.nextAttemptAt !== 0) {
      await outboxStore.update(item.uuid, (current) =>
        current.state === WAITING ? { ...current, nextAttemptAt: 0 } : current,
      );
    }
  }
  await drain();
}

function backoff(attempts) {
  const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

function schedule(items) {
  clearTimeout(timer);
  const waiting = items.filter((item) => item.state === WAITING);
  if (!waiting.length) return;
  const next = Math.min(...waiting.map((item) => item.nextAttemptAt));
  timer = setTimeout(drain, Math.max(0, Math.min(MAX_DELAY_MS, next - Date.now())));
}

async function request(item) {
  const token = await deviceToken();
  const headers = { Accept: "application/json", "X-Device-Token": token };
  let url = config.urls.reports;
  let body;
  if (item.kind === "confirmation") {
    url = config.urls.confirmations.replace("{id}", String(item.siteId));
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(item.payload);
  } else if (item.photos && item.photos.length) {
    body = new FormData();
    body.append("report", new Blob([JSON.stringify(item.payload)], { type: "application/json" }), "report.json");
    item.photos.forEach((photo) => body.append("photos", photo.blob, photo.name));
  } else {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(item.payload);
  }
  const controller = new AbortController();
  const timeout = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers,
      body,
      credentials: "same-origin",
      cache: "no-store",
      signal: controller.signal,
    });
    // The answer's body is read under the same time limit: a connection that stalls after the
    // headers must not hold the outbox for ever.
    return { response, body: await jsonOf(response) };
  } finally {
    clearTimeout(timeout);
  }
}

// How long the server asked us to wait (Retry-After: seconds or an HTTP date), in ms; 0 if not.
function retryAfterMs(response) {
  const value = (response.headers.get("Retry-After") || "").trim();
  if (!value) return 0;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(MAX_DELAY_MS, Math.max(0, ms)) : 0;
}

async function jsonOf(response) {
  if (!(response.headers.get("Content-Type") || "").includes("json")) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}

// "delivered", "held" (with a message) or "retry" (with the wait the server asked for, if any).
async function deliver(item) {
  let response;
  let body;
  try {
    ({ response, body } = await request(item));
  } catch {
    return { outcome: "retry", waitMs: 0 };
  }
  if ((response.status === 201 || response.status === 200) && body && body.uuid === item.uuid) {
    return { outcome: "delivered", body };
  }
  // Our API's own refusal (JSON with an error code) will not change by retrying. Anything else
  // (a captive portal's HTML page, a proxy error, a server error) is retried later.
  if (body && typeof body.error === "string" && [400, 404, 409, 413, 415, 422].includes(response.status)) {
    return {
      outcome: "held",
      message: body.message || body.error,
      status: response.status,
      field: typeof body.field === "string" ? body.field : null,
    };
  }
  const waitMs = [429, 503].includes(response.status) ? retryAfterMs(response) : 0;
  return { outcome: "retry", waitMs };
}

// A failed attempt: back off (at least as long as the server asked), and when the server asked
// every client to wait (503 or 429 with Retry-After), hold the whole outbox until then.
async function failed(due, items, waitMs = 0) {
  const now = Date.now();
  await outboxStore.update(due.uuid, (current) => {
    const attempts = current.attempts + 1;
    return { ...current, attempts, nextAttemptAt: now + Math.max(backoff(attempts), waitMs) };
  });
  if (!waitMs) return;
  for (const item of items) {
    if (item.uuid === due.uuid || item.state !== WAITING) continue;
    await outboxStore.update(item.uuid, (current) =>
      current.state === WAITING
        ? { ...current, nextAttemptAt: Math.max(current.nextAttemptAt, now + waitMs) }
        : current,
    );
  }
}

export function drain() {
  if (draining) {
    again = true;
    return Promise.resolve();
  }
  draining = true;
  // Another tab of the app may be sending: wait for it, then look at what is left.
  const sending = navigator.locks ? navigator.locks.request(LOCK_NAME, drainLocked) : drainLocked();
  return sending
    .catch(() => {
      // Reading or writing the phone's storage failed: nothing was removed, look again soon.
      clearTimeout(timer);
      timer = setTimeout(drain, FIRST_DELAY_MS);
    })
    .finally(() => {
      draining = false;
      delete document.documentElement.dataset.outboxSending;
      // A wake-up (the timer, "online", "Send nu") that came after the last look at the
      // outbox, while the lock was being released, must not be lost: look again.
      if (again) drain();
    });
}

async function drainLocked() {
  let recovered = false; // the last attempt was delivered: the connection works now
  do {
    again = false;
    // Tried in this pass. A wake-up ("online", "Send nu", the timer) starts a new pass in which
    // every item may go again: kept across passes, an item "Send nu" had made due again would
    // be skipped while the timer set for it woke the loop again and again, without end.
    const tried = new Set();
    for (;;) {
      const items = (await outboxStore.all()).sort((a, b) => a.queuedAt - b.queuedAt);
      const now = Date.now();
      // Due: its time has come, or (right after a delivery) it still waits out the back-off of
      // an earlier failure; then it goes now, once per run, instead of minutes later.
      const due = items.find(
        (item) =>
          item.state === WAITING && !tried.has(item.uuid) && (!(item.nextAttemptAt > now) || recovered),
      );
      if (!due) {
        schedule(items);
        break;
      }
      tried.add(due.uuid);
      document.documentElement.dataset.outboxSending = "true";
      const result = await deliver(due);
      if (result.outcome === "delivered") {
        await outboxStore.remove(due.uuid);
        recovered = true;
      } else if (result.outcome === "held") {
        await outboxStore.update(due.uuid, (current) => ({
          ...current,
          state: HELD,
          message: result.message,
          status: result.status,
          field: result.field,
        }));
      } else {
        recovered = false;
        await failed(due, items, result.waitMs);
        await notify();
        schedule(await outboxStore.all());
        break; // the network or the server is probably down: wait for the timer, "online" or "Send nu"
      }
      await notify();
    }
  } while (again);
}

export function describe(items) {
  const waiting = items.filter((item) => item.state === WAITING).length;
  return waiting === 0 ? t("waiting_none") : t("waiting", { n: waiting });
}

function editLink(item, describedBy) {
  const link = document.createElement("a");
  link.className = "button primary";
  link.href = `${config.urls.capture}?ret=${encodeURIComponent(item.uuid)}`;
  link.textContent = t("edit");
  link.setAttribute("aria-describedby", describedBy);
  return link;
}

// Wires the status line, the "Send nu" button and the list of held items on a page.
export function startOutbox() {
  const status = document.getElementById("outbox-status");
  const button = document.getElementById("send-now");
  const held = document.getElementById("outbox-held");
  const render = (items) => {
    const waiting = items.filter((item) => item.state === WAITING).length;
    const text = describe(items);
    if (status.textContent !== text) status.textContent = text;
    status.dataset.count = String(waiting);
    status.closest(".outbox").dataset.waiting = String(waiting + items.filter((item) => item.state === HELD).length);
    button.hidden = waiting === 0;
    const refused = items.filter((item) => item.state === HELD);
    held.hidden = refused.length === 0;
    const heading = document.createElement("li");
    heading.textContent = t("held", { n: refused.length });
    held.replaceChildren(
      heading,
      ...refused.map((item) => {
        const li = document.createElement("li");
        const text = document.createElement("p");
        text.id = `held-${item.uuid}`;
        text.textContent = t("rejected", { message: item.message || "" });
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "button secondary";
        remove.textContent = t("remove");
        remove.setAttribute("aria-describedby", text.id);
        remove.addEventListener("click", () => forget(item.uuid));
        li.append(text);
        // A refused report is not lost: it opens again in the form with what was entered.
        if (item.kind === "report") li.append(editLink(item, text.id));
        li.append(remove);
        return li;
      }),
    );
  };
  onChange(render);
  button.addEventListener("click", () => sendNow());
  window.addEventListener("online", () => sendNow());
  notify().then(() => drain());
}
