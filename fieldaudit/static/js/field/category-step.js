// The category, severity and details steps: a tile per kind of barrier, the severity (chosen
// beforehand), and the details the category asks for: its measurements (judged against the
// Danish rule as they are typed), the groups it affects (filled in from the category) and tags.
import { config, formatNumber, label, t } from "./config.js";
import { $, element, parseNumber } from "./dom.js";

// Methods of the capture flow (mixed into it): `this` is the flow.
export const categoryStep = {
  value(name) {
    const checked = this.form.querySelector(`input[name="${name}"]:checked`);
    return checked ? checked.value : null;
  },

  checkedValues(name) {
    return [...this.form.querySelectorAll(`input[name="${name}"]:checked`)].map((box) => box.value);
  },

  category() {
    return this.value("category");
  },

  categoryInfo() {
    return config.taxonomy.categories.find((c) => c.code === this.category());
  },

  checkChoice(name, message) {
    if (this.value(name)) return [];
    const first = this.form.querySelector(`input[name="${name}"]`);
    return [{ target: first.id, error: `${name}-error`, message }];
  },

  checkMeasurements() {
    const problems = [];
    for (const measurement of this.categoryInfo()?.measurements || []) {
      const input = $(`m-${measurement.key}`);
      if (!input || !input.value.trim()) continue;
      const value = parseNumber(input.value);
      if (value === null || value < measurement.minimum || value > measurement.maximum) {
        problems.push({
          target: input.id,
          error: `m-${measurement.key}-error`,
          message: t("err_measure", {
            min: formatNumber(measurement.minimum),
            max: formatNumber(measurement.maximum),
            unit: measurement.unit,
          }),
        });
      }
    }
    return problems;
  },

  categoryChosen() {
    const info = this.categoryInfo();
    if (!info) return;
    this.form.querySelectorAll('input[name="groups"]').forEach((box) => {
      box.checked = info.groups.includes(box.value);
    });
    $("tag-list").replaceChildren(
      ...info.tags.map((tag) => {
        const li = element("li");
        const box = element("input", { type: "checkbox", name: "tags", id: `tag-${tag.code}`, value: tag.code });
        li.append(box, element("label", { for: box.id }, label(tag.label)));
        return li;
      }),
    );
    $("measure-fieldset").hidden = info.measurements.length === 0;
    $("measure-list").replaceChildren(...info.measurements.map((m) => this.measurementRow(m)));
  },

  measurementRow(measurement) {
    const id = `m-${measurement.key}`;
    const row = element("div", { class: "form-row measure" });
    const input = element("input", {
      type: "text",
      inputmode: "decimal",
      enterkeyhint: "next",
      id,
      name: id,
      class: "input short",
      autocomplete: "off",
      "aria-describedby": `${id}-verdict`,
    });
    const error = element("p", { id: `${id}-error`, class: "field-error", hidden: "" });
    const verdict = element("p", { id: `${id}-verdict`, class: "verdict", "aria-live": "polite" });
    row.append(element("label", { for: id }, `${label(measurement.label)} (${measurement.unit})`), error, input, verdict);
    input.addEventListener("input", () => this.judge(measurement, input, verdict));
    return row;
  },

  judge(measurement, input, verdict) {
    const value = parseNumber(input.value);
    verdict.classList.remove("broken", "ok");
    if (value === null) {
      verdict.textContent = "";
      return;
    }
    const rule = measurement.threshold;
    if (!rule) {
      verdict.textContent = t("verdict_none");
      return;
    }
    const over = rule.inclusive ? value >= rule.limit : value > rule.limit;
    const under = rule.inclusive ? value <= rule.limit : value < rule.limit;
    const broken = rule.kind === "max" ? over : under;
    const values = { limit: formatNumber(rule.limit), unit: measurement.unit, source: rule.source };
    let text = broken ? t(rule.kind === "max" ? "verdict_max" : "verdict_min", values) : t("verdict_ok", values);
    if (rule.provisional) text += ` ${t("verdict_provisional")}`;
    verdict.textContent = text;
    verdict.classList.add(broken ? "broken" : "ok");
  },

  measurements() {
    const result = {};
    for (const measurement of this.categoryInfo()?.measurements || []) {
      const input = $(`m-${measurement.key}`);
      const value = input ? parseNumber(input.value) : null;
      if (value !== null) result[measurement.key] = { value, unit: measurement.unit };
    }
    return result;
  },
};
