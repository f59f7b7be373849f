// The photos step: up to three photos (made smaller, metadata dropped, before they are kept), the
// position a photo carries offered in place of the chosen one, the description and the name.
import { t } from "./config.js";
import { $, element } from "./dom.js";
import { gpsFromFile } from "./exif.js";
import { MAX_PHOTOS, metresBetween, shrink } from "./photos.js";

const MAX_NAME = 120;
const PHOTO_SUGGESTION_MIN_M = 15;

// Methods of the capture flow (mixed into it): `this` is the flow.
export const photosStep = {
  checkPhotosStep() {
    const problems = [];
    if (this.category() === "other" && !$("description").value.trim()) {
      problems.push({ target: "description", error: "description-error", message: t("err_description") });
    }
    const nameValue = $("reporter-name").value.trim();
    if ($("show-name").checked && (!nameValue || nameValue.length > MAX_NAME)) {
      problems.push({ target: "reporter-name", error: "name-error", message: t("err_name") });
    }
    return problems;
  },

  async addPhotos(input) {
    const files = [...(input.files || [])];
    input.value = "";
    $("photos-error").hidden = true;
    for (const file of files) {
      if (this.photos.length >= MAX_PHOTOS) {
        $("photos-error").textContent = t("err_photos_max");
        $("photos-error").hidden = false;
        break;
      }
      try {
        const gps = await gpsFromFile(file).catch(() => null);
        const photo = await shrink(file, this.photos.length);
        photo.url = URL.createObjectURL(photo.blob);
        this.photos.push(photo);
        if (gps && !this.photoGps) this.suggestPhotoPosition(gps);
      } catch {
        $("photo-status").textContent = t("photo_failed");
      }
    }
    this.renderPhotos();
    this.changed();
  },

  suggestPhotoPosition(gps) {
    const distance = this.position ? metresBetween(this.position, gps) : null;
    if (distance !== null && distance < PHOTO_SUGGESTION_MIN_M) return;
    this.photoGps = gps;
    $("photo-gps-text").textContent =
      distance === null ? t("photo_gps_plain") : t("photo_gps", { m: Math.round(distance) });
    $("photo-gps").hidden = false;
  },

  usePhotoPosition() {
    if (this.photoGps) this.setPosition({ ...this.photoGps, accuracy: null, source: "photo" });
    $("photo-gps").hidden = true;
  },

  renderPhotos() {
    $("photo-list").replaceChildren(
      ...this.photos.map((photo, index) => {
        const li = element("li");
        const img = element("img", { src: photo.url, alt: t("photo_alt", { n: index + 1 }) });
        const remove = element("button", { type: "button", class: "button secondary" }, t("photo_remove", { n: index + 1 }));
        remove.addEventListener("click", () => {
          URL.revokeObjectURL(photo.url);
          this.photos.splice(index, 1);
          this.renderPhotos();
          this.changed();
          $("photo-pick").focus();
        });
        li.append(img, remove);
        return li;
      }),
    );
    $("photo-status").textContent = `${t("summary_photos")}: ${this.photos.length} / ${MAX_PHOTOS}`;
  },
};
