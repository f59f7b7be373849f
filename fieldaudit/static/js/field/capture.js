// The capture flow: a few big steps, each with its own heading, errors next to the field and in a
// summary, and the duplicate check before sending. The report goes into the outbox first.
// Each step is an entry in the browser's history (Back goes one step back), Enter continues
// (it never sends before the last step), the position is checked against the service area where
// it is chosen and again before sending, and the draft is kept on the phone as it is typed.
import { plainText } from "../text.js";
import { insideServiceArea, loadServiceArea } from "./area.js";
import { config, formatDate, formatNumber, label, t } from "./config.js";
import { clearDraft, hasContent, isFresh, loadDraft, saveDraft } from "./draft.js";
import { gpsFromFile } from "./exif.js";
import { categoryLabel, PositionMap, severityLabel } from "./map.js";
import { nearbyItem, nearbyMap } from "./nearby.js";
import { addConfirmation, addReport, forget, HELD } from "./outbox.js";
import { MAX_PHOTOS, metresBetween, shrink } from "./photos.js";
import { deviceToken, outboxStore } from "./store.js";

const STEPS = ["position", "category", "severity", "details", "photos", "review"];
// Which step holds the field the server named when it refused a report.
const FIELD_STEPS = {
  position: 0,
  lat: 0,
  lon: 0,
  accuracy_m: 0,
  category: 1,
  severity: 2,
  groups: 3,
  tags: 3,
  measurements: 3,
  description: 4,
  reporter_name: 4,
  follow_email: 5,
  photos: 4,
};
const NEARBY_TIMEOUT_MS = 8000;
const MAX_ACCURACY_M = 5000;
const MAX_NAME = 120;
const PHOTO_SUGGESTION_MIN_M = 15;
const SAVE_DELAY_MS = 250;
const REFERENCE_LENGTH = 8;
const CONTROLS = "input, select, textarea, button, a[href], summary, [tabindex='0']";

const $ = (id) => document.getElementById(id);

function newUuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function parseNumber(text) {
  const cleaned = text.trim().replace(/\s/g, "").replace(",", ".");
  if (!/^-?\d+(\.\d+)?$/.test(cleaned)) return null;
  return Number(cleaned);
}

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

// The short reference a person can quote: the first characters of the report's UUID.
export function reference(uuid) {
  return uuid.slice(0, REFERENCE_LENGTH);
}

function shown(node) {
  return !node.closest("[hidden]") && !node.disabled && node.getClientRects().length > 0;
}

class Capture {
  constructor() {
    this.form = $("capture-form");
    this.sections = STEPS.map((name) => this.form.querySelector(`[data-step="${name}"]`));
    this.step = 0;
    this.position = null;
    this.photos = [];
    this.photoGps = null;
    this.editing = null; // the UUID of a refused report being corrected
    this.createdAt = null;
    this.offered = null; // an old draft, offered until the person chooses
    this.applying = false;
    this.saveTimer = null;
    this.finished = null; // {uuid, refused} on the done screen
    this.pendingDone = false;
    this.map = new PositionMap($("capture-map"), $("site-list"), (moved) =>
      this.setPosition({ ...moved, accuracy: null, source: "pin" }, false),
    );
  }

