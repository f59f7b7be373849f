// The report being made, kept on the phone as it is typed (IndexedDB, photos as Blobs): a reload,
// the Back button, a crash or a phone call never loses it. A draft older than a day is offered,
// not forced.
import { getMeta, removeMeta, setMeta } from "./store.js";

const KEY = "draft";
export const FRESH_MS = 24 * 60 * 60 * 1000;

export async function loadDraft() {
  try {
    return (await getMeta(KEY)) || null;
  } catch {
    return null; // storage unavailable (private mode): start afresh
  }
}

export function saveDraft(draft) {
  return setMeta(KEY, { ...draft, savedAt: Date.now() });
}

export function clearDraft() {
  return removeMeta(KEY).catch(() => undefined);
}

export function isFresh(draft, now = Date.now()) {
  return now - (draft.savedAt || 0) < FRESH_MS;
}

// Anything a person entered (the default severity alone is not a draft).
export function hasContent(draft) {
  return Boolean(
    draft &&
      (draft.position ||
        draft.category ||
        (draft.description || "").trim() ||
        (draft.photos || []).length ||
        Object.values(draft.measurements || {}).some((value) => String(value).trim())),
  );
}
