// The capture map: Herlev's areas from our own data (so it works without tiles), the pin with
// the position's accuracy circle (dragged, or put where the map is tapped), and known barrier
// sites from GET /api/v1/map: the sites coloured by severity, or counted circles (grid cells) when
// zoomed out. Everything on it is also available without the map (place list, site list).
import { textElement } from "../text.js";
import { config, label, t } from "./config.js";
import { deviceToken } from "./store.js";

const HERLEV_CENTRE = [55.735, 12.427];
const HERLEV_BOUNDS = [
  [55.708, 12.393],
  [55.76, 12.459],
];
const CELL_MIN_PX = 36;
const CELL_MAX_PX = 64;
const SEVERITY_LETTER = { low: "L", medium: "M", high: "H" };

function severityLabel(code) {
  const severity = config.taxonomy.severities.find((s) => s.code === code);
  return severity ? label(severity.label) : code;
}

function categoryLabel(code) {
  const category = config.taxonomy.categories.find((c) => c.code === code);
  return category ? label(category.label) : code;
}

function addStyle(href) {
  return new Promise((resolve) => {
    const link = Object.assign(document.createElement("link"), { rel: "stylesheet", href });
    link.onload = resolve;
    link.onerror = resolve; // the map works (less neatly) without its stylesheet
    document.head.append(link);
  });
}

function addScript(src) {
  return new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement("script"), { src });
    script.onload = resolve;
    script.onerror = reject;
    document.head.append(script);
  });
}

let leaflet = null;

// Leaflet and its marker clusters, loaded the first time the map is asked for (the service
// worker keeps them, so this works offline too).
export function loadLeaflet() {
  if (!leaflet) {
    const { styles, script, clusters } = config.urls.leaflet;
    leaflet = Promise.all([...styles.map(addStyle), addScript(script).then(() => addScript(clusters))])
      .then(() => window.L)
      .catch((error) => {
        leaflet = null; // try again next time
        throw error;
      });
  }
  return leaflet;
}

function siteIcon(name, severity) {
  const icon = textElement(SEVERITY_LETTER[severity] || "?");
  icon.setAttribute("role", "img");
  icon.setAttribute("aria-label", name);
  return icon;
}

export class PositionMap {
  constructor(element, siteList, onPinMoved) {
    this.element = element;
    this.siteList = siteList;
    this.onPinMoved = onPinMoved;
    this.L = null;
    this.map = null;
    this.starting = null;
    this.wanted = null; // a position set before the map was started
    this.pin = null;
    this.circle = null;
    this.sites = null;
    this.cells = null;
    this.areaBounds = null;
    this.loading = null;
  }

  get ready() {
    return Boolean(this.map);
  }

  // Loads Leaflet and draws the map (once); resolves when the map is there.
  start() {
    if (!this.starting) {
      this.starting = loadLeaflet()
        .then((L) => {
          this.L = L;
          this.init();
        })
        .catch(() => {
          this.starting = null; // offline before Leaflet was ever kept: the place list still works
        });
    }
    return this.starting;
  }

  init() {
    const L = this.L;
    if (!L || !this.element) return;
    this.map = L.map(this.element, { zoomSnap: 0.5, keyboard: true, maxZoom: 19 }).setView(HERLEV_CENTRE, 13);
    if (config.tile_url) {
      L.tileLayer(config.tile_url, { maxZoom: 19, attribution: config.attribution }).addTo(this.map);
    }
    this.drawAreas();
    // A cluster's count is a picture for the eye (a tap zooms in); it is not a keyboard stop:
    // overlapping focusable clusters are too small targets (WCAG 2.5.8), and the zoom buttons,
    // the arrow keys and the site list under the map do the same for the keyboard.
    if (L.MarkerCluster) L.MarkerCluster.mergeOptions({ keyboard: false });
    this.sites = L.markerClusterGroup
      ? L.markerClusterGroup({
          maxClusterRadius: 40,
          showCoverageOnHover: false,
          iconCreateFunction: (cluster) =>
            L.divIcon({
              className: "site-cluster",
              html: textElement(cluster.getChildCount()),
              iconSize: [44, 44],
            }),
        })
      : L.layerGroup();
    this.sites.addTo(this.map);
    this.cells = L.layerGroup().addTo(this.map);
    this.map.on("moveend", () => this.loadSites());
    // A tap on the map puts the pin there (a drag only pans): the way to move a pin that is far
    // off, e.g. outside the municipality.
    this.map.on("click", (event) => {
      this.placePin(event.latlng);
      this.pinMoved();
    });
    if (this.wanted) this.setPosition(this.wanted);
    this.element.dataset.ready = "true";
  }

  async drawAreas() {
    try {
      const response = await fetch(config.urls.areas);
      const areas = await response.json();
      const layer = this.L.geoJSON(areas, {
        interactive: false,
        style: (feature) => {
          const boundary = feature.properties.kind === "municipality";
          return {
            color: boundary ? "#3d3d3d" : "#2e7d32",
            weight: boundary ? 3 : 1.5,
            dashArray: boundary ? "6 4" : null,
            fillOpacity: boundary ? 0.02 : 0.18,
          };
        },
      }).addTo(this.map);
      this.areaBounds = layer.getBounds();
      // Fitting (or the pin's view) moves the map, and the move asks for the sites once.
      if (!this.pin) this.map.fitBounds(this.areaBounds, { padding: [4, 4] });
      this.element.dataset.areas = "true";
    } catch {
      // Offline with no stored copy: the map still has the pin and the place list still works.
      this.loadSites();
    }
  }

