// Numbered markers that never cover each other's numbers: at every zoom, the markers are placed
// in rank order; a marker whose circle would touch one already placed moves outward on rings
// around its true position until it is clear, and a leader line and a small dot show where the
// site really is. The same idea as fieldaudit/exports/label_placement.py for the printed map.

const RING_STEPS = 8;
const MAX_RINGS = 12;

// Square clearance: the markers' boxes (not only their circles) stay apart.
function clear(x, y, placed, gap) {
  return placed.every(([px, py]) => Math.max(Math.abs(px - x), Math.abs(py - y)) >= gap);
}

// positions: [{x, y}] in screen pixels, most important first; returns [{x, y, moved}]
export function spread(positions, diameter) {
  const gap = diameter + 2;
  const placed = [];
  return positions.map(({ x, y }) => {
    let spot = clear(x, y, placed, gap) ? [x, y] : null;
    for (let ring = 1; !spot && ring <= MAX_RINGS; ring += 1) {
      const steps = RING_STEPS * ring;
      for (let step = 0; step < steps && !spot; step += 1) {
        const angle = -Math.PI / 2 + (2 * Math.PI * step) / steps;
        const cx = x + Math.cos(angle) * gap * ring;
        const cy = y + Math.sin(angle) * gap * ring;
        if (clear(cx, cy, placed, gap)) {
          spot = [cx, cy];
        }
      }
    }
    spot = spot || [x, y];
    placed.push(spot);
    return { x: spot[0], y: spot[1], moved: spot[0] !== x || spot[1] !== y };
  });
}

// items: [{latlng, marker}] most important first; markers get moved, leaders drawn into layer
export function keepNumbersApart(L, map, items, diameter) {
  const leaders = L.layerGroup().addTo(map);
  const place = () => {
    leaders.clearLayers();
    const points = items.map((item) => map.latLngToLayerPoint(item.latlng));
    const spots = spread(points, diameter);
    spots.forEach((spot, index) => {
      const item = items[index];
      const where = spot.moved ? map.layerPointToLatLng(L.point(spot.x, spot.y)) : item.latlng;
      item.marker.setLatLng(where);
      if (spot.moved) {
        L.polyline([item.latlng, where], {
          color: "#111",
          weight: 1.5,
          interactive: false,
        }).addTo(leaders);
        L.circleMarker(item.latlng, {
          radius: 3,
          color: "#111",
          weight: 1,
          fillColor: "#111",
          fillOpacity: 1,
          interactive: false,
        }).addTo(leaders);
      }
    });
    // The zoom the numbers were last placed for: a test waits for it instead of for a time.
    map.getContainer().dataset.placedZoom = String(map.getZoom());
  };
  map.on("zoomend viewreset", place);
  place();
  return place;
}
