"""The mobile page boundary teams use at a marker: position from the phone, condition, photo, notes.

Server-rendered; the only script reads the phone's position (averaging the fixes), shows distance
and bearing to the registered position, and fills the form. The form carries a client id made when
the page was served, so sending it twice (a bad connection, a double tap) stores one record.
"""

from __future__ import annotations

import base64
import html
import json
import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Cookie, Request
from fastapi.responses import RedirectResponse

from api.deps import StoreDep
from api.routers.officer_pages import _page, session_user
from geo.errors import DomainError
from geo.inspections import ACTIONS, CONDITIONS, submit
from geo.layers import INSPECTORS
from geo.store import Store

router = APIRouter(prefix="/field", tags=["field pages 外业页面"], include_in_schema=False)
CONDITION_ZH = {"intact": "完好", "damaged": "损坏", "displaced": "移位", "missing": "丢失", "buried": "掩埋"}

_SCRIPT = """
const reg = JSON.parse(document.getElementById('reg').textContent);
const fixes = [];
function show(msg){document.getElementById('gps').textContent = msg;}
function bearing(a, b){const r=Math.PI/180, y=Math.sin((b[0]-a[0])*r)*Math.cos(b[1]*r),
 x=Math.cos(a[1]*r)*Math.sin(b[1]*r)-Math.sin(a[1]*r)*Math.cos(b[1]*r)*Math.cos((b[0]-a[0])*r);
 return (Math.atan2(y,x)/r+360)%360;}
function dist(a, b){const r=Math.PI/180, R=6371008.8, dl=(b[1]-a[1])*r, dn=(b[0]-a[0])*r,
 h=Math.sin(dl/2)**2+Math.cos(a[1]*r)*Math.cos(b[1]*r)*Math.sin(dn/2)**2; return 2*R*Math.asin(Math.sqrt(h));}
function onFix(p){
  fixes.push(p.coords); const n=fixes.length;
  const lon=fixes.reduce((s,c)=>s+c.longitude,0)/n, lat=fixes.reduce((s,c)=>s+c.latitude,0)/n;
  const acc=Math.max(...fixes.map(c=>c.accuracy))/Math.sqrt(n);
  const f=document.forms.rec; f.lon.value=lon.toFixed(8); f.lat.value=lat.toFixed(8);
  f.accuracy.value=acc.toFixed(2); f.fixes.value=n;
  show(`定位 fixes ${n} · 精度 ±${acc.toFixed(1)} m · 距界桩 ${dist([lon,lat],reg).toFixed(1)} m · `+
       `方位 bearing ${bearing([lon,lat],reg).toFixed(0)}°`);
}
if (navigator.geolocation) {
  navigator.geolocation.watchPosition(onFix, e => show('无法定位 no position: '+e.message),
    {enableHighAccuracy:true, maximumAge:0, timeout:20000});
} else { show('此设备不能定位 this device cannot give a position'); }
"""


def _inspector(store: Store, token: str | None):
    return session_user(store, token, INSPECTORS)


@router.get("/campaigns/{campaign_id}/markers/{marker_no}")
def marker_form(request: Request, campaign_id: int, marker_no: str, store: StoreDep, error: str | None = None,
                xc_token: Annotated[str | None, Cookie()] = None):
    """The record form for one marker: guidance to it, condition, photo, notes."""
    user = _inspector(store, xc_token)
    if user is None:
        return RedirectResponse(f"/officer/login?next={quote(str(request.url.path))}", status_code=303)
    markers = store.select("boundary_markers", where={"marker_no": marker_no})
    if not markers:
        return _page("没有这个界桩", "No such marker", f"<p class='err'>{html.escape(marker_no)}</p>", user=user)
    m = markers[0]
    p = m["geometry"]
    conds = "".join(f"<option value='{c}'>{CONDITION_ZH[c]} {c}</option>" for c in CONDITIONS)
    acts = "".join(f"<option value='{a}'>{a}</option>" for a in ACTIONS)
    msg = f"<p class='err'>{html.escape(error)}</p>" if error else ""
    body = (f"{msg}<p>界桩 <b>{html.escape(marker_no)}</b> · 登记位置 registered "
            f"{p.x:.6f}, {p.y:.6f} (CGCS2000)</p><p id='gps'>正在定位… locating…</p>"
            f"<script type='application/json' id='reg'>{json.dumps([p.x, p.y])}</script>"
            f"<form name='rec' method='post' enctype='multipart/form-data'>"
            f"<input type='hidden' name='client_id' value='{uuid.uuid4().hex}'>"
            f"<input type='hidden' name='lon'><input type='hidden' name='lat'>"
            f"<input type='hidden' name='accuracy'><input type='hidden' name='fixes'>"
            f"<label>状况 <span class='en'>Condition</span> <select name='condition'>{conds}</select></label>"
            f"<label>处置 <span class='en'>Action</span> <select name='action'>{acts}</select></label>"
            f"<label>照片 <span class='en'>Photo</span> <input type='file' name='photo' accept='image/jpeg,image/png' "
            f"capture='environment'></label><label>备注 <span class='en'>Notes</span><br>"
            f"<textarea name='remarks' rows='2' cols='40'></textarea></label>"
            f"<button id='send'>提交 Send</button></form><script>{_SCRIPT}</script>")
    return _page("界桩检查", "Marker inspection", body, user=user)


@router.post("/campaigns/{campaign_id}/markers/{marker_no}")
async def marker_submit(request: Request, campaign_id: int, marker_no: str, store: StoreDep,
                        xc_token: Annotated[str | None, Cookie()] = None):
    """Store the record from the form (WGS84 from the phone); show displacement and its judgement."""
    user = _inspector(store, xc_token)
    if user is None:
        return RedirectResponse(f"/officer/login?next={quote(str(request.url.path))}", status_code=303)
    form = await request.form()
    photo = form.get("photo")
    data = {"client_id": form.get("client_id"), "campaign_id": campaign_id, "marker_no": marker_no,
            "condition": form.get("condition"), "action": form.get("action") or "none",
            "remarks": form.get("remarks") or None, "fixes": form.get("fixes") or 1,
            "gnss_accuracy_m": form.get("accuracy") or None}
    if form.get("lon") and form.get("lat"):
        data["position"] = {"lon": form.get("lon"), "lat": form.get("lat"), "crs": "EPSG:4326"}
    if photo is not None and hasattr(photo, "read"):
        raw = await photo.read()
        if raw:
            data["photo"] = {"data_base64": base64.b64encode(raw).decode()}
    await form.close()
    try:
        rec, created = submit(store, data, actor=user["username"])
    except (DomainError, ValueError) as exc:
        detail = getattr(exc, "message", str(exc))
        return RedirectResponse(f"/field/campaigns/{campaign_id}/markers/{quote(marker_no)}?error={quote(detail)}",
                                status_code=303)
    judged = {"in_place": "未移位 in place", "displaced": "已移位 displaced"}.get(rec.get("classification") or "", "—")
    body = (f"<p class='ok'>{'已保存 saved' if created else '已保存过（重复提交）already saved'} · 记录 record {rec['id']}</p>"
            f"<p>距登记位置 displacement: {rec.get('displacement_m') if rec.get('displacement_m') is not None else '—'} m"
            f" (±{rec['gnss_accuracy_m']:g} m) → {judged}</p>")
    return _page("已提交", "Submitted", body, user=user)
