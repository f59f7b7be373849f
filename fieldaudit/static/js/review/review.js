// The review pages: move focus to an error summary, or else to the confirmation of the last
// action (shown where the eye is, beside the decisions); draw the small maps with markers
// numbered as in the lists beside them; and let a mouse or touch user drag the rectangle to
// black out on a photo (the number fields stay the way to do it with a keyboard).
import { drawReviewMap } from "./review-map.js";

const summary = document.querySelector(".error-summary[data-autofocus]");
const confirmation = document.querySelector(".flashes .flash");
if (summary) {
  summary.focus();
} else if (confirmation) {
  confirmation.tabIndex = -1;
  confirmation.focus({ preventScroll: true });
  confirmation.scrollIntoView({ block: "nearest" });
}

for (const element of document.querySelectorAll(".review-map")) {
  const data = document.getElementById(element.dataset.mapData);
  if (data) {
    drawReviewMap(element, JSON.parse(data.textContent)).then(
      () => {
        element.dataset.ready = "true";
      },
      (error) => {
        element.dataset.error = String(error);
      },
    );
  }
}

function percent(value) {
  return Math.max(0, Math.min(100, Math.round(value * 1000) / 10));
}

for (const figure of document.querySelectorAll(".redact-figure")) {
  const form = document.getElementById(figure.dataset.redactForm);
  const image = figure.querySelector("img");
  if (!form || !image) continue;
  const marker = document.createElement("div");
  marker.className = "redact-marker";
  marker.hidden = true;
  figure.append(marker);
  let start = null;

  const point = (event) => {
    const box = image.getBoundingClientRect();
    return {
      x: Math.max(0, Math.min(1, (event.clientX - box.left) / box.width)),
      y: Math.max(0, Math.min(1, (event.clientY - box.top) / box.height)),
    };
  };
  const show = (a, b) => {
    const left = Math.min(a.x, b.x);
    const top = Math.min(a.y, b.y);
    const width = Math.abs(a.x - b.x);
    const height = Math.abs(a.y - b.y);
    marker.hidden = false;
    marker.style.left = `${left * 100}%`;
    marker.style.top = `${top * 100}%`;
    marker.style.width = `${width * 100}%`;
    marker.style.height = `${height * 100}%`;
    return { left, top, width, height };
  };
  image.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    start = point(event);
    image.setPointerCapture(event.pointerId);
  });
  image.addEventListener("pointermove", (event) => {
    if (start) show(start, point(event));
  });
  image.addEventListener("pointerup", (event) => {
    if (!start) return;
    const box = show(start, point(event));
    start = null;
    if (box.width < 0.005 || box.height < 0.005) return;
    for (const [name, value] of Object.entries(box)) {
      const input = form.querySelector(`input[name$="-${name}"]`);
      if (input) input.value = String(percent(value));
    }
  });
}
