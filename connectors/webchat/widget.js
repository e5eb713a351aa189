/*
 * Elara web chat widget. Embed with one tag:
 *   <script src="https://shop-assistant.example/widget.js" data-elara-url="https://shop-assistant.example" defer></script>
 * Options (data-* attributes on the tag): data-elara-url (the Elara service, default: the script's origin),
 * data-elara-title, data-elara-greeting, data-elara-accent (a CSS colour), data-elara-position (right | left),
 * data-elara-open ("true" opens the panel on load).
 *
 * Vanilla JS, no build step. Everything lives in a shadow root so the page's CSS cannot reach it, and every
 * piece of text from the model or the catalog is put in the DOM with textContent (never innerHTML).
 *
 * Session model: the shopper's bearer token is kept in localStorage of the page that embeds the widget, under a
 * key naming the Elara origin. The browser's same-origin policy keeps it from every other origin; it is sent
 * only in the Authorization header (never a cookie), so no other site can make the browser use it.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__elaraWidgetLoaded) return;
  window.__elaraWidgetLoaded = true;

  function attr(name, fallback) {
    var v = script.getAttribute("data-elara-" + name);
    return v === null || v === "" ? fallback : v;
  }

  var BASE = attr("url", new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var ORIGIN = new URL(BASE, location.href).origin;
  var TITLE = attr("title", "Shopping assistant");
  var GREETING = attr("greeting", "Hi! I can help you find products, manage your cart and check out.");
  var ACCENT = attr("accent", "#4f46e5");
  var POSITION = attr("position", "right") === "left" ? "left" : "right";
  var TOKEN_KEY = "elara:" + ORIGIN + ":session";
  var HANDLED_KEY = "elara:" + ORIGIN + ":handled-orders";

  // ---------------------------------------------------------------- storage
  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return memoryStore[key] || null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { memoryStore[key] = value; }
  }
  function storageRemove(key) {
    try { window.localStorage.removeItem(key); } catch (e) { delete memoryStore[key]; }
  }
  var memoryStore = {};

  // ---------------------------------------------------------------- DOM helpers
  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") node.textContent = String(v);
        else if (k === "className") node.className = v;
        else if (k === "onClick") node.addEventListener("click", v);
        else node.setAttribute(k, v === true ? "" : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function safeUrl(raw) {
    if (typeof raw !== "string" || !raw) return null;
    try {
      var u = new URL(raw, BASE + "/");
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  function money(minor, currency) {
    var cur = (currency || "USD").toUpperCase();
    try {
      var fmt = new Intl.NumberFormat(undefined, { style: "currency", currency: cur });
      var digits = fmt.resolvedOptions().maximumFractionDigits;
      return fmt.format(Number(minor) / Math.pow(10, digits));
    } catch (e) {
      // no Intl for this code: ISO 4217's exponent, as elara_bot/money.py keeps it
      var places = /^(BIF|CLP|DJF|GNF|ISK|JPY|KMF|KRW|PYG|RWF|UGX|UYI|VND|VUV|XAF|XOF|XPF)$/.test(cur) ? 0
        : /^(BHD|IQD|JOD|KWD|LYD|OMR|TND)$/.test(cur) ? 3 : /^(CLF|UYW)$/.test(cur) ? 4 : 2;
      return (Number(minor) / Math.pow(10, places)).toFixed(places) + " " + cur;
    }
  }

  function optionsText(options) {
    if (!options) return "";
    return Object.keys(options).map(function (k) { return k + ": " + options[k]; }).join(", ");
  }

  // ---------------------------------------------------------------- safe markdown (subset)
  // Bold (**x**), italic (*x* or _x_), inline code (`x`), links ([x](http...)), bullet and numbered lists,
  // paragraphs. Produces DOM nodes; text is only ever assigned through text nodes.
  var INLINE = /(\*\*([^*]+)\*\*|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)|\*([^*\s][^*]*)\*|\b_([^_]+)_\b)/g;

  function inline(text, parent) {
    var last = 0;
    text.replace(INLINE, function (m, _all, bold, code, linkText, linkHref, em1, em2, offset) {
      if (offset > last) parent.appendChild(document.createTextNode(text.slice(last, offset)));
      if (bold !== undefined) parent.appendChild(el("strong", { text: bold }));
      else if (code !== undefined) parent.appendChild(el("code", { text: code }));
      else if (linkText !== undefined) {
        var href = /^https?:\/\//i.test(linkHref) ? safeUrl(linkHref) : null;
        parent.appendChild(href
          ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer nofollow", text: linkText })
          : document.createTextNode(linkText));
      } else parent.appendChild(el("em", { text: em1 !== undefined ? em1 : em2 }));
      last = offset + m.length;
      return m;
    });
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function markdown(text) {
    var root = el("div", { className: "md" });
    var lines = String(text || "").replace(/\r\n?/g, "\n").split("\n");
    var list = null, para = null;
    lines.forEach(function (line) {
      var bullet = /^\s*[-*•]\s+(.*)$/.exec(line);
      var numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
      if (bullet || numbered) {
        var tag = bullet ? "ul" : "ol";
        if (!list || list.tagName.toLowerCase() !== tag) { list = el(tag); root.appendChild(list); }
        para = null;
        var li = el("li");
        inline((bullet || numbered)[1], li);
        list.appendChild(li);
      } else if (!line.trim()) {
        list = null; para = null;
      } else {
        list = null;
        if (para) para.appendChild(el("br"));
        else { para = el("p"); root.appendChild(para); }
        inline(line, para);
      }
    });
    return root;
  }

  // ---------------------------------------------------------------- styles
  var CSS = [
    ":host{all:initial!important;display:block!important;position:static!important;contain:none!important;",
    "visibility:visible!important;opacity:1!important;}",
    "*,*::before,*::after{box-sizing:border-box;}",
    ".root{all:initial;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:14px;",
    "line-height:1.45;color:#1f2937;--accent:" + ACCENT + ";}",
    "button,input,select,textarea{font:inherit;color:inherit;}",
    ".bubble{position:fixed;bottom:20px;" + POSITION + ":20px;z-index:2147483646;width:60px;height:60px;",
    "border-radius:50%;border:0;background:var(--accent);color:#fff;cursor:pointer;display:flex;",
    "align-items:center;justify-content:center;box-shadow:0 6px 20px rgba(0,0,0,.25);padding:0;margin:0;}",
    ".bubble svg{width:28px;height:28px;fill:#fff;}",
    ".bubble:focus-visible,button:focus-visible,a:focus-visible,select:focus-visible,textarea:focus-visible{",
    "outline:3px solid #f59e0b;outline-offset:2px;}",
    ".badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;border-radius:11px;",
    "background:#dc2626;color:#fff;font-size:12px;font-weight:700;display:flex;align-items:center;",
    "justify-content:center;padding:0 6px;border:2px solid #fff;}",
    ".badge[hidden]{display:none;}",
    ".panel{position:fixed;bottom:92px;" + POSITION + ":20px;z-index:2147483647;width:380px;",
    "max-width:calc(100vw - 24px);height:600px;max-height:calc(100vh - 112px);background:#fff;",
    "border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.3);display:flex;flex-direction:column;",
    "overflow:hidden;}",
    ".panel[hidden]{display:none;}",
    "@media (max-width:480px){.panel{left:0;right:0;top:0;bottom:0;width:100%;max-width:100%;height:100%;",
    "max-height:100%;border-radius:0;}}",
    ".head{display:flex;align-items:center;gap:8px;padding:12px 14px;background:var(--accent);color:#fff;}",
    ".head h2{all:unset;flex:1;font-size:16px;font-weight:600;}",
    ".close{background:transparent;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;",
    "width:36px;height:36px;border-radius:8px;}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px;background:#f9fafb;}",
    ".msg{max-width:90%;padding:8px 12px;border-radius:12px;word-wrap:break-word;overflow-wrap:anywhere;}",
    ".msg.user{align-self:flex-end;background:var(--accent);color:#fff;white-space:pre-wrap;}",
    ".msg.assistant{align-self:flex-start;background:#fff;border:1px solid #e5e7eb;max-width:100%;}",
    ".msg.assistant.notice{background:#fef3c7;border-color:#f59e0b;}",
    ".msg.assistant.staff{background:#ecfdf5;border-color:#10b981;}",
    ".msg .who{font-size:12px;font-weight:600;color:#047857;margin-bottom:2px;}",
    ".md p{margin:0 0 6px;} .md p:last-child{margin-bottom:0;} .md ul,.md ol{margin:4px 0;padding-left:20px;}",
    ".md a{color:var(--accent);} .md code{background:#f3f4f6;padding:0 3px;border-radius:3px;}",
    ".md:empty{display:none;}",
    ".status{font-size:12px;color:#6b7280;font-style:italic;}",
    ".cards{display:flex;gap:8px;overflow-x:auto;padding:6px 0 4px;scroll-snap-type:x mandatory;}",
    ".card{flex:0 0 200px;scroll-snap-align:start;border:1px solid #e5e7eb;border-radius:10px;",
    "background:#fff;display:flex;flex-direction:column;overflow:hidden;}",
    ".card img{width:100%;height:120px;object-fit:contain;background:#f3f4f6;display:block;}",
    ".card .body{padding:8px;display:flex;flex-direction:column;gap:6px;flex:1;}",
    ".card h3{all:unset;font-weight:600;font-size:14px;display:block;}",
    ".card .price{font-weight:700;color:#111827;}",
    ".card .desc{font-size:12px;color:#4b5563;white-space:pre-wrap;max-height:5.8em;overflow:hidden;}",
    ".card select{width:100%;padding:6px;border:1px solid #d1d5db;border-radius:6px;background:#fff;}",
    ".btn{background:var(--accent);color:#fff;border:0;border-radius:8px;padding:8px 10px;cursor:pointer;",
    "font-weight:600;text-align:center;text-decoration:none;display:inline-block;min-height:36px;}",
    ".btn.secondary{background:#fff;color:var(--accent);border:1px solid var(--accent);}",
    ".btn[disabled]{opacity:.5;cursor:not-allowed;}",
    ".row{display:flex;gap:6px;flex-wrap:wrap;}",
    ".box{border:1px solid #e5e7eb;border-radius:10px;background:#fff;padding:8px 10px;margin-top:6px;}",
    ".box h3{all:unset;display:block;font-weight:700;margin-bottom:4px;}",
    ".line{display:flex;justify-content:space-between;gap:8px;padding:4px 0;border-bottom:1px dashed #e5e7eb;}",
    ".line small{color:#6b7280;display:block;}",
    ".total{display:flex;justify-content:space-between;font-weight:700;padding-top:6px;}",
    ".quick{display:flex;gap:6px;flex-wrap:wrap;margin-top:6px;}",
    ".chip{background:#eef2ff;color:#3730a3;border:1px solid #c7d2fe;border-radius:16px;padding:6px 12px;",
    "cursor:pointer;min-height:32px;}",
    ".error{align-self:stretch;background:#fee2e2;border:1px solid #ef4444;color:#7f1d1d;border-radius:10px;",
    "padding:8px 10px;display:flex;gap:8px;align-items:center;justify-content:space-between;}",
    "table{border-collapse:collapse;width:100%;font-size:12px;} th,td{border:1px solid #e5e7eb;padding:3px;}",
    ".chart{max-width:100%;display:block;}",
    ".form{display:flex;gap:8px;padding:10px;border-top:1px solid #e5e7eb;background:#fff;}",
    ".form textarea{flex:1;resize:none;height:40px;padding:9px 10px;border:1px solid #d1d5db;border-radius:8px;",
    "background:#fff;}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;}",
  ].join("");

  // ---------------------------------------------------------------- the widget
  var host = document.createElement("elara-chat");
  var shadow = host.attachShadow({ mode: "open" });
  shadow.appendChild(el("style", { text: CSS }));

  var badge = el("span", { className: "badge", hidden: true, "aria-hidden": "true" });
  var bubble = el("button", {
    className: "bubble", type: "button", "aria-label": "Open chat: " + TITLE,
    "aria-expanded": "false", "aria-controls": "elara-panel", "data-testid": "elara-bubble",
  });
  bubble.appendChild(svgChatIcon());
  bubble.appendChild(badge);

  var closeBtn = el("button", { className: "close", type: "button", "aria-label": "Close chat", text: "\u00d7" });
  var log = el("div", { className: "log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  var input = el("textarea", {
    rows: "1", placeholder: "Type a message…", "aria-label": "Message",
    maxlength: "2000",
  });
  var sendBtn = el("button", { className: "btn", type: "submit", text: "Send" });
  var form = el("form", { className: "form" }, [input, sendBtn]);
  var titleId = "elara-title";
  var panel = el("div", {
    className: "panel", id: "elara-panel", role: "dialog", "aria-labelledby": titleId, hidden: true,
    "data-testid": "elara-panel",
  }, [el("div", { className: "head" }, [el("h2", { id: titleId, text: TITLE }), closeBtn]), log, form]);
  var cartStatus = el("div", { className: "sr", role: "status", "aria-live": "polite" });
  var root = el("div", { className: "root" }, [bubble, panel, cartStatus]);
  shadow.appendChild(root);

  function svgChatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    return svg;
  }

  var state = { open: false, loaded: false, busy: false, pendingError: null, lastId: 0, staffTimer: null };
  var STAFF_POLL_MS = 3000;

  function setBadge(count) {
    var n = Number(count) || 0;
    badge.textContent = n > 99 ? "99+" : String(n);
    badge.hidden = n <= 0;
    bubble.setAttribute("aria-label", "Open chat: " + TITLE + (n > 0 ? " (" + n + " items in cart)" : ""));
    cartStatus.textContent = n > 0 ? n + " items in cart" : "";
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function openPanel() {
    if (state.open) return;
    state.open = true;
    panel.hidden = false;
    bubble.setAttribute("aria-expanded", "true");
    input.focus();
    if (!state.loaded) {
      state.loaded = true;
      loadHistory().then(afterPaymentReturn);
    }
    scrollDown();
  }

  function closePanel() {
    if (!state.open) return;
    state.open = false;
    panel.hidden = true;
    bubble.setAttribute("aria-expanded", "false");
    bubble.focus();
  }

  bubble.addEventListener("click", function () { state.open ? closePanel() : openPanel(); });
  closeBtn.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { e.preventDefault(); closePanel(); }
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submitTyped(); }
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); submitTyped(); });

  function submitTyped() {
    var text = input.value.trim();
    if (!text || state.busy) return;
    input.value = "";
    send(text, null);
  }

  // ---------------------------------------------------------------- session + HTTP
  var sessionPromise = null;

  function createSession() {
    return fetch(BASE + "/api/v1/sessions", {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: "{}", credentials: "omit", mode: "cors",
    }).then(function (r) {
      if (!r.ok) throw httpError(r);
      return r.json();
    }).then(function (body) {
      storageSet(TOKEN_KEY, body.token);
      return body.token;
    });
  }

  function token(forceNew) {
    if (forceNew) { storageRemove(TOKEN_KEY); sessionPromise = null; }
    var saved = storageGet(TOKEN_KEY);
    if (saved) return Promise.resolve(saved);
    if (!sessionPromise) {
      sessionPromise = createSession().catch(function (e) { sessionPromise = null; throw e; });
    }
    return sessionPromise;
  }

  function httpError(response) {
    var err = new Error("HTTP " + response.status);
    err.status = response.status;
    var after = parseInt(response.headers.get("Retry-After") || "", 10);
    err.retryAfter = isNaN(after) ? null : after;
    return err;
  }

  // Calls fn(token); on 401 (an expired or unknown session) starts a new session once and calls again.
  function authed(fn) {
    return token(false).then(function (t) {
      return fn(t).then(function (r) {
        if (r.status !== 401) return r;
        return token(true).then(fn);
      });
    });
  }

  // ---------------------------------------------------------------- history
  function loadHistory() {
    if (!storageGet(TOKEN_KEY)) { greet(); return Promise.resolve(); }
    return authed(function (t) {
      return fetch(BASE + "/api/v1/chat/history", {
        headers: { Authorization: "Bearer " + t, Accept: "application/json" }, credentials: "omit",
      });
    }).then(function (r) {
      if (!r.ok) throw httpError(r);
      return r.json();
    }).then(function (body) {
      var turns = Array.isArray(body) ? body : (body && (body.turns || body.messages)) || [];
      if (!turns.length) { greet(); return; }
      turns.forEach(function (turn) {
        seen(turn);
        if (turn.role === "user") addUser(turn.text || "");
        else if (turn.role === "human_agent") addStaff(turn.text || "");
        else if (turn.role === "assistant") {
          var view = addAssistant();
          view.setText(turn.text || "");
          (turn.parts || []).forEach(view.addPart);
        }
      });
      scrollDown();
    }).catch(function () {
      greet();
    });
  }

  // ---------------------------------------------------------------- staff replies during a handoff
  // A merchant answers in Slack; their words are stored in the conversation and fetched from here.
  function seen(turn) {
    if (typeof turn.id === "number" && turn.id > state.lastId) state.lastId = turn.id;
    if (turn.role === "human_agent") watchStaff();
    (turn.parts || []).forEach(function (p) {
      if (p && p.type === "handoff" && p.status !== "closed") watchStaff();
    });
  }

  function watchStaff() {
    if (state.staffTimer) return;
    state.staffTimer = setInterval(pollStaff, STAFF_POLL_MS);
  }

  function pollStaff() {
    if (!storageGet(TOKEN_KEY) || state.busy) return;
    authed(function (t) {
      return fetch(BASE + "/api/v1/chat/history?after=" + state.lastId, {
        headers: { Authorization: "Bearer " + t, Accept: "application/json" }, credentials: "omit",
      });
    }).then(function (r) { return r.ok ? r.json() : []; }).then(function (turns) {
      (Array.isArray(turns) ? turns : []).forEach(function (turn) {
        if (typeof turn.id === "number" && turn.id > state.lastId) state.lastId = turn.id;
        if (turn.role === "human_agent") { addStaff(turn.text || ""); scrollDown(); }
        else if (turn.role === "assistant" && handoffClosed(turn)) {
          // staff handed the conversation back: say so, and stop polling
          var view = addAssistant();
          view.setText(turn.text || "");
          (turn.parts || []).forEach(view.addPart);
          scrollDown();
          clearInterval(state.staffTimer);
          state.staffTimer = null;
        }
      });
    }).catch(function () { /* the next poll tries again */ });
  }

  function handoffClosed(turn) {
    return (turn.parts || []).some(function (p) { return p && p.type === "handoff" && p.status === "closed"; });
  }

  function addStaff(text) {
    var label = el("div", { className: "who", text: "Store staff" });
    var node = el("div", { className: "msg assistant staff", "data-role": "human_agent" }, [label, markdown(text)]);
    log.appendChild(node);
    return node;
  }

  function greet() {
    var view = addAssistant();
    view.setText(GREETING);
    view.addPart({ type: "quick_replies", replies: [
      { label: "Show me bestsellers", message: "What are your popular products?", action: null },
      { label: "View my cart", message: "Show my cart", action: "view_cart" },
    ] });
  }

  // After the payment page sends the shopper back (?order=N&paid=1), show the order's status in the chat.
  function paymentReturn() {
    var params = new URLSearchParams(location.search);
    var number = params.get("order");
    if (!number || (params.get("paid") !== "1" && params.get("cancelled") !== "1")) return null;
    var handled = (storageGet(HANDLED_KEY) || "").split(",");
    if (handled.indexOf(number) >= 0) return null;
    return number;
  }

  function afterPaymentReturn() {
    var number = paymentReturn();
    if (!number || !storageGet(TOKEN_KEY)) return;
    var handled = (storageGet(HANDLED_KEY) || "").split(",").filter(Boolean).slice(-20);
    handled.push(number);
    storageSet(HANDLED_KEY, handled.join(","));
    send("What is the status of order " + number + "?", "order_status:" + number);
  }

  // ---------------------------------------------------------------- sending a turn (SSE over fetch)
  function send(message, action) {
    addUser(message);
    return runTurn({ message: message, action: action || null });
  }

  function setBusy(busy) {
    state.busy = busy;
    sendBtn.disabled = busy;
    log.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function runTurn(body) {
    clearError();
    setBusy(true);
    var view = addAssistant();
    view.setStatus("Thinking…");
    return authed(function (t) {
      return fetch(BASE + "/api/v1/chat", {
        method: "POST", credentials: "omit", mode: "cors",
        headers: { Authorization: "Bearer " + t, "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(body),
      });
    }).then(function (r) {
      if (!r.ok) throw httpError(r);
      var type = r.headers.get("Content-Type") || "";
      if (type.indexOf("text/event-stream") < 0) {
        return r.json().then(function (reply) { view.finish(reply); });
      }
      return readStream(r, view);
    }).then(function () {
      setBusy(false);
      scrollDown();
    }).catch(function (err) {
      setBusy(false);
      view.failed();
      showError(err, body);
    });
  }

  function readStream(response, view) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var finished = false;

    function handle(block) {
      var event = "message", data = [];
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) event = line.slice(6).trim();
        else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
      });
      if (!data.length) return;
      var payload;
      try { payload = JSON.parse(data.join("\n")); } catch (e) { return; }
      if (event === "delta") view.appendText(payload.text || "");
      else if (event === "part") view.addPart(payload);
      else if (event === "tool") view.setStatus(toolStatus(payload));
      else if (event === "done") { finished = true; view.finish(payload); }
      else if (event === "error") {
        finished = true;
        var err = new Error(payload.detail || payload.error || "error");
        err.serverError = payload.error;
        err.retryAfter = payload.retry_after_s || null;
        throw err;
      }
      scrollDown();
    }

    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          buffer += decoder.decode();
          if (buffer.trim()) handle(buffer.replace(/\r/g, ""));
          if (!finished) throw new Error("The reply was cut off.");
          return;
        }
        buffer += decoder.decode(chunk.value, { stream: true });
        buffer = buffer.replace(/\r\n?/g, "\n");
        var idx;
        while ((idx = buffer.indexOf("\n\n")) >= 0) {
          var block = buffer.slice(0, idx);
          buffer = buffer.slice(idx + 2);
          handle(block);
        }
        return pump();
      });
    }
    return pump();
  }

  function toolStatus(payload) {
    if (payload.status !== "started") return "Thinking…";
    return payload.label || "Working on it…";  // the server names what the tool does
  }

  // ---------------------------------------------------------------- errors + retry
  var errorBox = null;

  function clearError() {
    if (errorBox && errorBox.parentNode) errorBox.parentNode.removeChild(errorBox);
    errorBox = null;
  }

  function errorText(err) {
    if (err.status === 429 || err.serverError === "RateLimited") {
      return "You're sending messages too quickly." +
        (err.retryAfter ? " Please wait " + err.retryAfter + " s and try again." : " Please try again shortly.");
    }
    if (err.status >= 500) return "Something went wrong on our side. Please try again.";
    if (err.status) return "The assistant couldn't handle that request (" + err.status + ").";
    if (err.serverError) return err.message;
    if (err instanceof TypeError) return "Can't reach the shop assistant. Check your connection and retry.";
    return err.message || "Something went wrong. Please try again.";
  }

  function showError(err, body) {
    clearError();
    var retry = el("button", { className: "btn", type: "button", text: "Retry", "data-testid": "elara-retry" });
    var text = el("span", { role: "alert", text: errorText(err) });
    errorBox = el("div", { className: "error", "data-testid": "elara-error" }, [text, retry]);
    log.appendChild(errorBox);
    var wait = err.retryAfter && (err.status === 429 || err.serverError === "RateLimited") ? err.retryAfter : 0;
    if (wait > 0) countdown(retry, wait);
    retry.addEventListener("click", function () {
      if (retry.disabled) return;
      clearError();
      runTurn(body);
    });
    scrollDown();
    retry.focus();
  }

  function countdown(button, seconds) {
    var left = Math.min(seconds, 600);
    button.disabled = true;
    button.textContent = "Retry in " + left + " s";
    var timer = setInterval(function () {
      left -= 1;
      if (left <= 0) {
        clearInterval(timer);
        button.disabled = false;
        button.textContent = "Retry";
      } else button.textContent = "Retry in " + left + " s";
    }, 1000);
  }

  // ---------------------------------------------------------------- messages
  function addUser(text) {
    var node = el("div", { className: "msg user", "data-role": "user", text: text });
    log.appendChild(node);
    scrollDown();
    return node;
  }

  function addAssistant() {
    var textNode = el("div", { className: "md" });
    var status = el("div", { className: "status", hidden: true });
    var parts = el("div", { className: "parts" });
    var node = el("div", { className: "msg assistant", "data-role": "assistant" }, [status, textNode, parts]);
    log.appendChild(node);
    var raw = "", partCount = 0;

    function render() {
      var md = markdown(raw);
      node.replaceChild(md, textNode);
      textNode = md;
    }
    var view = {
      setText: function (text) { raw = text; render(); },
      appendText: function (text) { raw += text; status.hidden = true; render(); },
      setStatus: function (text) { status.textContent = text; status.hidden = false; },
      addPart: function (part) {
        status.hidden = true;
        if (part && part.type === "handoff") watchStaff();
        var rendered = renderPart(part);
        if (rendered) parts.appendChild(rendered);
        partCount += 1;
      },
      finish: function (reply) {
        status.hidden = true;
        if (reply && typeof reply.text === "string" && reply.text !== raw) { raw = reply.text; render(); }
        // The finished reply is the truth: a turn that was retried on the server may have streamed
        // parts it then rolled back.
        var all = (reply && reply.parts) || [];
        while (parts.firstChild) parts.removeChild(parts.firstChild);
        partCount = 0;
        all.forEach(view.addPart);
        if (!raw && !partCount) node.parentNode && node.parentNode.removeChild(node);
      },
      failed: function () {
        status.hidden = true;
        if (!raw && !partCount && node.parentNode) node.parentNode.removeChild(node);
      },
    };
    return view;
  }

  // ---------------------------------------------------------------- reply parts
  function renderPart(part) {
    if (!part || typeof part !== "object") return null;
    switch (part.type) {
      case "product_cards": return productCards(part.cards || []);
      case "cart": return cartBox(part.cart || {});
      case "checkout_link": return checkoutBox(part);
      case "order": return orderBox(part.order || {});
      case "quick_replies": return quickReplies(part.replies || []);
      case "handoff": return handoffBox(part);
      case "chart": return chartBox(part);
      case "table": return tableBox(part);
      default: return null;
    }
  }

  function actionButton(label, message, action, className, ariaLabel) {
    return el("button", {
      className: className || "btn", type: "button", text: label, "aria-label": ariaLabel || null,
      onClick: function () { if (!state.busy) send(message, action); },
    });
  }

  function productCards(cards) {
    var list = el("div", { className: "cards", role: "list", "aria-label": "Products" });
    cards.forEach(function (card) { list.appendChild(productCard(card)); });
    return list;
  }

  function priceText(card) {
    if (card.price_min_minor === card.price_max_minor) return money(card.price_min_minor, card.currency);
    return money(card.price_min_minor, card.currency) + " – " + money(card.price_max_minor, card.currency);
  }

  function productCard(card) {
    var title = String(card.title || "");
    var variants = card.variants || [];
    var img = safeUrl(card.image_url);
    var body = el("div", { className: "body" }, [
      el("h3", { text: title }),
      el("div", { className: "price", text: priceText(card) }),
      card.description ? el("div", { className: "desc", text: String(card.description) }) : null,
    ]);
    var chosen = firstInStock(variants);
    var add = el("button", { className: "btn", type: "button", text: "Add to cart", "aria-label": "Add " + title + " to cart" });
    if (variants.length > 1) {
      var select = el("select", { "aria-label": "Choose an option for " + title });
      variants.forEach(function (v) {
        var label = (optionsText(v.options) || v.sku) + " — " + money(v.price_minor, card.currency) +
          (v.in_stock ? "" : " (out of stock)");
        select.appendChild(el("option", { value: v.sku, text: label, disabled: !v.in_stock }));
      });
      if (chosen) select.value = chosen.sku;
      select.addEventListener("change", function () {
        chosen = variants.filter(function (v) { return v.sku === select.value; })[0] || null;
        add.disabled = !chosen || !chosen.in_stock;
      });
      body.appendChild(select);
    }
    add.disabled = !chosen || !chosen.in_stock;
    if (!chosen) add.textContent = "Out of stock";
    add.addEventListener("click", function () {
      if (!chosen || state.busy) return;
      var opts = optionsText(chosen.options);
      send("Add " + title + (opts ? " (" + opts + ")" : "") + " to my cart", "add:" + chosen.sku + ":1");
    });
    var more = actionButton("More like this", "Show me products like " + title, "more_like:" + card.product_id,
      "btn secondary", "More products like " + title);
    body.appendChild(el("div", { className: "row" }, [add, more]));
    return el("div", { className: "card", role: "listitem", "data-product-id": card.product_id }, [
      img ? el("img", { src: img, alt: title, loading: "lazy" }) : null, body,
    ]);
  }

  function firstInStock(variants) {
    for (var i = 0; i < variants.length; i++) if (variants[i].in_stock) return variants[i];
    return null;
  }

  function cartBox(cart) {
    setBadge(cart.item_count);
    var box = el("div", { className: "box cart", "data-testid": "elara-cart" }, [el("h3", { text: "Your cart" })]);
    var lines = cart.lines || [];
    if (!lines.length) { box.appendChild(el("div", { text: "Your cart is empty." })); return box; }
    lines.forEach(function (line) {
      var info = el("div", {}, [
        el("span", { text: line.title }),
        el("small", { text: [optionsText(line.options), line.quantity + " × " +
          money(line.unit_price_minor, line.currency)].filter(Boolean).join(" · ") }),
      ]);
      var right = el("div", {}, [
        el("div", { text: money(line.line_total_minor, line.currency) }),
        actionButton("Remove", "Remove " + line.title + " from my cart", "remove:" + line.sku, "chip",
          "Remove " + line.title + " from cart"),
      ]);
      box.appendChild(el("div", { className: "line" }, [info, right]));
    });
    box.appendChild(el("div", { className: "total" }, [
      el("span", { text: "Total (" + cart.item_count + " items)" }), el("span", { text: money(cart.total_minor, cart.currency) }),
    ]));
    box.appendChild(el("div", { className: "row" }, [actionButton("Check out", "I'd like to check out", "checkout")]));
    return box;
  }

  function checkoutBox(part) {
    var url = safeUrl(part.url);
    var box = el("div", { className: "box checkout", "data-testid": "elara-checkout" }, [
      el("h3", { text: "Order " + (part.order_number || "") }),
      el("div", { className: "total" }, [el("span", { text: "Total" }), el("span", { text: money(part.total_minor, part.currency) })]),
    ]);
    if (url) {
      box.appendChild(el("div", { className: "row" }, [
        el("a", { className: "btn", href: url, rel: "noopener", text: "Pay now", "data-testid": "elara-pay" }),
      ]));
    }
    return box;
  }

  var STATUS_TEXT = {
    pending_payment: "Awaiting payment", paid: "Paid — confirmed", fulfilled: "Shipped", delivered: "Delivered",
    cancelled: "Cancelled", refunded: "Refunded", expired: "Expired",
  };

  function orderBox(order) {
    if (order.status === "paid") setBadge(0);
    var box = el("div", { className: "box order", "data-testid": "elara-order", "data-status": order.status }, [
      el("h3", { text: "Order " + (order.number || "") }),
      el("div", { className: "order-status", text: "Status: " + (STATUS_TEXT[order.status] || order.status) }),
    ]);
    (order.lines || []).forEach(function (line) {
      box.appendChild(el("div", { className: "line" }, [
        el("span", { text: line.quantity + " × " + line.title }),
        el("span", { text: money(line.line_total_minor, order.currency) }),
      ]));
    });
    if (order.total_minor !== undefined) {
      box.appendChild(el("div", { className: "total" }, [el("span", { text: "Total" }),
        el("span", { text: money(order.total_minor, order.currency) })]));
    }
    (order.tracking || []).forEach(function (t) { box.appendChild(el("div", { text: "Tracking: " + t })); });
    var pay = order.status === "pending_payment" ? safeUrl(order.payment_url) : null;
    if (pay) box.appendChild(el("a", { className: "btn", href: pay, rel: "noopener", text: "Pay now" }));
    return box;
  }

  function quickReplies(replies) {
    var row = el("div", { className: "quick", role: "group", "aria-label": "Suggested replies" });
    replies.forEach(function (r) {
      row.appendChild(actionButton(String(r.label || r.message), String(r.message || r.label), r.action || null, "chip"));
    });
    return row;
  }

  function handoffBox(part) {
    var text = { requested: "We're connecting you with a person from our team.",
      active: "You're now chatting with a person from our team.", closed: "The conversation with our team has ended." };
    return el("div", { className: "box notice", role: "status", "data-testid": "elara-handoff" }, [
      el("strong", { text: text[part.status] || "Handoff" }), part.detail ? el("div", { text: part.detail }) : null,
    ]);
  }

  function chartBox(part) {
    var data = String(part.png_base64 || "");
    if (!/^[A-Za-z0-9+/=\s]+$/.test(data)) return null;
    return el("figure", { className: "box" }, [
      el("img", { className: "chart", src: "data:image/png;base64," + data.replace(/\s/g, ""), alt: part.title || "Chart" }),
      el("figcaption", { text: part.title || "" }),
    ]);
  }

  function tableBox(part) {
    var head = el("tr", {}, (part.columns || []).map(function (c) { return el("th", { scope: "col", text: c }); }));
    var rows = (part.rows || []).map(function (row) {
      return el("tr", {}, row.map(function (c) { return el("td", { text: c }); }));
    });
    return el("div", { className: "box" }, [
      el("h3", { text: part.title || "" }), el("table", {}, [el("thead", {}, [head]), el("tbody", {}, rows)]),
    ]);
  }

  // ---------------------------------------------------------------- start
  function mount() {
    document.body.appendChild(host);
    if (attr("open", "false") === "true" || paymentReturn()) openPanel();
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  window.Elara = { open: openPanel, close: closePanel, send: function (text) { openPanel(); return send(text, null); } };
})();
