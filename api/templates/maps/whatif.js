// The what-if page's script (api/templates/maps/whatif.html): draws the stations and a draggable
// candidate over the walkable streets, and after every drag (a station removed, a street clicked closed) asks /maps/whatif/answer for the change.
// Stored text (station names) is set with textContent only; nothing here builds HTML from data.
(function () {
  'use strict';
  const ctx = JSON.parse(document.getElementById('whatif-data').textContent);
  const token = document.querySelector('meta[name=csrf-token]').content;
  const L_ = ctx.labels;
  function el(tag, text) { const e = document.createElement(tag); e.textContent = text; return e; }
  const both = (key) => L_[key].zh + ' ' + L_[key].en;
  const map = L.map('map', {preferCanvas: true});
  const outline = L.polygon(ctx.outline, {color: '#1f4e79', weight: 2, fill: false, interactive: false}).addTo(map);
  map.fitBounds(outline.getBounds());
  L.control.scale({imperial: false}).addTo(map);
  const removed = new Set();
  const closedStreets = new Set();
  // The walkable streets under the stations: a click closes one (a road works, a closed bridge), again reopens it.
  const streetStyle = (closed) => (closed ? {color: '#d1242f', weight: 5, opacity: 0.9, dashArray: '6 4'}
    : {color: '#8c959f', weight: 3, opacity: 0.6, dashArray: null});
  const streetLines = {};
  ctx.streets.forEach((st) => {
    const line = L.polyline(st.parts, streetStyle(false));
    line.bindTooltip(el('span', st.name + ' — ' + both('close_hint')), {sticky: true});
    line.on('click', () => {
      if (closedStreets.has(st.id)) { closedStreets.delete(st.id); } else { closedStreets.add(st.id); }
      line.setStyle(streetStyle(closedStreets.has(st.id)));
      update();
    });
    line.addTo(map);
    streetLines[st.id] = line;
  });
  const candidates = [];
  const changed = L.layerGroup().addTo(map);
  let asked = 0;

  ctx.stations.forEach((s) => {
    const m = L.circleMarker([s.lat, s.lon], {radius: 6, color: '#1a7f37', fillColor: '#1a7f37', fillOpacity: 0.9});
    m.bindTooltip(el('span', s.name));
    const box = document.createElement('div');
    box.appendChild(el('div', s.name));
    const button = el('button', both('remove'));
    button.type = 'button';
    box.appendChild(button);
    button.addEventListener('click', () => {
      if (removed.has(s.id)) { removed.delete(s.id); } else { removed.add(s.id); }
      const gone = removed.has(s.id);
      m.setStyle({color: gone ? '#999' : '#1a7f37', fillColor: gone ? '#999' : '#1a7f37'});
      button.textContent = both(gone ? 'restore' : 'remove');
      m.closePopup();
      update();
    });
    m.bindPopup(box);
    m.addTo(map);
    m.stationId = s.id;
  });

  function addCandidate(at) {
    // a drawn marker (the bundled Leaflet carries no marker images), the legend's blue square
    const icon = L.divIcon({className: 'whatif-candidate', iconSize: [22, 22], iconAnchor: [11, 11]});
    const c = L.marker(at || ctx.start || map.getCenter(), {draggable: true, title: both('candidate'), icon}).addTo(map);
    c.on('dragend', update);
    candidates.push(c);
    return c;
  }

  function signed(v, digits) {
    const n = Number(v).toFixed(digits);
    return (v > 0 ? '+' : '') + n;
  }
  function pct(v) { return v === null ? '–' : (100 * v).toFixed(2) + '%'; }

  function show(answer) {
    const d = answer.district;
    document.getElementById('d-hh').textContent = signed(d.delta_households, 0);
    document.getElementById('d-60').textContent = signed(d.delta_60plus, 0);
    document.getElementById('share').textContent = pct(d.household_share_before) + ' → ' + pct(d.household_share_after);
    document.getElementById('share-60').textContent = pct(d.share_60plus_before) + ' → ' + pct(d.share_60plus_after);
    document.getElementById('plates').textContent = answer.plates_gained + ' / ' + answer.plates_lost;
    changed.clearLayers();
    answer.gained.forEach((p) => L.circleMarker([p.lat, p.lon], {radius: 3, color: '#0b84f3', weight: 1,
      fillOpacity: 0.8, interactive: false}).addTo(changed));
    answer.lost.forEach((p) => L.circleMarker([p.lat, p.lon], {radius: 3, color: '#d1242f', weight: 1,
      fillOpacity: 0.8, interactive: false}).addTo(changed));
  }

  function edits() {
    const out = candidates.map((c) => ({op: 'add', lon: c.getLatLng().lng, lat: c.getLatLng().lat}));
    removed.forEach((id) => out.push({op: 'remove', facility_id: id}));
    closedStreets.forEach((id) => out.push({op: 'close_street', street_id: id}));
    return out;
  }

  function update() {
    const list = edits();
    const status = document.getElementById('status');
    const blank = () => {
      show({district: {delta_households: 0, delta_60plus: 0, household_share_before: null, household_share_after: null,
        share_60plus_before: null, share_60plus_after: null}, plates_gained: 0, plates_lost: 0, gained: [], lost: []});
      window.whatifLast = null;
      return Promise.resolve(null);
    };
    if (!list.length) return blank();
    if (list.length > ctx.max_edits) {  // the answer takes at most max_edits: say so, ask nothing, show no old figures
      ++asked;  // an answer still on its way is for an older list
      status.className = 'err';
      status.textContent = L_.too_many.zh.replace('{limit}', ctx.max_edits) + ' ' +
        L_.too_many.en.replace('{limit}', ctx.max_edits);
      return blank();
    }
    const mine = ++asked;
    status.className = '';
    status.textContent = both('working');
    const pending = fetch('/maps/whatif/answer', {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': token},
      body: JSON.stringify({edits: list, list_plates: 500})})
      .then((r) => r.json().then((body) => ({ok: r.ok, body})))
      .then(({ok, body}) => {
        if (mine !== asked) return null;  // a newer drag is on its way
        if (!ok) {
          status.className = 'err';
          status.textContent = body.message || String(body.error);
          window.whatifError = body;
          return null;
        }
        status.className = (body.warnings || []).length ? 'err' : '';
        status.textContent = (body.warnings || []).join(' ');
        window.whatifLast = {edits: list, answer: body};
        show(body);
        return body;
      });
    if (window.whatif) window.whatif.pending = pending;  // tests await the answer to the latest drag
    return pending;
  }

  document.getElementById('add-candidate').addEventListener('click', () => { addCandidate(); update(); });
  document.getElementById('reset').addEventListener('click', () => {
    candidates.splice(0).forEach((c) => map.removeLayer(c));
    removed.clear();
    closedStreets.forEach((id) => streetLines[id].setStyle(streetStyle(false)));
    closedStreets.clear();
    map.eachLayer((l) => { if (l.stationId) l.setStyle({color: '#1a7f37', fillColor: '#1a7f37'}); });
    addCandidate();
    update();
  });
  // For tests and the curious: the map, the candidates, a way to ask again and the answer on its way.
  window.whatif = {map, candidates, removed, closedStreets, streetLines, update, addCandidate, pending: null};
  addCandidate();
  update();
})();
