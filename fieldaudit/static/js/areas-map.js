// The public map of Herlev's areas, drawn from FieldAudit's own GeoJSON so it works without tiles.
import { addAreaLayer } from "./area-layer.js";

const element = document.getElementById("areas-map");

async function drawAreas() {
  const L = window.L || (await import(element.dataset.leafletSrc));
  const map = L.map(element, { zoomSnap: 0.5 }).setView([55.735, 12.427], 13);
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, {
      maxZoom: 19,
      attribution: element.dataset.attribution,
    }).addTo(map);
  }
  const layer = await addAreaLayer(L, map, element.dataset.areasUrl);
  map.fitBounds(layer.getBounds(), { padding: [8, 8] });
  element.dataset.ready = "true";
}

if (element) {
  drawAreas().catch((error) => {
    element.dataset.error = String(error);
  });
}
