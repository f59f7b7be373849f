// The coverage map: each area coloured by when it was last audited (never, over a year ago,
// within a year), drawn from the page's own GeoJSON so it works without background tiles.
import { textElement } from "../text.js";
import { drawInto, herlevMap } from "./herlev-map.js";

drawInto("coverage-map", async (element) => {
  const { L, map } = await herlevMap(element);
  const coverage = JSON.parse(document.getElementById("coverage-data").textContent);
  const layer = L.geoJSON(coverage, {
    style: (feature) => ({
      color: feature.properties.colour,
      weight: 2,
      fillColor: feature.properties.colour,
      fillOpacity: 0.45,
    }),
    onEachFeature: (feature, featureLayer) => {
      featureLayer.bindTooltip(textElement(`${feature.properties.name}: ${feature.properties.label}`));
    },
  }).addTo(map);
  if (layer.getBounds().isValid()) {
    map.fitBounds(layer.getBounds(), { padding: [8, 8] });
  }
});
