// Fills the patrol form's position from the phone's location (the page works without it: type or pick a place).
(function () {
  var button = document.getElementById("locate");
  if (!button || !navigator.geolocation) { if (button) button.hidden = true; return; }
  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (p) {
      document.querySelector("input[name=lat]").value = p.coords.latitude.toFixed(6);
      document.querySelector("input[name=long]").value = p.coords.longitude.toFixed(6);
      button.disabled = false;
    }, function () { button.disabled = false; }, { enableHighAccuracy: true, timeout: 10000 });
  });
})();
