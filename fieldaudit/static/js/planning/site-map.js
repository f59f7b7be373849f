// A site's planning page: the site (large marker with its rank) and its reports (small numbered
// markers matching the list below), over FieldAudit's own areas; numbers never cover each other.
import { textElement } from "../text.js";
import { drawInto, herlevMap } from "./herlev-map.js";
import { keepNumbersApart } from "./spread-markers.js";

const REPORT_SIZE = 24;

drawInto("site-map", async (element) => {
  const { L, map } = await herlevMap(element);
  const data = JSON.parse(document.getElementById("site-map-data").textContent);
  const response = await fetch(element.dataset.areasUrl);
  L.geoJSON(await response.json(), {
    style: () => ({ color: "#4a7a40", weight: 1.5, fillOpacity: 0.12, interactive: false }),
  }).addTo(map);
  const site = L.latLng(data.site.lat, data.site.lon);
  const siteMarker = L.marker(site, {
    icon: L.divIcon({
      className: "prio-marker site-marker",
      html: textElement(""),
      iconSize: [34, 34],
    }),
    title: element.dataset.siteLabel,
    alt: element.dataset.siteLabel,
    keyboard: false,
  }).addTo(map);
  const items = [{ latlng: site, marker: siteMarker }];
  for (const report of data.reports) {
    const label = element.dataset.reportLabel.replace("{n}", String(report.n));
    const latlng = L.latLng(report.lat, report.lon);
    const marker = L.marker(latlng, {
      icon: L.divIcon({
        className: "report-marker",
        html: textElement(report.n),
        iconSize: [REPORT_SIZE, REPORT_SIZE],
      }),
      title: label,
      alt: label,
      keyboard: false,
    }).addTo(map);
    items.push({ latlng, marker });
  }
  const bounds = L.latLngBounds(items.map((item) => item.latlng));
  map.fitBounds(bounds.pad(0.5), { maxZoom: 18 });
  keepNumbersApart(L, map, items, 34);
});
