/// The playground served at GET /: one page in the binary (no CDN, no build step, works offline).
/// It streams completions with `logprobs` (each character tinted by the model's surprise, its
/// alternatives on hover or tap), shows a layer's units over a text from /v1/activations (the
/// neuron view), and the model's card from /v1/models.
enum PlaygroundPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>charnn playground</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; background: #f6f5f2; color: #222; }
  header { background: #23313f; color: #fff; padding: 10px 20px; display: flex; align-items: baseline; gap: 16px; }
  header h1 { font-size: 18px; margin: 0; }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(260px, 1fr); gap: 16px; padding: 16px 20px; }
  section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 12px 14px; margin-bottom: 16px; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  label { font-size: 13px; color: #555; margin-right: 10px; white-space: nowrap; }
  input[type=number] { width: 70px; }
  textarea { width: 100%; box-sizing: border-box; font: 14px/1.4 ui-monospace, monospace; }
  button { font: inherit; padding: 3px 12px; margin-right: 6px; }
  .text { font: 14px/1.6 ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; min-height: 4em;
          border: 1px solid #eee; padding: 8px; background: #fcfcfb; }
  .text span.c { cursor: default; border-radius: 2px; }
  .prime { color: #888; }
  #tooltip { position: fixed; display: none; background: #23313f; color: #fff; padding: 6px 9px; border-radius: 4px;
             font: 12px/1.4 ui-monospace, monospace; pointer-events: none; z-index: 10; white-space: pre; }
  .row { margin: 6px 0; }
  .unit-label { font-size: 12px; color: #666; margin-top: 8px; }
  table.card td { padding: 1px 8px 1px 0; font-size: 13px; }
  table.card td:first-child { color: #666; }
  .legend { font-size: 12px; color: #666; }
  #status { font-size: 13px; color: #666; }
</style>
</head>
<body>
<header><h1>charnn playground</h1><span id="model-name"></span><span id="status"></span></header>
<main>
<div>
  <section>
    <h2>Generate</h2>
    <textarea id="prime" rows="3" placeholder="Prime (empty: start after a line break)">ROMEO:</textarea>
    <div class="row">
      <label>temperature <input id="temperature" type="number" step="0.05" min="0" value="0.8"></label>
      <label>top-p <input id="top-p" type="number" step="0.05" min="0.05" max="1" value="1"></label>
      <label>top-k <input id="top-k" type="number" step="1" min="0" value="0"></label>
      <label>length <input id="length" type="number" step="50" min="1" value="400"></label>
      <label>seed <input id="seed" type="number" step="1" min="0" placeholder="random"></label>
    </div>
    <div class="row"><button id="generate">Generate</button><button id="stop" disabled>Stop</button>
      <span class="legend">Hover or tap a character: the model's alternatives there. Tint: how surprised the model was.</span></div>
    <div id="output" class="text"><span class="prime" id="output-prime"></span><span id="generated"></span></div>
  </section>
  <section>
    <h2>Neurons</h2>
    <textarea id="neuron-text" rows="4" placeholder="Paste text, or use the generated text"></textarea>
    <div class="row">
      <button id="use-generated">Use generated text</button>
      <label>layer <select id="layer"></select></label>
      <label>state <select id="quantity"><option value="hidden">hidden h</option><option value="cell">cell c</option></select></label>
      <label>unit <select id="unit"><option value="top">most active units</option></select></label>
      <button id="trace">Show</button>
    </div>
    <div class="legend">Each character is coloured by the unit's value after reading it: blue negative, red positive.</div>
    <div id="neuron-output"></div>
  </section>
</div>
<div>
  <section><h2>Model</h2><table class="card" id="card"></table></section>
</div>
</main>
<div id="tooltip"></div>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let model = null, controller = null, lastTrace = null;

function escapeChar(c) { return c === "\n" ? "\\n" : c === " " ? "␣" : c === "\t" ? "\\t" : c; }

async function loadCard() {
  const reply = await fetch("/v1/models");
  model = (await reply.json()).data[0];
  $("model-name").textContent = model.id;
  const rows = [["name", model.id], ["cell", model.cell + (model.gru_variant ? " (" + model.gru_variant + ")" : "")],
    ["layers", model.layers], ["hidden", model.hidden], ["parameters", model.parameters.toLocaleString("en")],
    ["vocabulary", model.vocabulary_size + " characters"], ["task", model.task],
    ["training step", model.training_step ?? "—"],
    ["best validation", model.best_validation_bits_per_char != null ? model.best_validation_bits_per_char.toFixed(3) + " bits/char" : "—"]];
  $("card").innerHTML = "";
  for (const [name, value] of rows) {
    const tr = $("card").insertRow();
    tr.insertCell().textContent = name;
    tr.insertCell().textContent = value;
  }
  $("layer").innerHTML = "";
  for (let k = 0; k < model.layers; k++) $("layer").add(new Option("" + k, "" + k));
  $("unit").innerHTML = '<option value="top">most active units</option>';
  for (let u = 0; u < model.hidden; u++) $("unit").add(new Option("" + u, "" + u));
  $("quantity").options[1].disabled = !model.cell_state;
}

function addCharacter(container, character, logprob, alternatives) {
  const span = document.createElement("span");
  span.className = "c";
  span.textContent = character;
  const p = Math.exp(logprob);
  // Surprise in nats, scaled by the surprise of a uniform guess: 0 = certain, 1 = as a blind guess.
  const surprise = Math.min(1, -logprob / Math.log(model.vocabulary_size));
  span.style.background = "rgba(230, 110, 20, " + (0.6 * surprise).toFixed(3) + ")";
  span.dataset.p = p.toFixed(4);
  span.dataset.alternatives = JSON.stringify(alternatives);
  container.appendChild(span);
}

function showTooltip(event) {
  const span = event.target.closest("span.c");
  const tip = $("tooltip");
  if (!span || !span.dataset.alternatives) { tip.style.display = "none"; return; }
  const alternatives = JSON.parse(span.dataset.alternatives);
  let text = "chose " + JSON.stringify(span.textContent) + "  p=" + span.dataset.p + "\n";
  for (const [c, lp] of alternatives) text += escapeChar(c).padEnd(3) + " " + Math.exp(lp).toFixed(4) + "\n";
  tip.textContent = text.trimEnd();
  tip.style.display = "block";
  tip.style.left = Math.min(event.clientX + 12, window.innerWidth - 180) + "px";
  tip.style.top = (event.clientY + 14) + "px";
}

async function generate() {
  const generated = $("generated");
  generated.innerHTML = "";
  $("output-prime").textContent = $("prime").value;
  const body = { prompt: $("prime").value, max_tokens: +$("length").value, temperature: +$("temperature").value,
                 top_p: +$("top-p").value, top_k: +$("top-k").value, stream: true, logprobs: 5 };
  if ($("seed").value !== "") body.seed = +$("seed").value;
  controller = new AbortController();
  $("generate").disabled = true; $("stop").disabled = false; $("status").textContent = "generating…";
  try {
    const reply = await fetch("/v1/completions", { method: "POST", headers: { "Content-Type": "application/json" },
                                                   body: JSON.stringify(body), signal: controller.signal });
    if (!reply.ok) { $("status").textContent = (await reply.json()).error.message; return; }
    const reader = reply.body.getReader(), decoder = new TextDecoder();
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffered.indexOf("\n\n")) >= 0) {
        const event = buffered.slice(0, end); buffered = buffered.slice(end + 2);
        if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
        const choice = JSON.parse(event.slice(6)).choices[0];
        if (!choice || !choice.logprobs) continue;
        const lp = choice.logprobs;
        for (let i = 0; i < lp.tokens.length; i++) {
          const alternatives = Object.entries(lp.top_logprobs[i]).sort((a, b) => b[1] - a[1]);
          addCharacter(generated, lp.tokens[i], lp.token_logprobs[i], alternatives);
        }
      }
    }
    $("status").textContent = "done";
  } catch (error) {
    $("status").textContent = error.name === "AbortError" ? "stopped" : "error: " + error.message;
  } finally {
    $("generate").disabled = false; $("stop").disabled = true; controller = null;
  }
}

function colourFor(value, scale) {
  const x = Math.max(-1, Math.min(1, value / scale));
  return x >= 0 ? "rgba(220, 40, 40, " + (0.85 * x).toFixed(3) + ")" : "rgba(40, 90, 220, " + (-0.85 * x).toFixed(3) + ")";
}

function renderUnit(trace, unit) {
  const block = document.createElement("div");
  const label = document.createElement("div");
  label.className = "unit-label";
  label.textContent = "layer " + trace.layer + ", unit " + unit + " (" + trace.quantity + ")";
  const text = document.createElement("div");
  text.className = "text neuron";
  let scale = 1;
  if (trace.quantity === "cell") {
    scale = 0;
    for (let i = 0; i < trace.n; i++) scale = Math.max(scale, Math.abs(trace.values[i * trace.units + unit]));
    scale = scale || 1;
  }
  for (let i = 0; i < trace.n; i++) {
    const span = document.createElement("span");
    const value = trace.values[i * trace.units + unit];
    span.textContent = trace.characters[i];
    span.title = value.toFixed(3);
    span.style.background = colourFor(value, scale);
    text.appendChild(span);
  }
  block.append(label, text);
  return block;
}

async function trace() {
  const body = { text: $("neuron-text").value, layer: +$("layer").value, quantity: $("quantity").value, skip_unknown: true };
  const reply = await fetch("/v1/activations", { method: "POST", headers: { "Content-Type": "application/json" },
                                                 body: JSON.stringify(body) });
  const result = await reply.json();
  const out = $("neuron-output");
  out.innerHTML = "";
  if (!reply.ok) { out.textContent = result.error.message; return; }
  const bytes = Uint8Array.from(atob(result.data), (c) => c.charCodeAt(0));
  const values = new Float32Array(bytes.buffer);  // little-endian, as every browser's platform is
  lastTrace = { layer: result.layer, quantity: result.quantity, units: result.units, n: result.shape[0],
                characters: result.characters, values };
  const units = $("unit").value === "top" ? result.most_active_units.slice(0, 6) : [+$("unit").value];
  for (const unit of units) out.appendChild(renderUnit(lastTrace, unit));
  $("status").textContent = "neurons shown";
}

$("generate").onclick = generate;
$("stop").onclick = () => controller && controller.abort();
$("use-generated").onclick = () => { $("neuron-text").value = $("output-prime").textContent + $("generated").textContent; };
$("trace").onclick = trace;
$("generated").addEventListener("mousemove", showTooltip);
$("generated").addEventListener("click", showTooltip);
$("generated").addEventListener("mouseleave", () => { $("tooltip").style.display = "none"; });
loadCard();
</script>
</body>
</html>

"""#
}
