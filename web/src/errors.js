// Loaded first, before the app: keeps every uncaught error, rejected promise and console.error
// of the page in window.__ijwmoErrors, so the browser test (and a curious analyst, in the
// console) can see what went wrong even when it happened while the page was loading.
(function () {
  var errors = (window.__ijwmoErrors = []);
  window.addEventListener("error", function (e) {
    errors.push("error: " + (e.message || e.type) + (e.filename ? " (" + e.filename + ":" + e.lineno + ")" : ""));
  });
  window.addEventListener("unhandledrejection", function (e) {
    errors.push("unhandled rejection: " + (e.reason && e.reason.message ? e.reason.message : String(e.reason)));
  });
  var original = console.error;
  console.error = function () {
    errors.push("console.error: " + Array.prototype.map.call(arguments, String).join(" "));
    return original.apply(console, arguments);
  };
})();