  // The whole municipality in view, so the pin can be put inside it.
  showServiceArea() {
    if (!this.map) return;
    this.map.fitBounds(this.areaBounds || HERLEV_BOUNDS, { padding: [4, 4] });
    this.element.focus({ preventScroll: true });
  }

  // Moved by hand: no accuracy circle any more (it belonged to the GPS fix).
  pinMoved() {
    if (this.circle) this.circle.remove();
    this.circle = null;
    const moved = this.pin.getLatLng();
    this.onPinMoved({ lat: moved.lat, lon: moved.lng });
  }

  clearPin() {
    this.wanted = null;
    if (this.pin) this.pin.remove();
    if (this.circle) this.circle.remove();
    this.pin = null;
    this.circle = null;
  }

  placePin(latlng) {
    const L = this.L;
    if (!this.pin) {
      this.pin = L.marker(latlng, {
        draggable: true,
        keyboard: false, // dragging needs a pointer; the keyboard way is "Sæt nålen midt på kortet"
        title: t("map_pin"),
        icon: L.divIcon({ className: "pin-icon", html: "", iconSize: [36, 48], iconAnchor: [18, 46] }),
        zIndexOffset: 1000,
      }).addTo(this.map);
      this.pin.on("dragend", () => this.pinMoved());
    } else {
      this.pin.setLatLng(latlng);
    }
  }

  setPosition(position, zoom = 17) {
    this.wanted = position;
    if (!this.map) return;
    const L = this.L;
    const latlng = [position.lat, position.lon];
    this.placePin(latlng);
    if (position.accuracy) {
      if (!this.circle) {
        this.circle = L.circle(latlng, { radius: position.accuracy, interactive: false, weight: 1, color: "#0b4f6c" }).addTo(this.map);
      } else {
        this.circle.setLatLng(latlng).setRadius(position.accuracy);
      }
    } else if (this.circle) {
      this.circle.remove();
      this.circle = null;
    }
    this.map.setView(latlng, Math.max(this.map.getZoom(), zoom));
  }

  centre() {
    const centre = this.map.getCenter();
    return { lat: centre.lat, lon: centre.lng };
  }

  invalidate() {
    if (this.map) this.map.invalidateSize();
  }

  async loadSites() {
    if (!this.map || !navigator.onLine) return;
    const bounds = this.map.getBounds();
    const bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()].map((v) => v.toFixed(5)).join(",");
    try {
      // With the device token the answer also holds this phone's own reports under review.
      const headers = { "X-Device-Token": await deviceToken() };
      const response = await fetch(`${config.urls.map}?bbox=${bbox}`, { headers });
      if (!response.ok) return;
      this.drawSites(await response.json());
    } catch {
      // No connection: keep what is drawn.
    }
  }

  // A grid cell of the zoomed-out map: a circle with its count, sized by it.
  drawCell(feature) {
    const L = this.L;
    const count = feature.properties.count;
    const [lon, lat] = feature.geometry.coordinates;
    const size = Math.min(CELL_MAX_PX, CELL_MIN_PX + Math.round(Math.log10(Math.max(1, count)) * 10));
    const icon = textElement(count);
    icon.setAttribute("role", "img");
    icon.setAttribute("aria-label", t("sites_cell", { n: count }));
    this.cells.addLayer(
      L.marker([lat, lon], {
        interactive: false,
        keyboard: false,
        icon: L.divIcon({ className: "site-cell", html: icon, iconSize: [size, size] }),
      }),
    );
  }

  drawSites(collection) {
    const L = this.L;
    this.sites.clearLayers();
    this.cells.clearLayers();
    const items = [];
    for (const feature of collection.features || []) {
      if (feature.properties.cluster) {
        this.drawCell(feature);
        continue;
      }
      const site = feature.properties;
      const [lon, lat] = feature.geometry.coordinates;
      const name = t("site_marker", { category: categoryLabel(site.category), severity: severityLabel(site.severity) });
      // Not a control (nothing to do with it, and it must not sit under the pin as a tap target):
      // a named image on the map; the same sites are listed under the map.
      const marker = L.marker([lat, lon], {
        interactive: false,
        keyboard: false,
        icon: L.divIcon({
          className: `site-icon severity-${site.severity}`,
          html: siteIcon(name, site.severity),
          iconSize: [32, 32],
        }),
      });
      this.sites.addLayer(marker);
      items.push({ name, status: config.statuses?.[site.status] || site.status });
    }
    if (this.siteList) {
      if (!items.length) {
        const li = document.createElement("li");
        li.textContent = collection.clustered ? t("sites_zoom") : t("sites_none");
        this.siteList.replaceChildren(li);
      } else {
        this.siteList.replaceChildren(
          ...items.slice(0, 50).map((item) => {
            const li = document.createElement("li");
            li.textContent = [item.name, item.status].filter(Boolean).join(" · ");
            return li;
          }),
        );
      }
    }
  }
}

export { categoryLabel, severityLabel };
