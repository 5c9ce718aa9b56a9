// Reads the phone's position for a checkpoint scan before the form is sent. Without a position (no permission, no
// signal) the scan is still sent and recorded, flagged "no position".
(function () {
  var form = document.getElementById("checkin-form");
  if (!form) return;
  var status = document.getElementById("checkin-status");
  var set = function (name, value) { form.querySelector("input[name=" + name + "]").value = value; };
  set("deviceTime", String(Date.now()));
  if (!navigator.geolocation) { status.textContent = status.getAttribute("data-none") || ""; return; }
  navigator.geolocation.getCurrentPosition(function (p) {
    set("lat", p.coords.latitude.toFixed(6));
    set("long", p.coords.longitude.toFixed(6));
    set("accuracy", String(Math.round(p.coords.accuracy)));
    status.textContent = "±" + Math.round(p.coords.accuracy) + " m";
  }, function () { status.textContent = status.getAttribute("data-none") || ""; }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 10000 });
  form.addEventListener("submit", function () { set("deviceTime", String(Date.now())); });
})();
