// The review page: move focus to an error summary, draw the small map, and let a mouse or
// touch user drag the rectangle to black out on a photo (the number fields stay the way to do it
// with a keyboard).
import { textElement } from "../text.js";

const summary = document.querySelector(".error-summary[data-autofocus]");
if (summary) {
  summary.focus();
}

async function drawMap(element, data) {
  const L = await import(element.dataset.leafletSrc);
  const map = L.map(element, { zoomSnap: 0.5, keyboard: true });
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
  }
  const styles = {
    report: { radius: 9, color: "#a4000f", weight: 3, fillOpacity: 0.8 },
    site: { radius: 7, color: "#0b4f6c", weight: 2, fillOpacity: 0.5 },
  };
  const layer = L.geoJSON(data, {
    pointToLayer: (feature, latlng) => L.circleMarker(latlng, styles[feature.properties.kind] || styles.site),
    style: (feature) => (feature.properties.kind === "area" ? { color: "#2e7d32", weight: 2, fillOpacity: 0.1 } : {}),
    onEachFeature: (feature, featureLayer) => featureLayer.bindTooltip(textElement(feature.properties.label)),
  }).addTo(map);
  const points = data.features.filter((f) => f.properties.kind !== "area");
  const bounds = L.geoJSON({ type: "FeatureCollection", features: points }).getBounds();
  map.fitBounds(bounds.pad(0.5), { maxZoom: 19 });
  element.dataset.ready = "true";
}

const mapElement = document.getElementById("review-map");
const mapData = document.getElementById("review-map-data");
if (mapElement && mapData) {
  drawMap(mapElement, JSON.parse(mapData.textContent)).catch((error) => {
    mapElement.dataset.error = String(error);
  });
}

function percent(value) {
  return Math.max(0, Math.min(100, Math.round(value * 1000) / 10));
}

for (const figure of document.querySelectorAll(".redact-figure")) {
  const form = document.getElementById(figure.dataset.redactForm);
  const image = figure.querySelector("img");
  if (!form || !image) continue;
  const marker = document.createElement("div");
  marker.className = "redact-marker";
  marker.hidden = true;
  figure.append(marker);
  let start = null;

  const point = (event) => {
    const box = image.getBoundingClientRect();
    return {
      x: Math.max(0, Math.min(1, (event.clientX - box.left) / box.width)),
      y: Math.max(0, Math.min(1, (event.clientY - box.top) / box.height)),
    };
  };
  const show = (a, b) => {
    const left = Math.min(a.x, b.x);
    const top = Math.min(a.y, b.y);
    const width = Math.abs(a.x - b.x);
    const height = Math.abs(a.y - b.y);
    marker.hidden = false;
    marker.style.left = `${left * 100}%`;
    marker.style.top = `${top * 100}%`;
    marker.style.width = `${width * 100}%`;
    marker.style.height = `${height * 100}%`;
    return { left, top, width, height };
  };
  image.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    start = point(event);
    image.setPointerCapture(event.pointerId);
  });
  image.addEventListener("pointermove", (event) => {
    if (start) show(start, point(event));
  });
  image.addEventListener("pointerup", (event) => {
    if (!start) return;
    const box = show(start, point(event));
    start = null;
    if (box.width < 0.005 || box.height < 0.005) return;
    for (const [name, value] of Object.entries(box)) {
      const input = form.querySelector(`input[name$="-${name}"]`);
      if (input) input.value = String(percent(value));
    }
  });
}
