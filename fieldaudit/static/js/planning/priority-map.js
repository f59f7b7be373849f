// The planners' map: the sites of the current list page as numbered markers coloured by
// priority band, over FieldAudit's own areas (works without background tiles).
import { textElement } from "../text.js";
import { drawInto, herlevMap } from "./herlev-map.js";
import { keepNumbersApart } from "./spread-markers.js";

const MARKER_SIZE = 30;

drawInto("priority-map", async (element) => {
  const { L, map } = await herlevMap(element);
  const points = JSON.parse(document.getElementById("priority-map-data").textContent);
  const response = await fetch(element.dataset.areasUrl);
  const areas = L.geoJSON(await response.json(), {
    style: (feature) => {
      const boundary = feature.properties.kind === "municipality";
      return {
        color: boundary ? "#3d3d3d" : "#4a7a40",
        weight: boundary ? 3 : 1.5,
        dashArray: boundary ? "6 4" : null,
        fillOpacity: boundary ? 0.02 : 0.18,
        interactive: false,
      };
    },
  }).addTo(map);
  const markers = L.featureGroup();
  const items = [];
  // Lowest rank last, so the most important sites are drawn on top.
  for (const point of [...points].reverse()) {
    const icon = L.divIcon({
      className: `prio-marker prio-${point.class}`,
      html: textElement(Number(point.rank)),
      iconSize: [MARKER_SIZE, MARKER_SIZE],
    });
    const marker = L.marker([point.lat, point.lon], {
      icon,
      title: point.label,
      alt: point.label,
      keyboard: true,
    });
    marker.on("click", () => {
      window.location.assign(point.url);
    });
    marker.addTo(markers);
    items.unshift({ latlng: L.latLng(point.lat, point.lon), marker });
  }
  markers.addTo(map);
  const bounds = points.length ? markers.getBounds() : areas.getBounds();
  if (bounds.isValid()) {
    // Without the zoom animation: the map is at its first view when it says it is ready
    // (an animated fit could still be running when a person or a test zooms out).
    map.fitBounds(bounds, { padding: [36, 36], maxZoom: 17, animate: false });
  }
  // Rank 1 first: it keeps its true place, later ranks move aside when they would cover it.
  keepNumbersApart(L, map, items, MARKER_SIZE);
});
