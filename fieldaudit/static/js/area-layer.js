// Herlev's areas as a Leaflet layer from FieldAudit's own GeoJSON: the map is useful without tiles.
import { textElement } from "./text.js";

export const KIND_COLOURS = {
  municipality: "#3d3d3d",
  park: "#2e7d32",
  nature_area: "#1b5e20",
  playground: "#ad1457",
  square: "#6a1b9a",
  path: "#e65100",
  station_surroundings: "#0d47a1",
  public_building_surroundings: "#4e342e",
};

export async function addAreaLayer(L, map, url, { interactive = true } = {}) {
  const response = await fetch(url);
  const areas = await response.json();
  return L.geoJSON(areas, {
    interactive,
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
      if (interactive) featureLayer.bindTooltip(textElement(feature.properties.name));
    },
  }).addTo(map);
}
