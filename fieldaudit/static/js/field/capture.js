// The capture flow: a few big steps, each with its own heading, errors next to the field and in a
// summary, and the duplicate check before sending. The report goes into the outbox first.
import { plainText } from "../text.js";
import { config, formatNumber, label, t } from "./config.js";
import { gpsFromFile } from "./exif.js";
import { categoryLabel, PositionMap, severityLabel } from "./map.js";
import { addConfirmation, addReport } from "./outbox.js";
import { MAX_PHOTOS, metresBetween, shrink } from "./photos.js";
import { deviceToken } from "./store.js";

const STEPS = ["position", "category", "severity", "details", "photos", "review"];
const NEARBY_TIMEOUT_MS = 8000;
const MAX_ACCURACY_M = 5000;
const MAX_NAME = 120;
const PHOTO_SUGGESTION_MIN_M = 15;

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

class Capture {
  constructor() {
    this.form = $("capture-form");
    this.sections = STEPS.map((name) => this.form.querySelector(`[data-step="${name}"]`));
    this.step = 0;
    this.position = null;
    this.photos = [];
    this.photoGps = null;
    this.map = new PositionMap($("capture-map"), $("site-list"), (moved) =>
      this.setPosition({ ...moved, accuracy: null, source: "pin" }, false),
    );
  }

