// The public map of Herlev's areas, drawn from FieldAudit's own GeoJSON so it works without tiles.
import { textElement } from "./text.js";

const element = document.getElementById("areas-map");

const KIND_COLOURS = {
  municipality: "#3d3d3d",
  park: "#2e7d32",
  nature_area: "#1b5e20",
  playground: "#ad1457",
  square: "#6a1b9a",
  path: "#e65100",
  station_surroundings: "#0d47a1",
  public_building_surroundings: "#4e342e",
};

async function drawAreas() {
  const L = await import(element.dataset.leafletSrc);
  const map = L.map(element, { zoomSnap: 0.5 }).setView([55.735, 12.427], 13);
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, {
      maxZoom: 19,
      attribution: element.dataset.attribution,
    }).addTo(map);
  }
  const response = await fetch(element.dataset.areasUrl);
  const areas = await response.json();
  const layer = L.geoJSON(areas, {
    style: (feature) => {
      const boundary = feature.properties.kind === "municipality";
      return {
        color: KIND_COLOURS[feature.properties.kind] || "#333",
        weight: boundary ? 3 : 2,
        dashArray: boundary ? "6 4" : null,
        fillOpacity: boundary ? 0.03 : 0.25,
      };
    },
    onEachFeature: (feature, featureLayer) => {
      featureLayer.bindTooltip(textElement(feature.properties.name));
    },
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [8, 8] });
  element.dataset.ready = "true";
}

if (element) {
  drawAreas().catch((error) => {
    element.dataset.error = String(error);
  });
}
