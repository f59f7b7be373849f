// What the planners' maps share: Leaflet from the page's vendor URL, a map of Herlev with
// background tiles only when the page names a tile server, and data-ready / data-error on the
// map element when drawing is done or failed (tests and assistive scripts wait for them).

export async function herlevMap(element) {
  const L = await import(element.dataset.leafletSrc);
  const map = L.map(element, { zoomSnap: 0.5 }).setView([55.735, 12.427], 13);
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, {
      maxZoom: 19,
      attribution: element.dataset.attribution,
    }).addTo(map);
  }
  return { L, map };
}

export function drawInto(id, draw) {
  const element = document.getElementById(id);
  if (!element) {
    return;
  }
  draw(element).then(
    () => {
      element.dataset.ready = "true";
    },
    (error) => {
      element.dataset.error = String(error);
    },
  );
}
