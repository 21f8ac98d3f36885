// The derivation view: the article's algebra, each step checked by SymPy on the server
// (GET /api/derivation). Each equation comes as MathML, which the browser draws itself; this
// script only places the server's elements and words, in the language chosen.

import { apiOrShow, clearError, html } from "./common.js";

// How each language's choice is labelled, in its own words.
const LANGUAGE_NAMES = { en: "English", zh: "中文" };

export class DerivationView {
  constructor(setup) {
    this.state = setup.derivation; // {available, missing}: SymPy, or how to install it
    this.parameters = setup.parameters.derivation;
    this.form = document.getElementById("d-form");
    this.body = document.getElementById("d-body");
    this.shown = null; // the query of the derivations on the page
    this.buildChoices();
    this.form.addEventListener("change", () => this.load());
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.load(); });
  }

  // The same choices as xentlab derive's --lang, --cost and --part: the server declares them.
  buildChoices() {
    const box = document.getElementById("d-lang");
    for (const lang of this.parameters.lang.choices) {
      const input = html("input", { type: "radio", name: "lang", value: lang });
      input.checked = lang === this.parameters.lang.default;
      box.append(html("label", {}, [input, html("span", { text: LANGUAGE_NAMES[lang] || lang })]));
    }
    for (const name of ["cost", "part"]) {
      const select = document.getElementById(`d-${name}`);
      for (const choice of this.parameters[name].choices) {
        const option = html("option", { value: choice, text: choice });
        option.selected = choice === this.parameters[name].default;
        select.append(option);
      }
    }
  }

  show() {
    if (!this.state.available) {
      this.form.hidden = true;
      this.body.replaceChildren(html("p", { class: "placeholder card", id: "d-missing", text: this.state.missing }));
      return;
    }
    if (this.shown === null) this.load();
  }

  async load() {
    clearError();
    const query = new URLSearchParams(new FormData(this.form)).toString();
    this.body.dataset.loaded = "false";
    const answer = await apiOrShow(`/api/derivation?${query}`);
    if (answer === null) return;
    this.shown = query;
    this.render(answer);
    this.body.dataset.loaded = "true";
  }

  render(answer) {
    this.body.lang = answer.lang === "zh" ? "zh-CN" : "en";
    const parts = [html("p", { class: "note", text: answer.intro })];
    for (const derivation of answer.derivations) {
      const card = html("article", { class: "card derivation", "data-verified": String(derivation.verified) });
      card.append(html("h2", { text: derivation.title }));
      card.append(html("p", { text: answer.given }));
      for (const equation of derivation.given) card.append(mathOf(equation));
      const steps = html("ol", { class: "steps" });
      for (const step of derivation.steps) {
        const verdict = html("span", { class: step.verified ? "verdict ok" : "verdict bad", text: step.verdict });
        const item = html("li", { "data-verified": String(step.verified) }, [
          html("p", {}, [`${step.text} `, verdict]),
          mathOf(step.mathml),
        ]);
        steps.append(item);
      }
      card.append(steps, html("p", { class: "note", text: derivation.numeric }));
      parts.push(card);
    }
    this.body.replaceChildren(...parts);
  }
}

// One <math> element from the server's MathML (SymPy's printer, on the server: no user text).
function mathOf(markup) {
  const holder = html("div", { class: "equation" });
  holder.innerHTML = markup;
  return holder;
}
