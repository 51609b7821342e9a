// The sandbox chat: a small Telegram-like client of the sandbox's JSON control API.
// Plain ES2020, no dependencies. Texts come as Telegram delivers them, plain text plus
// entities; a bot text that still is HTML is parsed inert and rebuilt from text nodes and a
// few allowed tags only. Nothing from the server is ever assigned as innerHTML.
"use strict";

(() => {
  const API = "/api/sandbox";
  const DEFAULT_USER = 1001;
  const POLL_TIMEOUT = 25; // seconds the server may hold a long poll
  const MAX_BACKOFF_MS = 15000;
  const MIN_POLL_MS = 300;
  const MAX_FILE_BYTES = 20 * 1024 * 1024;
  const ALLOWED_TAGS = new Map([
    ["B", "b"],
    ["STRONG", "b"],
    ["I", "i"],
    ["EM", "i"],
  ]);
  const DROPPED_TAGS = new Set(["SCRIPT", "STYLE", "TEMPLATE", "NOSCRIPT", "IFRAME", "OBJECT"]);

  const $ = (id) => document.getElementById(id);
  const el = {
    userSelect: $("user-select"),
    addUserToggle: $("add-user-toggle"),
    addUserForm: $("add-user-form"),
    violations: $("violations"),
    violationsPanel: $("violations-panel"),
    violationsList: $("violations-list"),
    connection: $("connection"),
    messages: $("messages"),
    empty: $("empty"),
    typing: $("typing"),
    jump: $("jump"),
    replyKeyboard: $("reply-keyboard"),
    composer: $("composer"),
    input: $("text-input"),
    send: $("send-button"),
    attach: $("attach-button"),
    file: $("file-input"),
    sticker: $("sticker-button"),
    contactDialog: $("contact-dialog"),
    contactForm: $("contact-form"),
    contactPhone: $("contact-phone"),
    toasts: $("toasts"),
  };

  const state = {
    userId: DEFAULT_USER,
    users: [],
    // message_id -> {node, sig, keyboardSig}; kept so a refresh only touches what changed and
    // a screen reader hears new messages only.
    rendered: new Map(),
    lastBotId: 0,
    replyKeyboardSig: "",
    atBottom: true, // the list shows its newest message: keep following
    ownScroll: false, // the next scroll event is our own jump to the end
    followNext: false, // the person just acted: show the bot's answer even if scrolled up
    callbackSeen: null, // callback answers already shown (null: not yet loaded)
    generation: 0, // bumped on every user switch: stale polls and refreshes stop
    pollAbort: null,
  };

  // ---------------------------------------------------------------- HTTP

  class ApiError extends Error {}

  async function api(path, { method = "GET", body, signal } = {}) {
    const init = { method, signal, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(API + path, init);
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok || (data && data.ok === false)) {
      const why = (data && (data.description || data.error)) || `HTTP ${response.status}`;
      throw new ApiError(why);
    }
    return data;
  }

  // A control call (send, click, …): errors become a toast, success refreshes the chat.
  async function control(path, body) {
    try {
      const data = await api(path, { method: "POST", body });
      state.followNext = true;
      refreshSoon();
      return data;
    } catch (error) {
      toast(error instanceof ApiError ? error.message : `Request failed: ${error.message}`);
      return null;
    }
  }

  // ---------------------------------------------------------------- toasts

  function toast(text, kind = "error") {
    const node = document.createElement("div");
    node.className = `toast toast-${kind}`;
    node.textContent = text;
    el.toasts.append(node);
    setTimeout(() => node.remove(), 6000);
  }

  // ---------------------------------------------------------------- rich text

  // Append Telegram-HTML `source` to `target`, keeping <b>/<i> (and <strong>/<em>) and line
  // breaks; any other tag contributes its text only.
  function appendRichText(target, source) {
    const doc = new DOMParser().parseFromString(
      `<!doctype html><body>${String(source)}</body>`,
      "text/html",
    );
    appendSanitised(target, doc.body);
  }

  function appendSanitised(target, from) {
    for (const child of from.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        appendPlainText(target, child.nodeValue);
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        const tag = child.tagName.toUpperCase();
        if (tag === "BR") {
          target.append(document.createElement("br"));
        } else if (ALLOWED_TAGS.has(tag)) {
          const kept = document.createElement(ALLOWED_TAGS.get(tag));
          appendSanitised(kept, child);
          target.append(kept);
        } else if (!DROPPED_TAGS.has(tag)) {
          appendSanitised(target, child);
        }
      }
    }
  }

  // Plain text; the bubble's `white-space: pre-wrap` shows its "\n" as line breaks (and keeps
  // them in the text that is copied or read out).
  function appendPlainText(target, text) {
    const value = String(text).replace(/\r\n?/g, "\n");
    if (value) target.append(document.createTextNode(value));
  }

  // Telegram's way: plain text plus entities (offsets in UTF-16 code units, which is what JS
  // string indices are). Styles become elements built here; links stay text.
  const ENTITY_TAGS = {
    bold: "b",
    italic: "i",
    underline: "u",
    strikethrough: "s",
    code: "code",
    pre: "code",
    spoiler: "span",
    blockquote: "span",
    expandable_blockquote: "span",
  };
  const ENTITY_ORDER = Object.keys(ENTITY_TAGS);

  function appendEntities(target, text, entities) {
    const styled = (entities || []).filter(
      (e) => e && ENTITY_TAGS[e.type] && Number(e.length) > 0 && Number(e.offset) >= 0,
    );
    const cuts = new Set([0, text.length]);
    for (const e of styled) {
      cuts.add(Math.min(text.length, Number(e.offset)));
      cuts.add(Math.min(text.length, Number(e.offset) + Number(e.length)));
    }
    const points = [...cuts].sort((x, y) => x - y);
    for (let k = 0; k + 1 < points.length; k += 1) {
      const start = points[k];
      const end = points[k + 1];
      const active = styled
        .filter((e) => Number(e.offset) <= start && Number(e.offset) + Number(e.length) >= end)
        .map((e) => e.type)
        .sort((x, y) => ENTITY_ORDER.indexOf(x) - ENTITY_ORDER.indexOf(y));
      let into = target;
      for (const type of new Set(active)) {
        const node = document.createElement(ENTITY_TAGS[type]);
        if (type === "spoiler") node.className = "spoiler";
        if (type === "pre") node.className = "pre";
        if (type.endsWith("blockquote")) node.className = "quote";
        into.append(node);
        into = node;
      }
      appendPlainText(into, text.slice(start, end));
    }
  }

  // ---------------------------------------------------------------- messages

  function formatTime(date) {
    if (!date) return "";
    const d = new Date(Number(date) * 1000);
    if (Number.isNaN(d.getTime())) return "";
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  }

  function fileName(obj, fallback) {
    if (!obj || typeof obj !== "object") return fallback;
    return obj.file_name || obj.name || fallback;
  }

  const FILE_URL = /^\/api\/sandbox\/files\/[A-Za-z0-9_-]+$/;

  function sizeLabel(bytes) {
    const n = Number(bytes);
    if (!n) return "";
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
    return `${(n / 1024 / 1024).toFixed(1)} MB`;
  }

  // What a photo, file, voice message, video, sticker or contact looks like in a bubble: a
  // chip with its kind and name (and a link to the bytes the sandbox keeps).
  function attachmentChip(message) {
    let icon = "";
    let parts = [];
    let media = null;
    if (message.photo) {
      media = Array.isArray(message.photo) ? message.photo[message.photo.length - 1] : message.photo;
      icon = "🖼";
      parts = [fileName(media, "Photo")];
      if (media && media.width && media.height) parts.push(`${media.width}×${media.height}`);
    } else if (message.document) {
      media = message.document;
      icon = "📄";
      parts = [fileName(media, "Document"), media.mime_type];
    } else if (message.voice) {
      media = message.voice;
      icon = "🎤";
      parts = ["Voice message", media.duration ? `${media.duration} s` : ""];
    } else if (message.video) {
      media = message.video;
      icon = "🎬";
      parts = [fileName(media, "Video")];
    } else if (message.sticker) {
      media = message.sticker;
      icon = media.emoji || "😀";
      parts = ["Sticker"];
    } else if (message.contact) {
      const c = message.contact;
      icon = "📞";
      parts = [c.phone_number || c.phone || "Contact", [c.first_name, c.last_name].join(" ")];
    } else {
      return null;
    }
    if (media && media.file_size) parts.push(sizeLabel(media.file_size));
    const url = media && typeof media.url === "string" && FILE_URL.test(media.url) ? media.url : "";
    const chip = document.createElement(url ? "a" : "div");
    chip.className = "attachment";
    if (url) {
      chip.href = url;
      chip.target = "_blank";
      chip.rel = "noopener noreferrer";
    }
    const i = document.createElement("span");
    i.className = "attachment-icon";
    i.setAttribute("aria-hidden", "true");
    i.textContent = icon;
    const l = document.createElement("span");
    l.className = "attachment-label";
    l.textContent = parts.map((p) => String(p || "").trim()).filter(Boolean).join(" · ");
    chip.append(i, l);
    return chip;
  }

  // The sandbox hands texts over as Telegram does, plain text plus entities. A bot text with
  // no entities field is taken as the HTML the bot sent (parse mode HTML) and sanitised; what
  // a user typed is always plain text.
  function appendBody(target, message, body) {
    const entities = message.text ? message.entities : message.caption_entities || message.entities;
    if (Array.isArray(entities)) {
      appendEntities(target, String(body), entities);
    } else if (message.from === "bot") {
      const mode = message.parse_mode;
      if (mode === undefined || mode === null || String(mode).toUpperCase() === "HTML") {
        appendRichText(target, body);
      } else {
        appendPlainText(target, body);
      }
    } else {
      appendPlainText(target, body);
    }
  }

  function buildMessage(message) {
    const fromBot = message.from === "bot";
    const node = document.createElement("div");
    node.className = `message ${fromBot ? "from-bot" : "from-user"}`;
    node.dataset.testid = "message";
    node.dataset.from = fromBot ? "bot" : "user";
    node.dataset.messageId = String(message.message_id);

    const bubble = document.createElement("div");
    bubble.className = "bubble";
    const who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = fromBot ? "Bot: " : "You: ";
    bubble.append(who);

    const chip = attachmentChip(message);
    if (chip) bubble.append(chip);

    const body = message.text ?? message.caption;
    if (body) {
      const text = document.createElement("div");
      text.className = "text";
      appendBody(text, message, body);
      bubble.append(text);
    } else if (!chip) {
      const text = document.createElement("div");
      text.className = "text muted";
      text.textContent = fromBot ? "(empty message)" : "(unsupported message)";
      bubble.append(text);
    }

    const time = document.createElement("time");
    time.className = "time";
    time.textContent = formatTime(message.date);
    if (message.edit_date) time.textContent += " · edited";
    bubble.append(time);
    node.append(bubble);

    const keyboard = message.inline_keyboard;
    if (fromBot && Array.isArray(keyboard) && keyboard.length) {
      node.append(buildInlineKeyboard(message.message_id, keyboard));
    }
    return node;
  }

  function buildInlineKeyboard(messageId, rows) {
    const wrap = document.createElement("div");
    wrap.className = "inline-keyboard";
    wrap.setAttribute("role", "group");
    wrap.setAttribute("aria-label", "Answer buttons");
    for (const row of rows) {
      const line = document.createElement("div");
      line.className = "inline-row";
      for (const button of row) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "inline-button";
        b.dataset.testid = "inline-button";
        b.textContent = button.text;
        if (button.url) {
          b.title = button.url;
          b.addEventListener("click", () => toast(`Link button: ${button.url}`, "info"));
        } else {
          b.addEventListener("click", () => clickInline(b, messageId, button.callback_data));
        }
        line.append(b);
      }
      wrap.append(line);
    }
    return wrap;
  }

  async function clickInline(button, messageId, data) {
    const group = button.closest(".inline-keyboard");
    const buttons = group ? group.querySelectorAll("button") : [button];
    buttons.forEach((b) => (b.disabled = true));
    button.classList.add("pressed");
    await control("/click", { user_id: state.userId, message_id: messageId, data });
    // The bot usually edits the keyboard away; if it does not, let the person click again.
    buttons.forEach((b) => {
      if (b.isConnected) b.disabled = false;
    });
    button.classList.remove("pressed");
  }

  // Scrolling: the list follows new messages while the person is at its end (as Telegram
  // does); scrolled up to read, they get a "new messages" button instead.
  function nearBottom() {
    const m = el.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < 60;
  }

  function scrollToBottom() {
    const m = el.messages;
    const top = m.scrollTop;
    m.scrollTop = m.scrollHeight;
    // The scroll event of our own jump may come after the layout changed again (say, the
    // reply keyboard appeared): it must not count as the person scrolling away.
    if (m.scrollTop !== top) state.ownScroll = true;
    state.atBottom = true;
    el.jump.hidden = true;
  }

  el.messages.addEventListener("scroll", () => {
    if (state.ownScroll) {
      state.ownScroll = false;
      return;
    }
    state.atBottom = nearBottom();
    if (state.atBottom) el.jump.hidden = true;
  });
  // The list's box changes when the reply keyboard comes or goes, the input grows, or the
  // window (a phone's on-screen keyboard) resizes: stay at the end if we were there.
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(() => {
      if (state.atBottom) scrollToBottom();
    }).observe(el.messages);
  }
  el.jump.addEventListener("click", () => {
    scrollToBottom();
    el.messages.focus({ preventScroll: true });
  });

  // Render the list; return whether new messages were added.
  function renderMessages(messages) {
    const before = state.rendered.size;
    const seen = new Set();
    let previous = null;
    for (const message of messages) {
      const id = String(message.message_id);
      seen.add(id);
      const sig = JSON.stringify({ ...message, inline_keyboard: null });
      const keyboardSig = JSON.stringify(message.inline_keyboard || null);
      let entry = state.rendered.get(id);
      if (entry && entry.sig === sig && entry.keyboardSig !== keyboardSig) {
        // Only the inline keyboard was edited (usually removed after a click): swap just the
        // keyboard, so the log does not announce the whole message again.
        const old = entry.node.querySelector(".inline-keyboard");
        if (old) old.remove();
        const rows = message.inline_keyboard;
        if (message.from === "bot" && Array.isArray(rows) && rows.length) {
          entry.node.append(buildInlineKeyboard(message.message_id, rows));
        }
        entry.keyboardSig = keyboardSig;
      } else if (!entry || entry.sig !== sig) {
        // New, or its text was edited: (re)build it; an edited text is announced again.
        const node = buildMessage(message);
        if (entry) entry.node.replaceWith(node);
        entry = { node, sig, keyboardSig };
        state.rendered.set(id, entry);
      }
      // Keep DOM order equal to the server's order.
      const expectedPrev = previous ? previous.nextSibling : el.messages.firstChild;
      if (entry.node !== expectedPrev || !entry.node.isConnected) {
        if (previous) previous.after(entry.node);
        else el.messages.prepend(entry.node);
      }
      previous = entry.node;
      if (message.from === "bot") {
        state.lastBotId = Math.max(state.lastBotId, Number(message.message_id) || 0);
      }
    }
    for (const [id, entry] of state.rendered) {
      if (!seen.has(id)) {
        entry.node.remove();
        state.rendered.delete(id);
      }
    }
    el.empty.hidden = messages.length > 0;
    if (!el.empty.hidden && el.empty.parentNode !== el.messages) el.messages.append(el.empty);
    return state.rendered.size > before;
  }

  function clearMessages() {
    for (const entry of state.rendered.values()) entry.node.remove();
    state.rendered.clear();
    state.lastBotId = 0;
    el.empty.hidden = false;
  }

  // ---------------------------------------------------------------- reply keyboard

  function renderReplyKeyboard(markup) {
    const rows = markup && Array.isArray(markup.keyboard) ? markup.keyboard : [];
    const sig = JSON.stringify(rows);
    if (sig === state.replyKeyboardSig) return;
    state.replyKeyboardSig = sig;
    el.replyKeyboard.replaceChildren();
    el.replyKeyboard.hidden = rows.length === 0;
    for (const row of rows) {
      const line = document.createElement("div");
      line.className = "reply-row";
      for (const raw of row) {
        const button = typeof raw === "string" ? { text: raw } : raw;
        const b = document.createElement("button");
        b.type = "button";
        b.className = "reply-button";
        b.dataset.testid = "reply-button";
        if (button.request_contact) {
          b.dataset.requestContact = "true";
          b.classList.add("contact");
          b.append(phoneIcon());
        }
        b.append(document.createTextNode(button.text));
        b.addEventListener("click", () => {
          if (button.request_contact) askForContact();
          else sendText(button.text);
        });
        line.append(b);
      }
      el.replyKeyboard.append(line);
    }
  }

  function phoneIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(ns, "path");
    path.setAttribute(
      "d",
      "M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 " +
        "1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1 " +
        "11.4 11.4 0 0 0 .57 3.6 1 1 0 0 1-.25 1z",
    );
    svg.append(path);
    return svg;
  }

  function askForContact() {
    el.contactPhone.value = "+7 701 234 5678";
    if (typeof el.contactDialog.showModal === "function") {
      el.contactDialog.showModal();
      el.contactPhone.select();
    } else {
      const phone = window.prompt("Phone number to share", el.contactPhone.value);
      if (phone) control("/contact", { user_id: state.userId, phone: phone.trim() });
    }
  }

  el.contactDialog.addEventListener("close", () => {
    if (el.contactDialog.returnValue === "share") {
      const phone = el.contactPhone.value.trim();
      if (phone) control("/contact", { user_id: state.userId, phone });
    }
    el.contactDialog.returnValue = "";
    el.input.focus();
  });

  // ---------------------------------------------------------------- chat loading & polling

  async function refresh() {
    const generation = state.generation;
    const userId = state.userId;
    const data = await api(`/chat/${encodeURIComponent(userId)}`);
    if (generation !== state.generation) return;
    const stick = state.atBottom || state.followNext;
    const added = renderMessages(Array.isArray(data.messages) ? data.messages : []);
    renderReplyKeyboard(data.reply_keyboard);
    // Scroll once both are in place: the reply keyboard changes the list's height.
    if (stick) {
      scrollToBottom();
      state.followNext = false;
    } else if (added) {
      el.jump.hidden = false;
    }
    showChatAction(data.chat_action);
    showCallbackAnswers(data.callback_answers);
    refreshViolations();
  }

  function showChatAction(action) {
    const typing = action === "typing";
    el.typing.hidden = !action;
    el.typing.textContent = typing ? "The bot is typing…" : action ? `The bot: ${action}…` : "";
  }

  // answerCallbackQuery texts pop up in Telegram as a toast (or an alert): the same here, for
  // the answers that arrived since the chat was opened.
  function showCallbackAnswers(answers) {
    const list = Array.isArray(answers) ? answers : [];
    if (state.callbackSeen === null) {
      state.callbackSeen = list.length;
      return;
    }
    for (const answer of list.slice(state.callbackSeen)) {
      if (answer && answer.text) toast(answer.text, answer.show_alert ? "error" : "info");
    }
    state.callbackSeen = list.length;
  }

  let refreshTimer = null;
  function refreshSoon() {
    // Coalesce: several control calls in a row make one refresh.
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      refresh().catch(() => {});
    }, 50);
  }

  function showConnection(text) {
    el.connection.hidden = !text;
    el.connection.textContent = text || "";
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function pollLoop(generation) {
    let backoff = 0;
    while (generation === state.generation) {
      const abort = new AbortController();
      state.pollAbort = abort;
      const started = Date.now();
      try {
        const path =
          `/chat/${encodeURIComponent(state.userId)}` +
          `?after=${state.lastBotId}&timeout=${POLL_TIMEOUT}`;
        await api(path, { signal: abort.signal });
        if (generation !== state.generation) return;
        await refresh();
        backoff = 0;
        showConnection("");
        // A server that answers at once every time must not make this a busy loop.
        if (Date.now() - started < MIN_POLL_MS) await sleep(MIN_POLL_MS);
      } catch (error) {
        if (generation !== state.generation || abort.signal.aborted) return;
        backoff = Math.min(backoff ? backoff * 2 : 1000, MAX_BACKOFF_MS);
        showConnection(`Cannot reach the sandbox (${error.message}). Retrying…`);
        await sleep(backoff);
      }
    }
  }

  async function switchUser(userId) {
    state.generation += 1;
    if (state.pollAbort) state.pollAbort.abort();
    state.userId = userId;
    try {
      localStorage.setItem("sandbox-user", String(userId));
    } catch (_) {
      // storage can be disabled; the default user is fine then
    }
    clearMessages();
    state.atBottom = true;
    state.callbackSeen = null;
    state.replyKeyboardSig = "";
    renderReplyKeyboard(null);
    const generation = state.generation;
    try {
      await refresh();
      scrollToBottom();
      showConnection("");
    } catch (error) {
      showConnection(`Cannot reach the sandbox (${error.message}). Retrying…`);
    }
    pollLoop(generation);
  }

  // ---------------------------------------------------------------- users

  function userLabel(user) {
    const name =
      user.name ||
      [user.first_name, user.last_name].filter(Boolean).join(" ") ||
      user.username ||
      `User ${user.id}`;
    const lang = user.language_code ? ` · ${user.language_code}` : "";
    const role = user.role && user.role !== "citizen" ? ` · ${user.role}` : "";
    return `${name} · ${user.id}${lang}${role}`;
  }

  async function loadUsers(select) {
    const data = await api("/users");
    const users = (Array.isArray(data) ? data : data.users || []).map((u) => ({
      ...u,
      id: u.id ?? u.user_id,
    }));
    state.users = users;
    el.userSelect.replaceChildren();
    for (const user of users) {
      const option = document.createElement("option");
      option.value = String(user.id);
      option.textContent = userLabel(user);
      el.userSelect.append(option);
    }
    if (!users.some((u) => Number(u.id) === Number(select))) {
      const option = document.createElement("option");
      option.value = String(select);
      option.textContent = `User ${select}`;
      el.userSelect.append(option);
    }
    el.userSelect.value = String(select);
  }

  el.userSelect.addEventListener("change", () => {
    const id = Number(el.userSelect.value);
    if (id && id !== state.userId) switchUser(id);
  });

  el.addUserToggle.addEventListener("click", () => {
    const open = el.addUserForm.hidden;
    el.addUserForm.hidden = !open;
    el.addUserToggle.setAttribute("aria-expanded", String(open));
    if (open) $("new-user-id").focus();
  });

  el.addUserForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(el.addUserForm);
    const id = Number(form.get("id"));
    if (!Number.isSafeInteger(id) || id <= 0) {
      toast("The id must be a positive whole number.");
      return;
    }
    const user = {
      user_id: id,
      first_name: String(form.get("name") || "").trim(),
      language_code: form.get("language_code"),
      role: form.get("role"),
    };
    try {
      await api("/users", { method: "POST", body: user });
    } catch (error) {
      toast(error.message);
      return;
    }
    el.addUserForm.reset();
    el.addUserForm.hidden = true;
    el.addUserToggle.setAttribute("aria-expanded", "false");
    await loadUsers(id).catch((error) => toast(error.message));
    switchUser(id);
    toast(`Added ${user.first_name || id}.`, "info");
  });

  // ---------------------------------------------------------------- violations

  function setViolationsLabel(text) {
    const prefix = document.createElement("span");
    prefix.className = "pill-prefix";
    prefix.textContent = "Bot API: ";
    el.violations.replaceChildren(prefix, document.createTextNode(text));
  }

  let violationsBusy = false;
  async function refreshViolations() {
    if (violationsBusy) return;
    violationsBusy = true;
    try {
      const data = await api("/violations");
      const count = Number(data.count) || 0;
      const items = Array.isArray(data.violations) ? data.violations : [];
      el.violations.dataset.count = String(count);
      el.violations.classList.toggle("ok", count === 0);
      el.violations.classList.toggle("bad", count > 0);
      el.violationsPanel.classList.toggle("bad", count > 0);
      setViolationsLabel(`${count} violation${count === 1 ? "" : "s"}`);
      el.violationsList.replaceChildren();
      for (const item of items.slice(-50)) {
        const li = document.createElement("li");
        li.textContent =
          item && item.method && item.description
            ? `${item.method}: ${item.description}`
            : typeof item === "string"
              ? item
              : JSON.stringify(item);
        el.violationsList.append(li);
      }
      if (!items.length) {
        const li = document.createElement("li");
        li.textContent = count ? "Details are in the sandbox's log." : "None so far.";
        el.violationsList.append(li);
      }
    } catch (_) {
      setViolationsLabel("unknown");
      el.violations.classList.remove("ok", "bad");
    } finally {
      violationsBusy = false;
    }
  }

  el.violations.addEventListener("click", () => {
    const open = el.violationsPanel.hidden;
    el.violationsPanel.hidden = !open;
    el.violations.setAttribute("aria-expanded", String(open));
  });

  // ---------------------------------------------------------------- composing

  async function sendText(text) {
    const clean = String(text).replace(/\s+$/u, "");
    if (!clean.trim()) return null;
    return control("/send", { user_id: state.userId, text: clean });
  }

  function autoGrow() {
    el.input.style.height = "auto";
    el.input.style.height = `${Math.min(el.input.scrollHeight, 160)}px`;
  }

  el.composer.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = el.input.value;
    if (!text.trim()) {
      el.input.focus();
      return;
    }
    el.input.value = "";
    autoGrow();
    el.input.focus();
    scrollToBottom();
    const sent = await sendText(text);
    if (!sent && !el.input.value) {
      el.input.value = text; // not sent: give the text back rather than lose it
      autoGrow();
    }
  });

  el.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      el.composer.requestSubmit();
    }
  });
  el.input.addEventListener("input", autoGrow);

  for (const chip of document.querySelectorAll("[data-command]")) {
    chip.addEventListener("click", () => sendText(chip.dataset.command));
  }

  el.sticker.addEventListener("click", () => control("/sticker", { user_id: state.userId }));

  el.attach.addEventListener("click", () => el.file.click());

  function readBase64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => {
        const url = String(reader.result);
        resolve(url.slice(url.indexOf(",") + 1));
      };
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  el.file.addEventListener("change", async () => {
    const file = el.file.files && el.file.files[0];
    el.file.value = "";
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      toast(`${file.name} is larger than 20 MB: bots cannot download such files.`);
      return;
    }
    let data;
    try {
      data = await readBase64(file);
    } catch (error) {
      toast(`Cannot read ${file.name}: ${error && error.message}`);
      return;
    }
    const caption = el.input.value.trim();
    const body = { user_id: state.userId, data_base64: data };
    if (caption) body.caption = caption;
    const isPhoto = /^image\/(jpeg|png|webp|gif)$/i.test(file.type);
    if (!isPhoto) {
      body.file_name = file.name;
      body.mime_type = file.type || "application/octet-stream";
    }
    const ok = await control(isPhoto ? "/photo" : "/document", body);
    if (ok && caption) {
      el.input.value = "";
      autoGrow();
    }
  });

  // ---------------------------------------------------------------- start

  async function start() {
    let initial = DEFAULT_USER;
    const fromUrl = Number(new URLSearchParams(window.location.search).get("user"));
    if (Number.isSafeInteger(fromUrl) && fromUrl > 0) {
      initial = fromUrl;
    } else {
      try {
        const saved = Number(localStorage.getItem("sandbox-user"));
        if (Number.isSafeInteger(saved) && saved > 0) initial = saved;
      } catch (_) {
        // ignore
      }
    }
    try {
      await loadUsers(initial);
      if (!state.users.some((u) => Number(u.id) === initial) && state.users.length) {
        if (state.users.some((u) => Number(u.id) === DEFAULT_USER)) initial = DEFAULT_USER;
        el.userSelect.value = String(initial);
      }
    } catch (error) {
      toast(`Cannot load users: ${error.message}`);
    }
    await switchUser(initial);
    setInterval(refreshViolations, 5000);
  }

  start();
})();
