// The residents' report form: position from the phone or a tap on the village map, and likely duplicates shown
// before sending. The form works without this script (pick a village, or the QR code's place is used).
(function () {
  var form = document.getElementById("report-form");
  if (!form) return;
  var lat = document.getElementById("lat"), long = document.getElementById("long");
  var shown = document.getElementById("position"), village = document.getElementById("village");
  var lang = document.documentElement.lang === "en" ? "en" : "zh";

  function category() {
    var c = document.getElementById("category");
    return c ? c.value : "";
  }

  function place() {
    var p = document.getElementById("placeCode");
    if (p && p.value) return p.value;
    return village ? village.value : "";
  }

  function setPosition(la, lo, label) {
    lat.value = la.toFixed(6);
    long.value = lo.toFixed(6);
    shown.textContent = label + " " + lat.value + ", " + long.value;
    if (village && !village.value) village.required = false;
    checkNearby();
  }

  function checkNearby() {
    var c = category();
    if (!c) return;
    var q = "category=" + encodeURIComponent(c);
    if (lat.value && long.value) q += "&lat=" + lat.value + "&long=" + long.value;
    else if (place()) q += "&place=" + encodeURIComponent(place());
    else return;
    fetch("/report/nearby?" + q + "&lang=" + (lang === "en" ? "en" : "zh-Hans"), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (items) {
        var box = document.getElementById("nearby"), list = document.getElementById("nearby-list");
        list.textContent = "";
        items.forEach(function (n) {
          var li = document.createElement("li"), a = document.createElement("a"), b = document.createElement("b");
          a.href = n.href;
          b.textContent = n.number;
          a.appendChild(b);
          a.appendChild(document.createTextNode(" " + n.category));
          li.appendChild(a);
          li.appendChild(document.createTextNode(" · " + n.status + " · " + n.metres + " m · " + n.reported));
          list.appendChild(li);
        });
        box.hidden = items.length === 0;
      })
      .catch(function () {});
  }

  var locate = document.getElementById("locate");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      locate.disabled = true;
      navigator.geolocation.getCurrentPosition(function (p) {
        locate.disabled = false;
        setPosition(p.coords.latitude, p.coords.longitude, lang === "en" ? "Your location:" : "当前位置：");
      }, function () { locate.disabled = false; }, { enableHighAccuracy: true, timeout: 10000 });
    });
  }

  // Tap on the village map: invert the server's projection (linear between two known corners).
  var maps = document.querySelectorAll(".tapmap");
  function showMap() {
    maps.forEach(function (m) { m.hidden = !village || m.getAttribute("data-village") !== village.value; });
    checkNearby();
  }
  if (village) village.addEventListener("change", showMap);
  maps.forEach(function (m) {
    var svg = m.querySelector("svg");
    if (!svg) return;
    svg.addEventListener("click", function (e) {
      e.preventDefault();
      var pt = svg.createSVGPoint();
      pt.x = e.clientX;
      pt.y = e.clientY;
      var p = pt.matrixTransform(svg.getScreenCTM().inverse());
      var d = function (k) { return parseFloat(m.getAttribute("data-" + k)); };
      var fx = (p.x - d("x0")) / (d("x1") - d("x0")), fy = (p.y - d("y0")) / (d("y1") - d("y0"));
      if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return;
      var old = svg.querySelector(".pin-new");
      if (old) old.remove();
      var dot = document.createElementNS("http://www.w3.org/2000/svg", "circle");
      dot.setAttribute("class", "pin pin-new");
      dot.setAttribute("cx", p.x);
      dot.setAttribute("cy", p.y);
      dot.setAttribute("r", 6);
      svg.appendChild(dot);
      setPosition(d("max-lat") - fy * (d("max-lat") - d("min-lat")), d("min-long") + fx * (d("max-long") - d("min-long")),
                  lang === "en" ? "Marked on the map:" : "地图选点：");
    });
  });
  var select = document.getElementById("category");
  if (select && select.tagName === "SELECT") select.addEventListener("change", checkNearby);
  checkNearby();
})();
