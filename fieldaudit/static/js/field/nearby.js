// "Already reported?": the nearby known barriers of the same kind as a numbered list (thumbnail,
// category, status, a line of text) and a small map with the same numbers, drawn as SVG over
// Herlev's areas (no tiles, so it works with the areas the service worker keeps on the phone).
// The list is what a keyboard or screen reader uses; the map repeats it for the eye. The same
// drawing previews the chosen position on the position step (before any Leaflet map).
import { config, label, t } from "./config.js";
import { severityLabel } from "./map.js";

const SVG = "http://www.w3.org/2000/svg";
const MAP_WIDTH = 320;
const MAP_HEIGHT = 200;
const MIN_HALF_WIDTH_M = 75;
const PREVIEW_HALF_WIDTH_M = 400;
const SCALE_STEPS_M = [10, 20, 25, 50, 100, 200, 250, 500, 1000];
const METRES_PER_DEGREE = 111_320;

let areasLoading = null;

function loadAreas() {
  if (!areasLoading) {
    areasLoading = fetch(config.urls.areas)
      .then((response) => (response.ok ? response.json() : { features: [] }))
      .catch(() => {
        areasLoading = null;
        return { features: [] };
      });
  }
  return areasLoading;
}

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

function svgElement(tag, attributes = {}, text = "") {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text) node.textContent = text;
  return node;
}

function rings(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return geometry.coordinates;
  if (geometry.type === "MultiPolygon") return geometry.coordinates.flat();
  return [];
}

// A local projection in metres around the points (north up), scaled into the map's box.
function projection(points, minHalfWidth = MIN_HALF_WIDTH_M) {
  const lat0 = points.reduce((sum, p) => sum + p.lat, 0) / points.length;
  const k = Math.cos((lat0 * Math.PI) / 180);
  const xy = (lon, lat) => [lon * k * METRES_PER_DEGREE, -lat * METRES_PER_DEGREE];
  const projected = points.map((p) => xy(p.lon, p.lat));
  const xs = projected.map((p) => p[0]);
  const ys = projected.map((p) => p[1]);
  const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
  const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
  const halfW = Math.max(minHalfWidth, ((Math.max(...xs) - Math.min(...xs)) / 2) * 1.35,
    (((Math.max(...ys) - Math.min(...ys)) / 2) * 1.35 * MAP_WIDTH) / MAP_HEIGHT);
  const scale = MAP_WIDTH / (2 * halfW);
  const project = (lon, lat) => {
    const [x, y] = xy(lon, lat);
    return [MAP_WIDTH / 2 + (x - cx) * scale, MAP_HEIGHT / 2 + (y - cy) * scale];
  };
  return { project, pixelsPerMetre: scale };
}

// A scale bar in the lower left corner: a round number of metres about a fifth of the width.
function scaleBar(pixelsPerMetre) {
  const metres = SCALE_STEPS_M.filter((m) => m * pixelsPerMetre <= MAP_WIDTH / 4).pop() || SCALE_STEPS_M[0];
  const length = metres * pixelsPerMetre;
  const [x, y] = [10, MAP_HEIGHT - 12];
  const group = svgElement("g", { class: "map-scale" });
  group.append(
    svgElement("path", { d: `M${x} ${y - 5}V${y}H${x + length}V${y - 5}` }),
    svgElement("text", { x: x + length + 5, y, "font-size": 12 }, t("scale", { m: metres })),
  );
  return group;
}

// A small map drawn as SVG: the areas, the sites (numbered) and the person's position (a ring).
async function areaMap(position, sites, name, minHalfWidth) {
  const areas = await loadAreas();
  const points = [{ lat: position.lat, lon: position.lon }, ...sites.map((s) => ({ lat: s.lat, lon: s.lon }))];
  const { project, pixelsPerMetre } = projection(points, minHalfWidth);
  const svg = svgElement("svg", {
    viewBox: `0 0 ${MAP_WIDTH} ${MAP_HEIGHT}`,
    class: "nearby-map",
    role: "img",
    "aria-label": name,
    focusable: "false",
  });
  svg.append(svgElement("rect", { class: "place-map-ground", x: 0, y: 0, width: MAP_WIDTH, height: MAP_HEIGHT }));
  for (const feature of areas.features || []) {
    const kind = feature.properties && feature.properties.kind;
    if (kind === "municipality") continue;
    const d = rings(feature.geometry)
      .map((ring) => `M${ring.map(([lon, lat]) => project(lon, lat).map((v) => v.toFixed(1)).join(" ")).join("L")}Z`)
      .join("");
    if (d) svg.append(svgElement("path", { d, class: `place-area area-${kind}` }));
  }
  // Farthest first, so the nearest (number 1) is drawn on top; the person's ring over all.
  [...sites.entries()].reverse().forEach(([index, site]) => {
    const [x, y] = project(site.lon, site.lat);
    svg.append(
      svgElement("circle", { cx: x, cy: y, r: 10, class: "place-marker" }),
      svgElement("text", { x, y, class: "place-number", "font-size": 12 }, String(index + 1)),
    );
  });
  const [px, py] = project(position.lon, position.lat);
  svg.append(svgElement("circle", { cx: px, cy: py, r: 15, class: "nearby-you" }), scaleBar(pixelsPerMetre));
  return svg;
}

// The small numbered map of "already reported?".
export async function nearbyMap(sites, position) {
  const svg = await areaMap(position, sites, t("nearby_map", { n: sites.length }), MIN_HALF_WIDTH_M);
  const legend = element("p", { class: "note nearby-legend" }, t("nearby_legend"));
  const figure = element("figure", { class: "nearby-figure" });
  figure.append(svg, legend);
  return figure;
}

// The position step's preview of the chosen position among the areas: no Leaflet, no tiles.
export function positionPreview(position) {
  return areaMap(position, [], t("position_preview"), PREVIEW_HALF_WIDTH_M);
}

// One numbered candidate: number, thumbnail (public photos only), category, status, a line of
// its description, distance and counts, and "Det er den her".
export function nearbyItem(site, index, onConfirm) {
  const li = element("li", { class: "nearby-item" });
  const textId = `nearby-${site.id}`;
  const number = element("span", { class: "nearby-number", "aria-hidden": "true" }, String(index + 1));
  const text = element("div", { id: textId, class: "nearby-text" });
  text.append(
    element("strong", {}, `${label(site.category_label)} · ${severityLabel(site.severity)}`),
    element("span", { class: `status status-${site.status.code}` }, label(site.status.label)),
  );
  if (site.summary) text.append(element("span", { class: "nearby-summary" }, `»${site.summary}«`));
  text.append(
    element(
      "span",
      { class: "note" },
      [
        t("nearby_distance", { distance: Math.round(site.distance_m) }),
        t("nearby_reports", { n: site.report_count }),
        t("nearby_confirmations", { n: site.confirmation_count }),
        site.area_name,
      ]
        .filter(Boolean)
        .join(" · "),
    ),
  );
  li.append(number);
  if (site.thumbnail_url) {
    li.append(
      element("img", {
        src: site.thumbnail_url,
        alt: t("nearby_photo", { n: index + 1 }),
        width: "96",
        height: "96",
        loading: "lazy",
      }),
    );
  }
  const button = element("button", { type: "button", class: "button secondary", "aria-describedby": textId }, t("this_is_it"));
  button.addEventListener("click", () => onConfirm(site));
  li.append(text, button);
  return li;
}
