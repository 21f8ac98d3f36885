// What every view shares: talking to the server, the error banner, numbers as text.
// The page computes nothing about neurons or networks: the server sends every number.

export class RefusedError extends Error {}

// The server's JSON answer, or a RefusedError carrying its one-line message.
export async function api(url, options = {}) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (exc) {
    throw new RefusedError(`the server did not answer (${exc.message}); is xentlab serve still running?`);
  }
  if (!response.ok) throw new RefusedError(await errorText(response));
  return response.json();
}

// The server's JSON answer, or null once its refusal is shown in the error banner (what a
// view does with a request the server refuses: say why, and draw nothing).
export async function apiOrShow(url) {
  try {
    return await api(url);
  } catch (exc) {
    if (exc instanceof RefusedError) {
      showError(exc.message);
      return null;
    }
    throw exc;
  }
}

// A refused request's message: the server always answers {"error": "..."}.
export async function errorText(response) {
  try {
    const body = await response.json();
    if (body && typeof body.error === "string") return body.error;
  } catch (exc) {
    // not JSON: fall through to the status line
  }
  return `the server answered ${response.status} ${response.statusText}`;
}

const banner = () => document.getElementById("error");

export function showError(message) {
  document.getElementById("error-text").textContent = message;
  banner().hidden = false;
}

export function clearError() {
  banner().hidden = true;
}

// The values of a form's inputs, as typed: the server checks them, not the page.
export function formValues(form) {
  const values = {};
  for (const element of form.elements) {
    if (!element.name || (element.type === "radio" && !element.checked)) continue;
    values[element.name] = element.value;
  }
  return values;
}

// Fill a form's inputs from parameter descriptions ({name: {default, min, max}}).
export function fillDefaults(form, parameters, prefix) {
  for (const [name, description] of Object.entries(parameters)) {
    const input = form.querySelector(`#${prefix}-${name}`);
    if (!input || input.tagName === "SELECT") continue;
    input.value = description.default;
    if (description.max !== undefined && description.max !== null) input.title = `${name}: ${description.open_min ? "more than" : "from"} ${description.min} to ${description.max}`;
  }
}

// One radio per choice the server declares, in a segmented fieldset, the one `checked` checked; a
// choice that names several contenders says which (setup.contender_groups) when pointed at.
export function buildChoices(box, name, choices, groups, checked) {
  for (const value of choices) {
    const title = groups[value] ? { title: `${value}: ${groups[value].join(", ")}` } : {};
    const radio = html("input", { type: "radio", name, value });
    radio.checked = value === checked;
    box.append(html("label", title, [radio, html("span", { text: value })]));
  }
}

// A number for reading: five significant digits, or an exponent when very small or large.
export function fmt(value) {
  if (value === null || value === undefined) return "—";
  if (value === 0) return "0";
  const size = Math.abs(value);
  if (size >= 1e-3 && size < 1e5) return value.toPrecision(5);
  return value.toExponential(2);
}

export function percent(value, digits = 1) {
  return value === null || value === undefined ? "—" : `${(100 * value).toFixed(digits)}%`;
}

// Set an element's text and keep the exact number beside it, for whoever needs it.
export function show(element, value, text = fmt(value)) {
  element.textContent = text;
  element.dataset.value = value === null || value === undefined ? "" : String(value);
}

export function svg(tag, attributes = {}, text) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

export function html(tag, attributes = {}, children = []) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") element.textContent = value;
    else element.setAttribute(key, value);
  }
  for (const child of children) element.append(child);
  return element;
}
