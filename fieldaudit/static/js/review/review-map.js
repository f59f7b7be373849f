// A review map: FieldAudit's own areas as the background (no tile server needed), the report
// being reviewed as a red dot, and sites or reports as markers numbered (or lettered) as in the
// list beside the map. Every text goes into the DOM as text, never as markup.
import { textElement } from "../text.js";

export async function drawReviewMap(element, data) {
  const L = await import(element.dataset.leafletSrc);
  const map = L.map(element, { zoomSnap: 0.5, keyboard: true });
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
  }
  if (element.dataset.areasUrl) {
    const response = await fetch(element.dataset.areasUrl);
    if (response.ok) {
      L.geoJSON(await response.json(), {
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
    }
  }
  const markers = L.featureGroup().addTo(map);
  const leaders = L.layerGroup().addTo(map);
  const numbered = [];
  for (const feature of data.features) {
    const { kind, number, label } = feature.properties;
    if (kind === "area") {
      // The report's own area, outlined over the others.
      L.geoJSON(feature, { style: { color: "#2e7d32", weight: 3, fillOpacity: 0.05 } })
        .bindTooltip(textElement(label))
        .addTo(map);
      continue;
    }
    const [lon, lat] = feature.geometry.coordinates;
    if (kind === "here") {
      const dot = L.circleMarker([lat, lon], { radius: 9, color: "#a4000f", weight: 3, fillOpacity: 0.8 });
      dot.bindTooltip(textElement(label));
      dot.addTo(markers);
    } else {
      numbered.push({ latlng: L.latLng(lat, lon), kind, number, label });
    }
  }
  const bounds = L.latLngBounds([
    ...numbered.map((n) => n.latlng),
    ...markers.getLayers().map((m) => m.getLatLng()),
  ]);
  if (bounds.isValid()) {
    map.fitBounds(bounds.pad(1), { maxZoom: 18 });
  } else {
    map.setView([55.735, 12.427], 13);
  }
  const place = () => placeNumbers(L, map, numbered, markers, leaders);
  place();
  map.on("zoomend", place);
}

// Markers never cover each other's numbers: a marker closer than SIZE px to one already placed
// moves out on a ring around its true position, with a leader line back to it.
const SIZE = 30;

function placeNumbers(L, map, numbered, markers, leaders) {
  leaders.clearLayers();
  for (const item of numbered) {
    if (item.marker) markers.removeLayer(item.marker);
  }
  const placed = [];
  for (const item of numbered) {
    const at = map.latLngToContainerPoint(item.latlng);
    let spot = at;
    for (let step = 0; step < 48 && placed.some((p) => p.distanceTo(spot) < SIZE); step += 1) {
      const ring = SIZE * (1 + Math.floor(step / 8));
      const angle = (Math.PI / 4) * (step % 8) - Math.PI / 2;
      spot = L.point(at.x + ring * Math.cos(angle), at.y + ring * Math.sin(angle));
    }
    placed.push(spot);
    const shifted = map.containerPointToLatLng(spot);
    if (spot.distanceTo(at) > 0) {
      L.polyline([item.latlng, shifted], { color: "#111", weight: 2, interactive: false }).addTo(leaders);
      L.circleMarker(item.latlng, { radius: 3, color: "#111", weight: 1, fillOpacity: 1, interactive: false }).addTo(leaders);
    }
    const icon = L.divIcon({
      className: `review-marker review-marker-${item.kind}`,
      html: textElement(item.number),
      iconSize: [SIZE - 4, SIZE - 4],
    });
    item.marker = L.marker(shifted, { icon, title: item.label, alt: item.label, keyboard: false });
    item.marker.addTo(markers);
  }
}
