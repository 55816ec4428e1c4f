// The workspace page: edit a scenario, re-solve on every change, compare what-ifs.
// Every text from a pool or a scenario reaches the page through textContent, never as HTML.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const session = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now()).replace(/[^A-Za-z0-9-]/g, "");
  const state = { schema: null, scenario: null, baseBudget: null, result: null, solveJob: null, pending: null, whatifs: [], timer: null };
  const $ = (id) => document.getElementById(id);

  // --- talking to the server ----------------------------------------------------------------------
  async function api(path, options) {
    const opts = options || {};
    const headers = Object.assign({ "X-Roster-Session": session }, opts.headers || {});
    if (opts.json !== undefined) { headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(opts.json); }
    const response = await fetch(path, { method: opts.method || "GET", headers: headers, body: opts.body });
    const type = response.headers.get("content-type") || "";
    const data = type.includes("application/json") ? await response.json() : await response.blob();
    return { ok: response.ok, status: response.status, data: data };
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) { if (v !== undefined && v !== null) node.setAttribute(k, v); }
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  const money = (x, cur) => x === null || x === undefined ? "n/a" : (cur === "USD" ? "$" : "") +
    Number(x).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + (cur && cur !== "USD" ? " " + cur : "");
  const num = (x, d) => x === null || x === undefined ? "n/a" : Number(x).toLocaleString("en-US", { minimumFractionDigits: d === undefined ? 2 : d, maximumFractionDigits: d === undefined ? 2 : d });
  const pct = (x, d) => x === null || x === undefined ? "n/a" : (100 * x).toFixed(d === undefined ? 1 : d) + "%";
  const clone = (x) => JSON.parse(JSON.stringify(x));

  // --- the schema: bounds and help text for each field ----------------------------------------------
  function schemaOf(path) {
    let node = state.schema;
    for (const part of path) {
      node = resolve(node);
      if (node.properties && node.properties[part]) node = node.properties[part];
      else return {};
    }
    return resolve(node);
  }
  function resolve(node) {
    if (!node) return {};
    if (node.$ref) return resolve(state.schema.$defs[node.$ref.split("/").pop()]);
    if (node.anyOf) { const real = node.anyOf.find((n) => n.type !== "null"); return Object.assign({}, resolve(real), { description: node.description }); }
    return node;
  }
  function getAt(obj, path) { return path.reduce((o, k) => (o && o[k] !== undefined ? o[k] : undefined), obj); }
  function setAt(obj, path, value) {
    let o = obj;
    for (const k of path.slice(0, -1)) { if (typeof o[k] !== "object" || o[k] === null) o[k] = {}; o = o[k]; }
    const last = path[path.length - 1];
    if (value === null || value === "" || value === undefined) delete o[last]; else o[last] = value;
  }

  // --- the rules panel --------------------------------------------------------------------------------
  function numberField(path, label, opts) {
    const info = schemaOf(path);
    const wrap = el("div", { class: "field" });
    const id = "f-" + path.join("-");
    wrap.appendChild(el("label", { for: id }, label));
    const input = el("input", { id: id, type: "number", step: (opts && opts.step) || "any",
      min: info.minimum !== undefined ? info.minimum : info.exclusiveMinimum, max: info.maximum });
    const current = getAt(state.scenario, path);
    if (current !== undefined && typeof current !== "object") input.value = current;
    else if (info.default !== undefined && typeof info.default !== "object" && info.default !== null) input.placeholder = info.default;
    input.addEventListener("change", () => {
      const v = input.value === "" ? null : (opts && opts.integer ? parseInt(input.value, 10) : parseFloat(input.value));
      setAt(state.scenario, path, v); if (opts && opts.after) opts.after(v); schedule();
    });
    wrap.appendChild(input);
    if (info.description) wrap.appendChild(el("div", { class: "help" }, info.description));
    return wrap;
  }
  function selectField(path, label, choices) {
    const wrap = el("div", { class: "field" });
    const id = "f-" + path.join("-");
    wrap.appendChild(el("label", { for: id }, label));
    const select = el("select", { id: id });
    for (const c of choices) select.appendChild(el("option", { value: c }, c));
    select.value = getAt(state.scenario, path) || choices[0];
    select.addEventListener("change", () => { setAt(state.scenario, path, select.value); schedule(); });
    wrap.appendChild(select);
    const info = schemaOf(path);
    if (info.description) wrap.appendChild(el("div", { class: "help" }, info.description));
    return wrap;
  }
  function checkField(path, label) {
    const wrap = el("div", { class: "field" });
    const id = "f-" + path.join("-");
    wrap.appendChild(el("label", { for: id }, label));
    const box = el("input", { id: id, type: "checkbox" });
    box.checked = !!getAt(state.scenario, path);
    box.addEventListener("change", () => { setAt(state.scenario, path, box.checked ? true : null); schedule(); });
    wrap.appendChild(box);
    return wrap;
  }
  function fieldset(title, children) {
    const fs = el("fieldset"); fs.appendChild(el("legend", {}, title));
    for (const c of children) fs.appendChild(c);
    return fs;
  }
  function budgetSlider() {
    const wrap = el("div", { class: "field" });
    const base = state.baseBudget || 10000;
    wrap.appendChild(el("label", { for: "budget-slider" }, "drag the budget"));
    const slider = el("input", { id: "budget-slider", class: "slider", type: "range", min: Math.round(base * 0.25), max: Math.round(base * 3), step: Math.max(1, Math.round(base / 100)) });
    slider.value = state.scenario.budget || base;
    slider.addEventListener("input", () => { state.scenario.budget = parseFloat(slider.value); $("f-budget").value = slider.value; schedule(150); });
    wrap.appendChild(slider);
    return wrap;
  }
  function groupTable(key, title) {
    const rules = state.scenario[key] || {};
    const table = el("table", { class: "group-rules" });
    const head = el("tr");
    for (const h of [title, "min", "max", "min share", "max share", ""]) head.appendChild(el("th", {}, h));
    table.appendChild(head);
    const fields = ["min_creators", "max_creators", "min_spend_share", "max_spend_share"];
    for (const label of Object.keys(rules)) {
      const row = el("tr");
      row.appendChild(el("td", {}, label));
      for (const f of fields) {
        const td = el("td");
        const input = el("input", { type: "number", step: f.includes("share") ? "0.01" : "1", min: 0, max: f.includes("share") ? 1 : undefined, "aria-label": label + " " + f });
        if (rules[label][f] !== undefined) input.value = rules[label][f];
        input.addEventListener("change", () => {
          const v = input.value === "" ? null : (f.includes("share") ? parseFloat(input.value) : parseInt(input.value, 10));
          setAt(state.scenario, [key, label, f], v); schedule();
        });
        td.appendChild(input); row.appendChild(td);
      }
      const remove = el("button", { type: "button", title: "remove this rule" }, "×");
      remove.addEventListener("click", () => { delete state.scenario[key][label]; renderRules(); schedule(); });
      const td = el("td"); td.appendChild(remove); row.appendChild(td);
      table.appendChild(row);
    }
    const add = el("input", { placeholder: "add a " + title, "aria-label": "add a " + title });
    add.addEventListener("change", () => {
      const label = add.value.trim().toLowerCase();
      if (label) { state.scenario[key] = state.scenario[key] || {}; state.scenario[key][label] = state.scenario[key][label] || {}; renderRules(); }
    });
    return fieldset(title === "niche" ? "Niches" : "Platforms", [table, add]);
  }
  function renderRules() {
    const panel = $("rules");
    panel.replaceChildren();
    if (!state.scenario) return;
    const objective = resolve(schemaOf(["objective"]));
    panel.appendChild(fieldset("Money and objective", [
      numberField(["budget"], "budget (" + (state.scenario.currency || "USD") + ")", { after: (v) => { const s = $("budget-slider"); if (s && v) s.value = v; } }),
      budgetSlider(),
      numberField(["min_spend"], "minimum spend"),
      selectField(["objective"], "maximise", (objective.enum || ["conversions", "emv", "engagements", "reach"])),
    ]));
    panel.appendChild(fieldset("Roster", [
      numberField(["roster", "min_creators"], "fewest creators", { integer: true, step: 1 }),
      numberField(["roster", "max_creators"], "most creators", { integer: true, step: 1 }),
      numberField(["roster", "max_posts"], "posts per creator, at most", { integer: true, step: 1 }),
      numberField(["roster", "max_creator_budget_share"], "one creator's share of the budget, at most", { step: 0.01 }),
    ]));
    panel.appendChild(fieldset("Eligibility", [
      numberField(["eligibility", "followers", "min"], "followers, at least", { step: 1000 }),
      numberField(["eligibility", "followers", "max"], "followers, at most", { step: 1000 }),
      numberField(["eligibility", "min_engagement_rate"], "engagement rate, at least", { step: 0.005 }),
      numberField(["eligibility", "min_authenticity"], "authenticity, at least", { step: 0.05 }),
    ]));
    panel.appendChild(groupTable("niches", "niche"));
    panel.appendChild(groupTable("platforms", "platform"));
    if (state.scenario.overlap) {
      panel.appendChild(fieldset("Shared audiences", [
        numberField(["overlap_policy", "max_pairwise"], "never two sharing more than", { step: 0.05 }),
        checkField(["overlap_policy", "discount"], "count a shared audience once"),
      ]));
    }
    panel.appendChild(fieldset("Forecast assumptions", [
      numberField(["assumptions", "reach_rate"], "reach rate", { step: 0.01 }),
      numberField(["assumptions", "delivery_rate"], "share of posts that go live", { step: 0.05 }),
      numberField(["assumptions", "post_decay"], "worth of each extra post", { step: 0.05 }),
      numberField(["assumptions", "average_order_value"], "average order value (for ROI)"),
    ]));
  }

  // --- solving ----------------------------------------------------------------------------------------
  function schedule(delay) {
    clearTimeout(state.timer);
    state.timer = setTimeout(solve, delay === undefined ? 250 : delay);
  }
  async function solve() {
    if (!state.scenario) return;
    if (state.solveJob) { api("/api/jobs/" + state.solveJob, { method: "DELETE" }); state.solveJob = null; }
    const asked = clone(state.scenario);
    document.body.dataset.busy = "1";
    const alternatives = Math.max(0, Math.min(10, parseInt($("alternatives").value || "0", 10) || 0));
    const started = await api("/api/jobs", { method: "POST", json: { kind: "solve", scenario: asked, alternatives: alternatives } });
    if (!started.ok) { showError(started); document.body.dataset.busy = "0"; return; }
    const id = started.data.id;
    state.solveJob = id;
    const answer = await follow(id, "Solving");
    if (state.solveJob !== id) return; // a newer edit took over
    state.solveJob = null;
    document.body.dataset.busy = "0";
    if (answer.ok) { state.result = answer.data; state.resultJob = id; state.resultScenario = asked; showResult(); }
    else if (answer.status !== 409) showError(answer);
    document.body.dataset.solves = String(Number(document.body.dataset.solves || 0) + 1);
  }
  async function follow(id, label) {
    const bar = $("progress");
    let shown = false;
    const reveal = setTimeout(() => { shown = true; bar.hidden = false; }, 400); // quick solves show no bar
    $("cancel").onclick = () => api("/api/jobs/" + id, { method: "DELETE" });
    for (;;) {
      const r = await api("/api/jobs/" + id);
      if (r.ok && r.data.state === "running") {
        $("progress-text").textContent = label + ": " + r.data.stage + (r.data.total > 1 ? " " + r.data.done + " of " + r.data.total : "") + " · " + r.data.seconds.toFixed(1) + " s";
        await new Promise((done) => setTimeout(done, 120));
        continue;
      }
      clearTimeout(reveal);
      if (shown) bar.hidden = true;
      bar.hidden = true;
      return r;
    }
  }
  function showError(r) {
    const box = $("status");
    const data = r.data || {};
    box.className = "status " + (r.status === 422 ? "infeasible" : "error");
    box.textContent = (r.status === 422 ? "No roster meets every rule. " : "") + (data.error || ("request failed (" + r.status + ")"));
  }

  // --- showing a result ------------------------------------------------------------------------------
  function showResult() {
    const d = state.result;
    const cur = d.currency;
    const box = $("status");
    box.className = "status";
    const proof = d.bound === null ? "no proven bound: optimality was not proven" : "proven bound " + num(d.bound) + ", gap " + pct(d.gap, 4);
    box.textContent = d.scenario + ": " + d.status + " · " + (d.mode === "min_cost" ? "cost " + money(d.objective_value, cur) : "expected " + d.objective + " " + num(d.objective_value)) + " · " + proof + " · verified independently";
    const kpis = $("kpis"); kpis.replaceChildren();
    const t = d.totals_before_overlap_discount;
    // simulated P10-P90 of each figure (the report's 10,000 draws, seed 0): shown under the point forecast
    const sim = d.ranges ? d.ranges.metrics : {};
    const range = (key, fmt) => sim[key] && sim[key].p10 !== null && sim[key].p10 !== undefined ? "P10-P90 " + fmt(sim[key].p10) + " to " + fmt(sim[key].p90) : "";
    const items = [["Spend", money(d.total_cost, cur), d.budget ? pct(d.budget_used_share) + " of " + money(d.budget, cur) : "", ""],
      ["Expected " + d.value_metric + " (after overlap discount)", num(d.value), d.objective_unit, range(d.value_metric, (x) => num(x, 1))],
      ["Expected conversions", num(t.conversions, 1), "before overlap discount", range("conversions", (x) => num(x, 1))],
      ["CPA", money(d.cpa, cur), "spend per expected conversion", range("cpa", (x) => money(x, cur))],
      ["ROI", pct(d.roi), d.roi === null ? "set an average order value" : "(revenue - spend) / spend", d.roi === null ? "" : range("roi", (x) => pct(x, 0))],
      ["Roster", d.roster_size + " creators", d.total_posts + " posts", ""]];
    const flagged = new Set((d.return_flags || []).filter((f) => f.level === "warning").map((f) => f.figure));
    for (const [label, value, sub, spread] of items) {
      const k = el("div", { class: label === "ROI" && flagged.has("roi") ? "kpi flagged" : "kpi" });
      k.appendChild(el("span", {}, label)); k.appendChild(el("b", {}, value)); k.appendChild(el("span", {}, sub));
      if (spread) k.appendChild(el("span", { class: "range" }, spread));
      kpis.appendChild(k);
    }
    document.body.dataset.ranges = d.ranges ? "yes" : "no";
    const notes = $("notes"); notes.replaceChildren();
    if (d.ranges) notes.appendChild(el("p", { class: "note" }, "P10-P90: the range of 80% of " + d.ranges.draws.toLocaleString("en-US") +
      " simulated outcomes of this roster (seed " + d.ranges.seed + "): no-shows, engagement and purchase-rate spreads, the overlap discount in each outcome. `roster simulate` gives the same figures."));
    for (const f of d.return_flags || []) notes.appendChild(el("p", { class: "note flag-" + f.level }, f.message));
    if (d.risk && d.risk.expected_value_roster && d.risk.evaluation) {
      const r = d.risk, ev = r.expected_value_roster, mine = r.risk_aware;
      notes.appendChild(el("p", { class: "note" }, "Risk-aware roster (" + r.method + "): on " + r.evaluation.draws.toLocaleString("en-US") +
        " fresh draws its P10 is " + num(mine.p10, 1) + " and its mean " + num(mine.mean, 1) + "; the expected-value roster's are " +
        num(ev.p10, 1) + " and " + num(ev.mean, 1) + "."));
    }
    if (d.budget_note) notes.appendChild(el("p", { class: "note" }, d.budget_note));
    for (const n of d.notes) notes.appendChild(el("p", { class: "note" }, n));
    renderRoster(); renderHeld(); renderCharts(); renderBinding(); renderNextBest(); renderChange();
    for (const id of ["download-yaml", "download-roster", "download-report", "frontier-run", "whatif-save"]) $(id).disabled = false;
    document.body.dataset.value = String(d.objective_value);
    document.body.dataset.roster = d.roster.map((e) => e.creator_id).join(" ");
  }
  function eligibility() { state.scenario.eligibility = state.scenario.eligibility || {}; return state.scenario.eligibility; }
  function toggle(list, cid, other) {
    const e = eligibility();
    e[list] = (e[list] || []).filter((x) => x !== cid);
    if (!(state.held && state.held[cid] === list)) e[list].push(cid);
    e[other] = (e[other] || []).filter((x) => x !== cid);
    for (const k of [list, other]) if (!e[k].length) delete e[k];
    renderHeld(); schedule(0);
  }
  function renderRoster() {
    const d = state.result;
    const head = $("roster").tHead; head.replaceChildren();
    const hr = el("tr");
    for (const [h, n] of [["creator", 0], ["handle", 0], ["platform", 0], ["niche", 0], ["tier", 0], ["followers", 1], ["posts", 1], ["cost", 1], ["expected " + d.value_metric, 1], ["", 0]]) hr.appendChild(el("th", n ? { class: "n" } : {}, h));
    head.appendChild(hr);
    const body = $("roster").tBodies[0]; body.replaceChildren();
    const locked = new Set((state.scenario.eligibility || {}).include || []);
    for (const e of d.roster) {
      const tr = el("tr", { "data-creator": e.creator_id, class: locked.has(e.creator_id) ? "locked" : null });
      for (const [v, n] of [[e.creator_id, 0], [e.handle, 0], [e.platform, 0], [e.niche, 0], [e.tier, 0], [num(e.followers, 0), 1], [e.posts, 1], [money(e.cost, d.currency), 1], [num(e.value), 1]]) tr.appendChild(el("td", n ? { class: "n" } : {}, v));
      const actions = el("td");
      const lock = el("button", { type: "button", "data-action": "lock" }, locked.has(e.creator_id) ? "unlock" : "lock");
      lock.addEventListener("click", () => toggle("include", e.creator_id, "exclude"));
      const exclude = el("button", { type: "button", "data-action": "exclude" }, "exclude");
      exclude.addEventListener("click", () => toggle("exclude", e.creator_id, "include"));
      const declined = el("button", { type: "button", "data-action": "declined", title: "this creator declined: find a replacement" }, "declined");
      declined.addEventListener("click", () => replaceDeclined(e.creator_id));
      actions.appendChild(lock); actions.appendChild(exclude); actions.appendChild(declined); tr.appendChild(actions);
      body.appendChild(tr);
    }
  }
  function renderHeld() {
    const e = (state.scenario && state.scenario.eligibility) || {};
    state.held = {};
    const box = $("held"); box.replaceChildren();
    for (const [list, word] of [["include", "locked"], ["exclude", "excluded"]]) {
      for (const cid of e[list] || []) {
        state.held[cid] = list;
        const chip = el("span", {}, word + ": " + cid + " ");
        const undo = el("button", { type: "button", title: "undo" }, "×");
        undo.addEventListener("click", () => toggle(list, cid, list === "include" ? "exclude" : "include"));
        chip.appendChild(undo); box.appendChild(chip);
      }
    }
  }
  function bars(title, rows, key, cur) {
    const width = 420, left = 130, row = 22, height = 34 + row * Math.max(rows.length, 1);
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", width); svg.setAttribute("height", height); svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("role", "img"); svg.setAttribute("aria-label", title); svg.setAttribute("class", "chart");
    const text = (x, y, s, anchor) => { const t = document.createElementNS(SVG, "text"); t.setAttribute("x", x); t.setAttribute("y", y); if (anchor) t.setAttribute("text-anchor", anchor); t.textContent = s; svg.appendChild(t); };
    text(6, 16, title);
    const peak = Math.max(1e-12, ...rows.map((r) => r.cost));
    rows.forEach((r, i) => {
      const y = 28 + i * row;
      text(left - 6, y + 14, String(r[key]).slice(0, 22), "end");
      const rect = document.createElementNS(SVG, "rect");
      const w = Math.max(1, (width - left - 80) * r.cost / peak);
      rect.setAttribute("x", left); rect.setAttribute("y", y + 3); rect.setAttribute("width", w); rect.setAttribute("height", 14); rect.setAttribute("fill", "#2f6f4f");
      svg.appendChild(rect);
      text(left + w + 4, y + 14, money(r.cost, cur) + " · " + pct(r.spend_share));
    });
    return svg;
  }
  function renderCharts() {
    const d = state.result; const box = $("charts"); box.replaceChildren();
    box.appendChild(bars("Spend by niche (share of spend)", d.by_niche, "niche", d.currency));
    box.appendChild(bars("Spend by platform (share of spend)", d.by_platform, "platform", d.currency));
  }
  function renderBinding() {
    const list = $("binding"); list.replaceChildren();
    for (const b of state.result.binding_rules) list.appendChild(el("li", {}, b.text));
    if (!state.result.binding_rules.length) list.appendChild(el("li", {}, "none: no single rule is tight"));
  }

  function renderNextBest() {
    const d = state.result; const table = $("next-best");
    table.tHead.replaceChildren(); table.tBodies[0].replaceChildren();
    const rows = d.alternatives || [];
    if (!rows.length) return;
    const hr = el("tr");
    for (const h of ["rank", "expected " + d.value_metric, "vs the optimum", "spend", "creators", "joins", "leaves"]) hr.appendChild(el("th", {}, h));
    table.tHead.appendChild(hr);
    for (const a of rows) {
      const tr = el("tr", { "data-rank": a.rank });
      for (const v of [a.rank, num(a.value), pct(d.value ? a.value / d.value : null, 2), money(a.total_cost, d.currency), a.roster_size, (a.differs.in || []).join(", "), (a.differs.out || []).join(", ")]) tr.appendChild(el("td", {}, v));
      table.tBodies[0].appendChild(tr);
    }
  }
  function renderChange() {
    const box = $("change"); const c = state.result.change;
    box.replaceChildren();
    box.hidden = !c;
    if (!c) return;
    const cur = state.result.currency;
    box.textContent = "Replacement after " + c.declined.join(", ") + " declined: " + (c.leave.length ? c.leave.join(", ") + " leave" : "nobody else leaves") +
      "; " + (c.join.length ? c.join.join(", ") + " join" : "nobody joins") + ". Value " + num(c.value_before) + " to " + num(c.value_after) +
      ", spend " + money(c.spend_before, cur) + " to " + money(c.spend_after, cur) + ".";
  }
  async function replaceDeclined(cid) {
    const d = state.result;
    const before = {}; for (const e of d.roster) before[e.creator_id] = e.posts;
    const booked = ((state.scenario.eligibility || {}).include || []).filter((c) => c in before && c !== cid);
    document.body.dataset.busy = "1";
    const started = await api("/api/jobs", { method: "POST", json: { kind: "replace", scenario: clone(state.scenario), before: before, declined: [cid], booked: booked } });
    if (!started.ok) { showError(started); document.body.dataset.busy = "0"; return; }
    const answer = await follow(started.data.id, "Replacement");
    document.body.dataset.busy = "0";
    if (answer.ok) {
      state.scenario = answer.data.scenario_after; state.result = answer.data; state.resultJob = started.data.id;
      state.resultScenario = clone(state.scenario); renderRules(); showResult();
    } else if (answer.status !== 409) showError(answer);
    document.body.dataset.solves = String(Number(document.body.dataset.solves || 0) + 1);
  }

  // --- frontier ---------------------------------------------------------------------------------------
  async function runFrontier() {
    $("frontier-run").disabled = true;
    const started = await api("/api/jobs", { method: "POST", json: { kind: "frontier", scenario: clone(state.scenario) } });
    if (!started.ok) { showError(started); $("frontier-run").disabled = false; return; }
    const r = await follow(started.data.id, "Budget frontier");
    $("frontier-run").disabled = false;
    if (!r.ok) { if (r.status !== 409) showError(r); return; }
    const points = r.data.result.points;
    const box = $("frontier"); box.replaceChildren();
    const width = 560, height = 260, left = 60, bottom = 34;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", width); svg.setAttribute("height", height); svg.setAttribute("role", "img"); svg.setAttribute("aria-label", "budget frontier");
    const good = points.filter((p) => p.value !== null);
    const xmax = Math.max(...points.map((p) => p.budget)), ymax = Math.max(1e-12, ...good.map((p) => p.value));
    const at = (p) => [left + (width - left - 20) * p.budget / xmax, height - bottom - (height - bottom - 20) * p.value / ymax];
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", good.map((p, i) => (i ? "L" : "M") + at(p).join(",")).join(" "));
    path.setAttribute("fill", "none"); path.setAttribute("stroke", "#2f6f4f"); path.setAttribute("stroke-width", "2");
    svg.appendChild(path);
    for (const p of good) { const c = document.createElementNS(SVG, "circle"); const [x, y] = at(p); c.setAttribute("cx", x); c.setAttribute("cy", y); c.setAttribute("r", 3); c.setAttribute("fill", "#d08c2b"); svg.appendChild(c); }
    box.appendChild(svg);
    const table = el("table"); const hr = el("tr");
    for (const h of ["budget", "status", "expected " + state.result.value_metric, "spend", "creators", "value of the last $1,000"]) hr.appendChild(el("th", {}, h));
    table.appendChild(hr);
    for (const p of points) { const tr = el("tr"); for (const v of [money(p.budget, state.result.currency), p.status, num(p.value), money(p.cost, state.result.currency), p.creators, num(p.marginal_value_per_1000)]) tr.appendChild(el("td", {}, v)); table.appendChild(tr); }
    box.appendChild(table);
  }

  // --- what-ifs ---------------------------------------------------------------------------------------
  function saveWhatIf() {
    const d = state.result;
    const name = $("whatif-name").value.trim() || ("what-if " + (state.whatifs.length + 1));
    state.whatifs.push({ name: name, scenario: clone(state.resultScenario), value: d.objective_value, spend: d.total_cost, cpa: d.cpa, creators: d.roster_size, status: d.status, currency: d.currency, roster: d.roster.map((e) => e.creator_id) });
    $("whatif-name").value = "";
    renderWhatIfs();
  }
  function renderWhatIfs() {
    const table = $("whatifs"); const head = table.tHead; const body = table.tBodies[0];
    head.replaceChildren(); body.replaceChildren();
    if (!state.whatifs.length) return;
    const first = state.whatifs[0];
    const hr = el("tr"); for (const h of ["what-if", "status", "value", "spend", "CPA", "creators", "who differs from " + first.name, ""]) hr.appendChild(el("th", {}, h));
    head.appendChild(hr);
    state.whatifs.forEach((w, i) => {
      const tr = el("tr", { "data-whatif": w.name });
      const inFirst = new Set(first.roster), inThis = new Set(w.roster);
      const added = w.roster.filter((c) => !inFirst.has(c)), removed = first.roster.filter((c) => !inThis.has(c));
      for (const v of [w.name, w.status, num(w.value), money(w.spend, w.currency), money(w.cpa, w.currency), w.creators]) tr.appendChild(el("td", {}, v));
      const diff = el("td");
      if (i === 0) diff.textContent = "(the reference)";
      else if (!added.length && !removed.length) diff.textContent = "same roster";
      else { diff.appendChild(el("span", { class: "in" }, added.length ? "+ " + added.join(", ") + " " : "")); diff.appendChild(el("span", { class: "out" }, removed.length ? "- " + removed.join(", ") : "")); }
      tr.appendChild(diff);
      const restore = el("button", { type: "button" }, "open");
      restore.addEventListener("click", () => { state.scenario = clone(w.scenario); renderRules(); schedule(0); });
      const td = el("td"); td.appendChild(restore); tr.appendChild(td);
      body.appendChild(tr);
    });
  }

  // --- files in and out -------------------------------------------------------------------------------
  async function save(blob, name) {
    const link = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.appendChild(link); link.click(); link.remove();
  }
  async function downloadYaml() {
    const r = await api("/api/yaml", { method: "POST", json: { scenario: clone(state.scenario) } });
    if (r.ok) save(r.data, "scenario.yaml"); else showError(r);
  }
  async function downloadRoster() {
    const r = await api("/api/jobs/" + state.resultJob + "/roster.csv");
    if (r.ok) save(r.data, "roster.csv"); else showError(r);
  }
  async function downloadReport() {
    $("download-report").disabled = true;
    const started = await api("/api/jobs", { method: "POST", json: { kind: "report", scenario: clone(state.scenario) } });
    if (!started.ok) { showError(started); $("download-report").disabled = false; return; }
    const r = await follow(started.data.id, "Finance report");
    $("download-report").disabled = false;
    if (!r.ok) { if (r.status !== 409) showError(r); return; }
    const file = await api("/api/jobs/" + started.data.id + "/report.html");
    if (file.ok) save(file.data, "report.html"); else showError(file);
  }
  async function upload(input, key) {
    const file = input.files[0];
    if (!file) return;
    const form = new FormData(); form.append("file", file);
    const r = await api("/api/uploads", { method: "POST", body: form });
    input.value = "";
    if (!r.ok) { showError(r); return; }
    if (!state.scenario) state.scenario = { name: file.name.replace(/\.[^.]+$/, ""), pool: r.data.path, budget: 10000 };
    else state.scenario[key] = r.data.path;
    state.baseBudget = state.baseBudget || state.scenario.budget;
    const check = await api("/api/validate", { method: "POST", json: { scenario: clone(state.scenario) } });
    if (!check.ok) { showError(check); return; }
    $("status").className = "status"; $("status").textContent = check.data.text.split("\n")[0] + " " + check.data.eligible + " of " + check.data.creators + " creators eligible.";
    renderRules(); schedule(0);
  }

  // --- start ------------------------------------------------------------------------------------------
  async function openScenario(path) {
    if (!path) return;
    const r = await api("/api/scenario?path=" + encodeURIComponent(path));
    if (!r.ok) { showError(r); return; }
    state.scenario = r.data.scenario; state.baseBudget = state.scenario.budget || null;
    renderRules(); renderHeld(); schedule(0);
  }
  async function start() {
    const [schema, list] = await Promise.all([api("/api/schema"), api("/api/scenarios")]);
    if (!schema.ok || !list.ok) { showError(schema.ok ? list : schema); return; }
    state.schema = schema.data;
    const picker = $("scenario-picker");
    for (const path of list.data.scenarios) picker.appendChild(el("option", { value: path }, path));
    picker.addEventListener("change", () => openScenario(picker.value));
    $("upload-pool").addEventListener("change", () => upload($("upload-pool"), "pool"));
    $("upload-overlap").addEventListener("change", () => upload($("upload-overlap"), "overlap"));
    $("download-yaml").addEventListener("click", downloadYaml);
    $("download-roster").addEventListener("click", downloadRoster);
    $("download-report").addEventListener("click", downloadReport);
    $("frontier-run").addEventListener("click", runFrontier);
    $("whatif-save").addEventListener("click", saveWhatIf);
    $("alternatives").addEventListener("change", () => schedule(0));
    const wanted = new URLSearchParams(location.search).get("scenario");
    if (wanted) { picker.value = wanted; await openScenario(wanted); }
    document.body.dataset.ready = "1";
  }
  start();
})();
