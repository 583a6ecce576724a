/* Glue between the query page and YASGUI (served from /static/vendor, no CDN).
 *
 * - Offline: prefix completion reads /ui/prefixes.json (not prefix.cc), the LOV class/property completers
 *   are off, the endpoint catalogue holds only our /sparql, and URL parameters are read here, not by
 *   YASGUI (its own reader would accept any `endpoint=` from a link).
 * - Example catalogue: a click loads the query into a tab named after it; `?example=ID` does the same.
 * - Bookmarkable: `?query=...` loads a query (`&run=1` also runs it); the address bar follows each run.
 * - Plain messages for truncation (Vlkg-Truncated / Vlkg-Row-Limit headers), timeouts, malformed
 *   queries, refused requests and an unreachable server, plus links to the full results in each format.
 * - While a query runs: the elapsed time and a cancel button (it aborts YASQE's fetch: yasqe.abortQuery()).
 * - Results: IRIs show their label (skos:prefLabel / rdfs:label, Vietnamese, else English, else no
 *   language; fetched with one extra query after the table is shown), the IRI on hover, and link to this
 *   server's page for IRIs of our data; literals plainly (language/datatype on hover); `SELECT *`
 *   columns in the order the query mentions them; cells wrap. The time shown is measured in the
 *   browser (request sent to last byte) and says so; a Server-Timing header is shown beside it.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("vlkg-config").textContent);
  var endpoint = new URL(config.endpoint, window.location.href).href;
  // The page names its endpoint from the address the browser used: the server never echoes the Host header.
  document.getElementById("vlkg-endpoint").textContent = endpoint;
  var notice = document.getElementById("vlkg-notice");
  var downloads = document.getElementById("vlkg-downloads");
  var examples = {};
  config.examples.forEach(function (e) { examples[e.id] = e; });

  /* YASQE turns a failed response into Error(body) and drops the status, which is what tells a timeout
     from a syntax error; so remember status and headers of the latest response from our endpoint, and
     time it here: from the request leaving to the last byte of the body (performance.now(), so the
     figure is the wait a person sees, network included; a Server-Timing header, when the server sends
     one, is shown beside it). JSON results of `SELECT *` get their columns in the query's order. */
  var last = null;
  var realFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : input.url;
    var ours = url.split("?")[0] === endpoint;
    var started = performance.now();
    var queryText = ours ? requestQuery(input, init, url) : Promise.resolve("");
    return realFetch(input, init).then(function (response) {
      if (!ours) return response;
      return Promise.all([response.text(), queryText]).then(function (parts) {
        var body = parts[0];
        last = { status: response.status, headers: response.headers, elapsed: performance.now() - started,
          serverTime: serverTime(response.headers) };
        if (response.ok && /json/.test(response.headers.get("Content-Type") || "")) body = selectOrder(body, parts[1]);
        return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
      }, failed);
    }, function (error) {
      if (ours) failed(error);
      throw error;
    });
    function failed(error) {
      last = { status: 0, aborted: error && error.name === "AbortError", headers: new Headers(), elapsed: performance.now() - started };
      throw error;
    }
  };

  /* The query text of a request to the endpoint (form body of a POST, or the URL's query parameter). */
  function requestQuery(input, init, url) {
    var fromUrl = new URL(url, window.location.href).searchParams.get("query");
    if (fromUrl) return Promise.resolve(fromUrl);
    var body = init && typeof init.body === "string" ? Promise.resolve(init.body) :
      (typeof input !== "string" ? input.clone().text() : Promise.resolve(""));
    return body.then(function (text) { return new URLSearchParams(text).get("query") || ""; }, function () { return ""; });
  }

  /* `Server-Timing: name;dur=12.3` -> milliseconds (the largest duration named), or null. */
  function serverTime(headers) {
    var value = headers.get("Server-Timing");
    if (!value) return null;
    var best = null;
    value.split(",").forEach(function (metric) {
      var m = /;\s*dur=([0-9.]+)/.exec(metric);
      if (m && (best === null || Number(m[1]) > best)) best = Number(m[1]);
    });
    return best;
  }

  /* Variables in order of first mention, skipping strings, IRIs and comments. */
  function mentionOrder(query) {
    var order = [];
    var re = /("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|<[^<>"{}|^`\\\s]*>|#[^\n]*)|[?$]([A-Za-z0-9_\u00B7\u00C0-\uFFFF]+)/g;
    var m;
    while ((m = re.exec(query))) {
      if (m[2] && order.indexOf(m[2]) < 0) order.push(m[2]);
    }
    return order;
  }

  /* The server lists the columns of `SELECT *` alphabetically; show them as the query mentions them. */
  function selectOrder(body, query) {
    if (!/\bSELECT\s+(?:(?:DISTINCT|REDUCED)\s+)?\*/i.test(query.replace(/#[^\n]*/g, ""))) return body;
    try {
      var json = JSON.parse(body);
      if (!json.head || !Array.isArray(json.head.vars)) return body;
      var mentioned = mentionOrder(query);
      var rank = function (v) { var i = mentioned.indexOf(v); return i < 0 ? mentioned.length : i; };
      json.head.vars = json.head.vars.map(function (v, i) { return [rank(v), i, v]; })
        .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; }).map(function (t) { return t[2]; });
      return JSON.stringify(json);
    } catch (e) { return body; }
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.append(c); });
    return node;
  }

  /* Vietnamese first, English second, each marked with its language. */
  function both(vi, en) {
    return el("span", { "class": "both" }, [el("span", { lang: "vi" }, [vi]), " · ", el("span", { lang: "en" }, [en])]);
  }

  function showNotice(kind, children) {
    notice.replaceChildren.apply(notice, children);
    notice.className = "notice " + kind;
    notice.hidden = false;
  }

  function hideNotice() { notice.hidden = true; notice.replaceChildren(); }

  /* The server's error body: JSON {"error": {...}} or text "503 Title\n\nmessage". */
  function problemFrom(text) {
    text = (text || "").trim();
    try {
      var parsed = JSON.parse(text);
      if (parsed && parsed.error) return { code: parsed.error.code || "", title: parsed.error.title || "", message: parsed.error.message || "" };
    } catch (e) { /* not JSON */ }
    var match = /^(\d{3}) ([^\n]*)\n\n([\s\S]*)$/.exec(text);
    if (match) return { code: "", title: match[2], message: match[3].trim() };
    return { code: "", title: "", message: text };
  }

  function explain(status, problem, headers) {
    var limit = headers && headers.get("Vlkg-Timeout");
    if (status === 0) {
      return both("Không kết nối được tới máy chủ. Kiểm tra máy chủ còn chạy rồi thử lại.",
        "Could not reach the server. Check that it is running, then try again.");
    }
    if (status === 400 && (problem.code === "malformed_query" || !problem.code)) {
      return both("Truy vấn không hợp lệ; sửa lỗi được nêu dưới đây rồi chạy lại.",
        "The query is malformed; fix the error below and run it again.");
    }
    if (status === 400) {
      return both("Máy chủ không chạy được truy vấn này; lý do ở dưới.", "The server cannot run this query; the reason is below.");
    }
    if (status === 503 && problem.code !== "busy") {
      return both("Truy vấn bị dừng vì vượt quá giới hạn thời gian" + (limit ? " (" + limit + " giây)" : "") +
        ". Hãy thu hẹp truy vấn: thêm LIMIT hoặc điều kiện cụ thể hơn.",
        "The query was stopped at the time limit" + (limit ? " (" + limit + " s)" : "") +
        ". Narrow it down: add a LIMIT or more specific patterns.");
    }
    if (status === 503) {
      return both("Máy chủ đang bận; thử lại sau ít phút.", "The server is busy; try again in a moment.");
    }
    if (status === 403) {
      return both("Máy chủ từ chối yêu cầu này; lý do ở dưới.", "The server refused this request; the reason is below.");
    }
    if (status === 413) {
      return both("Truy vấn quá lớn để gửi.", "The query is too large to send.");
    }
    return both("Máy chủ trả lời lỗi HTTP " + status + ".", "The server answered with HTTP status " + status + ".");
  }

  /* YASR error renderer: our explanation, then the server's own message verbatim. */
  function renderProblem(error) {
    var status = last ? last.status : (error.status || 0);
    if (last && last.aborted) {
      var after = seconds(last.elapsed);
      return Promise.resolve(el("div", { "class": "vlkg-problem cancelled", "data-status": "cancelled", role: "status" }, [
        el("p", { "class": "explain" }, [both("Đã huỷ truy vấn sau " + after + ".", "Query cancelled after " + after + ".")])]));
    }
    var problem = problemFrom(error.text);
    var box = el("div", { "class": "vlkg-problem", "data-status": String(status), "data-code": problem.code, role: "alert" }, [
      el("p", { "class": "explain" }, [explain(status, problem, last && last.headers)]),
    ]);
    if (problem.title || problem.message) {
      box.append(el("pre", { "class": "server-message" },
        [(problem.title ? problem.title + (problem.message ? ": " : "") : "") + problem.message]));
    }
    return Promise.resolve(box);
  }

  function downloadUrl(query, format) {
    var url = new URL(endpoint);
    url.searchParams.set("query", query);
    url.searchParams.set("format", format);
    return url.href;
  }

  function queryKind(tab) {
    var yasqe = tab.getYasqe && tab.getYasqe();
    var type = yasqe && yasqe.getQueryType ? yasqe.getQueryType() : "SELECT";
    return type === "CONSTRUCT" || type === "DESCRIBE" ? "graph" : "table";
  }

  var shownKind = null;
  /* Links are rebuilt only when the query form changes (table vs graph formats); otherwise just their
     hrefs move, so a link under the pointer is never replaced mid-click. */
  function updateDownloads(tab) {
    if (!tab) return;
    var kind = queryKind(tab);
    if (kind !== shownKind) {
      var list = el("span", { "class": "links" }, []);
      config.downloads[kind].forEach(function (pair, i) {
        if (i) list.append(" · ");
        var name = "vlkg-query." + (pair[0] === "csv-excel" ? "excel.csv" : pair[0]);
        list.append(el("a", { "data-format": pair[0], download: name }, [pair[1]]));
      });
      downloads.replaceChildren(both("Tải kết quả đầy đủ", "Download the full result"), ": ", list);
      shownKind = kind;
    }
    var query = queryOf(tab);
    downloads.querySelectorAll("a[data-format]").forEach(function (a) {
      a.href = downloadUrl(query, a.getAttribute("data-format"));
    });
    downloads.hidden = false;
  }

  function shareUrl(query, run) {
    var url = new URL(window.location.pathname, window.location.href);
    url.searchParams.set("query", query);
    if (run) url.searchParams.set("run", "1");
    return url.href;
  }

  function remember(query) {
    window.history.replaceState(null, "", shareUrl(query, false));
  }

  if (typeof window.Yasgui === "undefined") {
    showNotice("error", [both("Không tải được trình soạn truy vấn (thiếu tệp vendor; chạy `make setup`). Điểm cuối /sparql vẫn hoạt động.",
      "The query editor could not load (vendor files missing; run `make setup`). The /sparql endpoint still works.")]);
    return;
  }
  var Yasgui = window.Yasgui;
  var Table = Yasgui.Yasr.plugins.table;

  function seconds(ms) {
    return ms < 1000 ? (ms / 1000).toFixed(ms < 10 ? 3 : 2) + " s" : (ms / 1000).toFixed(1) + " s";
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* ---- Labels: IRIs in results show a label of the entity (Vietnamese, else English, else without a
     language), the IRI on hover, and link to this server's page for IRIs of our data. ---- */
  var LANGS = ["vi", "en", ""];
  var LABEL_BATCH = 400; // IRIs per label query (one query per result; the first rows come first)
  var labels = {}; // IRI -> {text, lang}; also remembers IRIs that have none (text null)

  function entityHref(iri) {
    if (config.baseIri && iri.indexOf(config.baseIri) === 0) {
      return new URL(iri.slice(config.baseIri.length), new URL(config.root, window.location.href)).href;
    }
    return iri;
  }

  function compactIri(iri, prefixes) {
    for (var p in prefixes || {}) {
      if (iri.indexOf(prefixes[p]) === 0 && iri.length > prefixes[p].length) return p + ":" + iri.slice(prefixes[p].length);
    }
    return iri;
  }

  function iriCell(iri, prefixes) {
    var label = labels[iri] && labels[iri].text;
    var local = entityHref(iri) !== iri;
    return "<a class='iri" + (label ? " labelled" : "") + "' data-iri='" + escapeHtml(iri) + "' href='" + escapeHtml(entityHref(iri)) +
      "' title='" + escapeHtml(iri) + "'" + (local ? "" : " target='_blank' rel='noopener noreferrer'") +
      (label && labels[iri].lang ? " lang='" + escapeHtml(labels[iri].lang) + "'" : "") + ">" +
      escapeHtml(label || compactIri(iri, prefixes)) + "</a>";
  }

  /* Literals plainly: the text only; language or datatype on hover. */
  function literalCell(binding, prefixes) {
    var about = binding["xml:lang"] ? "@" + binding["xml:lang"] :
      binding.datatype ? "^^" + compactIri(binding.datatype, prefixes) : "";
    return "<span class='nonIri literal'" + (about ? " title='" + escapeHtml(about) + "'" : "") +
      (binding["xml:lang"] ? " lang='" + escapeHtml(binding["xml:lang"]) + "'" : "") + ">" + escapeHtml(binding.value) + "</span>";
  }

  Table.prototype.getCellContent = function (binding, prefixes) {
    var inner = binding.type === "uri" ? iriCell(binding.value, prefixes) :
      binding.type === "bnode" ? "<span class='nonIri bnode'>_:" + escapeHtml(binding.value) + "</span>" : literalCell(binding, prefixes);
    return "<div>" + inner + "</div>";
  };

  /* Wide columns wrap instead of being cut (YASR's ellipsis stays one click away in its controls). */
  var tableDraw = Table.prototype.draw;
  Table.prototype.draw = function (persistent) {
    persistent = Object.assign({}, persistent);
    if (persistent.isEllipsed === undefined && (this.persistentConfig || {}).isEllipsed === undefined) persistent.isEllipsed = false;
    return tableDraw.call(this, persistent);
  };

  function labelQuery(iris) {
    return "SELECT ?s ?l WHERE { VALUES ?s { " + iris.map(function (i) { return "<" + i + ">"; }).join(" ") + " }\n" +
      "  { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } UNION { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }\n" +
      "  FILTER(lang(?l) IN (\"vi\", \"en\", \"\"))\n} LIMIT " + (iris.length * 6);
  }

  /* One query to /sparql for the labels of the result's IRIs; the table is already shown and is
     relabelled in place when the answer comes. Failures leave the IRIs as they are. */
  function fetchLabels(yasr) {
    var bindings = yasr.results && yasr.results.getBindings && yasr.results.getBindings();
    if (!bindings) return;
    var wanted = [];
    for (var r = 0; r < bindings.length && wanted.length < LABEL_BATCH; r++) {
      for (var v in bindings[r]) {
        var b = bindings[r][v];
        if (b.type === "uri" && !(b.value in labels) && wanted.indexOf(b.value) < 0 && !/[\s<>"{}|^`\\]/.test(b.value)) {
          wanted.push(b.value);
          if (wanted.length >= LABEL_BATCH) break;
        }
      }
    }
    if (!wanted.length) { relabel(yasr); return; }
    var body = new URLSearchParams({ query: labelQuery(wanted) });
    realFetch(endpoint, { method: "POST", body: body, headers: { Accept: "application/sparql-results+json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (json) {
        if (!json) return;
        var found = {};
        json.results.bindings.forEach(function (row) {
          var lang = (row.l["xml:lang"] || "").toLowerCase().split("-")[0];
          var rank = LANGS.indexOf(lang);
          if (rank < 0) return;
          var best = found[row.s.value];
          if (!best || rank < best.rank) found[row.s.value] = { text: row.l.value, lang: lang, rank: rank };
        });
        wanted.forEach(function (iri) { labels[iri] = found[iri] || { text: null, lang: "" }; });
        relabel(yasr);
      })
      .catch(function () { /* labels are a nicety: the IRIs stay */ });
  }

  function relabel(yasr) {
    if (!yasr.rootEl) return;
    yasr.rootEl.querySelectorAll("a.iri[data-iri]:not(.labelled)").forEach(function (a) {
      var label = labels[a.getAttribute("data-iri")];
      if (!label || !label.text) return;
      a.textContent = label.text;
      if (label.lang) a.setAttribute("lang", label.lang);
      a.classList.add("labelled");
    });
    yasr.rootEl.setAttribute("data-vlkg-labelled", "true");
  }

  /* The response chip: row count and the time the browser waited, said as such. */
  var responseInfo = Yasgui.Yasr.prototype.updateResponseInfo;
  Yasgui.Yasr.prototype.updateResponseInfo = function () {
    responseInfo.call(this);
    var timing = this.vlkgTiming;
    if (!timing || !this.results || !this.dataElement) return;
    var rows = this.results.getBindings && this.results.getBindings();
    var count = rows ? rows.length : null;
    var vi = (count === null ? "" : count + " kết quả · ") + seconds(timing.elapsed) + " (đo tại trình duyệt, gồm truyền tải";
    var en = (count === null ? "" : count + " result" + (count === 1 ? "" : "s") + " · ") + seconds(timing.elapsed) + " (measured in the browser, transfer included";
    if (timing.serverTime !== null && timing.serverTime !== undefined) {
      vi += "; máy chủ " + seconds(timing.serverTime);
      en += "; server " + seconds(timing.serverTime);
    }
    this.dataElement.replaceChildren(both(vi + ")", en + ")"));
    this.dataElement.title = "Thời gian từ lúc gửi truy vấn tới khi nhận hết kết quả · From sending the query to the last byte of the result";
  };

  /* ---- Progress: elapsed time and a cancel button while a query runs. ---- */
  var progress = document.getElementById("vlkg-progress");
  var progressTime = progress.querySelector(".elapsed");
  var running = null; // {tab, started, timer}

  function stopProgress() {
    if (running) window.clearInterval(running.timer);
    running = null;
    progress.hidden = true;
  }

  function startProgress(tab) {
    stopProgress();
    var yasr = tab.getYasr();
    if (yasr && yasr.rootEl && yasr.rootEl.parentNode) yasr.rootEl.parentNode.insertBefore(progress, yasr.rootEl);
    running = { tab: tab, started: performance.now() };
    var tick = function () {
      var t = seconds(performance.now() - running.started).replace(/(\.\d)\d+ s$/, "$1 s");
      progressTime.replaceChildren(both("Đang chạy truy vấn… " + t, "Running the query… " + t));
    };
    tick();
    running.timer = window.setInterval(tick, 100);
    progress.hidden = false;
  }

  progress.querySelector("button.cancel").addEventListener("click", function () {
    var tab = running && running.tab;
    var yasqe = tab && tab.getYasqe && tab.getYasqe();
    if (yasqe) yasqe.abortQuery();
    stopProgress();
  });

  /* Defaults are merged index-by-index into arrays, so trim the shared defaults instead of overriding. */
  Yasgui.defaults.yasqe.autocompleters = ["prefixes", "variables"];
  Yasgui.Yasr.defaults.errorRenderers = [renderProblem];
  Yasgui.Tab.prototype.getShareableLink = function () { return shareUrl(queryOf(this), true); };

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: {
      endpoint: endpoint,
      method: "POST",
      args: [{ name: "row-limit", value: String(config.rowLimit) }],
    },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [] },
    populateFromUrl: false,
    persistenceId: config.persistenceId,
    tabName: "Truy vấn",
    yasqe: {
      value: config.starterQuery,
      prefixCcApi: new URL(config.prefixesUrl, window.location.href).href,
      autocompleters: ["prefixes", "variables"],
      collapsePrefixesOnLoad: true,
    },
    yasr: { prefixes: config.prefixes },
  });
  window.vlkgYasgui = yasgui; // for the browser test and for people poking at the page

  function tabs() {
    return Object.keys(yasgui._tabs).map(function (id) { return yasgui._tabs[id]; });
  }

  /* A tab's query, also for tabs not drawn yet (their editor does not exist, getQuery() throws). */
  function queryOf(tab) {
    var yasqe = tab.getYasqe && tab.getYasqe();
    return yasqe ? yasqe.getValue() : tab.getPersistedJson().yasqe.value || "";
  }

  function isPristine(tab) {
    var q = queryOf(tab).trim();
    return q === "" || q === config.starterQuery.trim();
  }

  /* Load a query: a tab already holding it, else the tab named `name`, else a pristine active tab, else a new one. */
  function openQuery(query, name, run) {
    var all = tabs();
    var tab = all.find(function (t) { return queryOf(t) === query; }) ||
      (name && all.find(function (t) { return t.getName() === name; }));
    var active = yasgui.getTab();
    if (!tab && active && isPristine(active)) tab = active;
    if (!tab) tab = yasgui.addTab(true, name ? { name: name } : {});
    yasgui.selectTabId(tab.getId());
    tab = yasgui.getTab(tab.getId());
    if (tab.getQuery() !== query) tab.setQuery(query);
    if (name && tab.getName() !== name) tab.setName(name);
    remember(query);
    updateDownloads(tab);
    hideNotice();
    if (run) tab.query().catch(function () { /* shown by the error renderer */ });
    return tab;
  }

  function openExample(id, run) {
    var example = examples[id];
    if (!example) {
      showNotice("error", [both("Không có truy vấn mẫu “" + id + "”.", "There is no example query “" + id + "”.")]);
      return;
    }
    openQuery(example.query, example.title.vi || example.title.en || id, run);
  }

  document.querySelectorAll("a.example[data-example]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return; // let "open in new tab" work
      event.preventDefault();
      openExample(link.getAttribute("data-example"), false);
      document.getElementById("yasgui").scrollIntoView({ block: "start" });
    });
  });

  yasgui.on("query", function (_y, tab) {
    if (tab !== yasgui.getTab()) return; // a query started in a tab not shown leaves the page as it is
    last = null;
    hideNotice();
    startProgress(tab);
    remember(tab.getQuery());
    updateDownloads(tab);
  });

  yasgui.on("queryAbort", function (_y, tab) {
    if (running && running.tab === tab) stopProgress();
  });

  yasgui.on("queryResponse", function (_y, tab) {
    if (running && running.tab === tab) stopProgress();
    if (!last || last.status !== 200 || tab !== yasgui.getTab()) return; // errors go through renderProblem
    var yasr = tab.getYasr();
    if (yasr) {
      yasr.vlkgTiming = { elapsed: last.elapsed, serverTime: last.serverTime };
      yasr.rootEl.removeAttribute("data-vlkg-labelled");
      window.setTimeout(function () { yasr.updateResponseInfo(); fetchLabels(yasr); }, 0);
    }
    if (yasr && yasr.rootEl && yasr.rootEl.parentNode) yasr.rootEl.parentNode.insertBefore(notice, yasr.rootEl);
    if (last.headers.get("Vlkg-Truncated") === "true") {
      var n = last.headers.get("Vlkg-Row-Limit") || String(config.rowLimit);
      showNotice("warning truncated", [both(
        "Kết quả bị cắt: chỉ hiển thị " + n + " dòng đầu tiên. Dùng các liên kết tải về để lấy kết quả đầy đủ.",
        "Results truncated: only the first " + n + " rows are shown. Use the download links for the full result.")]);
    }
  });

  yasgui.on("tabSelect", function (_y, id) {
    hideNotice();
    stopProgress();
    var tab = yasgui.getTab(id);
    if (tab) { remember(queryOf(tab)); updateDownloads(tab); }
  });

  yasgui.on("tabChange", function (_y, tab) {
    if (tab === yasgui.getTab()) updateDownloads(tab);
  });

  /* Download links follow the editor: refreshed while typing and, to be exact, just before use. */
  var pending = null;
  function refreshDownloads() {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () { updateDownloads(yasgui.getTab()); }, 300);
  }
  ["keyup", "input"].forEach(function (type) {
    document.getElementById("yasgui").addEventListener(type, refreshDownloads);
  });
  ["mouseover", "focusin", "pointerdown"].forEach(function (type) {
    downloads.addEventListener(type, function () { updateDownloads(yasgui.getTab()); }, true);
  });

  /* Result tables link our data IRIs to their canonical host; point them at this server, which serves
     every IRI of the data (entity pages), so browsing works offline and on a mirror. */
  function localise(event) {
    var a = event.target.closest && event.target.closest("#yasgui a[href]");
    if (!a || !config.baseIri) return;
    var href = a.getAttribute("href");
    if (href.indexOf(config.baseIri) === 0) {
      a.setAttribute("href", new URL(href.slice(config.baseIri.length), new URL(config.root, window.location.href)).href);
      a.removeAttribute("target");
    }
  }
  ["mouseover", "focusin", "pointerdown"].forEach(function (type) { document.addEventListener(type, localise, true); });

  var initial = config.initial;
  if (initial.query) openQuery(initial.query, "", initial.run);
  else if (initial.example) openExample(initial.example, initial.run);
  else updateDownloads(yasgui.getTab());
  document.documentElement.setAttribute("data-vlkg-ready", "true");
})();
