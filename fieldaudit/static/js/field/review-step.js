// The review step and sending: the summary, "Er det allerede meldt?" (the nearby known barriers
// of the same kind, with a small tile-free map), the report into the outbox, and the done screen
// (sent or waiting, with a short reference and the way to follow the report).
import { plainText } from "../text.js";
import { insideServiceArea } from "./area.js";
import { config, t } from "./config.js";
import { clearDraft } from "./draft.js";
import { $, element, newUuid } from "./dom.js";
import { categoryLabel, severityLabel } from "./map.js";
import { nearbyItem, nearbyMap } from "./nearby.js";
import { addConfirmation, addReport, forget, HELD } from "./outbox.js";
import { deviceToken, outboxStore } from "./store.js";

const NEARBY_TIMEOUT_MS = 8000;
const REFERENCE_LENGTH = 8;

// The short reference a person can quote: the first characters of the report's UUID.
export function reference(uuid) {
  return uuid.slice(0, REFERENCE_LENGTH);
}

// Methods of the capture flow (mixed into it): `this` is the flow.
export const reviewStep = {
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
  },

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
  },

  async confirm(site) {
    await addConfirmation(site.id, { uuid: newUuid(), kind: "still_there", created_at: new Date().toISOString() });
    this.finish(t("done_confirmation"));
  },

  payload() {
    const showName = $("show-name").checked;
    return {
      uuid: newUuid(),
      lat: Number(this.position.lat.toFixed(7)),
      lon: Number(this.position.lon.toFixed(7)),
      accuracy_m: this.position.accuracy ? Math.round(this.position.accuracy * 10) / 10 : null,
      category: this.category(),
      severity: this.value("severity"),
      groups: this.checkedValues("groups"),
      tags: this.checkedValues("tags"),
      measurements: this.measurements(),
      description: plainText($("description").value).trim(),
      created_at: this.createdAt || new Date().toISOString(),
      show_name: showName,
      reporter_name: showName ? plainText($("reporter-name").value).trim() : "",
      // Optional, never public: news of this report by e-mail (issue 15).
      follow_email: $("follow-email").value.trim(),
      follow_language: document.documentElement.lang === "en" ? "en" : "da",
    };
  },

  async send() {
    const invalid = this.firstInvalidStep();
    if (invalid < this.steps.length) {
      this.show(invalid, { focus: false, mode: "push" });
      this.showErrors(this.check(this.steps[invalid]));
      return;
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
  },

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
  },

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
  },
};
