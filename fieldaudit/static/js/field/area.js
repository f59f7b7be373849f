// The service area (where the municipality takes reports), from GET /api/v1/service-area: the
// service worker keeps it on the phone, so a position is checked where it is chosen, offline too.
// The outline is a little larger than the server's rule: the app never refuses what the server
// would take. Without it (never fetched), the app does not guess: the server decides.
import { config } from "./config.js";

let outline = null;
let loading = null;

// Ray casting on one ring of [lon, lat] points.
function inRing(ring, lon, lat) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function inPolygon(rings, lon, lat) {
  return inRing(rings[0], lon, lat) && !rings.slice(1).some((hole) => inRing(hole, lon, lat));
}

function polygons(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return [geometry.coordinates];
  if (geometry.type === "MultiPolygon") return geometry.coordinates;
  return [];
}

export function loadServiceArea() {
  if (!loading) {
    loading = fetch(config.urls.service_area)
      .then((response) => (response.ok ? response.json() : null))
      .then((feature) => {
        const found = polygons(feature && feature.geometry);
        outline = found.length ? found : null;
        return outline;
      })
      .catch(() => {
        loading = null; // try again next time: the phone may be online by then
        return null;
      });
  }
  return loading;
}

// true or false when the service area is known, null when it is not (offline, never fetched).
export function insideServiceArea(position) {
  if (!outline || !position) return null;
  return outline.some((rings) => inPolygon(rings, position.lon, position.lat));
}
