// The coverage map: each area coloured by when it was last audited (never, over a year ago,
// within a year), drawn from the page's own GeoJSON so it works without background tiles.
const element = document.getElementById("coverage-map");

async function drawCoverage() {
  const L = await import(element.dataset.leafletSrc);
  const coverage = JSON.parse(document.getElementById("coverage-data").textContent);
  const map = L.map(element, { zoomSnap: 0.5 }).setView([55.735, 12.427], 13);
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, {
      maxZoom: 19,
      attribution: element.dataset.attribution,
    }).addTo(map);
  }
  const layer = L.geoJSON(coverage, {
    style: (feature) => ({
      color: feature.properties.colour,
      weight: 2,
      fillColor: feature.properties.colour,
      fillOpacity: 0.45,
    }),
    onEachFeature: (feature, featureLayer) => {
      featureLayer.bindTooltip(`${feature.properties.name}: ${feature.properties.label}`);
    },
  }).addTo(map);
  if (layer.getBounds().isValid()) {
    map.fitBounds(layer.getBounds(), { padding: [8, 8] });
  }
  element.dataset.ready = "true";
}

if (element) {
  drawCoverage().catch((error) => {
    element.dataset.error = String(error);
  });
}
