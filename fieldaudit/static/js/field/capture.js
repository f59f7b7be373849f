// The capture flow: a few big steps, each with its own heading, errors next to the field and in a
// summary, and the duplicate check before sending. The report goes into the outbox first.
// This module holds the steps, the navigation and the history: each step is an entry in the
// browser's history (Back goes one step back), Enter continues (it never sends before the last
// step), and the focus goes to the first thing to do on each step. The steps' own work is in
// position-step.js, category-step.js, photos-step.js and review-step.js; the draft on the phone
// in draft-form.js. Only the first step's markup is in the page at first: the later steps come
// from their <template> when the person goes on (or a draft is taken up), and the map (Leaflet)
// only when asked for, so the page opens quickly on a slow phone.
import { loadServiceArea } from "./area.js";
import { t } from "./config.js";
import { categoryStep } from "./category-step.js";
import { $, CONTROLS, element, shown } from "./dom.js";
import { draftForm } from "./draft-form.js";
import { PositionMap } from "./map.js";
import { checkPosition, positionStep } from "./position-step.js";
import { photosStep } from "./photos-step.js";
import { reference, reviewStep } from "./review-step.js";

const STEPS = ["position", "category", "severity", "details", "photos", "review"];

export { reference };

class Capture {
  constructor() {
    this.form = $("capture-form");
    this.steps = STEPS;
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
    // One listener per kind of event on the form: the later steps' controls come and go with
    // their templates.
    const buttons = {
      "step-next": () => this.next(),
      "step-back": () => this.back(),
      "use-gps": () => this.locate(),
      "show-map": () => this.showMap(),
      "pin-to-centre": () => this.pinToCentre(),
      "show-herlev": () => this.showMap({ wholeArea: true }),
      "fix-position": () => this.fixPosition(),
      "photo-gps-use": () => this.usePhotoPosition(),
      "draft-continue": () => this.continueDraft(),
      "draft-restart": () => this.restart(),
    };
    this.form.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (button && buttons[button.id]) buttons[button.id]();
    });
    this.form.addEventListener("change", (event) => this.onChange(event.target));
    this.form.addEventListener("input", (event) => {
      if (event.target.id === "place-search") this.filterPlaces();
      this.changed();
    });
    this.form.addEventListener("keydown", (event) => this.onKey(event));
    // Any submission (the phone keyboard's "Go" included) before the last step only continues.
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (STEPS[this.step] === "review") this.send();
      else this.next();
    });
    window.addEventListener("popstate", (event) => this.onHistory(event.state));
    document.addEventListener("outbox-change", (event) => this.outboxChanged(event.detail));
    $("again").addEventListener("click", () => this.reset());
    // The position is checked again once the stored service area is read.
    loadServiceArea().then(() => this.positionChanged());
    this.filterPlaces();
    await this.restore();
    document.documentElement.dataset.captureReady = "true";
  }

  onChange(target) {
    if (target.name === "place") this.choosePlace(target);
    else if (target.name === "category") this.categoryChosen();
    else if (target.id === "photo-pick") this.addPhotos(target);
    else if (target.id === "show-name") $("name-row").hidden = !target.checked;
    this.changed();
  }

  // The later steps' markup, from their templates (once).
  renderSteps() {
    for (const section of this.sections) {
      const body = section.querySelector(":scope > template.step-body");
      if (body) section.replaceChildren(document.importNode(body.content, true));
    }
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
    if (this.step > 0) this.renderSteps();
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
  // a tile or another choice chooses it first. On the last step Enter in a field sends, as in any
  // form. Buttons, links, the text area and the file picker keep their own Enter.
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
    else if (!["radio", "checkbox"].includes(target.type)) this.send();
  }

  check(name) {
    if (name === "position") return checkPosition(this.position);
    this.renderSteps();
    if (name === "category") return this.checkChoice("category", t("err_category"));
    if (name === "severity") return this.checkChoice("severity", t("err_severity"));
    if (name === "details") return this.checkMeasurements();
    if (name === "photos") return this.checkPhotosStep();
    return [];
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
}

Object.assign(Capture.prototype, positionStep, categoryStep, photosStep, reviewStep, draftForm);

export function startCapture() {
  const capture = new Capture();
  capture.start();
  return capture;
}