  start() {
    this.map.init();
    $("step-next").addEventListener("click", () => this.next());
    $("step-back").addEventListener("click", () => this.show(this.step - 1));
    $("use-gps").addEventListener("click", () => this.locate());
    $("pin-to-centre").addEventListener("click", () => {
      if (this.map.ready) this.setPosition({ ...this.map.centre(), accuracy: null, source: "pin" });
    });
    $("place-search").addEventListener("input", () => this.filterPlaces());
    this.form.querySelectorAll('input[name="place"]').forEach((radio) =>
      radio.addEventListener("change", () => this.choosePlace(radio)),
    );
    this.form.querySelectorAll('input[name="category"]').forEach((radio) =>
      radio.addEventListener("change", () => this.categoryChosen()),
    );
    $("photo-camera").addEventListener("change", (event) => this.addPhotos(event.target));
    $("photo-pick").addEventListener("change", (event) => this.addPhotos(event.target));
    $("photo-gps-use").addEventListener("click", () => {
      if (this.photoGps) this.setPosition({ ...this.photoGps, accuracy: null, source: "photo" });
      $("photo-gps").hidden = true;
    });
    $("show-name").addEventListener("change", () => {
      $("name-row").hidden = !$("show-name").checked;
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    $("again").addEventListener("click", () => this.reset());
    this.filterPlaces();
    this.show(0, false);
    document.documentElement.dataset.captureReady = "true";
  }

  // --- steps -------------------------------------------------------------------------------

  show(index, focus = true) {
    this.step = Math.max(0, Math.min(STEPS.length - 1, index));
    this.sections.forEach((section, i) => {
      section.hidden = i !== this.step;
    });
    $("step-count").textContent = t("step_of", { n: this.step + 1, total: STEPS.length });
    $("step-back").hidden = this.step === 0;
    $("step-next").hidden = this.step === STEPS.length - 1;
    this.hideErrors();
    const name = STEPS[this.step];
    this.form.dataset.step = name;
    if (name === "position") this.map.invalidate();
    if (name === "review") this.review();
    if (focus) $(`h-${name}`).focus();
  }

  next() {
    const problems = this.check(STEPS[this.step]);
    if (problems.length) {
      this.showErrors(problems);
      return;
    }
    this.show(this.step + 1);
  }

  check(name) {
    const problems = [];
    if (name === "position" && !this.position) {
      problems.push({ target: "use-gps", error: "position-error", message: t("err_position") });
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
      if (target && target.tagName !== "BUTTON") target.setAttribute("aria-invalid", "true");
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
  }

  locate() {
    const status = $("position-status");
    if (!navigator.geolocation) {
      status.textContent = t("gps_failed");
      return;
    }
    status.textContent = t("gps_locating");
    navigator.geolocation.getCurrentPosition(
      (found) =>
        this.setPosition({
          lat: found.coords.latitude,
          lon: found.coords.longitude,
          accuracy: Math.min(MAX_ACCURACY_M, found.coords.accuracy || 0),
          source: "gps",
        }),
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

  filterPlaces() {
    const query = $("place-search").value.trim().toLocaleLowerCase();
    let shown = 0;
    $("place-list")
      .querySelectorAll("li")
      .forEach((item) => {
        const match = !query || item.dataset.name.includes(query);
        item.hidden = !match;
        if (match) shown += 1;
      });
    $("place-count").textContent = t("places_count", { n: shown });
  }

  // --- category, groups, tags, measurements -----------------------------------------------

  value(name) {
    const checked = this.form.querySelector(`input[name="${name}"]:checked`);
    return checked ? checked.value : null;
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
    this.checkNearby();
  }

  async checkNearby() {
    const status = $("nearby-status");
    const list = $("nearby-list");
    list.replaceChildren();
    if (!navigator.onLine) {
      status.textContent = t("nearby_offline");
      return;
    }
    status.textContent = t("nearby_checking");
    const query = new URLSearchParams({
      lat: this.position.lat.toFixed(6),
      lon: this.position.lon.toFixed(6),
      category: this.category(),
    });
    if (this.position.accuracy) query.set("accuracy", String(Math.round(this.position.accuracy)));
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
    list.replaceChildren(...data.sites.map((site) => this.nearbyItem(site)));
  }

  nearbyItem(site) {
    const li = element("li", { class: "nearby-item" });
    const textId = `nearby-${site.id}`;
    const text = element("div", { id: textId, class: "nearby-text" });
    text.append(
      element("strong", {}, `${label(site.category_label)} · ${severityLabel(site.severity)}`),
      element(
        "span",
        {},
        t("nearby_item", {
          distance: Math.round(site.distance_m),
          reports: site.report_count,
          confirmations: site.confirmation_count,
        }),
      ),
      element("span", {}, [site.area_name, label(site.status.label)].filter(Boolean).join(" · ")),
    );
    if (site.thumbnail_url) {
      li.append(element("img", { src: site.thumbnail_url, alt: "", width: "96", height: "96", loading: "lazy" }));
    }
    const button = element("button", { type: "button", class: "button secondary", "aria-describedby": textId }, t("this_is_it"));
    button.addEventListener("click", () => this.confirm(site));
    li.append(text, button);
    return li;
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
      created_at: new Date().toISOString(),
      show_name: showName,
      reporter_name: showName ? plainText($("reporter-name").value).trim() : "",
    };
    return payload;
  }

  async send() {
    for (let index = 0; index < STEPS.length; index += 1) {
      const problems = this.check(STEPS[index]);
      if (problems.length) {
        this.show(index, false);
        this.showErrors(problems);
        return;
      }
    }
    const button = $("send-report");
    button.disabled = true;
    try {
      await addReport(
        this.payload(),
        this.photos.map((photo) => ({ blob: photo.blob, name: photo.name })),
      );
      this.finish(t("done_report"));
    } finally {
      button.disabled = false;
    }
  }

  finish(message) {
    this.form.hidden = true;
    $("done-text").textContent = message;
    $("done").hidden = false;
    $("done-title").focus();
  }

  reset() {
    this.photos.forEach((photo) => URL.revokeObjectURL(photo.url));
    this.photos = [];
    this.photoGps = null;
    this.position = null;
    this.form.reset();
    $("photo-gps").hidden = true;
    $("name-row").hidden = true;
    $("tag-list").replaceChildren();
    $("measure-list").replaceChildren();
    $("photo-list").replaceChildren();
    $("photo-status").textContent = "";
    $("position-status").textContent = t("position_none");
    this.filterPlaces();
    $("done").hidden = true;
    this.form.hidden = false;
    this.show(0);
  }
}

export function startCapture() {
  const capture = new Capture();
  capture.start();
  return capture;
}
