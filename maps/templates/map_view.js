{#- The map's own furniture and its view-fetched layers; rendered into the map's script (nonce). -#}
(function () {
  var map = {{ map_name }};
  var cfg = {{ config }};
  // A phone's screen, judged also from the screen: a report's framed map starts 300 px wide.
  var narrow = Math.min(window.innerWidth > 320 ? window.innerWidth : 1e9, screen.width || 1e9) < 600;
  var control = {{ control_name }};
  var compacted = false;
  function compact() {  // on a small map: legends folded, the switcher folded into its button
    if (compacted) { return; }
    compacted = true;
    document.querySelectorAll('details.map-legend').forEach(function (d) { d.open = false; });
    if (control) {
      map.removeControl(control);
      control.options.collapsed = true;
      control.addTo(map);
    }
  }
  function small() { var s = map.getSize(); return s.x > 100 && (s.x < 600 || s.y < 450); }
  if (cfg.bounds && window.ResizeObserver) {  // drawn before its frame was laid out: fit again
    var touched = false;
    ['mousedown', 'touchstart', 'wheel', 'keydown'].forEach(function (e) {
      map.getContainer().addEventListener(e, function () { touched = true; }, {passive: true});
    });
    new ResizeObserver(function () {
      map.invalidateSize();
      if (!touched) { map.fitBounds(cfg.bounds); }
      if (small()) { compact(); }
    }).observe(map.getContainer());
  }
  L.control.scale({imperial: false, metric: true, maxWidth: narrow ? 80 : 120, position: 'bottomleft'}).addTo(map);
  function dock(selector, position) {
    document.querySelectorAll(selector).forEach(function (el) {
      var c = L.control({position: position});
      c.onAdd = function () {
        el.classList.add('docked');
        L.DomEvent.disableClickPropagation(el);
        L.DomEvent.disableScrollPropagation(el);
        return el;
      };
      c.addTo(map);
    });
  }
  dock('.not-authoritative', 'bottomleft');
  dock('.map-scale, .map-legend', 'bottomleft');
  if (narrow || small()) { compact(); }
  function tip(lines) {
    var box = document.createElement('div');
    (lines || []).forEach(function (line) {
      var row = document.createElement('div');
      row.textContent = line;
      box.appendChild(row);
    });
    return box;
  }
  cfg.cells.forEach(function (g) {
    var layer = L.layerGroup();
    g.rows.forEach(function (row) {
      var lines = [];
      for (var i = 2; i < row.length; i++) {
        if (row[i] === null || (row[i] === 0 && i < 2 + g.counted)) { continue; }
        lines.push(g.labels[i - 2] + '：' + (typeof row[i] === 'number' ? row[i].toLocaleString('en') : row[i]));
      }
      L.circleMarker([row[1], row[0]], {radius: Math.min(2 + Math.sqrt(row[2]) / 3, 9), weight: 0,
                                        fillColor: g.color, fillOpacity: 0.75})
        .bindTooltip(tip(lines)).addTo(layer);
    });
    if (control) { control.addOverlay(layer, g.name); }
    if (g.show) { layer.addTo(map); }
  });
  cfg.embedded.forEach(function (e) {  // a map file's big layers: the shapes of the zoom's range
    var group = L.layerGroup(), drawn = {}, current = -1;
    function level(z) {
      for (var i = 0; i < e.levels.length; i++) {
        if (e.levels[i].max_zoom === null || z <= e.levels[i].max_zoom) { return i; }
      }
      return e.levels.length - 1;
    }
    function build(i) {
      var lv = e.levels[i], g = L.layerGroup();
      lv.shapes.forEach(function (s) {
        if (e.kind === 'lines') {
          var parts = s[1].map(function (part) { return part.map(function (p) { return [p[1], p[0]]; }); });
          L.polyline(parts, {color: e.color, weight: e.weight}).bindTooltip(tip(e.tips[s[0]]), {sticky: true})
            .addTo(g);
        } else {
          L.circleMarker([s[1], s[0]], {radius: Math.min(3 + Math.sqrt(s[2]) / 2, 16), color: e.color, weight: 1,
                                        fillColor: e.color, fillOpacity: 0.45})
            .bindTooltip(tip([lv.tip.split('{n}').join(s[2].toLocaleString('en'))])).addTo(g);
        }
      });
      return g;
    }
    function draw() {
      if (!map.hasLayer(group)) { return; }
      var i = level(map.getZoom());
      if (i === current) { return; }
      current = i;
      group.clearLayers();
      group.addLayer(drawn[i] || (drawn[i] = build(i)));
    }
    map.on('zoomend', draw);
    group.on('add', function () { current = -1; draw(); });
    if (control) { control.addOverlay(group, e.name); }
    if (e.show) { group.addTo(map); }
  });
  cfg.remote.forEach(function (r) {
    var layer = L.geoJSON(null, {
      pointToLayer: function (f, ll) {
        var n = f.properties.count;
        if (n) {
          return L.circleMarker(ll, {radius: Math.min(3 + Math.sqrt(n) / 2, 16), color: r.color, weight: 1,
                                     fillColor: r.color, fillOpacity: 0.45});
        }
        return L.circleMarker(ll, {radius: r.radius, weight: 0, fillColor: r.color, fillOpacity: 0.85});
      },
      style: function () { return {color: r.color, weight: r.weight}; },
      onEachFeature: function (f, l) { l.bindTooltip(tip(f.properties.tip), {sticky: true}); }
    });
    if (control) { control.addOverlay(layer, r.name); }
    // One request per view: the layer's 'add', folium's fitBounds and the resize fit each end in a
    // 'moveend' (Leaflet fires it even for a fit that changes nothing), so a view is keyed by its
    // bbox and zoom and asked for once: a view already asked for waits for its answer, and an answer
    // that comes after the view moved on is still kept (answers kept for the last 20 views), so going
    // back is drawn from memory. At most four requests are in flight; past that the oldest is aborted.
    var shown = null, wanted = null, answers = {}, kept = [], inflight = {}, order = [], timer = null;
    function draw(key, data) { shown = key; layer.clearLayers(); layer.addData(data); }
    function forget(key) { delete inflight[key]; order = order.filter(function (k) { return k !== key; }); }
    function load() {
      timer = null;
      if (!map.hasLayer(layer)) { return; }
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); });
      var key = bbox.join(',') + '&zoom=' + map.getZoom();
      wanted = key;
      if (answers[key]) { if (shown !== key) { draw(key, answers[key]); } return; }
      if (inflight[key] || shown === key) { return; }
      while (order.length >= 4) { var oldest = order[0]; inflight[oldest].abort(); forget(oldest); }
      var abort = window.AbortController ? new AbortController() : {abort: function () {}, signal: undefined};
      inflight[key] = abort;
      order.push(key);
      fetch(r.url + '?bbox=' + key, {credentials: 'same-origin', headers: {Accept: 'application/geo+json'},
                                     signal: abort.signal})
        .then(function (resp) { if (!resp.ok) { throw new Error('HTTP ' + resp.status); } return resp.json(); })
        .then(function (data) {
          if (inflight[key] === abort) { forget(key); }
          answers[key] = data;
          kept.push(key);
          if (kept.length > 20) { delete answers[kept.shift()]; }
          if (wanted === key) { draw(key, data); }
        })
        .catch(function (err) {
          if (inflight[key] === abort) { forget(key); }
          if (err.name !== 'AbortError' && window.console) { console.warn(r.url, err.message); }
        });
    }
    function soon() { if (timer === null) { timer = setTimeout(load, 0); } }  // add + moveend in one go
    map.on('moveend', soon);
    layer.on('add', function () { shown = null; soon(); });
    if (r.show) { layer.addTo(map); }
  });
})();
