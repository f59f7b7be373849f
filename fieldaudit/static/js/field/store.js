// IndexedDB: the outbox (reports and confirmations, photos as Blobs) and a few remembered values
// (the device token, the draft of the report being made, the last list of my reports).
const DB_NAME = "fieldaudit";
const DB_VERSION = 1;
const OUTBOX = "outbox";
const META = "meta";

let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(OUTBOX)) db.createObjectStore(OUTBOX, { keyPath: "uuid" });
        if (!db.objectStoreNames.contains(META)) db.createObjectStore(META, { keyPath: "key" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opening;
}

async function run(storeName, mode, action) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(storeName, mode);
    const request = action(transaction.objectStore(storeName));
    transaction.oncomplete = () => resolve(request ? request.result : undefined);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

export const outboxStore = {
  put: (item) => run(OUTBOX, "readwrite", (store) => store.put(item)),
  get: (uuid) => run(OUTBOX, "readonly", (store) => store.get(uuid)),
  all: () => run(OUTBOX, "readonly", (store) => store.getAll()),
  remove: (uuid) => run(OUTBOX, "readwrite", (store) => store.delete(uuid)),
  // Read, change and write one item in a single transaction; an item that is gone (delivered or
  // removed meanwhile, perhaps by another tab) stays gone. Resolves with the item as it was.
  update: (uuid, change) =>
    run(OUTBOX, "readwrite", (store) => {
      const request = store.get(uuid);
      request.onsuccess = () => {
        if (request.result) store.put(change(request.result));
      };
      return request;
    }),
};

export async function getMeta(key) {
  const record = await run(META, "readonly", (store) => store.get(key));
  return record ? record.value : undefined;
}

export function setMeta(key, value) {
  return run(META, "readwrite", (store) => store.put({ key, value }));
}

export function removeMeta(key) {
  return run(META, "readwrite", (store) => store.delete(key));
}

// The device token: a random secret made once and kept; the server stores only its SHA-256.
let tokenPromise = null;

export function deviceToken() {
  tokenPromise = tokenPromise || loadOrMakeToken();
  return tokenPromise;
}

async function loadOrMakeToken() {
  let token = await getMeta("deviceToken");
  if (!token) {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    token = btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    await setMeta("deviceToken", token);
  }
  return token;
}
