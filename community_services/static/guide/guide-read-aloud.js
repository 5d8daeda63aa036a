/* Linli walking guide: read a tour stop's story aloud with the phone's own voice (Web Speech API).
 *
 * The button is in the page hidden; it is shown only where the phone has speech synthesis, so a phone without
 * it (or without scripts) sees the story and nothing that does not work. A second press stops the reading.
 * A voice of the page's language is preferred; when the phone has none, or speaking fails, a note says so.
 * data-state on the button: "off", "speaking" (tests read it). Nothing is fetched: the words are the page's.
 */
(function () {
  "use strict";
  var button = document.getElementById("read-aloud");
  var story = document.getElementById("story");
  var none = document.getElementById("read-aloud-none");
  var synth = window.speechSynthesis;
  if (!button || !story || !synth || typeof window.SpeechSynthesisUtterance !== "function") {
    return;
  }
  var lang = button.getAttribute("data-lang") || "en";
  var RATE = 0.9; /* a little slower than the phone's default: older listeners (docs: 150-165 words a minute) */

  function show(state) {
    button.setAttribute("data-state", state);
    button.setAttribute("aria-pressed", state === "speaking" ? "true" : "false");
    button.textContent = button.getAttribute(state === "speaking" ? "data-stop" : "data-read");
  }

  function voiceFor(code) {
    var voices = synth.getVoices ? synth.getVoices() : [];
    var base = code.split("-")[0].toLowerCase();
    for (var i = 0; i < voices.length; i++) {
      if ((voices[i].lang || "").toLowerCase().replace("_", "-") === code.toLowerCase()) { return voices[i]; }
    }
    for (var j = 0; j < voices.length; j++) {
      if ((voices[j].lang || "").toLowerCase().indexOf(base) === 0) { return voices[j]; }
    }
    return null;
  }

  function unavailable() {
    show("off");
    if (none) { none.hidden = false; }
  }

  button.hidden = false;
  show("off");
  button.addEventListener("click", function () {
    if (button.getAttribute("data-state") === "speaking") {
      synth.cancel();
      show("off");
      return;
    }
    var utterance = new window.SpeechSynthesisUtterance(story.textContent);
    utterance.lang = lang;
    utterance.rate = RATE;
    var voice = voiceFor(lang);
    if (voice) {
      utterance.voice = voice;
    } else if (synth.getVoices && synth.getVoices().length > 0) {
      unavailable(); /* voices, but none of this language: better the note than English sounds for Chinese */
      return;
    }
    utterance.onend = function () { show("off"); };
    utterance.onerror = function (event) {
      if (event && (event.error === "canceled" || event.error === "interrupted")) { show("off"); return; }
      unavailable();
    };
    synth.cancel();
    show("speaking");
    synth.speak(utterance);
  });
})();
