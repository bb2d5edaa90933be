// minigrad playground: the page. It holds no math of its own: the server trains with minigrad
// and sends frames; this script builds the controls from the server's schema, sends the setup
// (the server checks every value), and draws what the frames say on plain canvases.
"use strict";

(() => {
  const LANE_COLORS = ["#1f6fb4", "#e0701a"];
  const CLASS_COLORS = ["#f08a24", "#2b7bba", "#3a9a4a", "#c23b6e", "#7b5cc4", "#8c6d31", "#17a2b8",
                        "#d4b106", "#6c757d", "#e35d5d"];
  const LAYER_COLORS = ["#3b6fb6", "#d1495b", "#2e9e6b", "#edae49", "#7d5ba6", "#4b4b4b", "#00a6a6"];
  const BOUNDARY_SIZE = 300;
  const RENDER_INTERVAL_MS = 200;
  const FIRST_MOMENTS = ["exp_avg", "momentum_buffer", "grad_avg"];
  const SECOND_MOMENTS = ["exp_avg_sq", "max_exp_avg_sq", "square_avg", "sum"];

  const state = {
    schema: null,        // fields, limits, defaults (GET /api/schema)
    runId: null,
    source: null,        // the EventSource of this page's run
    run: null,           // the run's generation shown
    meta: null,          // step, playing, speed, note, ... of the latest frame
    data: null,          // the points (train and test)
    lanes: [],           // per lane: label, records, boundary, diverged, ...
    frames: 0,           // frames applied (tests wait on it)
    renderQueued: false,
    lastRender: 0,
    sendTimer: null,
    sending: false,      // a setup request is on its way
    resend: false,       // and the form changed since
    edited: false,       // the form changed since the last setup was read from it
    reconnected: -Infinity,  // when the page last started a new run after losing its own
    errorSource: null,   // what the error banner is about (see showError)
  };

  const $ = (id) => document.getElementById(id);

  // ---- talking to the server ---------------------------------------------------------------
  async function api(method, path, body) {
    const options = { method, headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    let payload = null;
    try { payload = await response.json(); } catch (_) { payload = null; }
    if (!response.ok) {
      const error = new Error(payload && payload.error ? payload.error : `${response.status} ${response.statusText}`);
      error.status = response.status;
      error.field = payload ? payload.field : "";
      throw error;
    }
    return payload;
  }

  // The banner shows the latest problem; `source` ("link", "setup", "command", "connection")
  // says what may clear it: a command that works clears a command's error, not a link's.
  function showError(message, field, source = "setup") {
    state.errorSource = message ? source : null;
    $("error").textContent = message || "";
    document.querySelectorAll(".invalid").forEach((el) => el.classList.remove("invalid"));
    if (field) {
      const input = $(inputId(field));
      if (input) input.classList.add("invalid");
    }
  }

  function clearError(...sources) {
    if (sources.includes(state.errorSource)) showError("");
  }

  async function command(name, body) {
    if (!state.runId) return;
    try {
      await api("POST", `/api/runs/${state.runId}/${name}`, body);
      clearError("command");
    } catch (error) {
      showError(error.message, error.field, "command");
      if (error.status === 404) reconnect();
    }
  }

  // ---- controls ----------------------------------------------------------------------------
  const GROUPS = {
    dataset: "data", points: "data", noise: "data", split: "data", seed: "data",
    hidden: "model", activation: "model", dropout: "model", batch: "model",
    speed: "run", watch: "run",
  };

  function inputId(key) { return "f-" + key.replace(".", "-"); }

  function fieldByName(name) { return state.schema.fields.find((f) => f.name === name); }

  function buildControls() {
    for (const field of state.schema.fields) {
      if (field.lane) {
        addControl($("lane-a-controls"), field, "");
        addControl($("lane-b-controls"), field, state.schema.race_prefix);
      } else {
        addControl($(`${GROUPS[field.name]}-controls`), field, "");
      }
    }
    $("race").addEventListener("change", () => { updateVisibility(); sendSoon(); });
  }

  function addControl(container, field, prefix) {
    const key = prefix + field.name;
    const label = document.createElement("label");
    label.className = "field" + (field.kind === "bool" ? " check" : "");
    label.dataset.field = field.name;
    label.dataset.prefix = prefix;
    label.title = field.help || "";
    const text = document.createElement("span");
    text.textContent = field.label;
    label.appendChild(text);
    let input;
    if (field.kind === "choice") {
      input = document.createElement("select");
      for (const choice of field.choices) {
        const option = document.createElement("option");
        option.value = choice;
        option.textContent = state.schema.display_names[choice] || choice;
        input.appendChild(option);
      }
    } else {
      input = document.createElement("input");
      if (field.kind === "bool") {
        input.type = "checkbox";
      } else {
        // Text, not type=number: a number input would silently drop what it cannot parse,
        // and the server's message about it would never be seen.
        input.type = "text";
        input.inputMode = field.kind === "ints" || field.kind === "weight" ? "text" : "decimal";
        input.spellcheck = false;
      }
    }
    input.id = inputId(key);
    input.name = key;
    input.dataset.field = field.name;
    input.dataset.prefix = prefix;
    input.addEventListener("change", () => onControlChange(field, prefix));
    if (input.type === "text") input.addEventListener("keydown", (e) => { if (e.key === "Enter") onControlChange(field, prefix); });
    label.appendChild(input);
    container.appendChild(label);
  }

  function onControlChange(field, prefix) {
    if (field.name === "opt") setLaneDefaults(prefix);   // each optimizer has its own defaults (lr, eps, ...)
    updateVisibility();
    sendSoon();
  }

  function defaultFor(field, optimizer) {
    const value = field.default;
    if (value !== null && typeof value === "object") return optimizer in value ? value[optimizer] : value["*"];
    return value;
  }

  function setInput(key, value) {
    const input = $(inputId(key));
    if (!input) return false;
    if (input.type === "checkbox") input.checked = value === true || value === "1" || value === "true";
    else input.value = String(value);
    return true;
  }

  function setLaneDefaults(prefix) {
    const optimizer = $(inputId(prefix + "opt")).value;
    for (const field of state.schema.fields) {
      if (field.lane && field.name !== "opt") setInput(prefix + field.name, defaultFor(field, optimizer));
    }
  }

  function laneContext(prefix) {
    return {
      opt: $(inputId(prefix + "opt")).value,
      schedule: $(inputId(prefix + "schedule")).value,
      dataset: $(inputId("dataset")).value,
    };
  }

  function applies(field, context) {
    return (!field.optimizers || field.optimizers.includes(context.opt))
      && (!field.schedules || field.schedules.includes(context.schedule))
      && (!field.datasets || field.datasets.includes(context.dataset));
  }

  function updateVisibility() {
    const race = $("race").checked;
    $("lane-b-controls").hidden = !race;
    document.querySelectorAll("label.field").forEach((label) => {
      const field = fieldByName(label.dataset.field);
      label.hidden = !applies(field, laneContext(label.dataset.prefix || ""));
    });
  }

  // The setup as the form shows it: every visible field, as typed (the server checks it).
  function readForm() {
    const setup = {};
    const race = $("race").checked;
    document.querySelectorAll("label.field").forEach((label) => {
      if (label.hidden) return;
      const prefix = label.dataset.prefix;
      if (prefix && !race) return;
      const input = label.querySelector("input, select");
      setup[input.name] = input.type === "checkbox" ? (input.checked ? "1" : "0") : input.value;
    });
    return setup;
  }

  function fillForm(setup) {
    const prefix = state.schema.race_prefix;
    const race = Object.keys(setup).some((key) => key.startsWith(prefix));
    $("race").checked = race;
    setInput("opt", setup.opt || "adam");
    setLaneDefaults("");
    if (race) {
      setInput(prefix + "opt", setup[prefix + "opt"] || "momentum");
      setLaneDefaults(prefix);
    }
    for (const [key, value] of Object.entries(setup)) setInput(key, value);
    updateVisibility();
  }

  function sendSoon() {
    state.edited = true;
    clearTimeout(state.sendTimer);
    state.sendTimer = setTimeout(sendSetup, 120);
  }

  // One setup request at a time, so the server applies them in the order they were made; an
  // edit made meanwhile is sent when the answer is in, and that answer does not overwrite it.
  async function sendSetup() {
    if (!state.runId) return;
    if (state.sending) { state.resend = true; return; }
    state.sending = true;
    try {
      const setup = readForm();
      state.edited = false;
      const answer = await api("POST", `/api/runs/${state.runId}/config`, setup);
      clearError("setup", "link", "command");
      applyFrame(answer.frame, !state.edited && !state.resend);
    } catch (error) {
      showError(error.message, error.field);   // the run goes on with its previous setup
      if (error.status === 404) reconnect();
    } finally {
      state.sending = false;
      if (state.resend) { state.resend = false; sendSetup(); }
    }
  }

  // ---- the run and its stream ---------------------------------------------------------------
  function queryObject() {
    const setup = {};
    for (const [key, value] of new URLSearchParams(location.search)) setup[key] = value;
    return setup;
  }

  // A new run for this page. A link whose setup is refused still gives a working page: each
  // field the server names is dropped (it takes its default) and the message stays shown.
  async function createRun(setup) {
    const refused = [];
    for (let attempt = 0; attempt < 40; attempt++) {
      try {
        const answer = await api("POST", "/api/runs", setup);
        showError(refused.length ? `This link's setup was not accepted:\n${refused.join("\n")}\n`
          + "The defaults are used instead for those fields." : "", "", "link");
        return answer;
      } catch (error) {
        if (error.status !== 400) throw error;
        refused.push(error.message);
        if (error.field && error.field in setup) delete setup[error.field];
        else setup = {};
      }
    }
    throw new Error("no setup was accepted");
  }

  async function start(setup) {
    try {
      const answer = await createRun(setup);
      state.runId = answer.id;
      $("csv").href = `/api/runs/${state.runId}/curves.csv`;
      applyFrame(answer.frame, true);
      openStream();
    } catch (error) {
      showError(`The playground could not start a run: ${error.message}`);
      $("status").textContent = "no run";
    }
  }

  function openStream() {
    if (state.source) state.source.close();
    const source = new EventSource(`/api/runs/${state.runId}/events`);
    source.addEventListener("frame", (event) => applyFrame(JSON.parse(event.data)));
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) return;   // the browser retries by itself
      // The server no longer has this run (restarted, or the run was dropped): start a new one
      // with the form's setup, at most once every ten seconds.
      if (performance.now() - state.reconnected > 10000) {
        state.reconnected = performance.now();
        reconnect();
      } else {
        showError("The connection to the playground server was lost; reload the page to start again.", "",
          "connection");
      }
    };
    state.source = source;
  }

  async function reconnect() {
    // The server dropped this page's run (restarted, or idle too long): start a new one.
    if (state.source) state.source.close();
    state.runId = null;
    await start(readForm());
  }

  async function requestFull() {
    try { applyFrame(await api("GET", `/api/runs/${state.runId}/frame`)); } catch (error) { showError(error.message); }
  }

  // A full frame replaces what the page shows; another appends to it. The form is filled from
  // a frame only when asked (a run's start, the answer to the latest setup): the form is the
  // user's, and frames from the stream may be older than what was just typed.
  function applyFrame(frame, fillTheForm = false) {
    if (frame.full) {
      state.run = frame.run;
      state.data = frame.data;
      state.lanes = frame.lanes.map((lane) => ({ ...lane, records: lane.records.slice() }));
      if (fillTheForm) fillForm(frame.config);
      history.replaceState(null, "", "?" + frame.query);
      buildLanePanels();
    } else {
      if (frame.run !== state.run || frame.lanes.length !== state.lanes.length) return requestFull();
      for (let i = 0; i < frame.lanes.length; i++) {
        const incoming = frame.lanes[i];
        const lane = state.lanes[i];
        if (incoming.records_from !== lane.records.length) return requestFull();
        const records = lane.records.concat(incoming.records);
        Object.assign(lane, incoming, { records });
      }
      if (frame.query) history.replaceState(null, "", "?" + frame.query);
    }
    state.meta = frame;
    state.frames += 1;
    queueRender();
  }

  // ---- drawing -----------------------------------------------------------------------------
  // At most five drawings a second, whatever the frame rate: drawing every chart costs some
  // milliseconds, and a busy tab must stay responsive.
  function queueRender() {
    if (state.renderQueued) return;
    state.renderQueued = true;
    const wait = Math.max(0, state.lastRender + RENDER_INTERVAL_MS - performance.now());
    setTimeout(() => requestAnimationFrame(() => {
      state.renderQueued = false;
      state.lastRender = performance.now();
      render();
    }), wait);
  }

  function buildLanePanels() {
    const boundaries = $("boundaries");
    const insides = $("insides");
    if (boundaries.children.length === state.lanes.length) return;
    boundaries.textContent = "";
    insides.textContent = "";
    state.lanes.forEach((_, i) => {
      const tag = "ab"[i];
      const panel = document.createElement("div");
      panel.className = `boundary-panel lane-${tag}`;
      panel.id = `lane-${tag}`;
      panel.innerHTML = `<h2 id="lane-${tag}-label"></h2>
        <canvas id="boundary-${tag}" class="boundary" width="${BOUNDARY_SIZE}" height="${BOUNDARY_SIZE}"></canvas>
        <div class="numbers" id="numbers-${tag}"></div>
        <div class="legend" id="legend-${tag}"></div>
        <div class="diverged" id="diverged-${tag}" role="status"></div>`;
      boundaries.appendChild(panel);
      const inside = document.createElement("div");
      inside.className = `inside-panel lane-${tag}`;
      inside.innerHTML = `<h2 id="inside-${tag}-label"></h2><div class="charts">
        <figure><figcaption>Gradient norm per layer (log)</figcaption><canvas id="grad-${tag}" width="300" height="150"></canvas></figure>
        <figure><figcaption>|update| / |weight| per layer (log)</figcaption><canvas id="ratio-${tag}" width="300" height="150"></canvas></figure>
        <figure><figcaption id="weight-caption-${tag}">Watched weight</figcaption><canvas id="weight-${tag}" width="300" height="150"></canvas></figure>
        <figure><figcaption>Step applied vs plain SGD's −lr·g</figcaption><canvas id="update-${tag}" width="300" height="150"></canvas></figure>
        <figure><figcaption>First moment (m, velocity) and gradient</figcaption><canvas id="moment1-${tag}" width="300" height="150"></canvas></figure>
        <figure><figcaption>Second moment (v, s; log)</figcaption><canvas id="moment2-${tag}" width="300" height="150"></canvas></figure>
        </div><table class="weight" id="weight-table-${tag}"></table>`;
      insides.appendChild(inside);
    });
  }

  function render() {
    const meta = state.meta;
    if (!meta) return;
    const first = state.lanes[0];
    const epochs = state.lanes.map((lane) => lane.epoch);
    $("status").textContent = `step ${meta.step} · epoch ${Math.max(...epochs)} (${first.steps_per_epoch} steps each) · `
      + (meta.playing ? "playing" : "paused") + (meta.note ? ` · ${meta.note}` : "");
    $("play").textContent = meta.playing ? "Pause" : "Play";
    state.lanes.forEach((lane, i) => renderLane(lane, i));
    renderCurves();
  }

  function latest(lane) { return lane.records[lane.records.length - 1]; }

  function fmt(value, digits = 3) {
    if (value === null || value === undefined) return "–";
    if (value === 0) return "0";
    const size = Math.abs(value);
    return size >= 1e4 || size < 1e-3 ? value.toExponential(digits - 1) : value.toPrecision(digits);
  }

  function renderLane(lane, i) {
    const tag = "ab"[i];
    $(`lane-${tag}-label`).textContent = `${"AB"[i]}: ${lane.label}`;
    $(`inside-${tag}-label`).textContent = `Inside ${lane.label}`;
    const last = latest(lane);
    $(`numbers-${tag}`).textContent = `train loss ${fmt(last.train_loss)} · test loss ${fmt(last.test_loss)} · `
      + `test acc ${fmt(last.test_accuracy)} · lr ${fmt(lane.lr)}`;
    $(`legend-${tag}`).innerHTML = state.data.class_names.map((name, c) =>
      `<i style="background:${CLASS_COLORS[c % CLASS_COLORS.length]}"></i>${escapeHtml(name)}`).join("")
      + " · dots: train, ringed: test";
    const box = $(`diverged-${tag}`);
    box.textContent = lane.diverged
      ? `Diverged at step ${lane.diverged.step} (epoch ${lane.diverged.epoch}): ${lane.diverged.message}\n`
        + `Where: ${lane.diverged.detail}.`
      : "";
    drawBoundary($(`boundary-${tag}`), lane);
    renderInside(lane, tag);
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  }

  function hexToRgb(hex) {
    const n = parseInt(hex.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }

  function drawBoundary(canvas, lane) {
    const ctx = canvas.getContext("2d");
    const data = state.data;
    const n = data.grid;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (lane.boundary) {
      const bytes = Uint8Array.from(atob(lane.boundary), (c) => c.charCodeAt(0));
      const image = new ImageData(n, n);
      const k = Math.max(data.class_names.length, 2);
      for (let cell = 0; cell < n * n; cell++) {
        const cls = bytes[2 * cell];
        const confidence = bytes[2 * cell + 1] / 255;
        // White where the model is undecided (1/k), the class colour where it is sure.
        const strength = Math.max(0, (confidence - 1 / k) / (1 - 1 / k)) * 0.75;
        const rgb = hexToRgb(CLASS_COLORS[cls % CLASS_COLORS.length]);
        for (let ch = 0; ch < 3; ch++) image.data[4 * cell + ch] = Math.round(255 + (rgb[ch] - 255) * strength);
        image.data[4 * cell + 3] = 255;
      }
      const small = document.createElement("canvas");
      small.width = n;
      small.height = n;
      small.getContext("2d").putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
    }
    const [xmin, xmax, ymin, ymax] = data.bounds;
    const px = (x) => ((x - xmin) / (xmax - xmin)) * canvas.width;
    const py = (y) => ((ymax - y) / (ymax - ymin)) * canvas.height;
    for (const [part, edge] of [["train", "#ffffff"], ["test", "#1d2330"]]) {
      const points = data[part];
      for (let j = 0; j < points.x.length; j++) {
        ctx.beginPath();
        ctx.arc(px(points.x[j]), py(points.y[j]), 3.2, 0, 2 * Math.PI);
        ctx.fillStyle = CLASS_COLORS[points.label[j] % CLASS_COLORS.length];
        ctx.fill();
        ctx.lineWidth = part === "test" ? 1.4 : 1;
        ctx.strokeStyle = edge;
        ctx.stroke();
      }
    }
    if (lane.diverged) {
      ctx.fillStyle = "rgba(179, 38, 30, 0.85)";
      ctx.fillRect(0, canvas.height / 2 - 16, canvas.width, 32);
      ctx.fillStyle = "#fff";
      ctx.font = "bold 15px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.fillText(`diverged at step ${lane.diverged.step}`, canvas.width / 2, canvas.height / 2 + 5);
      ctx.textAlign = "left";
    }
  }

  function column(records, pick) { return records.map((r) => { const v = pick(r); return v === undefined ? null : v; }); }

  function divergenceMarkers() {
    return state.lanes.filter((lane) => lane.diverged)
      .map((lane) => ({ x: lane.diverged.step, color: "#b3261e", label: `${lane.label} diverged` }));
  }

  function renderCurves() {
    const loss = [];
    const accuracy = [];
    state.lanes.forEach((lane, i) => {
      const steps = column(lane.records, (r) => r.step);
      const name = "AB"[i];
      loss.push({ xs: steps, ys: column(lane.records, (r) => r.train_loss), color: LANE_COLORS[i], label: `${name} train` });
      loss.push({ xs: steps, ys: column(lane.records, (r) => r.test_loss), color: LANE_COLORS[i], dash: [5, 3], label: `${name} test` });
      accuracy.push({ xs: steps, ys: column(lane.records, (r) => r.train_accuracy), color: LANE_COLORS[i], label: `${name} train` });
      accuracy.push({ xs: steps, ys: column(lane.records, (r) => r.test_accuracy), color: LANE_COLORS[i], dash: [5, 3], label: `${name} test` });
    });
    const markers = divergenceMarkers();
    drawChart($("loss-chart"), { series: loss, markers, log: true });
    drawChart($("accuracy-chart"), { series: accuracy, markers, yMin: 0, yMax: 1 });
  }

  function renderInside(lane, tag) {
    const records = lane.records.filter((r) => r.grad_norm);
    const steps = column(records, (r) => r.step);
    const layerSeries = (key) => lane.layer_names.map((name, j) => ({
      xs: steps, ys: column(records, (r) => r[key][j]), color: LAYER_COLORS[j % LAYER_COLORS.length], label: `${name}.weight`,
    }));
    drawChart($(`grad-${tag}`), { series: layerSeries("grad_norm"), log: true });
    drawChart($(`ratio-${tag}`), { series: layerSeries("update_ratio"), log: true,
      hline: { y: 1e-3, label: "1e-3" } });

    const watch = state.meta.watch;
    const watched = lane.records.filter((r) => r.weight && r.weight.id === watch);
    const ws = column(watched, (r) => r.step);
    const [layer, row, col] = watch.split(":");
    $(`weight-caption-${tag}`).textContent = `Watched weight ${lane.layer_names[layer]}.weight[${row}, ${col}]`;
    drawChart($(`weight-${tag}`), { series: [{ xs: ws, ys: column(watched, (r) => r.weight.value), color: LANE_COLORS["ab".indexOf(tag)], label: "value" }] });
    const withStep = watched.filter((r) => r.weight.update !== null);
    const us = column(withStep, (r) => r.step);
    const lrs = withStep.map((r) => r.lr);
    drawChart($(`update-${tag}`), { series: [
      { xs: us, ys: column(withStep, (r) => r.weight.update), color: LANE_COLORS["ab".indexOf(tag)], label: "update" },
      { xs: us, ys: withStep.map((r, j) => (r.weight.grad === null ? null : -lrs[j] * r.weight.grad)), color: "#888", dash: [4, 3], label: "−lr·g" },
    ] });
    const names = lane.state_names;
    const stateKeys = new Set();
    watched.forEach((r) => Object.keys(r.weight.state).forEach((k) => stateKeys.add(k)));
    const firsts = [{ xs: ws, ys: column(watched, (r) => r.weight.grad), color: "#888", dash: [4, 3], label: "g" }];
    const seconds = [];
    [...stateKeys].forEach((key, j) => {
      const series = { xs: ws, ys: column(watched, (r) => r.weight.state[key]), color: LAYER_COLORS[j % LAYER_COLORS.length],
        label: `${names[key] || key} (${key})` };
      if (SECOND_MOMENTS.includes(key)) seconds.push(series);
      else if (FIRST_MOMENTS.includes(key)) firsts.push(series);
    });
    drawChart($(`moment1-${tag}`), { series: firsts });
    drawChart($(`moment2-${tag}`), { series: seconds, log: true, empty: "this optimizer keeps no second moment" });

    const last = watched[watched.length - 1];
    const rows = [];
    if (last) {
      const w = last.weight;
      rows.push(["step", last.step], ["value", fmt(w.value, 5)], ["gradient g", fmt(w.grad, 4)],
        ["update applied", fmt(w.update, 4)], ["effective lr (−update / g)", fmt(w.effective_lr, 4)]);
      for (const [key, value] of Object.entries(w.state)) rows.push([`${names[key] || key} (${key})`, fmt(value, 4)]);
    }
    $(`weight-table-${tag}`).innerHTML = rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("");
  }

  // A line chart on a canvas: series of (x, y) with nulls as gaps, optional log y axis,
  // vertical markers (divergence) and a horizontal reference line.
  function drawChart(canvas, options) {
    const ctx = canvas.getContext("2d");
    const W = canvas.width, H = canvas.height;
    const left = 46, right = 8, top = 8, bottom = 20;
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, W, H);
    const log = !!options.log;
    const ok = (y) => y !== null && Number.isFinite(y) && (!log || y > 0);
    let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
    for (const s of options.series) {
      s.xs.forEach((x, i) => {
        if (!ok(s.ys[i])) return;
        const y = log ? Math.log10(s.ys[i]) : s.ys[i];
        xmin = Math.min(xmin, x); xmax = Math.max(xmax, x); ymin = Math.min(ymin, y); ymax = Math.max(ymax, y);
      });
    }
    for (const m of options.markers || []) { xmin = Math.min(xmin, m.x); xmax = Math.max(xmax, m.x); }
    ctx.font = "10px system-ui, sans-serif";
    if (!Number.isFinite(xmin)) {
      ctx.fillStyle = "#8a909c";
      ctx.fillText(options.empty || "no data yet", left, H / 2);
      return;
    }
    if (options.yMin !== undefined) ymin = Math.min(ymin, options.yMin);
    if (options.yMax !== undefined) ymax = Math.max(ymax, options.yMax);
    if (options.hline && ok(options.hline.y)) {
      const hy = log ? Math.log10(options.hline.y) : options.hline.y;
      ymin = Math.min(ymin, hy); ymax = Math.max(ymax, hy);
    }
    if (xmax === xmin) xmax = xmin + 1;
    if (ymax - ymin < 1e-12) { const pad = Math.abs(ymax) * 0.1 || 0.5; ymin -= pad; ymax += pad; }
    const span = ymax - ymin;
    ymin -= span * 0.05; ymax += span * 0.05;
    const X = (x) => left + ((x - xmin) / (xmax - xmin)) * (W - left - right);
    const Y = (y) => top + ((ymax - y) / (ymax - ymin)) * (H - top - bottom);
    // axes and ticks
    ctx.strokeStyle = "#c9ced6"; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(left, top); ctx.lineTo(left, H - bottom); ctx.lineTo(W - right, H - bottom); ctx.stroke();
    ctx.fillStyle = "#5f6776"; ctx.textAlign = "right";
    for (const y of yTicks(ymin, ymax, log)) {
      ctx.fillText(log ? fmt(10 ** y, 2) : fmt(y, 3), left - 3, Y(y) + 3);
      ctx.strokeStyle = "#eef0f3"; ctx.beginPath(); ctx.moveTo(left + 1, Y(y)); ctx.lineTo(W - right, Y(y)); ctx.stroke();
    }
    ctx.textAlign = "center";
    for (const x of niceTicks(xmin, xmax, 5)) ctx.fillText(String(x), X(x), H - 6);
    ctx.textAlign = "left";
    if (options.hline && ok(options.hline.y)) {
      const hy = Y(log ? Math.log10(options.hline.y) : options.hline.y);
      ctx.setLineDash([2, 3]); ctx.strokeStyle = "#999";
      ctx.beginPath(); ctx.moveTo(left, hy); ctx.lineTo(W - right, hy); ctx.stroke(); ctx.setLineDash([]);
      ctx.fillStyle = "#777"; ctx.fillText(options.hline.label, W - right - 26, hy - 3);
    }
    for (const m of options.markers || []) {
      ctx.strokeStyle = m.color; ctx.setLineDash([3, 2]);
      ctx.beginPath(); ctx.moveTo(X(m.x), top); ctx.lineTo(X(m.x), H - bottom); ctx.stroke(); ctx.setLineDash([]);
    }
    // series
    for (const s of options.series) {
      ctx.strokeStyle = s.color; ctx.lineWidth = 1.5; ctx.setLineDash(s.dash || []);
      ctx.beginPath();
      let drawing = false;
      s.xs.forEach((x, i) => {
        if (!ok(s.ys[i])) { drawing = false; return; }
        const y = Y(log ? Math.log10(s.ys[i]) : s.ys[i]);
        if (drawing) ctx.lineTo(X(x), y); else ctx.moveTo(X(x), y);
        drawing = true;
      });
      ctx.stroke();
    }
    ctx.setLineDash([]);
    // legend
    let lx = left + 6;
    for (const s of options.series) {
      if (!s.label) continue;
      ctx.strokeStyle = s.color; ctx.setLineDash(s.dash || []); ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(lx, top + 6); ctx.lineTo(lx + 12, top + 6); ctx.stroke(); ctx.setLineDash([]);
      ctx.fillStyle = "#3a4150"; ctx.fillText(s.label, lx + 15, top + 9);
      lx += 22 + ctx.measureText(s.label).width;
    }
  }

  // Round tick values: multiples of 1, 2 or 5 times a power of ten, about `count` of them.
  function niceTicks(low, high, count) {
    const raw = (high - low) / count;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || 10 * power;
    const ticks = [];
    for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push(+t.toPrecision(12));
    return ticks;
  }

  // On a log axis (values are log10), whole powers of ten when the range spans a few of them,
  // else round values inside it.
  function yTicks(low, high, log) {
    if (!log) return niceTicks(low, high, 4);
    if (high - low >= 4) return niceTicks(low, high, 4).filter((t) => Number.isInteger(t));
    const ticks = [];
    for (let d = Math.floor(low); d <= Math.ceil(high); d++) {
      for (const m of high - low >= 2 ? [1] : [1, 2, 5]) {
        const t = Math.log10(m) + d;
        if (t >= low && t <= high) ticks.push(t);
      }
    }
    return ticks.length >= 2 ? ticks : niceTicks(10 ** low, 10 ** high, 3).filter((t) => t > 0).map(Math.log10);
  }

  // ---- exports -----------------------------------------------------------------------------
  function boundaryPNG() {
    const panels = state.lanes.map((_, i) => $(`boundary-${"ab"[i]}`));
    const label = 22;
    const out = document.createElement("canvas");
    out.width = panels.length * BOUNDARY_SIZE + (panels.length - 1) * 10;
    out.height = BOUNDARY_SIZE + label;
    const ctx = out.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.font = "bold 13px system-ui, sans-serif";
    panels.forEach((canvas, i) => {
      const x = i * (BOUNDARY_SIZE + 10);
      ctx.fillStyle = LANE_COLORS[i];
      ctx.fillText(`${"AB"[i]}: ${state.lanes[i].label}, step ${state.meta.step}`, x + 2, 15);
      ctx.drawImage(canvas, x, label);
    });
    return out.toDataURL("image/png");
  }

  function download(url, name) {
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  async function share() {
    const box = $("share-url");
    box.hidden = false;
    box.value = location.href;
    box.select();
    try { await navigator.clipboard.writeText(location.href); $("status").textContent = "link copied"; } catch (_) { /* shown in the box */ }
  }

  // ---- start -------------------------------------------------------------------------------
  async function main() {
    try {
      state.schema = await api("GET", "/api/schema");
    } catch (error) {
      showError(`The playground server did not answer: ${error.message}`);
      return;
    }
    buildControls();
    const setup = queryObject();
    fillForm({ ...state.schema.defaults, ...setup });
    $("play").addEventListener("click", () => command(state.meta && state.meta.playing ? "pause" : "play"));
    $("step").addEventListener("click", () => command("step", { steps: 1 }));
    $("reset").addEventListener("click", () => command("reset"));
    $("png").addEventListener("click", () => download(boundaryPNG(), "minigrad-playground-boundary.png"));
    $("share").addEventListener("click", share);
    window.addEventListener("pagehide", () => {
      if (state.runId) navigator.sendBeacon(`/api/runs/${state.runId}/close`);
    });
    await start(setup);
  }

  // For scripts and tests: the state, and the exports as values.
  window.playground = { state, boundaryPNG, readForm, command, render };
  main();
})();
