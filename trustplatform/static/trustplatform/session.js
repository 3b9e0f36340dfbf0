// The idle sign-out warning: two minutes before a session that reads child data is signed out
// for idleness (30 minutes, docs/security.md), a dialog says so and offers to stay signed in.
// The page knows how long was left when it was drawn (data-idle-seconds); before warning it asks
// the server again, as another tab may have been used meanwhile. Asking is no activity.
"use strict";
(() => {
  const body = document.body;
  const url = body.dataset.sessionUrl;
  const dialog = document.getElementById("idle-warning");
  if (!url || !dialog) return;
  const WARN_SECONDS = 120;
  const text = dialog.querySelector("[data-idle-text]");
  const stay = dialog.querySelector("[data-stay-signed-in]");
  const signIn = dialog.querySelector("[data-sign-in-again]");
  let deadline = Date.now() + Number(body.dataset.idleSeconds) * 1000;
  let timer = 0;
  let returnFocus = null;

  const csrf = () => {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };

  const ask = (method) =>
    fetch(url, {
      method,
      credentials: "same-origin",
      headers: method === "POST" ? { "X-CSRFToken": csrf() } : { "X-Background": "session" },
    }).then((response) => {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    });

  const secondsLeft = () => Math.max(0, Math.round((deadline - Date.now()) / 1000));

  const words = (seconds) => {
    if (seconds > 90) return `${Math.ceil(seconds / 60)} minutes`;
    if (seconds > 59) return "1 minute";
    return `${seconds} seconds`;
  };

  const signedOut = () => {
    clearTimeout(timer);
    text.textContent =
      "You have been signed out, as nothing happened for 30 minutes. Copy anything you were " +
      "typing somewhere safe, then sign in again.";
    stay.hidden = true;
    signIn.hidden = false;
    if (dialog.hidden) open();
    signIn.focus();
  };

  const tick = () => {
    const left = secondsLeft();
    if (left <= 0) {
      signedOut();
      return;
    }
    text.textContent =
      `You will be signed out in ${words(left)}, as nothing has happened for a while. ` +
      "What you are typing is kept as a draft.";
    // Every 15 seconds: the text is read when the dialog opens, not announced on each change.
    timer = setTimeout(tick, Math.min(15000, left * 1000));
  };

  const open = () => {
    returnFocus = document.activeElement;
    dialog.hidden = false;
    dialog.setAttribute("tabindex", "-1");
  };

  const close = () => {
    dialog.hidden = true;
    if (returnFocus instanceof HTMLElement) returnFocus.focus();
  };

  const warn = () => {
    open();
    stay.focus();
    tick();
  };

  const schedule = () => {
    clearTimeout(timer);
    const wait = deadline - Date.now() - WARN_SECONDS * 1000;
    timer = setTimeout(check, Math.max(0, wait));
  };

  function check() {
    ask("GET")
      .then((data) => {
        if (data.seconds_left === null) return;
        deadline = Date.now() + data.seconds_left * 1000;
        if (data.seconds_left > WARN_SECONDS + 5) schedule();
        else warn();
      })
      .catch(signedOut);
  }

  stay.addEventListener("click", () => {
    ask("POST")
      .then((data) => {
        deadline = Date.now() + data.seconds_left * 1000;
        clearTimeout(timer);
        close();
        schedule();
      })
      .catch(signedOut);
  });

  // Keyboard: Escape stays signed in; Tab stays inside the dialog while it is open.
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !stay.hidden) {
      event.preventDefault();
      stay.click();
    } else if (event.key === "Tab") {
      event.preventDefault();
      (stay.hidden ? signIn : stay).focus();
    }
  });

  schedule();
})();
