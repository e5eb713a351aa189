/*
 * Elara web chat widget. Embed with one tag:
 *   <script src="https://shop-assistant.example/widget.js" data-elara-url="https://shop-assistant.example" defer></script>
 * Options (data-elara-* attributes on the tag): url (the Elara service, default: the script's origin), title,
 * greeting, accent (a CSS colour), position (right | left), open ("true" opens the panel on load), locale
 * (default: the page's lang), theme (auto | light | dark), offset-bottom and offset-side (px), z-index,
 * avoid ("false" keeps the bubble still when a fixed bar of the page covers its corner).
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
  function pixels(name, fallback) {
    var n = parseInt(attr(name, ""), 10);
    return isNaN(n) ? fallback : Math.max(0, Math.min(n, 2000));
  }

  // ---------------------------------------------------------------- messages (en, de, fr, es)
  var MESSAGES = {
    en: {
      title: "Shopping assistant", greeting: "Hi! I can help you find products, manage your cart and check out.",
      open: "Open chat", close: "Close chat", message: "Message", placeholder: "Type a message…", send: "Send",
      conversation: "Conversation", thinking: "Thinking…", working: "Working on it…", products: "Products",
      prev: "Previous products", next: "Next products", addToCart: "Add to cart", moreLike: "More like this",
      outOfStock: "Out of stock", addMessage: "Add {title} to my cart", moreMessage: "Show me products like {title}",
      cart: "Your cart", cartEmpty: "Your cart is empty.", remove: "Remove",
      removeMessage: "Remove {title} from my cart", total: "Total",
      totalItems: { one: "Total ({n} item)", other: "Total ({n} items)" },
      inCart: { one: "{n} item in cart", other: "{n} items in cart" },
      unread: { one: "{n} new reply", other: "{n} new replies" },
      products_n: { one: "{n} product", other: "{n} products" },
      orderStatus: "What is the status of order {number}?",
      checkout: "Check out", checkoutMessage: "I'd like to check out", order: "Order {number}",
      status: "Status: {status}", payNow: "Pay now", paid: "Paid", tracking: "Tracking: {code}",
      placed: "Placed on {date}", suggested: "Suggested replies", staff: "Store staff", assistant: "Assistant",
      handoff_requested: "We're connecting you with a person from our team.",
      handoff_active: "You're now chatting with a person from our team.",
      handoff_closed: "The conversation with our team has ended.", handoff: "Handoff",
      rateLimited: "You're sending messages too quickly.", wait: "Please wait {n} s and try again.",
      shortly: "Please try again shortly.", server: "Something went wrong on our side. Please try again.",
      client: "The assistant couldn't handle that request ({status}).",
      offline: "Can't reach the shop assistant. Check your connection and retry.",
      generic: "Something went wrong. Please try again.", cutOff: "The reply was cut off.",
      retry: "Retry", retryIn: "Retry in {n} s",
      historyFailed: "Couldn't load your conversation. Your cart and messages are safe: try again.",
      bestsellers: "Show me bestsellers", bestsellersMessage: "What are your popular products?",
      viewCart: "View my cart", viewCartMessage: "Show my cart", chart: "Chart",
      st_pending_payment: "Awaiting payment", st_paid: "Paid — confirmed", st_fulfilled: "Shipped",
      st_delivered: "Delivered", st_cancelled: "Cancelled", st_refunded: "Refunded", st_expired: "Expired",
      opt_size: "Size", opt_color: "Colour", opt_colour: "Colour", opt_material: "Material", opt_style: "Style",
    },
    de: {
      title: "Einkaufsassistent", greeting: "Hallo! Ich helfe dir, Produkte zu finden, deinen Warenkorb zu verwalten und zu bezahlen.",
      open: "Chat öffnen", close: "Chat schließen", message: "Nachricht", placeholder: "Nachricht eingeben…",
      send: "Senden", conversation: "Unterhaltung", thinking: "Einen Moment…", working: "Wird erledigt…",
      products: "Produkte", prev: "Vorherige Produkte", next: "Weitere Produkte", addToCart: "In den Warenkorb",
      moreLike: "Ähnliche Produkte", outOfStock: "Nicht vorrätig", addMessage: "Lege {title} in meinen Warenkorb",
      moreMessage: "Zeig mir Produkte wie {title}", cart: "Dein Warenkorb", cartEmpty: "Dein Warenkorb ist leer.",
      remove: "Entfernen", removeMessage: "Entferne {title} aus meinem Warenkorb", total: "Summe",
      totalItems: { one: "Summe ({n} Artikel)", other: "Summe ({n} Artikel)" },
      inCart: { one: "{n} Artikel im Warenkorb", other: "{n} Artikel im Warenkorb" },
      unread: { one: "{n} neue Antwort", other: "{n} neue Antworten" },
      products_n: { one: "{n} Produkt", other: "{n} Produkte" },
      orderStatus: "Wie ist der Status der Bestellung {number}?",
      checkout: "Zur Kasse", checkoutMessage: "Ich möchte bezahlen", order: "Bestellung {number}",
      status: "Status: {status}", payNow: "Jetzt bezahlen", paid: "Bezahlt", tracking: "Sendungsnummer: {code}",
      placed: "Bestellt am {date}", suggested: "Vorgeschlagene Antworten", staff: "Mitarbeiter des Shops",
      assistant: "Assistent", handoff_requested: "Wir verbinden dich mit einer Person aus unserem Team.",
      handoff_active: "Du schreibst jetzt mit einer Person aus unserem Team.",
      handoff_closed: "Das Gespräch mit unserem Team ist beendet.", handoff: "Übergabe",
      rateLimited: "Du sendest Nachrichten zu schnell.", wait: "Bitte warte {n} s und versuche es erneut.",
      shortly: "Bitte versuche es gleich noch einmal.", server: "Bei uns ist etwas schiefgelaufen. Bitte versuche es erneut.",
      client: "Der Assistent konnte die Anfrage nicht bearbeiten ({status}).",
      offline: "Der Shop-Assistent ist nicht erreichbar. Prüfe deine Verbindung und versuche es erneut.",
      generic: "Etwas ist schiefgelaufen. Bitte versuche es erneut.", cutOff: "Die Antwort wurde abgeschnitten.",
      retry: "Erneut versuchen", retryIn: "Erneut in {n} s",
      historyFailed: "Die Unterhaltung konnte nicht geladen werden. Warenkorb und Nachrichten sind sicher: versuche es erneut.",
      bestsellers: "Bestseller zeigen", bestsellersMessage: "Was sind eure beliebtesten Produkte?",
      viewCart: "Warenkorb ansehen", viewCartMessage: "Zeig meinen Warenkorb", chart: "Diagramm",
      st_pending_payment: "Wartet auf Zahlung", st_paid: "Bezahlt — bestätigt", st_fulfilled: "Versandt",
      st_delivered: "Zugestellt", st_cancelled: "Storniert", st_refunded: "Erstattet", st_expired: "Abgelaufen",
      opt_size: "Größe", opt_color: "Farbe", opt_colour: "Farbe", opt_material: "Material", opt_style: "Stil",
    },
    fr: {
      title: "Assistant d'achat", greeting: "Bonjour ! Je peux vous aider à trouver des produits, gérer votre panier et payer.",
      open: "Ouvrir le chat", close: "Fermer le chat", message: "Message", placeholder: "Écrivez un message…",
      send: "Envoyer", conversation: "Conversation", thinking: "Un instant…", working: "En cours…",
      products: "Produits", prev: "Produits précédents", next: "Produits suivants", addToCart: "Ajouter au panier",
      moreLike: "Produits similaires", outOfStock: "En rupture de stock", addMessage: "Ajoute {title} à mon panier",
      moreMessage: "Montre-moi des produits comme {title}", cart: "Votre panier", cartEmpty: "Votre panier est vide.",
      remove: "Retirer", removeMessage: "Retire {title} de mon panier", total: "Total",
      totalItems: { one: "Total ({n} article)", other: "Total ({n} articles)" },
      inCart: { one: "{n} article dans le panier", other: "{n} articles dans le panier" },
      unread: { one: "{n} nouvelle réponse", other: "{n} nouvelles réponses" },
      products_n: { one: "{n} produit", other: "{n} produits" },
      orderStatus: "Quel est le statut de la commande {number} ?",
      checkout: "Commander", checkoutMessage: "Je voudrais passer commande", order: "Commande {number}",
      status: "Statut : {status}", payNow: "Payer maintenant", paid: "Payée", tracking: "Suivi : {code}",
      placed: "Passée le {date}", suggested: "Réponses suggérées", staff: "Équipe de la boutique",
      assistant: "Assistant", handoff_requested: "Nous vous mettons en relation avec une personne de notre équipe.",
      handoff_active: "Vous discutez maintenant avec une personne de notre équipe.",
      handoff_closed: "La conversation avec notre équipe est terminée.", handoff: "Transfert",
      rateLimited: "Vous envoyez des messages trop vite.", wait: "Patientez {n} s puis réessayez.",
      shortly: "Réessayez dans un instant.", server: "Un problème est survenu de notre côté. Veuillez réessayer.",
      client: "L'assistant n'a pas pu traiter cette demande ({status}).",
      offline: "Impossible de joindre l'assistant. Vérifiez votre connexion et réessayez.",
      generic: "Un problème est survenu. Veuillez réessayer.", cutOff: "La réponse a été interrompue.",
      retry: "Réessayer", retryIn: "Réessayer dans {n} s",
      historyFailed: "Impossible de charger la conversation. Votre panier et vos messages sont conservés : réessayez.",
      bestsellers: "Voir les meilleures ventes", bestsellersMessage: "Quels sont vos produits populaires ?",
      viewCart: "Voir mon panier", viewCartMessage: "Montre mon panier", chart: "Graphique",
      st_pending_payment: "En attente de paiement", st_paid: "Payée — confirmée", st_fulfilled: "Expédiée",
      st_delivered: "Livrée", st_cancelled: "Annulée", st_refunded: "Remboursée", st_expired: "Expirée",
      opt_size: "Taille", opt_color: "Couleur", opt_colour: "Couleur", opt_material: "Matière", opt_style: "Style",
    },
    es: {
      title: "Asistente de compras", greeting: "¡Hola! Puedo ayudarte a encontrar productos, gestionar tu carrito y pagar.",
      open: "Abrir chat", close: "Cerrar chat", message: "Mensaje", placeholder: "Escribe un mensaje…",
      send: "Enviar", conversation: "Conversación", thinking: "Un momento…", working: "Trabajando en ello…",
      products: "Productos", prev: "Productos anteriores", next: "Más productos", addToCart: "Añadir al carrito",
      moreLike: "Productos similares", outOfStock: "Agotado", addMessage: "Añade {title} a mi carrito",
      moreMessage: "Muéstrame productos como {title}", cart: "Tu carrito", cartEmpty: "Tu carrito está vacío.",
      remove: "Quitar", removeMessage: "Quita {title} de mi carrito", total: "Total",
      totalItems: { one: "Total ({n} artículo)", other: "Total ({n} artículos)" },
      inCart: { one: "{n} artículo en el carrito", other: "{n} artículos en el carrito" },
      unread: { one: "{n} respuesta nueva", other: "{n} respuestas nuevas" },
      products_n: { one: "{n} producto", other: "{n} productos" },
      orderStatus: "¿Cuál es el estado del pedido {number}?",
      checkout: "Pagar", checkoutMessage: "Quiero pagar", order: "Pedido {number}",
      status: "Estado: {status}", payNow: "Pagar ahora", paid: "Pagado", tracking: "Seguimiento: {code}",
      placed: "Realizado el {date}", suggested: "Respuestas sugeridas", staff: "Equipo de la tienda",
      assistant: "Asistente", handoff_requested: "Te estamos poniendo en contacto con una persona de nuestro equipo.",
      handoff_active: "Ahora hablas con una persona de nuestro equipo.",
      handoff_closed: "La conversación con nuestro equipo ha terminado.", handoff: "Traspaso",
      rateLimited: "Estás enviando mensajes demasiado rápido.", wait: "Espera {n} s y vuelve a intentarlo.",
      shortly: "Vuelve a intentarlo en un momento.", server: "Algo ha fallado por nuestra parte. Vuelve a intentarlo.",
      client: "El asistente no pudo atender esa solicitud ({status}).",
      offline: "No se puede contactar con el asistente. Comprueba tu conexión y vuelve a intentarlo.",
      generic: "Algo ha fallado. Vuelve a intentarlo.", cutOff: "La respuesta se ha cortado.",
      retry: "Reintentar", retryIn: "Reintentar en {n} s",
      historyFailed: "No se pudo cargar la conversación. Tu carrito y tus mensajes están a salvo: vuelve a intentarlo.",
      bestsellers: "Ver los más vendidos", bestsellersMessage: "¿Cuáles son vuestros productos más populares?",
      viewCart: "Ver mi carrito", viewCartMessage: "Muestra mi carrito", chart: "Gráfico",
      st_pending_payment: "Pendiente de pago", st_paid: "Pagado — confirmado", st_fulfilled: "Enviado",
      st_delivered: "Entregado", st_cancelled: "Cancelado", st_refunded: "Reembolsado", st_expired: "Caducado",
      opt_size: "Talla", opt_color: "Color", opt_colour: "Color", opt_material: "Material", opt_style: "Estilo",
    },
  };

  function pickLocale() {
    var wanted = [attr("locale", ""), document.documentElement.lang, navigator.language, "en"];
    for (var i = 0; i < wanted.length; i++) {
      var tag = String(wanted[i] || "").trim();
      if (!tag) continue;
      try { tag = Intl.getCanonicalLocales(tag)[0]; } catch (e) { continue; }
      if (MESSAGES[tag.split("-")[0].toLowerCase()]) return tag;
    }
    return "en";
  }
  var LOCALE = pickLocale();
  var STRINGS = MESSAGES[LOCALE.split("-")[0].toLowerCase()];
  var PLURALS = new Intl.PluralRules(LOCALE);

  // t("key", {name: value}); a plural entry takes its form from vars.n
  function t(key, vars) {
    var entry = STRINGS[key] !== undefined ? STRINGS[key] : MESSAGES.en[key];
    if (entry === undefined) return key;
    if (typeof entry === "object") entry = entry[PLURALS.select(Number(vars && vars.n) || 0)] || entry.other;
    return String(entry).replace(/\{(\w+)\}/g, function (m, name) {
      return vars && vars[name] !== undefined ? String(vars[name]) : m;
    });
  }

  var BASE = attr("url", new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var ORIGIN = new URL(BASE, location.href).origin;
  var TITLE = attr("title", t("title"));
  var GREETING = attr("greeting", t("greeting"));
  var ACCENT = attr("accent", "#4f46e5");
  var POSITION = attr("position", "right") === "left" ? "left" : "right";
  var OFFSET_BOTTOM = pixels("offset-bottom", 20);
  var OFFSET_SIDE = pixels("offset-side", 20);
  var Z_INDEX = Math.min(pixels("z-index", 2147483647), 2147483647);
  var AVOID = attr("avoid", "true") !== "false";
  var KEY = "elara:" + ORIGIN + ":";
  var TOKEN_KEY = KEY + "session";
  var HANDLED_KEY = KEY + "handled-orders";
  var UNREAD_KEY = KEY + "unread";
  var WATCH_KEY = KEY + "watch-staff";
  var LAST_KEY = KEY + "last-id";

  // ---------------------------------------------------------------- storage
  var memoryStore = {};
  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return memoryStore[key] || null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { memoryStore[key] = value; }
  }
  function storageRemove(key) {
    try { window.localStorage.removeItem(key); } catch (e) { delete memoryStore[key]; }
  }

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

  // ---------------------------------------------------------------- money and dates (Intl, one way everywhere)
  // Minor units to major with ISO 4217's exponent, as elara_bot/money.py keeps it.
  function exponent(cur) {
    if (/^(BIF|CLP|DJF|GNF|ISK|JPY|KMF|KRW|PYG|RWF|UGX|UYI|VND|VUV|XAF|XOF|XPF)$/.test(cur)) return 0;
    if (/^(BHD|IQD|JOD|KWD|LYD|OMR|TND)$/.test(cur)) return 3;
    return /^(CLF|UYW)$/.test(cur) ? 4 : 2;
  }

  function money(minor, currency) {
    var cur = String(currency || "USD").toUpperCase();
    var places = exponent(cur);
    var major = Number(minor) / Math.pow(10, places);
    try {
      return new Intl.NumberFormat(LOCALE, {
        style: "currency", currency: cur, minimumFractionDigits: places, maximumFractionDigits: places,
      }).format(major);
    } catch (e) {
      return major.toFixed(places) + " " + cur;
    }
  }

  function dateText(iso) {
    var d = new Date(iso);
    if (!iso || isNaN(d.getTime())) return "";
    return new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium" }).format(d);
  }

  // Amounts in reply text, written by elara_bot/money.py ("$1,234.50", "1,500 JPY"), in the shopper's locale.
  var SYMBOL_CODES = { "$": "USD", "€": "EUR", "£": "GBP" };
  var CURRENCIES = (function () {
    try { return Intl.supportedValuesOf("currency"); } catch (e) { return ["USD", "EUR", "GBP"]; }
  })();
  var AMOUNT = /(-?)([$€£])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?|(-?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))? ([A-Z]{3})\b/g;

  function localAmounts(text) {
    return text.replace(AMOUNT, function (m, sign1, symbol, int1, frac1, sign2, int2, frac2, code) {
      var cur = symbol ? SYMBOL_CODES[symbol] : code;
      if (CURRENCIES.indexOf(cur) < 0) return m;
      var frac = (symbol ? frac1 : frac2) || "";
      var places = exponent(cur);
      if (frac.length && frac.length !== places) return m;
      var digits = (symbol ? int1 : int2).replace(/,/g, "") + (frac || new Array(places + 1).join("0"));
      return money(((symbol ? sign1 : sign2) ? -1 : 1) * Number(digits), cur);
    });
  }

  function optionName(key) {
    var known = STRINGS["opt_" + String(key).toLowerCase()];
    return known || String(key).charAt(0).toUpperCase() + String(key).slice(1);
  }

  function optionsText(options) {
    if (!options) return "";
    return Object.keys(options).map(function (k) { return optionName(k) + " " + options[k]; }).join(", ");
  }

  // ---------------------------------------------------------------- safe markdown (subset)
  // Bold (**x**), italic (*x* or _x_), inline code (`x`), links ([x](http...)), bullet and numbered lists,
  // paragraphs. Produces DOM nodes; text is only ever assigned through text nodes.
  var INLINE = /(\*\*([^*]+)\*\*|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)|\*([^*\s][^*]*)\*|\b_([^_]+)_\b)/g;

  function inline(text, parent) {
    var last = 0;
    function plain(s) { return document.createTextNode(localAmounts(s)); }
    text.replace(INLINE, function (m, _all, bold, code, linkText, linkHref, em1, em2, offset) {
      if (offset > last) parent.appendChild(plain(text.slice(last, offset)));
      if (bold !== undefined) parent.appendChild(el("strong", {}, [plain(bold)]));
      else if (code !== undefined) parent.appendChild(el("code", { text: code }));
      else if (linkText !== undefined) {
        var href = /^https?:\/\//i.test(linkHref) ? safeUrl(linkHref) : null;
        parent.appendChild(href
          ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer nofollow", text: linkText })
          : document.createTextNode(linkText));
      } else parent.appendChild(el("em", {}, [plain(em1 !== undefined ? em1 : em2)]));
      last = offset + m.length;
      return m;
    });
    if (last < text.length) parent.appendChild(plain(text.slice(last)));
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

  // ---------------------------------------------------------------- theme: colours the page asks for
  function rgb(color) {
    var canvas = document.createElement("canvas");
    canvas.width = canvas.height = 1;
    var ctx = canvas.getContext("2d");
    if (!ctx) return null;
    ctx.fillStyle = "#000";
    ctx.fillStyle = color;
    ctx.fillRect(0, 0, 1, 1);
    var d = ctx.getImageData(0, 0, 1, 1).data;
    return d[3] === 0 ? null : [d[0], d[1], d[2]];
  }

  function luminance(c) {
    var v = c.map(function (x) { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }

  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  function pageIsDark() {
    var wanted = attr("theme", "auto");
    if (wanted === "dark" || wanted === "light") return wanted === "dark";
    var scheme = getComputedStyle(document.documentElement).colorScheme || "";
    var meta = document.querySelector('meta[name="color-scheme"]');
    if (meta) scheme += " " + meta.getAttribute("content");
    var prefersDark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    if (/dark/.test(scheme)) return !/light/.test(scheme) || prefersDark;
    var bg = document.body && getComputedStyle(document.body).backgroundColor;
    var c = bg && bg !== "rgba(0, 0, 0, 0)" ? rgb(bg) : null;
    return c ? luminance(c) < 0.2 : false;
  }

  function themeVars(dark) {
    var accent = rgb(ACCENT) || [79, 70, 229];
    var surface = dark ? [31, 41, 55] : [255, 255, 255];
    var onAccent = contrast(accent, [255, 255, 255]) >= 4.5 ? "#fff" : "#111827";
    var accentText = contrast(accent, surface) >= 4.5 ? ACCENT : (dark ? "#e5e7eb" : "#1f2937");
    return "--accent:" + ACCENT + ";--on-accent:" + onAccent + ";--accent-text:" + accentText + ";";
  }

  // ---------------------------------------------------------------- styles
  var CSS = [
    ":host{all:initial!important;display:block!important;position:static!important;contain:none!important;",
    "visibility:visible!important;opacity:1!important;transform:none!important;}",
    "*,*::before,*::after{box-sizing:border-box;}",
    ".root{all:initial;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:14px;",
    "line-height:1.45;--z:" + Z_INDEX + ";--bg:#f9fafb;--surface:#fff;--fg:#1f2937;--muted:#4b5563;",
    "--border:#e5e7eb;--chip:#eef2ff;--chip-fg:#3730a3;--chip-border:#c7d2fe;--field:#6b7280;color:var(--fg);}",
    ".root.dark{--bg:#111827;--surface:#1f2937;--fg:#f3f4f6;--muted:#d1d5db;--border:#374151;--chip:#312e81;",
    "--chip-fg:#e0e7ff;--chip-border:#4338ca;--field:#9ca3af;}",
    "button,input,select,textarea{font:inherit;color:inherit;}",
    ".bubble{position:fixed;bottom:var(--bottom);" + POSITION + ":var(--side);z-index:var(--z);width:60px;",
    "height:60px;border-radius:50%;border:0;background:var(--accent);color:var(--on-accent);cursor:pointer;",
    "display:flex;align-items:center;justify-content:center;box-shadow:0 6px 20px rgba(0,0,0,.25);padding:0;",
    "margin:0;}",
    ".bubble svg{width:28px;height:28px;fill:currentColor;}",
    ":focus-visible{outline:3px solid #f59e0b;outline-offset:2px;}",
    ".badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;border-radius:11px;",
    "background:#b91c1c;color:#fff;font-size:12px;font-weight:700;display:flex;align-items:center;",
    "justify-content:center;padding:0 6px;border:2px solid #fff;}",
    "[hidden]{display:none!important;}",
    ".panel{position:fixed;bottom:calc(var(--bottom) + 72px);" + POSITION + ":var(--side);z-index:var(--z);",
    "width:380px;max-width:calc(100vw - 24px);height:600px;max-height:calc(100vh - var(--bottom) - 92px);",
    "background:var(--surface);border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.3);display:flex;",
    "flex-direction:column;overflow:hidden;}",
    ".panel:focus{outline:none;}",
    "@media (max-width:480px){.panel{left:0;right:0;top:0;bottom:0;width:100%;max-width:100%;height:100%;",
    "max-height:100%;border-radius:0;padding-top:env(safe-area-inset-top,0px);}",
    ".form{padding-bottom:calc(10px + env(safe-area-inset-bottom,0px));}}",
    ".head{display:flex;align-items:center;gap:8px;padding:12px 14px;background:var(--accent);color:var(--on-accent);}",
    ".head h2{all:unset;flex:1;font-size:16px;font-weight:600;}",
    ".close{background:transparent;border:0;color:inherit;font-size:22px;line-height:1;cursor:pointer;",
    "width:44px;height:44px;border-radius:8px;}",
    ".log{position:relative;flex:1;overflow-y:auto;overscroll-behavior:contain;padding:12px;display:flex;",
    "flex-direction:column;gap:10px;background:var(--bg);}",
    ".msg{max-width:90%;padding:8px 12px;border-radius:12px;overflow-wrap:break-word;}",
    ".msg.user{align-self:flex-end;background:var(--accent);color:var(--on-accent);white-space:pre-wrap;}",
    ".msg.assistant{align-self:stretch;background:var(--surface);border:1px solid var(--border);max-width:100%;min-width:0;}",
    ".msg.assistant.staff{border-color:#10b981;border-width:1px 1px 1px 4px;}",
    ".msg .who{font-size:12px;font-weight:700;margin-bottom:2px;}",
    ".md p{margin:0 0 6px;} .md p:last-child{margin-bottom:0;} .md ul,.md ol{margin:4px 0;padding-left:20px;}",
    ".md a{color:var(--accent-text);} .md code{background:var(--bg);padding:0 3px;border-radius:3px;}",
    ".md:empty{display:none;}",
    ".status{font-size:12px;color:var(--muted);font-style:italic;}",
    ".carousel{position:relative;margin:6px 0 2px;}",
    ".cards{display:flex;gap:8px;overflow-x:auto;scroll-snap-type:x mandatory;scroll-behavior:smooth;",
    "scrollbar-width:thin;padding-bottom:4px;}",
    ".card{flex:0 0 calc(50% - 4px);min-width:0;scroll-snap-align:start;border:1px solid var(--border);",
    "border-radius:10px;background:var(--surface);display:flex;flex-direction:column;overflow:hidden;}",
    ".card img{width:100%;height:100px;object-fit:contain;background:#f3f4f6;display:block;}",
    ".card .body{padding:8px;display:flex;flex-direction:column;gap:6px;flex:1;}",
    ".card h3{all:unset;font-weight:600;font-size:14px;display:block;overflow-wrap:break-word;}",
    ".card .price{font-weight:700;white-space:nowrap;}",
    ".card .desc{font-size:12px;color:var(--muted);display:-webkit-box;-webkit-line-clamp:3;",
    "-webkit-box-orient:vertical;overflow:hidden;}",
    ".card .acts{display:flex;flex-direction:column;gap:6px;margin-top:auto;}",
    ".arrow{position:absolute;top:34px;width:36px;height:36px;border-radius:50%;border:1px solid var(--border);",
    "background:var(--surface);color:var(--fg);box-shadow:0 2px 8px rgba(0,0,0,.25);cursor:pointer;z-index:1;",
    "font-size:20px;line-height:1;padding:0;display:flex;align-items:center;justify-content:center;}",
    ".arrow.prev{left:-6px;} .arrow.next{right:-6px;} .arrow[disabled]{display:none;}",
    "fieldset.opt{border:0;margin:0;padding:0;min-width:0;}",
    "fieldset.opt legend{font-size:12px;font-weight:600;padding:0;margin-bottom:3px;color:var(--muted);}",
    ".vals{display:flex;flex-wrap:wrap;gap:4px;}",
    ".val{position:relative;display:inline-flex;}",
    ".val input{position:absolute;opacity:0;width:1px;height:1px;margin:0;}",
    ".val span{display:inline-block;min-width:32px;min-height:28px;padding:4px 8px;border:1px solid var(--field);",
    "border-radius:14px;text-align:center;cursor:pointer;font-size:12px;white-space:nowrap;}",
    ".val input:checked+span{background:var(--accent);border-color:var(--accent);color:var(--on-accent);font-weight:600;}",
    ".val.alt span{border-style:dashed;}",
    ".val input:focus-visible+span{outline:3px solid #f59e0b;outline-offset:1px;}",
    ".btn{background:var(--accent);color:var(--on-accent);border:0;border-radius:8px;padding:8px 10px;cursor:pointer;",
    "font-weight:600;text-align:center;text-decoration:none;display:inline-block;min-height:36px;white-space:nowrap;}",
    ".btn.secondary{background:var(--surface);color:var(--accent-text);border:1px solid currentColor;}",
    ".btn[disabled]{background:var(--bg);color:var(--muted);border:1px solid var(--border);cursor:not-allowed;}",
    ".row{display:flex;gap:6px;flex-wrap:wrap;margin-top:6px;}",
    ".box{border:1px solid var(--border);border-radius:10px;background:var(--surface);padding:8px 10px;margin-top:6px;}",
    ".box h3{all:unset;display:block;font-weight:700;margin-bottom:4px;}",
    ".line{display:grid;grid-template-columns:minmax(0,1fr) auto;gap:4px 10px;align-items:start;padding:6px 0;",
    "border-bottom:1px dashed var(--border);}",
    ".line .what{min-width:0;}",
    ".line small{color:var(--muted);display:block;font-size:12px;}",
    ".line .amt{display:flex;flex-direction:column;align-items:flex-end;gap:4px;white-space:nowrap;font-weight:600;}",
    ".total{display:flex;justify-content:space-between;gap:10px;font-weight:700;padding-top:6px;}",
    ".total span:last-child{white-space:nowrap;}",
    ".quick{display:flex;gap:6px;flex-wrap:wrap;margin-top:6px;}",
    ".chip{background:var(--chip);color:var(--chip-fg);border:1px solid var(--chip-border);border-radius:16px;",
    "padding:6px 12px;cursor:pointer;min-height:32px;white-space:nowrap;font-weight:400;}",
    ".stale.ctl,.stale .ctl{display:none!important;}",
    ".paid-note{font-weight:700;color:#047857;}",
    ".root.dark .paid-note{color:#6ee7b7;}",
    ".error{align-self:stretch;background:#fee2e2;border:1px solid #ef4444;color:#7f1d1d;border-radius:10px;",
    "padding:8px 10px;display:flex;gap:8px;align-items:center;justify-content:space-between;}",
    "table{border-collapse:collapse;width:100%;font-size:12px;} th,td{border:1px solid var(--border);padding:3px;}",
    ".chart{max-width:100%;display:block;}",
    ".form{display:flex;gap:8px;padding:10px;border-top:1px solid var(--border);background:var(--surface);}",
    ".form textarea{flex:1;resize:none;height:44px;padding:10px;border:1px solid var(--field);border-radius:8px;",
    "background:var(--surface);font-size:16px;line-height:1.4;}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;}",
  ].join("");

  // ---------------------------------------------------------------- the widget
  var host = document.createElement("elara-chat");
  var shadow = host.attachShadow({ mode: "open" });
  shadow.appendChild(el("style", { text: CSS }));

  var badge = el("span", { className: "badge", hidden: true, "aria-hidden": "true", "data-testid": "elara-badge" });
  var bubble = el("button", {
    className: "bubble", type: "button", "aria-label": t("open") + ": " + TITLE,
    "aria-expanded": "false", "aria-controls": "elara-panel", "data-testid": "elara-bubble",
  });
  bubble.appendChild(svgChatIcon());
  bubble.appendChild(badge);

  var closeBtn = el("button", { className: "close", type: "button", "aria-label": t("close"), text: "\u00d7" });
  var log = el("div", {
    className: "log", role: "log", "aria-live": "off", "aria-label": t("conversation"), "data-testid": "elara-log",
  });
  var input = el("textarea", {
    rows: "1", placeholder: t("placeholder"), "aria-label": t("message"), maxlength: "2000",
    enterkeyhint: "send",
  });
  var sendBtn = el("button", { className: "btn", type: "submit", text: t("send") });
  var form = el("form", { className: "form" }, [input, sendBtn]);
  var titleId = "elara-title";
  var panel = el("div", {
    className: "panel", id: "elara-panel", role: "dialog", "aria-labelledby": titleId, hidden: true,
    tabindex: "-1", "data-testid": "elara-panel", lang: LOCALE,
  }, [el("div", { className: "head" }, [el("h2", { id: titleId, text: TITLE }), closeBtn]), log, form]);
  // what a screen reader hears: each finished reply once (not every streamed token), and cart changes
  var announcer = el("div", { className: "sr", role: "status", "aria-live": "polite", "data-testid": "elara-announcer" });
  var root = el("div", { className: "root", lang: LOCALE }, [bubble, panel, announcer]);
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

  var state = {
    open: false, loaded: false, loading: false, busy: false, turn: null, lastId: Number(storageGet(LAST_KEY)) || 0,
    staffTimer: null, unread: Number(storageGet(UNREAD_KEY)) || 0, lift: 0, pinned: true, scrollSet: -1,
    locked: null,
  };
  var STAFF_POLL_MS = 3000;
  var PHONE = window.matchMedia("(max-width: 480px)");
  var COARSE = window.matchMedia("(pointer: coarse)");

  function announce(text) {
    announcer.textContent = "";
    setTimeout(function () { announcer.textContent = text; }, 50);
  }

  // ---------------------------------------------------------------- unread badge (replies while closed)
  function setUnread(n) {
    state.unread = Math.max(0, n);
    storageSet(UNREAD_KEY, String(state.unread));
    badge.textContent = state.unread > 99 ? "99+" : String(state.unread);
    badge.hidden = state.unread <= 0;
    bubble.setAttribute("aria-label", t("open") + ": " + TITLE +
      (state.unread > 0 ? " (" + t("unread", { n: state.unread }) + ")" : ""));
  }

  function replyArrived() {
    if (!state.open || document.visibilityState === "hidden") setUnread(state.unread + 1);
  }

  // ---------------------------------------------------------------- placement: offsets, page bars, theme
  function place() {
    var bottom = OFFSET_BOTTOM + state.lift;
    root.style.cssText = themeVars(root.classList.contains("dark")) +
      "--bottom:calc(" + bottom + "px + env(safe-area-inset-bottom, 0px));--side:" + OFFSET_SIDE + "px;";
  }

  // A fixed bar of the page (a cookie banner) at the bottom of the viewport over the bubble's corner: stand
  // on top of it instead of under or over it.
  function fixedAncestor(node) {
    for (var n = node; n && n !== document.body && n !== document.documentElement; n = n.parentElement) {
      var pos = getComputedStyle(n).position;
      if (pos === "fixed" || pos === "sticky") return n;
    }
    return null;
  }

  function barUnder(x, y) {
    var found = null;
    document.elementsFromPoint(x, y).some(function (node) {
      if (node === host || host.contains(node)) return false;
      var bar = fixedAncestor(node);
      if (!bar) return false;
      var r = bar.getBoundingClientRect();
      if (r.bottom < window.innerHeight - 4 || r.height > window.innerHeight / 2) return false;
      found = r;
      return true;
    });
    return found;
  }

  function avoidBars() {
    if (!AVOID) return;
    var x = POSITION === "right" ? window.innerWidth - OFFSET_SIDE - 30 : OFFSET_SIDE + 30;
    var lift = 0;
    for (var i = 0; i < 4; i++) {
      var bottomEdge = window.innerHeight - OFFSET_BOTTOM - lift;
      var bar = barUnder(x, bottomEdge - 2) || barUnder(x, bottomEdge - 58);
      if (!bar) break;
      lift = Math.max(lift + 1, window.innerHeight - bar.top + 8 - OFFSET_BOTTOM);
    }
    if (lift !== state.lift) { state.lift = lift; place(); }
  }

  var avoidTimer = null;
  function avoidSoon() {
    if (avoidTimer) return;
    avoidTimer = setTimeout(function () { avoidTimer = null; avoidBars(); }, 150);
  }

  // ---------------------------------------------------------------- scrolling: follow a reply only while wanted
  function atBottom() { return log.scrollHeight - log.clientHeight - log.scrollTop < 24; }

  // the shopper's own scrolling (anything but the widget's last scroll) decides whether replies are followed
  function shopperScrolled() {
    if (log.scrollTop !== state.scrollSet) state.pinned = atBottom();
  }
  log.addEventListener("scroll", shopperScrolled);

  function scrollTo(top) {
    log.scrollTop = top;
    state.scrollSet = log.scrollTop;
  }

  function scrollDown() {
    state.pinned = true;
    scrollTo(log.scrollHeight);
  }

  // New content of `node`: follow it down while the shopper is at the bottom, but never past its first line.
  function follow(node) {
    shopperScrolled();  // a scroll whose event has not fired yet counts too
    if (!state.pinned || !node || !node.parentNode) return;
    var bottom = log.scrollHeight - log.clientHeight;
    var top = node.offsetTop - 8;
    scrollTo(Math.max(log.scrollTop, Math.min(bottom, top)));
    if (top < bottom) state.pinned = false;  // a long reply: the shopper reads it from its start
  }

  // ---------------------------------------------------------------- open, close, modal on phones
  function modal() { return PHONE.matches; }

  function lockPage(on) {
    var html = document.documentElement;
    if (on && !state.locked) {
      state.locked = { html: html.style.overflow, body: document.body.style.overflow };
      html.style.overflow = "hidden";
      document.body.style.overflow = "hidden";
    } else if (!on && state.locked) {
      html.style.overflow = state.locked.html;
      document.body.style.overflow = state.locked.body;
      state.locked = null;
    }
  }

  function applyModal() {
    var on = state.open && modal();
    if (on) panel.setAttribute("aria-modal", "true");
    else panel.removeAttribute("aria-modal");
    lockPage(on);
  }

  function openPanel() {
    if (state.open) return;
    state.open = true;
    panel.hidden = false;
    bubble.setAttribute("aria-expanded", "true");
    applyModal();
    setUnread(0);
    // on a touch screen a focused field pops the keyboard over the conversation: focus the dialog instead
    if (COARSE.matches) panel.focus(); else input.focus();
    if (!state.loaded && !state.loading) {
      loadHistory().then(function (ok) { if (ok) afterPaymentReturn(); });
    }
    scrollDown();
  }

  function closePanel() {
    if (!state.open) return;
    state.open = false;
    panel.hidden = true;
    bubble.setAttribute("aria-expanded", "false");
    applyModal();
    bubble.focus();
  }

  function focusables() {
    return Array.prototype.filter.call(
      panel.querySelectorAll("button,a[href],input,textarea,select,[tabindex]:not([tabindex='-1'])"),
      function (n) { return !n.disabled && !n.closest("[inert]") && n.getClientRects().length > 0; });
  }

  // While the panel is modal, Tab and Shift+Tab go round its own controls.
  function trapTab(e) {
    if (e.key !== "Tab" || !modal()) return;
    var items = focusables();
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1], active = shadow.activeElement;
    if (e.shiftKey && (active === first || active === panel)) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && active === last) { e.preventDefault(); first.focus(); }
  }

  bubble.addEventListener("click", function () { state.open ? closePanel() : openPanel(); });
  closeBtn.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { e.preventDefault(); closePanel(); } else trapTab(e);
  });
  document.addEventListener("focusin", function (e) {
    if (state.open && modal() && e.target !== host) panel.focus();
  });
  PHONE.addEventListener("change", applyModal);
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

  function getHistory(after) {
    return authed(function (tok) {
      return fetch(BASE + "/api/v1/chat/history" + (after ? "?after=" + after : ""), {
        headers: { Authorization: "Bearer " + tok, Accept: "application/json" }, credentials: "omit",
      });
    }).then(function (r) {
      if (!r.ok) throw httpError(r);
      return r.json();
    });
  }

  // ---------------------------------------------------------------- history
  // Resolves true once the conversation is drawn; a failure shows a Retry (never a fresh greeting, which
  // would look as if the cart and the conversation were gone). The history is the whole conversation: turns
  // the shopper had while it could not load are in it, so it replaces what the log shows instead of
  // following it. It is read with no turn streaming (that turn's words are saved when it ends).
  function loadHistory() {
    if (!storageGet(TOKEN_KEY)) { state.loaded = true; greet(); return Promise.resolve(true); }
    state.loading = true;
    return afterTurn().then(function () { return getHistory(0); }).then(function (body) {
      if (state.busy) return loadHistory();  // a turn began while it loaded: read it again once it ends
      state.loading = false;
      state.loaded = true;
      clearLog();
      var turns = Array.isArray(body) ? body : [];
      if (!turns.length) { greet(); return true; }
      turns.forEach(drawTurn);
      scrollDown();
      return true;
    }).catch(function (err) {
      state.loading = false;
      showError(err, null, t("historyFailed"));
      return false;
    });
  }

  function afterTurn() { return state.turn || Promise.resolve(); }

  function clearLog() {
    clearError();
    while (log.firstChild) log.removeChild(log.firstChild);
  }

  function drawTurn(turn) {
    seen(turn);
    if (turn.role === "user") addUser(turn.text || "");
    else if (turn.role === "human_agent") addStaff(turn.text || "");
    else if (turn.role === "assistant") {
      var view = addAssistant();
      view.setText(turn.text || "");
      (turn.parts || []).forEach(view.addPart);
    }
  }

  // ---------------------------------------------------------------- staff replies during a handoff
  // A merchant answers in Slack; their words are stored in the conversation and fetched from here.
  function seen(turn) {
    if (typeof turn.id === "number" && turn.id > state.lastId) {
      state.lastId = turn.id;
      storageSet(LAST_KEY, String(turn.id));
    }
    if (turn.role === "human_agent") watchStaff();
    (turn.parts || []).forEach(function (p) {
      if (p && p.type === "handoff" && p.status !== "closed") watchStaff();
    });
  }

  function watchStaff() {
    storageSet(WATCH_KEY, "1");
    if (state.staffTimer) return;
    state.staffTimer = setInterval(pollStaff, STAFF_POLL_MS);
  }

  function stopWatching() {
    storageRemove(WATCH_KEY);
    clearInterval(state.staffTimer);
    state.staffTimer = null;
  }

  function pollStaff() {
    if (!storageGet(TOKEN_KEY) || state.busy || state.loading) return;
    getHistory(state.lastId).then(function (turns) {
      (Array.isArray(turns) ? turns : []).forEach(function (turn) {
        if (typeof turn.id !== "number" || turn.id <= state.lastId) return;
        var closed = turn.role === "assistant" && handoffClosed(turn);
        if (turn.role === "human_agent" || closed) {
          if (state.loaded) { drawTurn(turn); follow(log.lastChild); }
          replyArrived();
          announce((turn.role === "human_agent" ? t("staff") : t("assistant")) + ": " + (turn.text || ""));
        }
        seen(turn);
        if (closed) stopWatching();  // staff handed the conversation back
      });
    }).catch(function () { /* the next poll tries again */ });
  }

  function handoffClosed(turn) {
    return (turn.parts || []).some(function (p) { return p && p.type === "handoff" && p.status === "closed"; });
  }

  function addStaff(text) {
    var label = el("div", { className: "who", text: t("staff") });
    var node = el("div", { className: "msg assistant staff", "data-role": "human_agent" }, [label, markdown(text)]);
    log.appendChild(node);
    return node;
  }

  // The chips' words are the page's language; their actions are what the server acts on (the offline model
  // reads English only), as with every button the widget makes.
  function greet() {
    var view = addAssistant();
    view.setText(GREETING);
    view.addPart({ type: "quick_replies", replies: [
      { label: t("bestsellers"), message: t("bestsellersMessage"), action: "popular" },
      { label: t("viewCart"), message: t("viewCartMessage"), action: "view_cart" },
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
    send(t("orderStatus", { number: number }), "order_status:" + number);
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

  // The turn's promise settles once it has ended, whatever happened (state.turn meanwhile).
  function runTurn(body) {
    clearError();
    retireAll("quick_replies");
    setBusy(true);
    var view = addAssistant();
    view.setStatus(t("thinking"));
    var turn = authed(function (tok) {
      return fetch(BASE + "/api/v1/chat", {
        method: "POST", credentials: "omit", mode: "cors",
        headers: { Authorization: "Bearer " + tok, "Content-Type": "application/json", Accept: "text/event-stream" },
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
      replyArrived();
    }).catch(function (err) {
      setBusy(false);
      view.failed();
      showError(err, body);
    }).then(function () {
      if (state.turn === turn) state.turn = null;
    });
    state.turn = turn;
    return turn;
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
    }

    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          buffer += decoder.decode();
          if (buffer.trim()) handle(buffer.replace(/\r/g, ""));
          if (!finished) throw new Error(t("cutOff"));
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
    if (payload.status !== "started") return t("thinking");
    return payload.label || t("working");  // the server names what the tool does
  }

  // ---------------------------------------------------------------- errors + retry
  var errorBox = null;

  function clearError() {
    if (errorBox && errorBox.parentNode) errorBox.parentNode.removeChild(errorBox);
    errorBox = null;
  }

  function errorText(err) {
    if (err.status === 429 || err.serverError === "RateLimited") {
      return t("rateLimited") + " " + (err.retryAfter ? t("wait", { n: err.retryAfter }) : t("shortly"));
    }
    if (err.status >= 500) return t("server");
    if (err.status) return t("client", { status: err.status });
    if (err.serverError) return err.message;
    if (err instanceof TypeError) return t("offline");
    return err.message || t("generic");
  }

  // body null: the history failed to load, and Retry loads it again
  function showError(err, body, text) {
    clearError();
    var retry = el("button", { className: "btn", type: "button", text: t("retry"), "data-testid": "elara-retry" });
    var message = el("span", { role: "alert", text: text || errorText(err) });
    errorBox = el("div", { className: "error", "data-testid": "elara-error" }, [message, retry]);
    log.appendChild(errorBox);
    var wait = err.retryAfter && (err.status === 429 || err.serverError === "RateLimited") ? err.retryAfter : 0;
    if (wait > 0) countdown(retry, wait);
    retry.addEventListener("click", function () {
      if (retry.disabled) return;
      clearError();
      if (body) runTurn(body);
      else loadHistory().then(function (ok) { if (ok) afterPaymentReturn(); });
    });
    scrollDown();
    if (state.open) retry.focus();
  }

  function countdown(button, seconds) {
    var left = Math.min(seconds, 600);
    button.disabled = true;
    button.textContent = t("retryIn", { n: left });
    var timer = setInterval(function () {
      left -= 1;
      if (left <= 0) {
        clearInterval(timer);
        button.disabled = false;
        button.textContent = t("retry");
      } else button.textContent = t("retryIn", { n: left });
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
      follow(node);
    }
    var view = {
      setText: function (text) { raw = text; render(); },
      appendText: function (text) { raw += text; status.hidden = true; render(); },
      setStatus: function (text) { status.textContent = text; status.hidden = false; },
      addPart: function (part) {
        status.hidden = true;
        if (part && part.type === "handoff") watchStaff();
        var rendered = renderPart(part);
        if (rendered && repeatsText(part, raw)) { retireOlder(rendered, part); rendered = null; }
        if (rendered) {
          rendered.setAttribute("data-part", String(part.type));
          retireOlder(rendered, part);
          parts.appendChild(rendered);
          dedupeButtons(parts);
        }
        partCount += 1;
        follow(node);
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
        if (!raw && !partCount) { if (node.parentNode) node.parentNode.removeChild(node); return; }
        announce(t("assistant") + ": " + [raw.trim(), summary(all)].filter(Boolean).join(" — "));
      },
      failed: function () {
        status.hidden = true;
        if (!raw && !partCount && node.parentNode) node.parentNode.removeChild(node);
      },
    };
    return view;
  }

  // A part that would only repeat the reply's text is not shown: an empty cart under "Your cart is empty."
  // (older carts still lose their buttons). Its sentence in the page's language or the assistant's.
  function repeatsText(part, text) {
    if (!part || part.type !== "cart" || ((part.cart || {}).lines || []).length) return false;
    var said = squash(text);
    return [t("cartEmpty"), MESSAGES.en.cartEmpty].some(function (s) { return said.indexOf(squash(s)) >= 0; });
  }

  function squash(text) { return String(text || "").toLowerCase().replace(/\s+/g, " ").trim(); }

  function summary(parts) {
    return parts.map(function (p) {
      if (p.type === "product_cards") return t("products_n", { n: (p.cards || []).length });
      if (p.type === "cart") return t("inCart", { n: (p.cart || {}).item_count || 0 });
      return typeof p.text === "string" ? p.text : "";
    }).filter(Boolean).join(". ");
  }

  // ---------------------------------------------------------------- stale controls
  // Only the newest cards, cart and suggestions take clicks: older ones keep their text and lose their
  // buttons (hidden, so out of the Tab order and of what a screen reader offers).
  var RETIRED_BY = { product_cards: ["product_cards"], cart: ["cart", "checkout_link"], quick_replies: ["quick_replies"],
    checkout_link: ["checkout_link"] };

  function retireAll(kind) {
    Array.prototype.forEach.call(log.querySelectorAll('[data-part="' + kind + '"]'), retire);
  }

  function retire(node) {
    node.classList.add("stale");
    if (node.classList.contains("ctl")) node.setAttribute("inert", "");
    Array.prototype.forEach.call(node.querySelectorAll(".ctl"), function (c) { c.setAttribute("inert", ""); });
  }

  function retireOlder(rendered, part) {
    Object.keys(RETIRED_BY).forEach(function (kind) {
      if (RETIRED_BY[kind].indexOf(part.type) >= 0) retireAll(kind);
    });
    retireAll("quick_replies");
    if (part.type === "order" && part.order && part.order.status !== "pending_payment") {
      markPaid(String(part.order.number || ""), part.order.status);
    }
    if (part.type === "order") retireOrders(String((part.order || {}).number || ""));
  }

  // An order that is no longer awaiting payment: its earlier "Pay now" buttons go.
  function markPaid(number, status) {
    Array.prototype.forEach.call(log.querySelectorAll('[data-order="' + CSS_ESCAPE(number) + '"]'), function (box) {
      if (box.classList.contains("stale")) return;
      retire(box);
      if (status === "paid" || status === "fulfilled" || status === "delivered") {
        box.appendChild(el("div", { className: "paid-note", text: t("paid") }));
      }
    });
  }

  function retireOrders(number) {
    Array.prototype.forEach.call(log.querySelectorAll('[data-part="order"]'), function (box) {
      if (box.getAttribute("data-order") === number) retire(box);
    });
  }

  function CSS_ESCAPE(s) { return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, ""); }

  // A suggestion that repeats a button of the same reply ("Check out" under a cart that has one) is dropped.
  function dedupeButtons(parts) {
    var offered = {};
    Array.prototype.forEach.call(parts.querySelectorAll("[data-action]:not(.chip)"), function (b) {
      offered[b.getAttribute("data-action")] = true;
    });
    Array.prototype.forEach.call(parts.querySelectorAll(".quick [data-action]"), function (chip) {
      if (offered[chip.getAttribute("data-action")]) chip.parentNode.removeChild(chip);
    });
  }

  // ---------------------------------------------------------------- reply parts
  function renderPart(part) {
    if (!part || typeof part !== "object") return null;
    switch (part.type) {
      case "product_cards": return productCards(part.cards || []);
      case "cart": return cartBox(part.cart || {});
      case "checkout_link": return checkoutBox(part);
      case "order": return orderBox(part.order || {});
      case "quick_replies": case "choices": return quickReplies(part.replies || part.choices || part.options || []);
      case "handoff": return handoffBox(part);
      case "chart": return chartBox(part);
      case "table": return tableBox(part);
      default: return unknownPart(part);
    }
  }

  // A part this widget does not know yet: its text, if it has any, as a note.
  function unknownPart(part) {
    var text = [part.title, part.text || part.detail || part.message || part.note].filter(function (s) {
      return typeof s === "string" && s.trim();
    });
    if (!text.length) return null;
    return el("div", { className: "box note", "data-testid": "elara-note" }, text.map(function (s) { return markdown(s); }));
  }

  function actionButton(label, message, action, className, ariaLabel) {
    return el("button", {
      className: className || "btn", type: "button", text: label, "aria-label": ariaLabel || null,
      "data-action": action || null,
      onClick: function () { if (!state.busy) send(message, action); },
    });
  }

  function productCards(cards) {
    var list = el("div", { className: "cards", role: "list", "aria-label": t("products") });
    cards.forEach(function (card, i) { list.appendChild(productCard(card, i)); });
    var prev = el("button", { className: "arrow prev ctl", type: "button", "aria-label": t("prev"), text: "\u2039" });
    var next = el("button", { className: "arrow next ctl", type: "button", "aria-label": t("next"), text: "\u203a" });
    function step(dir) {
      var first = list.firstElementChild;
      var width = first ? first.getBoundingClientRect().width + 8 : list.clientWidth;
      list.scrollBy({ left: dir * width, behavior: "smooth" });
    }
    function update() {
      prev.disabled = list.scrollLeft <= 2;
      next.disabled = list.scrollLeft + list.clientWidth >= list.scrollWidth - 2;
    }
    prev.addEventListener("click", function () { step(-1); });
    next.addEventListener("click", function () { step(1); });
    list.addEventListener("scroll", update);
    if (window.ResizeObserver) new ResizeObserver(update).observe(list);
    setTimeout(update, 0);
    return el("div", { className: "carousel" }, [prev, list, next]);
  }

  function priceText(card) {
    if (card.price_min_minor === card.price_max_minor) return money(card.price_min_minor, card.currency);
    return money(card.price_min_minor, card.currency) + " – " + money(card.price_max_minor, card.currency);
  }

  var cardSeq = 0;

  function productCard(card) {
    var title = String(card.title || "");
    var variants = card.variants || [];
    var img = safeUrl(card.image_url);
    var price = el("div", { className: "price", text: priceText(card) });
    var body = el("div", { className: "body" }, [
      el("h3", { text: title }), price,
      card.description ? el("div", { className: "desc", text: String(card.description) }) : null,
    ]);
    var picker = variantPicker(variants, ++cardSeq, function (chosen) {
      price.textContent = chosen ? money(chosen.price_minor, card.currency) : priceText(card);
      add.disabled = !chosen;
      add.textContent = chosen ? t("addToCart") : t("outOfStock");
      add.setAttribute("aria-label", add.textContent + ": " + title);
      current = chosen;
    });
    var current = null;
    var add = el("button", { className: "btn", type: "button", "data-action": "add" });
    if (picker.node) body.appendChild(picker.node);
    picker.start();
    add.addEventListener("click", function () {
      if (!current || state.busy) return;
      var opts = optionsText(current.options);
      send(t("addMessage", { title: title + (opts ? " (" + opts + ")" : "") }), "add:" + current.sku + ":1");
    });
    var more = actionButton(t("moreLike"), t("moreMessage", { title: title }), "more_like:" + card.product_id,
      "btn secondary", t("moreLike") + ": " + title);
    body.appendChild(el("div", { className: "acts ctl" }, [add, more]));
    return el("div", { className: "card", role: "listitem", "data-product-id": card.product_id }, [
      img ? el("img", { src: img, alt: title, loading: "lazy" }) : null, body,
    ]);
  }

  // Option chips, one group per option (size, colour…), offering only values some in-stock variant has.
  // Choosing a value that does not go with the others picks the nearest in-stock combination.
  function variantPicker(variants, seq, onChange) {
    var inStock = variants.filter(function (v) { return v.in_stock; });
    var keys = [];
    variants.forEach(function (v) {
      Object.keys(v.options || {}).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); });
    });
    var chosen = inStock[0] ? Object.assign({}, inStock[0].options) : {};
    var chosenSku = inStock[0] ? inStock[0].sku : null;
    var groups = [];
    var noKeys = !keys.length && inStock.length > 1;

    function matches(v, sel) {
      return Object.keys(sel).every(function (k) { return (v.options || {})[k] === sel[k]; });
    }
    function pick(key, value) {
      var sel = Object.assign({}, chosen);
      sel[key] = value;
      var exact = inStock.filter(function (v) { return matches(v, sel); })[0];
      var near = exact || inStock.filter(function (v) { return (v.options || {})[key] === value; })[0];
      if (near) { chosen = Object.assign({}, near.options); chosenSku = near.sku; }
      refresh();
    }
    function current() {
      if (noKeys) return inStock.filter(function (v) { return v.sku === chosenSku; })[0] || null;
      return inStock.filter(function (v) { return matches(v, chosen) && v.sku === chosenSku; })[0] ||
        inStock.filter(function (v) { return matches(v, chosen); })[0] || null;
    }
    function refresh() {
      groups.forEach(function (g) {
        g.inputs.forEach(function (item) {
          item.input.checked = noKeys ? item.value === chosenSku : chosen[g.key] === item.value;
          var sel = Object.assign({}, chosen);
          sel[g.key] = item.value;
          var fits = noKeys || inStock.some(function (v) { return matches(v, sel); });
          item.label.classList.toggle("alt", !fits);
        });
      });
      onChange(current());
    }
    function group(key, values, labelOf) {
      var name = "elara-v" + seq + "-" + groups.length;
      var g = { key: key, inputs: [] };
      var vals = el("div", { className: "vals" });
      values.forEach(function (value) {
        var input = el("input", { type: "radio", name: name, value: value });
        var label = el("label", { className: "val" }, [input, el("span", { text: labelOf(value) })]);
        input.addEventListener("change", function () {
          if (noKeys) { chosenSku = value; refresh(); } else pick(key, value);
        });
        g.inputs.push({ input: input, label: label, value: value });
        vals.appendChild(label);
      });
      groups.push(g);
      return el("fieldset", { className: "opt ctl" }, [el("legend", { text: optionName(key) }), vals]);
    }

    var nodes = [];
    if (noKeys) {
      nodes.push(group("option", inStock.map(function (v) { return v.sku; }), function (s) { return s; }));
    } else {
      keys.forEach(function (key) {
        var values = [];
        inStock.forEach(function (v) {
          var val = (v.options || {})[key];
          if (val !== undefined && values.indexOf(val) < 0) values.push(val);
        });
        if (values.length > 1) nodes.push(group(key, values, function (s) { return s; }));
      });
    }
    return {
      node: nodes.length ? el("div", { className: "opts" }, nodes) : null,
      start: refresh,
    };
  }

  function cartBox(cart) {
    var box = el("div", { className: "box cart", "data-testid": "elara-cart" }, [el("h3", { text: t("cart") })]);
    var lines = cart.lines || [];
    if (!lines.length) { box.appendChild(el("div", { text: t("cartEmpty") })); return box; }
    lines.forEach(function (line) {
      var what = el("div", { className: "what" }, [
        el("span", { text: line.title }),
        el("small", { text: [optionsText(line.options), line.quantity + " × " +
          money(line.unit_price_minor, line.currency)].filter(Boolean).join(" · ") }),
      ]);
      var amount = el("div", { className: "amt" }, [
        el("span", { className: "line-total", text: money(line.line_total_minor, line.currency) }),
        actionButton(t("remove"), t("removeMessage", { title: line.title }), "remove:" + line.sku, "chip ctl",
          t("remove") + ": " + line.title),
      ]);
      box.appendChild(el("div", { className: "line", "data-sku": line.sku }, [what, amount]));
    });
    box.appendChild(el("div", { className: "total" }, [
      el("span", { text: t("totalItems", { n: cart.item_count || 0 }) }),
      el("span", { text: money(cart.total_minor, cart.currency) }),
    ]));
    box.appendChild(el("div", { className: "row ctl" }, [
      actionButton(t("checkout"), t("checkoutMessage"), "checkout"),
    ]));
    return box;
  }

  function checkoutBox(part) {
    var url = safeUrl(part.url);
    var box = el("div", {
      className: "box checkout", "data-testid": "elara-checkout", "data-order": part.order_number || "",
    }, [
      el("h3", { text: t("order", { number: part.order_number || "" }) }),
      el("div", { className: "total" }, [el("span", { text: t("total") }), el("span", { text: money(part.total_minor, part.currency) })]),
    ]);
    if (url) {
      box.appendChild(el("div", { className: "row ctl" }, [
        el("a", { className: "btn", href: url, rel: "noopener", text: t("payNow"), "data-testid": "elara-pay" }),
      ]));
    }
    return box;
  }

  function orderBox(order) {
    var box = el("div", {
      className: "box order", "data-testid": "elara-order", "data-status": order.status,
      "data-order": order.number || "",
    }, [
      el("h3", { text: t("order", { number: order.number || "" }) }),
      el("div", { className: "order-status", text: t("status", { status: t("st_" + order.status) }) }),
      order.created_at ? el("small", { className: "placed", text: t("placed", { date: dateText(order.created_at) }) }) : null,
    ]);
    (order.lines || []).forEach(function (line) {
      box.appendChild(el("div", { className: "line" }, [
        el("span", { className: "what", text: line.quantity + " × " + line.title }),
        el("span", { className: "amt", text: money(line.line_total_minor, order.currency) }),
      ]));
    });
    if (order.total_minor !== undefined) {
      box.appendChild(el("div", { className: "total" }, [el("span", { text: t("total") }),
        el("span", { text: money(order.total_minor, order.currency) })]));
    }
    (order.tracking || []).forEach(function (code) { box.appendChild(el("div", { text: t("tracking", { code: code }) })); });
    var pay = order.status === "pending_payment" ? safeUrl(order.payment_url) : null;
    if (pay) {
      box.appendChild(el("div", { className: "row ctl" }, [
        el("a", { className: "btn", href: pay, rel: "noopener", text: t("payNow"), "data-testid": "elara-pay" }),
      ]));
    }
    return box;
  }

  function quickReplies(replies) {
    var row = el("div", { className: "quick ctl", role: "group", "aria-label": t("suggested") });
    replies.forEach(function (r) {
      if (typeof r === "string") r = { label: r, message: r };
      if (!r || !(r.label || r.message)) return;
      row.appendChild(actionButton(String(r.label || r.message), String(r.message || r.label), r.action || null, "chip"));
    });
    return row;
  }

  function handoffBox(part) {
    return el("div", { className: "box notice", role: "status", "data-testid": "elara-handoff" }, [
      el("strong", { text: t("handoff_" + part.status) }), part.detail ? el("div", { text: part.detail }) : null,
    ]);
  }

  function chartBox(part) {
    var data = String(part.png_base64 || "");
    if (!/^[A-Za-z0-9+/=\s]+$/.test(data)) return null;
    return el("figure", { className: "box" }, [
      el("img", { className: "chart", src: "data:image/png;base64," + data.replace(/\s/g, ""), alt: part.title || t("chart") }),
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

  // Prices the page marks (data-elara-money="1999" data-elara-currency="USD") read the same as the widget's.
  function formatPagePrices() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-elara-money]"), function (node) {
      var minor = Number(node.getAttribute("data-elara-money"));
      if (!isNaN(minor)) node.textContent = money(minor, node.getAttribute("data-elara-currency"));
    });
  }

  // ---------------------------------------------------------------- start
  function mount() {
    // a child of <html>, not <body>: a transform or filter on the page's body would otherwise become the
    // containing block of the fixed bubble and carry it to the foot of the page
    document.documentElement.appendChild(host);
    if (pageIsDark()) root.classList.add("dark");
    place();
    setUnread(state.unread);
    formatPagePrices();
    avoidBars();
    window.addEventListener("resize", avoidSoon);
    if (window.MutationObserver) {
      new MutationObserver(avoidSoon).observe(document.documentElement, {
        childList: true, subtree: true, attributes: true, attributeFilter: ["style", "class", "hidden"],
      });
    }
    if (storageGet(WATCH_KEY) && storageGet(TOKEN_KEY)) watchStaff();
    if (attr("open", "false") === "true" || paymentReturn()) openPanel();
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  window.Elara = {
    open: openPanel, close: closePanel, send: function (text) { openPanel(); return send(text, null); },
    formatMoney: money, locale: LOCALE,
  };
})();
