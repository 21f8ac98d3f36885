// The page's entry: read the server's setup (presets, defaults, colours), build the four
// views, and show the one the address names (#neuron, #map, #race, #derivation).

import { api, clearError, showError } from "./common.js";
import { DerivationView } from "./derivation.js";
import { MapView } from "./map.js";
import { NeuronView } from "./neuron.js";
import { RaceView } from "./race.js";

async function main() {
  document.getElementById("error-close").addEventListener("click", clearError);
  let setup;
  try {
    setup = await api("/api/setup");
  } catch (exc) {
    showError(exc.message);
    return;
  }
  const views = { neuron: new NeuronView(setup), map: new MapView(setup), race: new RaceView(setup),
    derivation: new DerivationView(setup) };
  const route = () => {
    const [name, query] = location.hash.slice(1).split("?");
    const current = views[name] ? name : "neuron";
    for (const key of Object.keys(views)) document.getElementById(`view-${key}`).hidden = key !== current;
    for (const link of document.querySelectorAll("nav a")) {
      if (link.dataset.view === current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    views[current].show(new URLSearchParams(query || ""));
  };
  window.addEventListener("hashchange", route);
  route();
  document.body.dataset.ready = "true";
}

main();
