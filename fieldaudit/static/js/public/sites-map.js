// The public map of barriers, drawn from FieldAudit's own GeoJSON so it works without tiles.
// Everything on it is also in the list below the map.
const element = document.getElementById("sites-map");

const COLOURS = { verified: "#a4000f", planned: "#8a4b00", fixed: "#1b5e20", closed: "#3d3d3d" };

async function drawSites() {
  const L = await import(element.dataset.leafletSrc);
  const map = L.map(element, { zoomSnap: 0.5 }).setView([55.728, 12.43], 13);
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
  }
  const response = await fetch(element.dataset.sitesUrl);
  const sites = await response.json();
  const layer = L.geoJSON(sites, {
    pointToLayer: (feature, latlng) =>
      L.circleMarker(latlng, { radius: 8, color: COLOURS[feature.properties.status] || "#0b4f6c", weight: 3, fillOpacity: 0.6 }),
    onEachFeature: (feature, featureLayer) => {
      const link = document.createElement("a");
      link.href = feature.properties.url;
      link.textContent = `${feature.properties.category_label} #${feature.id}: ${feature.properties.status_label}`;
      featureLayer.bindPopup(link);
    },
  }).addTo(map);
  if (sites.features.length) {
    map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 17 });
  }
  element.dataset.ready = "true";
}

if (element) {
  drawSites().catch((error) => {
    element.dataset.error = String(error);
  });
}