  async start() {
    this.map.init();
    $("step-next").addEventListener("click", () => this.next());
    $("step-back").addEventListener("click", () => this.back());
    $("use-gps").addEventListener("click", () => this.locate());
    $("pin-to-centre").addEventListener("click", () => {
      if (this.map.ready) this.setPosition({ ...this.map.centre(), accuracy: null, source: "pin" });
    });
    $("show-herlev").addEventListener("click", () => this.map.showServiceArea());
    $("fix-position").addEventListener("click", () => this.fixPosition());
    $("place-search").addEventListener("input", () => this.filterPlaces());
    this.form.querySelectorAll('input[name="place"]').forEach((radio) =>
      radio.addEventListener("change", () => this.choosePlace(radio)),
    );
    this.form.querySelectorAll('input[name="category"]').forEach((radio) =>
      radio.addEventListener("change", () => this.categoryChosen()),
    );
    $("photo-pick").addEventListener("change", (event) => this.addPhotos(event.target));
    $("photo-gps-use").addEventListener("click", () => {
      if (this.photoGps) this.setPosition({ ...this.photoGps, accuracy: null, source: "photo" });
      $("photo-gps").hidden = true;
    });
    $("show-name").addEventListener("change", () => {
      $("name-row").hidden = !$("show-name").checked;
    });
    this.form.addEventListener("keydown", (event) => this.onKey(event));
    this.form.addEventListener("input", () => this.changed());
    this.form.addEventListener("change", () => this.changed());
    // Any submission (the phone keyboard's "Go" included) before the last step only continues.
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (STEPS[this.step] === "review") this.send();
      else this.next();
    });
    window.addEventListener("popstate", (event) => this.onHistory(event.state));
    document.addEventListener("outbox-change", (event) => this.outboxChanged(event.detail));
    $("again").addEventListener("click", () => this.reset());
    $("draft-continue").addEventListener("click", () => this.continueDraft());
    $("draft-restart").addEventListener("click", () => this.restart());
    // The position is checked again once the stored service area is read.
    loadServiceArea().then(() => this.positionChanged());
    this.filterPlaces();
    await this.restore();
    document.documentElement.dataset.captureReady = "true";
  }

  // --- history: one entry per step --------------------------------------------------------

  remember(mode, state) {
    if (mode === "push") history.pushState({ capture: true, ...state }, "");
    else if (mode === "replace") history.replaceState({ capture: true, ...state }, "");
  }

  // Entries for the steps up to ``step``, so Back goes through them (a restored draft).
  rememberUpTo(step) {
    const current = history.state;
    if (current && current.capture && Number.isInteger(current.step)) {
      this.remember("replace", { step });
      return;
    }
    this.remember("replace", { step: 0 });
    for (let index = 1; index <= step; index += 1) this.remember("push", { step: index });
  }

  back() {
    const state = history.state;
    if (state && state.capture && state.step > 0) history.back();
    else this.show(this.step - 1, { mode: "replace" });
  }

  onHistory(state) {
    if (this.pendingDone) {
      this.pendingDone = false;
      this.remember("replace", { done: true });
      return;
    }
    if (state && state.done) return;
    if (this.finished) {
      this.reset(); // forward again after sending: a new report
      return;
    }
    const wanted = state && state.capture && Number.isInteger(state.step) ? state.step : 0;
    const step = Math.min(wanted, this.firstInvalidStep(wanted));
    this.show(step, { mode: step === wanted ? "none" : "replace" });
  }

  // --- steps -------------------------------------------------------------------------------

  show(index, { focus = true, mode = "push" } = {}) {
    this.step = Math.max(0, Math.min(STEPS.length - 1, index));
    this.remember(mode, { step: this.step });
    this.sections.forEach((section, i) => {
      section.hidden = i !== this.step;
    });
    const name = STEPS[this.step];
    $("step-count-text").textContent = t("step_of", { n: this.step + 1, total: STEPS.length });
    $("step-count-title").textContent = $(`h-${name}`).textContent;
    $("step-back").hidden = this.step === 0;
    $("step-next").hidden = this.step === STEPS.length - 1;
    this.hideErrors();
    this.form.dataset.step = name;
    if (name === "position") {
      this.map.invalidate();
      this.positionChanged();
    }
    if (name === "review") this.review();
    if (focus) this.focusStep(name);
    this.changed();
  }

  // The first thing to do on a step gets the focus (the review step: its heading, so the summary
  // is read before the send button; a tile group: its chosen tile).
  focusStep(name) {
    if (name === "review") {
      $("h-review").focus();
      return;
    }
    const section = this.sections[STEPS.indexOf(name)];
    const first = [...section.querySelectorAll(CONTROLS)].find(shown);
    if (!first) {
      $(`h-${name}`).focus();
      return;
    }
    const chosen = first.type === "radio" ? section.querySelector(`input[name="${first.name}"]:checked`) : null;
    (chosen || first).focus();
  }

  next() {
    const problems = this.check(STEPS[this.step]);
    if (problems.length) {
      this.showErrors(problems);
      return;
    }
    if (this.offered) this.forgetOffer(); // going on without the old draft: a new report
    this.show(this.step + 1);
  }

  firstInvalidStep(upTo = STEPS.length) {
    for (let index = 0; index < upTo; index += 1) {
      if (this.check(STEPS[index]).length) return index;
    }
    return upTo;
  }

  // Enter continues (the phone keyboard's "Go" too) and never sends before the last step; Enter on
  // a tile or another choice chooses it first. Buttons, links, the text area and the file picker
  // keep their own Enter.
  onKey(event) {
    if (event.key !== "Enter" || event.isComposing || event.defaultPrevented) return;
    const target = event.target;
    if (!(target instanceof HTMLInputElement) || target.type === "file") return;
    event.preventDefault();
    if (target.type === "radio" && !target.checked) {
      target.checked = true;
      target.dispatchEvent(new Event("change", { bubbles: true }));
    }
    if (target.id === "place-search") this.chooseOnlyPlace();
    if (STEPS[this.step] !== "review") this.next();
  }

  check(name) {
    const problems = [];
    if (name === "position" && !this.position) {
      problems.push({ target: "use-gps", error: "position-error", message: t("err_position") });
    } else if (name === "position" && insideServiceArea(this.position) === false) {
      problems.push({ target: "show-herlev", error: "position-error", message: t("err_outside") });
    }
    if (name === "category" && !this.category()) {
      const first = this.form.querySelector('input[name="category"]');
      problems.push({ target: first.id, error: "category-error", message: t("err_category") });
    }
    if (name === "severity" && !this.value("severity")) {
      const first = this.form.querySelector('input[name="severity"]');
      problems.push({ target: first.id, error: "severity-error", message: t("err_severity") });
    }
    if (name === "details") {
      for (const measurement of this.categoryInfo()?.measurements || []) {
        const input = $(`m-${measurement.key}`);
        if (!input || !input.value.trim()) continue;
        const value = parseNumber(input.value);
        if (value === null || value < measurement.minimum || value > measurement.maximum) {
          problems.push({
            target: input.id,
            error: `m-${measurement.key}-error`,
            message: t("err_measure", {
              min: formatNumber(measurement.minimum),
              max: formatNumber(measurement.maximum),
              unit: measurement.unit,
            }),
          });
        }
      }
    }
    if (name === "photos") {
      if (this.category() === "other" && !$("description").value.trim()) {
        problems.push({ target: "description", error: "description-error", message: t("err_description") });
      }
      const nameValue = $("reporter-name").value.trim();
      if ($("show-name").checked && (!nameValue || nameValue.length > MAX_NAME)) {
        problems.push({ target: "reporter-name", error: "name-error", message: t("err_name") });
      }
    }
    return problems;
  }

  showErrors(problems) {
    this.hideErrors();
    const list = $("error-list");
    for (const problem of problems) {
      const li = element("li");
      const link = element("a", { href: `#${problem.target}` }, problem.message);
      link.addEventListener("click", (event) => {
        event.preventDefault();
        $(problem.target).focus();
      });
      li.append(link);
      list.append(li);
      const error = $(problem.error);
      if (error) {
        error.textContent = problem.message;
        error.hidden = false;
      }
      const target = $(problem.target);
      if (target && ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)) {
        target.setAttribute("aria-invalid", "true");
      }
    }
    const summary = $("error-summary");
    summary.hidden = false;
    summary.focus();
  }

  hideErrors() {
    $("error-summary").hidden = true;
    $("error-list").replaceChildren();
    this.form.querySelectorAll(".field-error").forEach((error) => {
      error.hidden = true;
      error.textContent = "";
    });
    this.form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
  }

  // --- the draft on the phone --------------------------------------------------------------

  changed() {
    if (this.applying || this.offered || this.finished) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.saveNow(), SAVE_DELAY_MS);
  }

  async saveNow() {
    clearTimeout(this.saveTimer);
    if (this.applying || this.offered || this.finished) return;
    const draft = this.collect();
    try {
      if (hasContent(draft)) await saveDraft(draft);
      else await clearDraft();
      document.documentElement.dataset.draftSaved = String(Date.now());
    } catch {
      // The phone's storage is full or unavailable: the report still works while the page is open.
    }
  }

  collect() {
    const measurements = {};
    this.form.querySelectorAll("#measure-list input").forEach((input) => {
      measurements[input.id.slice(2)] = input.value;
    });
    return {
      step: this.step,
      position: this.position,
      category: this.category(),
      severity: this.value("severity"),
      groups: this.checkedValues("groups"),
      tags: this.checkedValues("tags"),
      measurements,
      description: $("description").value,
      showName: $("show-name").checked,
      reporterName: $("reporter-name").value,
      followEmail: $("follow-email").value,
      photos: this.photos.map(({ blob, name }) => ({ blob, name })),
      photoGps: this.photoGps,
      editing: this.editing,
      createdAt: this.createdAt,
    };
  }

  apply(draft) {
    this.applying = true;
    try {
      if (draft.position) this.setPosition(draft.position);
      const category = draft.category && $(`cat-${draft.category}`);
      if (category) {
        category.checked = true;
        this.categoryChosen();
      }
      const setChecked = (name, values) =>
        this.form.querySelectorAll(`input[name="${name}"]`).forEach((box) => {
          box.checked = (values || []).includes(box.value);
        });
      if (category) {
        setChecked("groups", draft.groups);
        setChecked("tags", draft.tags);
      }
      for (const measurement of this.categoryInfo()?.measurements || []) {
        const input = $(`m-${measurement.key}`);
        const raw = (draft.measurements || {})[measurement.key];
        if (input && raw) {
          input.value = raw;
          this.judge(measurement, input, $(`${input.id}-verdict`));
        }
      }
      const severity = draft.severity && $(`sev-${draft.severity}`);
      if (severity) severity.checked = true;
      $("description").value = draft.description || "";
      $("show-name").checked = Boolean(draft.showName);
      $("name-row").hidden = !draft.showName;
      $("reporter-name").value = draft.reporterName || "";
      if (draft.followEmail !== undefined) $("follow-email").value = draft.followEmail;
      this.photos = (draft.photos || []).map((photo) => ({ ...photo, url: URL.createObjectURL(photo.blob) }));
      if (this.photos.length) this.renderPhotos();
      this.photoGps = draft.photoGps || null;
      this.editing = draft.editing || null;
      this.createdAt = draft.createdAt || null;
    } finally {
      this.applying = false;
    }
  }

  // On opening: a refused report to correct (?ret=), else the draft (a fresh one is taken up at
  // its step, an old one offered), else a new report.
  async restore() {
    const wanted = new URLSearchParams(location.search).get("ret");
    if (wanted) {
      history.replaceState(history.state, "", config.urls.capture);
      const item = await outboxStore.get(wanted).catch(() => null);
      if (item && item.kind === "report") {
        this.correct(item);
        return;
      }
    }
    const draft = await loadDraft();
    if (!hasContent(draft)) {
      this.show(0, { focus: false, mode: "replace" });
      return;
    }
    const date = formatDate(new Date(draft.savedAt).toISOString());
    if (isFresh(draft)) {
      this.apply(draft);
      this.notice(t("draft_restored", { date }), false);
      this.resume(draft.step);
    } else {
      this.offered = draft;
      this.notice(t("draft_offer", { date }), true, t("draft_continue", { date }));
      this.show(0, { focus: false, mode: "replace" });
    }
  }

  resume(step, focus = false) {
    const target = Math.min(step || 0, this.firstInvalidStep(step || 0));
    this.rememberUpTo(target);
    this.show(target, { focus, mode: "none" });
  }

  notice(text, offer, continueText = "") {
    $("draft-text").textContent = text;
    $("draft-continue").hidden = !offer;
    $("draft-continue").textContent = continueText;
    $("draft-panel").hidden = false;
  }

  continueDraft() {
    const draft = this.offered;
    this.offered = null;
    $("draft-panel").hidden = true;
    if (!draft) return;
    this.apply(draft);
    this.resume(draft.step, true);
  }

  forgetOffer() {
    this.offered = null;
    $("draft-panel").hidden = true;
  }

  // "Start forfra": the draft is dropped and the form emptied.
  async restart() {
    this.forgetOffer();
    await clearDraft();
    this.reset();
  }

  // A report the server refused, back in the form with what was entered, at the step of the
  // field the server named, with the server's reason. Sent again, it replaces the refused one.
  correct(item) {
    const payload = item.payload;
    const measurements = {};
    for (const [key, measured] of Object.entries(payload.measurements || {})) {
      measurements[key] = String(measured.value);
    }
    this.apply({
      position: { lat: payload.lat, lon: payload.lon, accuracy: payload.accuracy_m, source: "pin" },
      category: payload.category,
      severity: payload.severity,
      groups: payload.groups,
      tags: payload.tags,
      measurements,
      description: payload.description,
      showName: payload.show_name,
      reporterName: payload.reporter_name,
      followEmail: payload.follow_email || "",
      photos: item.photos || [],
      editing: item.uuid,
      createdAt: payload.created_at,
    });
    const step = Math.min(FIELD_STEPS[item.field] ?? STEPS.length - 1, this.firstInvalidStep(STEPS.length));
    this.rememberUpTo(step);
    this.show(step, { focus: false, mode: "none" });
    const target = [...this.sections[step].querySelectorAll(CONTROLS)].find(shown) || $(`h-${STEPS[step]}`);
    if (!target.id) target.id = `step-${STEPS[step]}-first`;
    this.showErrors([{ target: target.id, error: null, message: t("err_server", { message: item.message || "" }) }]);
    this.saveNow();
  }

  // --- position ----------------------------------------------------------------------------

  setPosition(position, moveMap = true) {
    this.position = position;
    if (position.source !== "place") {
      this.form.querySelectorAll('input[name="place"]').forEach((radio) => {
        radio.checked = false;
      });
    }
    if (moveMap || !this.map.pin) this.map.setPosition(position);
    const status = $("position-status");
    if (position.source === "gps") status.textContent = t("gps_ok", { m: Math.round(position.accuracy || 0) });
    else if (position.source === "place") status.textContent = t("position_place", { place: position.name });
    else if (position.source === "photo") status.textContent = t("position_photo");
    else status.textContent = t("position_pin");
    $("position-error").hidden = true;
    this.positionChanged();
    this.changed();
  }

  // Outside the service area: said at once, with the way to move the pin (the map shows the
  // municipality, a tap on the map puts the pin there, the place list is below).
  positionChanged() {
    const outside = insideServiceArea(this.position) === false;
    $("show-herlev").hidden = !outside;
    const error = $("position-error");
    if (outside) {
      error.textContent = t("err_outside");
      error.hidden = false;
    } else if (error.textContent === t("err_outside")) {
      error.hidden = true;
      error.textContent = "";
    }
    return !outside;
  }

  fixPosition() {
    this.show(0, { focus: false });
    $(insideServiceArea(this.position) === false ? "show-herlev" : "use-gps").focus();
  }

  locate() {
    const status = $("position-status");
    if (!navigator.geolocation) {
      status.textContent = t("gps_failed");
      return;
    }
    status.textContent = t("gps_locating");
    navigator.geolocation.getCurrentPosition(
      (found) => {
        this.setPosition({
          lat: found.coords.latitude,
          lon: found.coords.longitude,
          accuracy: Math.min(MAX_ACCURACY_M, found.coords.accuracy || 0),
          source: "gps",
        });
        // Found where it may be used: the next thing to do is to continue.
        if (this.positionChanged() && document.activeElement === $("use-gps")) $("step-next").focus();
      },
      () => {
        status.textContent = t("gps_failed");
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  }

  choosePlace(radio) {
    if (!radio.checked) return;
    this.setPosition({
      lat: Number(radio.dataset.lat),
      lon: Number(radio.dataset.lon),
      accuracy: Number(radio.dataset.radius) || null,
      source: "place",
      name: radio.dataset.name,
    });
  }

  visiblePlaces() {
    return [...$("place-list").querySelectorAll("li")].filter((item) => !item.hidden);
  }

  // Enter in the search with exactly one place left chooses it.
  chooseOnlyPlace() {
    const visible = this.visiblePlaces();
    if (visible.length !== 1 || !$("place-search").value.trim()) return;
    const radio = visible[0].querySelector("input");
    radio.checked = true;
    this.choosePlace(radio);
  }

  filterPlaces() {
    const query = $("place-search").value.trim().toLocaleLowerCase();
    $("place-list")
      .querySelectorAll("li")
      .forEach((item) => {
        item.hidden = Boolean(query) && !item.dataset.name.includes(query);
      });
    $("place-count").textContent = t("places_count", { n: this.visiblePlaces().length });
  }

  // --- category, groups, tags, measurements -----------------------------------------------

  value(name) {
    const checked = this.form.querySelector(`input[name="${name}"]:checked`);
    return checked ? checked.value : null;
  }

  checkedValues(name) {
    return [...this.form.querySelectorAll(`input[name="${name}"]:checked`)].map((box) => box.value);
  }

  category() {
    return this.value("category");
  }

  categoryInfo() {
    return config.taxonomy.categories.find((c) => c.code === this.category());
  }

  categoryChosen() {
    const info = this.categoryInfo();
    if (!info) return;
    this.form.querySelectorAll('input[name="groups"]').forEach((box) => {
      box.checked = info.groups.includes(box.value);
    });
    $("tag-list").replaceChildren(
      ...info.tags.map((tag) => {
        const li = element("li");
        const box = element("input", { type: "checkbox", name: "tags", id: `tag-${tag.code}`, value: tag.code });
        li.append(box, element("label", { for: box.id }, label(tag.label)));
        return li;
      }),
    );
    $("measure-fieldset").hidden = info.measurements.length === 0;
    $("measure-list").replaceChildren(...info.measurements.map((m) => this.measurementRow(m)));
  }

  measurementRow(measurement) {
    const id = `m-${measurement.key}`;
    const row = element("div", { class: "form-row measure" });
    const input = element("input", {
      type: "text",
      inputmode: "decimal",
      enterkeyhint: "next",
      id,
      name: id,
      class: "input short",
      autocomplete: "off",
      "aria-describedby": `${id}-verdict`,
    });
    const error = element("p", { id: `${id}-error`, class: "field-error", hidden: "" });
    const verdict = element("p", { id: `${id}-verdict`, class: "verdict", "aria-live": "polite" });
    row.append(element("label", { for: id }, `${label(measurement.label)} (${measurement.unit})`), error, input, verdict);
    input.addEventListener("input", () => this.judge(measurement, input, verdict));
    return row;
  }

  judge(measurement, input, verdict) {
    const value = parseNumber(input.value);
    verdict.classList.remove("broken", "ok");
    if (value === null) {
      verdict.textContent = "";
      return;
    }
    const rule = measurement.threshold;
    if (!rule) {
      verdict.textContent = t("verdict_none");
      return;
    }
    const over = rule.inclusive ? value >= rule.limit : value > rule.limit;
    const under = rule.inclusive ? value <= rule.limit : value < rule.limit;
    const broken = rule.kind === "max" ? over : under;
    const values = { limit: formatNumber(rule.limit), unit: measurement.unit, source: rule.source };
    let text = broken ? t(rule.kind === "max" ? "verdict_max" : "verdict_min", values) : t("verdict_ok", values);
    if (rule.provisional) text += ` ${t("verdict_provisional")}`;
    verdict.textContent = text;
    verdict.classList.add(broken ? "broken" : "ok");
  }

  measurements() {
    const result = {};
    for (const measurement of this.categoryInfo()?.measurements || []) {
      const input = $(`m-${measurement.key}`);
      const value = input ? parseNumber(input.value) : null;
      if (value !== null) result[measurement.key] = { value, unit: measurement.unit };
    }
    return result;
  }

  // --- photos ------------------------------------------------------------------------------

  async addPhotos(input) {
    const files = [...(input.files || [])];
    input.value = "";
    $("photos-error").hidden = true;
    for (const file of files) {
      if (this.photos.length >= MAX_PHOTOS) {
        $("photos-error").textContent = t("err_photos_max");
        $("photos-error").hidden = false;
        break;
      }
      try {
        const gps = await gpsFromFile(file).catch(() => null);
        const photo = await shrink(file, this.photos.length);
        photo.url = URL.createObjectURL(photo.blob);
        this.photos.push(photo);
        if (gps && !this.photoGps) this.suggestPhotoPosition(gps);
      } catch {
        $("photo-status").textContent = t("photo_failed");
      }
    }
    this.renderPhotos();
    this.changed();
  }

  suggestPhotoPosition(gps) {
    const distance = this.position ? metresBetween(this.position, gps) : null;
    if (distance !== null && distance < PHOTO_SUGGESTION_MIN_M) return;
    this.photoGps = gps;
    $("photo-gps-text").textContent =
      distance === null ? t("photo_gps_plain") : t("photo_gps", { m: Math.round(distance) });
    $("photo-gps").hidden = false;
  }

  renderPhotos() {
    $("photo-list").replaceChildren(
      ...this.photos.map((photo, index) => {
        const li = element("li");
        const img = element("img", { src: photo.url, alt: t("photo_alt", { n: index + 1 }) });
        const remove = element("button", { type: "button", class: "button secondary" }, t("photo_remove", { n: index + 1 }));
        remove.addEventListener("click", () => {
          URL.revokeObjectURL(photo.url);
          this.photos.splice(index, 1);
          this.renderPhotos();
          this.changed();
          $("photo-pick").focus();
        });
        li.append(img, remove);
        return li;
      }),
    );
    $("photo-status").textContent = `${t("summary_photos")}: ${this.photos.length} / ${MAX_PHOTOS}`;
  }

  // --- review, duplicate check and sending -------------------------------------------------

  review() {
    const summary = $("summary");
    const groups = [...this.form.querySelectorAll('input[name="groups"]:checked')].map((box) =>
      box.nextElementSibling.textContent.trim(),
    );
    const rows = [
      [t("summary_position"), $("position-status").textContent],
      [t("summary_category"), categoryLabel(this.category())],
      [t("summary_severity"), severityLabel(this.value("severity"))],
      [t("summary_groups"), groups.join(", ") || t("none")],
      [t("summary_photos"), String(this.photos.length)],
    ];
    summary.replaceChildren(...rows.flatMap(([term, text]) => [element("dt", {}, term), element("dd", {}, text)]));
    $("review-outside").hidden = insideServiceArea(this.position) !== false;
    this.checkNearby();
  }

  async checkNearby() {
    const status = $("nearby-status");
    const list = $("nearby-list");
    list.replaceChildren();
    $("nearby-map").replaceChildren();
    if (!navigator.onLine) {
      status.textContent = t("nearby_offline");
      return;
    }
    status.textContent = t("nearby_checking");
    // The answer comes back later: by then the report may be sent (the position is gone) or
    // moved; the answer is only used for the position it was asked for.
    const position = this.position;
    if (!position) return;
    const query = new URLSearchParams({
      lat: position.lat.toFixed(6),
      lon: position.lon.toFixed(6),
      category: this.category(),
    });
    if (position.accuracy) query.set("accuracy", String(Math.round(position.accuracy)));
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), NEARBY_TIMEOUT_MS);
    let data;
    try {
      const headers = { "X-Device-Token": await deviceToken() };
      const response = await fetch(`${config.urls.nearby}?${query}`, { headers, signal: controller.signal });
      data = response.ok ? await response.json() : null;
    } catch {
      data = null;
    } finally {
      clearTimeout(timeout);
    }
    if (this.position !== position) return;
    if (!data || !Array.isArray(data.sites)) {
      status.textContent = t("nearby_offline");
      return;
    }
    // Someone else's report under review nearby: only that it exists, about how far away.
    const underReview = data.under_review ? t("nearby_under_review", { m: data.under_review.within_m }) : "";
    if (!data.sites.length) {
      status.textContent = underReview || t("nearby_none");
      return;
    }
    status.textContent = [t("nearby_found", { n: data.sites.length }), underReview].filter(Boolean).join(" ");
    list.replaceChildren(...data.sites.map((site, index) => nearbyItem(site, index, (chosen) => this.confirm(chosen))));
    const map = await nearbyMap(data.sites, position);
    // The person may have left the step (or the position changed) while the areas loaded.
    if (this.position === position && list.children.length) $("nearby-map").replaceChildren(map);
  }

  async confirm(site) {
    await addConfirmation(site.id, { uuid: newUuid(), kind: "still_there", created_at: new Date().toISOString() });
    this.finish(t("done_confirmation"));
  }


  payload() {
    const showName = $("show-name").checked;
    const payload = {
      uuid: newUuid(),
      lat: Number(this.position.lat.toFixed(7)),
      lon: Number(this.position.lon.toFixed(7)),
      accuracy_m: this.position.accuracy ? Math.round(this.position.accuracy * 10) / 10 : null,
      category: this.category(),
      severity: this.value("severity"),
      groups: [...this.form.querySelectorAll('input[name="groups"]:checked')].map((box) => box.value),
      tags: [...this.form.querySelectorAll('input[name="tags"]:checked')].map((box) => box.value),
      measurements: this.measurements(),
      description: plainText($("description").value).trim(),
      created_at: this.createdAt || new Date().toISOString(),
      show_name: showName,
      reporter_name: showName ? plainText($("reporter-name").value).trim() : "",
      // Optional, never public: news of this report by e-mail (issue 15).
      follow_email: $("follow-email").value.trim(),
      follow_language: document.documentElement.lang === "en" ? "en" : "da",
    };
    return payload;
  }

  async send() {
    for (let index = 0; index < STEPS.length; index += 1) {
      const problems = this.check(STEPS[index]);
      if (problems.length) {
        this.show(index, { focus: false, mode: "push" });
        this.showErrors(problems);
        return;
      }
    }
    const button = $("send-report");
    button.disabled = true;
    try {
      const payload = this.payload();
      const replaced = this.editing;
      await addReport(
        payload,
        this.photos.map((photo) => ({ blob: photo.blob, name: photo.name })),
      );
      if (replaced) await forget(replaced);
      this.finish(t("done_saved"), payload.uuid);
    } finally {
      button.disabled = false;
    }
  }

  // The done screen: sent or waiting on the phone (updated as the outbox sends), a reference and
  // the way to follow the report. The steps' history entries are left behind: Back leaves.
  finish(message, uuid = null) {
    clearTimeout(this.saveTimer);
    this.finished = { uuid, refused: false };
    clearDraft();
    this.form.hidden = true;
    $("done-text").textContent = message;
    $("done-edit").hidden = true;
    $("done-reference").hidden = !uuid;
    $("done-reference").textContent = uuid ? t("done_reference", { ref: reference(uuid) }) : "";
    $("done-follow").href = uuid ? `${config.urls.mine}#rapport-${uuid}` : config.urls.mine;
    $("done").hidden = false;
    $("done-title").focus();
    const depth = history.state && history.state.capture ? history.state.step || 0 : 0;
    if (depth > 0) {
      this.pendingDone = true;
      history.go(-depth);
    } else {
      this.remember("replace", { done: true });
    }
    if (uuid) outboxStore.all().then((items) => this.outboxChanged(items));
  }

  outboxChanged(items) {
    const done = this.finished;
    if (!done || !done.uuid || done.refused) return;
    const item = items.find((candidate) => candidate.uuid === done.uuid);
    if (item && item.state === HELD) {
      done.refused = true;
      $("done-text").textContent = t("done_refused", { message: item.message || "" });
      $("done-edit").href = `${config.urls.capture}?ret=${encodeURIComponent(item.uuid)}`;
      $("done-edit").hidden = false;
    } else if (!item) {
      $("done-text").textContent = t("done_sent");
    }
  }

  reset() {
    clearTimeout(this.saveTimer);
    this.photos.forEach((photo) => URL.revokeObjectURL(photo.url));
    this.photos = [];
    this.photoGps = null;
    this.position = null;
    this.editing = null;
    this.createdAt = null;
    this.finished = null;
    this.pendingDone = false;
    this.form.reset();
    $("draft-panel").hidden = true;
    $("photo-gps").hidden = true;
    $("name-row").hidden = true;
    $("tag-list").replaceChildren();
    $("measure-list").replaceChildren();
    $("photo-list").replaceChildren();
    $("photo-status").textContent = "";
    $("position-status").textContent = t("position_none");
    this.map.clearPin();
    this.filterPlaces();
    $("done").hidden = true;
    this.form.hidden = false;
    this.show(0, { mode: "replace" });
  }
}

export function startCapture() {
  const capture = new Capture();
  capture.start();
  return capture;
}
