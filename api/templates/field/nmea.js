{#- Reading a receiver's pasted NMEA sentences on the page, to show the inspector what was read before
    saving. The service parses them again (geo/boundaries/nmea.py) and records what they said. -#}
{% raw %}
const NMEA_QUALITY = {1: '单点定位 autonomous', 2: '差分定位 differential', 3: 'PPS 定位 PPS',
                      4: 'RTK 固定解 RTK fixed', 5: 'RTK 浮点解 RTK float', 9: 'SBAS 增强定位 SBAS'};
function nmeaChecksumOk(s) {
  const star = s.indexOf('*');
  if (s[0] !== '$' || star < 0 || s.length - star - 1 !== 2) return false;
  let x = 0;
  for (const ch of s.slice(1, star)) x ^= ch.charCodeAt(0);
  return x === parseInt(s.slice(star + 1), 16);
}
function nmeaDegrees(v, hemi, width) {
  const d = parseInt(v.slice(0, width), 10), m = parseFloat(v.slice(width));
  if (!isFinite(d) || !isFinite(m) || m < 0 || m >= 60 || !'NSEW'.includes(hemi) || !hemi) return NaN;
  const out = d + m / 60;
  return hemi === 'S' || hemi === 'W' ? -out : out;
}
// Returns {lon, lat, quality, hdop, sats, text} or {error}.
function nmeaRead(raw) {
  let gga = null, rmc = null;
  const lines = String(raw || '').split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const s = lines[n].trim();
    if (!s) continue;
    if (!nmeaChecksumOk(s)) return {error: `第 ${n + 1} 行校验和不符 · line ${n + 1} fails its checksum`};
    const parts = s.slice(1, s.indexOf('*')).split(',');
    const kind = parts[0].length === 5 ? parts[0].slice(2) : '';
    if (kind === 'GGA') gga = parts; else if (kind === 'RMC') rmc = parts;
  }
  if (!gga) return {error: '没有 GGA 定位语句 · no GGA sentence'};
  const quality = parseInt(gga[6] || '0', 10);
  if (!NMEA_QUALITY[quality]) return {error: `定位质量 ${quality}：不是实测位置 · fix quality ${quality}: not a measured position`};
  if (rmc && rmc[2] !== 'A') return {error: 'RMC 状态无效 (V) · RMC status void'};
  const lat = nmeaDegrees(gga[2], gga[3], 2), lon = nmeaDegrees(gga[4], gga[5], 3);
  if (!isFinite(lat) || !isFinite(lon)) return {error: '坐标无法读取 · the position cannot be read'};
  const hdop = gga[8] ? parseFloat(gga[8]) : null, sats = gga[7] ? parseInt(gga[7], 10) : null;
  const text = [NMEA_QUALITY[quality], hdop !== null ? `HDOP ${hdop}` : null, sats !== null ? `${sats} 颗卫星 satellites` : null]
    .filter(Boolean).join(' · ');
  return {lon, lat, quality, hdop, sats, text};
}
{% endraw %}
