// The position step: "Brug min position" (GPS), a place from the list, or the pin on the map. The
// map (Leaflet) is started only when the person asks for it ("Vælg på kortet", or "Vis Herlev på
// kortet" for a position outside the municipality): the step works without it, and the page
// opens without running Leaflet. The position is checked against the service area where it is
// chosen.
import { insideServiceArea } from "./area.js";
import { t } from "./config.js";
import { $ } from "./dom.js";
import { positionPreview } from "./nearby.js";

const MAX_ACCURACY_M = 5000;

export function checkPosition(position) {
  if (!position) return [{ target: "use-gps", error: "position-error", message: t("err_position") }];
  if (insideServiceArea(position) === false) {
    return [{ target: "show-herlev", error: "position-error", message: t("err_outside") }];
  }
  return [];
}

// Methods of the capture flow (mixed into it): `this` is the flow.
export const positionStep = {
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
    this.preview(position);
    this.changed();
  },

  // Where the position is, among Herlev's areas, drawn without Leaflet (while the map is closed).
  async preview(position) {
    const box = $("position-preview");
    if (!$("map-panel").hidden) return;
    const drawn = await positionPreview(position);
    if (this.position === position && $("map-panel").hidden) box.replaceChildren(drawn);
  },

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
  },

  fixPosition() {
    this.show(0, { focus: false });
    $(insideServiceArea(this.position) === false ? "show-herlev" : "use-gps").focus();
  },

  // The map, started on demand (loading and running Leaflet the first time).
  async showMap({ wholeArea = false } = {}) {
    $("map-panel").hidden = false;
    $("show-map").setAttribute("aria-expanded", "true");
    $("show-map").hidden = true;
    await this.map.start();
    if (!this.map.ready) {
      // Offline before the phone ever kept the map's scripts: say so; the rest of the step works.
      $("map-panel").hidden = true;
      $("show-map").hidden = false;
      $("show-map").setAttribute("aria-expanded", "false");
      $("position-error").textContent = t("map_unavailable");
      $("position-error").hidden = false;
      $("show-map").focus();
      return;
    }
    $("position-preview").replaceChildren(); // the map shows it now
    this.map.invalidate();
    if (wholeArea) this.map.showServiceArea();
    else this.map.element.focus(); // the button is gone: the focus goes to what it showed
  },

  pinToCentre() {
    if (this.map.ready) this.setPosition({ ...this.map.centre(), accuracy: null, source: "pin" });
  },

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
  },

  choosePlace(radio) {
    if (!radio.checked) return;
    this.setPosition({
      lat: Number(radio.dataset.lat),
      lon: Number(radio.dataset.lon),
      accuracy: Number(radio.dataset.radius) || null,
      source: "place",
      name: radio.dataset.name,
    });
  },

  visiblePlaces() {
    return [...$("place-list").querySelectorAll("li")].filter((item) => !item.hidden);
  },

  // Enter in the search with exactly one place left chooses it.
  chooseOnlyPlace() {
    const visible = this.visiblePlaces();
    if (visible.length !== 1 || !$("place-search").value.trim()) return;
    const radio = visible[0].querySelector("input");
    radio.checked = true;
    this.choosePlace(radio);
  },

  filterPlaces() {
    const query = $("place-search").value.trim().toLocaleLowerCase();
    $("place-list")
      .querySelectorAll("li")
      .forEach((item) => {
        item.hidden = Boolean(query) && !item.dataset.name.includes(query);
      });
    $("place-count").textContent = t("places_count", { n: this.visiblePlaces().length });
  },
};
