// Photos in the browser: shrink to at most 2048 px with a canvas (which also drops all metadata)
// before they are stored in the outbox and uploaded.
export const MAX_EDGE_PX = 2048;
export const MAX_PHOTOS = 3;
const QUALITY = 0.85;

function canvasBlob(canvas) {
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
}

// Returns {blob, name}. A file the browser cannot decode (e.g. HEIC in some browsers) is kept as
// it is: the server converts it and removes its metadata.
export async function shrink(file, index) {
  const baseName = `foto-${index + 1}`;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return { blob: file, name: file.name || `${baseName}.jpg` };
  }
  const scale = Math.min(1, MAX_EDGE_PX / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff"; // transparent areas become white, as on the server
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await canvasBlob(canvas);
  return blob ? { blob, name: `${baseName}.jpg` } : { blob: file, name: file.name || `${baseName}.jpg` };
}

// Distance in metres between two WGS84 points (haversine).
export function metresBetween(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.sqrt(h));
}
