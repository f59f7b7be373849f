// The public map of barriers over Herlev's areas, drawn from FieldAudit's own GeoJSON so it
// works without tiles. Everything on it is also in the list below the map.
import { addAreaLayer } from "../area-layer.js";

const element = document.getElementById("sites-map");

const COLOURS = { verified: "#a4000f", planned: "#8a4b00", fixed: "#1b5e20", closed: "#3d3d3d" };
// A single barrier (or a few close together) is shown with its streets and the areas around
// it: the view is at least this wide, and never closer than zoom 16.
const MAX_FIT_ZOOM = 16;
const MIN_VIEW_M = 800;

async function drawSites() {
  const L = window.L || (await import(element.dataset.leafletSrc));
  const map = L.map(element, { zoomSnap: 0.5, maxZoom: 18 }).setView([55.728, 12.43], 13);
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
  }
  const [areas, response] = await Promise.all([
    addAreaLayer(L, map, element.dataset.areasUrl, { interactive: false }),
    fetch(element.dataset.sitesUrl),
  ]);
  const sites = await response.json();
  // One barrier: a pin where it is (a circle alone reads as an area); several: a circle each,
  // coloured by status.
  const single = sites.features.length === 1;
  const layer = L.geoJSON(sites, {
    pointToLayer: (feature, latlng) =>
      single
        ? L.marker(latlng, {
            title: feature.properties.category_label,
            alt: feature.properties.category_label,
            icon: L.divIcon({ className: "pin-icon site-pin", html: "", iconSize: [36, 48], iconAnchor: [18, 46], popupAnchor: [0, -40] }),
          })
        : L.circleMarker(latlng, { radius: 8, color: COLOURS[feature.properties.status] || "#0b4f6c", weight: 3, fillOpacity: 0.6 }),
    onEachFeature: (feature, featureLayer) => {
      // The pin is a button that opens the barrier's link: named by what it is.
      featureLayer.on("add", () => {
        const pin = featureLayer.getElement && featureLayer.getElement();
        if (single && pin) pin.setAttribute("aria-label", feature.properties.category_label);
      });
      const link = document.createElement("a");
      link.href = feature.properties.url;
      link.textContent = `${feature.properties.category_label} #${feature.id}: ${feature.properties.status_label}`;
      featureLayer.bindPopup(link);
    },
  }).addTo(map);
  let bounds = areas.getBounds();
  if (sites.features.length) {
    bounds = layer.getBounds().pad(0.2);
    bounds.extend(bounds.getCenter().toBounds(MIN_VIEW_M));
  }
  // Without the zoom animation: the map is at its first view when it says it is ready (an
  // animated fit would still be moving the markers when a person or a test taps one).
  map.fitBounds(bounds, { maxZoom: MAX_FIT_ZOOM, padding: [8, 8], animate: false });
  element.dataset.zoom = String(map.getZoom());
  element.dataset.ready = "true";
}

if (element) {
  drawSites().catch((error) => {
    element.dataset.error = String(error);
  });
}
