// The capture page: the outbox (drained at start, on "online" and by "Send nu"), the capture
// flow, and the service worker that keeps the app shell on the phone.
import { config } from "./config.js";
import { startCapture } from "./capture.js";
import { startOutbox } from "./outbox.js";

export function registerServiceWorker() {
  if ("serviceWorker" in navigator && config.urls.sw) {
    navigator.serviceWorker.register(config.urls.sw, { scope: "/" }).catch(() => {
      // Without a service worker the app still works while the page is open.
    });
  }
}

startOutbox();
startCapture();
registerServiceWorker();
