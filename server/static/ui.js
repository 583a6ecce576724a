/* Glue between the query page and YASGUI (served from /static/vendor, no CDN).
 *
 * - Offline: prefix completion reads /ui/prefixes.json (not prefix.cc), the LOV class/property completers
 *   are off, the endpoint catalogue holds only our /sparql, and URL parameters are read here, not by
 *   YASGUI (its own reader would accept any `endpoint=` from a link).
 * - Example catalogue: a click loads the query into a tab named after it; `?example=ID` does the same.
 * - Bookmarkable: `?query=...` loads a query (`&run=1` also runs it); the address bar follows each run.
 * - Plain messages for truncation (Vlkg-Truncated / Vlkg-Row-Limit headers), timeouts, malformed
 *   queries, refused requests and an unreachable server, plus links to the full results in each format.
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
     from a syntax error; so remember status and headers of the latest response from our endpoint. */
  var last = null;
  var realFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : input.url;
    var ours = url.split("?")[0] === endpoint;
    return realFetch(input, init).then(function (response) {
      if (ours) last = { status: response.status, headers: response.headers };
      return response;
    }, function (error) {
      if (ours) last = { status: 0, aborted: error && error.name === "AbortError", headers: new Headers() };
      throw error;
    });
  };

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
    if (last && last.aborted) return Promise.resolve(undefined);
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
    remember(tab.getQuery());
    updateDownloads(tab);
  });

  yasgui.on("queryResponse", function (_y, tab) {
    if (!last || last.status !== 200 || tab !== yasgui.getTab()) return; // errors go through renderProblem
    var yasr = tab.getYasr();
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
