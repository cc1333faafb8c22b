{#- Distance and bearing on the phone (WGS84 from the browser against CGCS2000, the same to a few cm here);
    included inside a page's own nonce'd script. Positions stay in the page. -#}
function fieldDist(a, b){const r=Math.PI/180, R=6371008.8, dl=(b[1]-a[1])*r, dn=(b[0]-a[0])*r,
 h=Math.sin(dl/2)**2+Math.cos(a[1]*r)*Math.cos(b[1]*r)*Math.sin(dn/2)**2; return 2*R*Math.asin(Math.sqrt(h));}
function fieldBearing(a, b){const r=Math.PI/180, y=Math.sin((b[0]-a[0])*r)*Math.cos(b[1]*r),
 x=Math.cos(a[1]*r)*Math.sin(b[1]*r)-Math.sin(a[1]*r)*Math.cos(b[1]*r)*Math.cos((b[0]-a[0])*r);
 return (Math.atan2(y,x)/r+360)%360;}
const FIELD_COMPASS=['北 N','东北 NE','东 E','东南 SE','南 S','西南 SW','西 W','西北 NW'];
function fieldCompass(deg){return FIELD_COMPASS[Math.round(deg/45)%8];}
function fieldMetres(m){return m>=1000 ? (m/1000).toFixed(2)+' km' : m.toFixed(m<100 ? 1 : 0)+' m';}
function fieldWatch(onFix, show){
  if (!navigator.geolocation) { show('此设备不能定位 this device cannot give a position'); return; }
  navigator.geolocation.watchPosition(onFix, e => show('无法定位 no position: '+e.message),
    {enableHighAccuracy:true, maximumAge:0, timeout:20000});
}
