// Find en trinfri vej: choose Fra and Til by clicking or tapping the map. A choice is written
// into the form's own list (an option "Punkt på kortet (...)" with the value LON,LAT), so the
// form, the server and the answer stay the same as without this script; the keyboard moves the
// map with the arrow keys and Enter chooses its middle. With an answer, the route is drawn.
import { addAreaLayer } from "../area-layer.js";
import { textElement } from "../text.js";

const element = document.getElementById("route-picker");
const COLOURS = { fra: "#1b5e20", til: "#a4000f" };

function decimal(value) {
  const text = value.toFixed(5);
  return document.documentElement.lang === "da" ? text.replace(".", ",") : text;
}

function chooseInList(select, lon, lat, template) {
  let option = select.querySelector("option[data-map-point]");
  if (!option) {
    option = document.createElement("option");
    option.dataset.mapPoint = "";
    select.append(option);
  }
  option.value = `${lon.toFixed(6)},${lat.toFixed(6)}`;
  option.textContent = template.replace("%(lat)s", decimal(lat)).replace("%(lon)s", decimal(lon));
  select.value = option.value;
}

async function drawPicker() {
  const data = JSON.parse(document.getElementById("route-picker-data").textContent);
  const L = window.L || (await import(element.dataset.leafletSrc));
  element.hidden = false;
  const mapElement = document.getElementById("route-pick-map");
  const map = L.map(mapElement, { zoomSnap: 0.5, maxZoom: 18 }).setView([55.728, 12.43], 13);
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
  }
  const areas = await addAreaLayer(L, map, data.areas_url, { interactive: false });
  // The places of the lists, as small dots to aim at (their names are in the lists).
  for (const [lon, lat] of Object.values(data.places)) {
    L.circleMarker([lat, lon], { radius: 4, color: "#1d1d1d", weight: 2, fillColor: "#fff", fillOpacity: 1, interactive: false, className: "route-place" }).addTo(map);
  }
  const selects = { fra: document.getElementById("route-from"), til: document.getElementById("route-to") };
  const status = document.getElementById("route-pick-status");
  const markers = {};
  let route = null; // the answer's route, until an end changes

  function mark(end, latlng) {
    if (markers[end]) markers[end].remove();
    if (route && !routeEnds(latlng, end)) {
      route.remove();
      route = null;
    }
    const style = { radius: 9, color: COLOURS[end], weight: 4, fillOpacity: 0.8, interactive: false, className: `route-end-${end}` };
    markers[end] = L.circleMarker(latlng, style)
      .bindTooltip(textElement(data.texts[end]), { permanent: true, direction: "top", className: "route-end-label" })
      .addTo(map);
  }

  function routeEnds(latlng, end) {
    return data[end] && latlng.lat === data[end][1] && latlng.lng === data[end][0];
  }

  function nextEnd() {
    return element.querySelector('input[name="route-pick-end"]:checked').value;
  }

  function choose(latlng) {
    const end = nextEnd();
    mark(end, latlng);
    chooseInList(selects[end], latlng.lng, latlng.lat, data.texts.point);
    status.textContent = data.texts[`${end}_set`];
    const other = end === "fra" ? "til" : "fra";
    document.getElementById(`route-pick-${other}`).checked = true;
  }

  map.on("click", (event) => choose(event.latlng));
  mapElement.addEventListener("keydown", (event) => {
    if (event.target === mapElement && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      choose(map.getCenter());
    }
  });
  // A place chosen in a list is shown on the map too.
  for (const [end, select] of Object.entries(selects)) {
    select.addEventListener("change", () => {
      const place = data.places[select.value];
      if (place) mark(end, L.latLng(place[1], place[0]));
      else if (!select.value && markers[end]) markers[end].remove();
    });
  }
  // The route under its ends' markers.
  let bounds = areas.getBounds();
  if (data.route) {
    route = L.geoJSON(data.route, { interactive: false, style: { color: "#0b4f6c", weight: 6, className: "route-on-map" } }).addTo(map);
    bounds = route.getBounds();
  }
  for (const end of ["fra", "til"]) {
    if (data[end]) mark(end, L.latLng(data[end][1], data[end][0]));
  }
  if (data.fra && !data.til) document.getElementById("route-pick-til").checked = true;
  map.fitBounds(bounds.pad(0.15), { maxZoom: 17, padding: [24, 24] });
  element.dataset.ready = "true";
}

if (element) {
  drawPicker().catch((error) => {
    element.dataset.error = String(error);
  });
}
