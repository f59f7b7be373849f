// The report being made, in and out of the form: kept on the phone as it is typed, taken up again
// on opening (a fresh draft at its step, an old one offered), a report the server refused back in
// the form, and "Start forfra".
import { config, formatDate, t } from "./config.js";
import { $, CONTROLS, shown } from "./dom.js";
import { clearDraft, hasContent, isFresh, loadDraft, saveDraft } from "./draft.js";
import { outboxStore } from "./store.js";

const SAVE_DELAY_MS = 250;
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

// Methods of the capture flow (mixed into it): `this` is the flow.
export const draftForm = {
  changed() {
    if (this.applying || this.offered || this.finished) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.saveNow(), SAVE_DELAY_MS);
  },

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
  },

  // What is entered (the later steps' fields exist once their templates are in the page).
  collect() {
    const value = (id) => ($(id) ? $(id).value : "");
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
      description: value("description"),
      showName: Boolean($("show-name") && $("show-name").checked),
      reporterName: value("reporter-name"),
      followEmail: value("follow-email"),
      photos: this.photos.map(({ blob, name }) => ({ blob, name })),
      photoGps: this.photoGps,
      editing: this.editing,
      createdAt: this.createdAt,
    };
  },

  apply(draft) {
    this.renderSteps();
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
  },

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
  },

  resume(step, focus = false) {
    const target = Math.min(step || 0, this.firstInvalidStep(step || 0));
    this.rememberUpTo(target);
    this.show(target, { focus, mode: "none" });
  },

  notice(text, offer, continueText = "") {
    $("draft-text").textContent = text;
    $("draft-continue").hidden = !offer;
    $("draft-continue").textContent = continueText;
    $("draft-panel").hidden = false;
  },

  continueDraft() {
    const draft = this.offered;
    this.offered = null;
    $("draft-panel").hidden = true;
    if (!draft) return;
    this.apply(draft);
    this.resume(draft.step, true);
  },

  forgetOffer() {
    this.offered = null;
    $("draft-panel").hidden = true;
  },

  // "Start forfra": the draft is dropped and the form emptied.
  async restart() {
    this.forgetOffer();
    await clearDraft();
    this.reset();
  },

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
    const last = this.steps.length - 1;
    const step = Math.min(FIELD_STEPS[item.field] ?? last, this.firstInvalidStep());
    this.rememberUpTo(step);
    this.show(step, { focus: false, mode: "none" });
    const name = this.steps[step];
    const target = [...this.sections[step].querySelectorAll(CONTROLS)].find(shown) || $(`h-${name}`);
    if (!target.id) target.id = `step-${name}-first`;
    this.showErrors([{ target: target.id, error: null, message: t("err_server", { message: item.message || "" }) }]);
    this.saveNow();
  },

  // A new, empty report (after sending, or "Start forfra").
  reset() {
    clearTimeout(this.saveTimer);
    this.renderSteps();
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
    $("position-preview").replaceChildren();
    this.map.clearPin();
    this.filterPlaces();
    $("done").hidden = true;
    this.form.hidden = false;
    this.show(0, { mode: "replace" });
  },
};
