// Reads the GPS position from a JPEG's EXIF block (only to suggest a position; the photo that is
// uploaded is re-encoded without any metadata).
const SOI = 0xffd8;
const APP1 = 0xffe1;
const GPS_IFD_POINTER = 0x8825;
const TYPE_SIZES = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8 };

function readIfd(view, tiffStart, offset, little) {
  const entries = new Map();
  if (offset + 2 > view.byteLength - tiffStart) return entries;
  const count = view.getUint16(tiffStart + offset, little);
  for (let i = 0; i < count; i += 1) {
    const entry = tiffStart + offset + 2 + i * 12;
    if (entry + 12 > view.byteLength) break;
    const tag = view.getUint16(entry, little);
    const type = view.getUint16(entry + 2, little);
    const number = view.getUint32(entry + 4, little);
    const size = (TYPE_SIZES[type] || 1) * number;
    const valueAt = size > 4 ? tiffStart + view.getUint32(entry + 8, little) : entry + 8;
    entries.set(tag, { type, number, valueAt });
  }
  return entries;
}

function rationals(view, field, little) {
  const values = [];
  for (let i = 0; i < field.number; i += 1) {
    const at = field.valueAt + i * 8;
    if (at + 8 > view.byteLength) return null;
    const denominator = view.getUint32(at + 4, little);
    values.push(denominator ? view.getUint32(at, little) / denominator : 0);
  }
  return values;
}

function ascii(view, field) {
  return field.valueAt < view.byteLength ? String.fromCharCode(view.getUint8(field.valueAt)) : "";
}

function degrees(parts, ref, negative) {
  if (!parts || parts.length < 3) return null;
  const value = parts[0] + parts[1] / 60 + parts[2] / 3600;
  return ref === negative ? -value : value;
}

// Returns {lat, lon} or null.
export async function gpsFromFile(file) {
  if (!file || !/jpe?g$/i.test(file.type || file.name || "")) return null;
  const buffer = await file.slice(0, 256 * 1024).arrayBuffer();
  const view = new DataView(buffer);
  if (view.byteLength < 4 || view.getUint16(0) !== SOI) return null;
  let at = 2;
  while (at + 4 <= view.byteLength) {
    const marker = view.getUint16(at);
    const length = view.getUint16(at + 2);
    if (marker === APP1 && view.getUint32(at + 4) === 0x45786966) {
      const tiffStart = at + 10;
      const little = view.getUint16(tiffStart) === 0x4949;
      const ifd0 = readIfd(view, tiffStart, view.getUint32(tiffStart + 4, little), little);
      const pointer = ifd0.get(GPS_IFD_POINTER);
      if (!pointer) return null;
      const gps = readIfd(view, tiffStart, view.getUint32(pointer.valueAt, little), little);
      if (!gps.has(2) || !gps.has(4)) return null;
      const lat = degrees(rationals(view, gps.get(2), little), gps.has(1) ? ascii(view, gps.get(1)) : "N", "S");
      const lon = degrees(rationals(view, gps.get(4), little), gps.has(3) ? ascii(view, gps.get(3)) : "E", "W");
      if (lat === null || lon === null || !Number.isFinite(lat) || !Number.isFinite(lon)) return null;
      if (lat === 0 && lon === 0) return null;
      return { lat, lon };
    }
    if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) break;
    at += 2 + length;
  }
  return null;
}
