"""The spatial layers of the service: what each holds, who may edit it, whether it is public.

One registry serves the store, import/export, the JSON API and (later) OGC API Features.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from geo.errors import NotFound
from geo.messages import text

ADMIN = "admin"
PLACENAME_OFFICER = "placename_officer"
BOUNDARY_INSPECTOR = "boundary_inspector"
PLANNER = "planner"
ROLES = (ADMIN, PLACENAME_OFFICER, BOUNDARY_INSPECTOR, PLANNER)
OFFICERS = frozenset({ADMIN, PLACENAME_OFFICER})        # place names and door plates
INSPECTORS = frozenset({ADMIN, BOUNDARY_INSPECTOR})     # boundary inspections in the field

POINT = ("Point",)
LINE = ("LineString", "MultiLineString")
AREA = ("Polygon", "MultiPolygon")

# Kinds of geometry a file table or an OGC collection holds one of, the stored types each collects,
# and the one type each is written and served as (GDAL and QGIS type a table by its first feature;
# lines and areas as multi-part, so a table never mixes single and multi-part). The names are those
# of the OGC API's collections and the GeoPackage tables (<layer>_points, ...).
GEOMETRY_KINDS: dict[str, tuple[str, ...]] = {
    "points": ("Point", "MultiPoint"),
    "lines": ("LineString", "MultiLineString"),
    "polygons": ("Polygon", "MultiPolygon"),
}
KIND_WRITTEN_AS = {"points": "Point", "lines": "MultiLineString", "polygons": "MultiPolygon"}

FACILITY_KINDS = (
    "community_service_centre",
    "elder_care_station",
    "comprehensive_elder_care_centre",
    "elder_care_institution",
    "public_cemetery",
    "minors_protection_station",
    "volunteer_station",
    "social_work_station",
)

# Every enumeration of the layers, in one place: validated on every write path, listed in OpenAPI.
# "active" is open to users: only active facilities count in coverage and the indicators; planned and
# under-construction ones carry planned_open_on (the plan's 2025 projects), closed ones closed_on.
FACILITY_STATUSES = ("active", "planned", "under_construction", "closed")
PLATE_STATUSES = ("active", "revoked", "replaced")
# A plate no longer in use: its QR code keeps saying so (and names no services); a new plate gets a new code.
PLATE_FINAL_STATUSES = ("revoked", "replaced")
PLATE_SIDES = ("left", "right")
PLACE_NAME_STATUSES = ("proposed", "consultation", "expert_review", "assessment", "approved", "filed",
                       "announced", "in_force", "superseded", "retired")
STREET_CLASSES = ("expressway", "arterial", "secondary", "local", "lane", "rural", "village")
NUMBERING_STARTS = ("start", "end")
# A district's own units under its outline (level "district"): the township level (街道; 镇; 乡, 民族乡 and, in Inner
# Mongolia, 苏木: GB/T 10114's 001–099, 100–199 and 200–399) and the village level (社区/居委会; 村/嘎查). Counties
# and banners have 乡 and 苏木 (武川县, 清水河县 beside 新城区): a district of them could not load its units.
TOWNSHIP_LEVELS = ("subdistrict", "town", "township")
LEAF_LEVELS = ("community", "village")
OWN_UNIT_LEVELS = ("district", *TOWNSHIP_LEVELS, *LEAF_LEVELS)
UNIT_LEVELS = ("district", "county", *TOWNSHIP_LEVELS, *LEAF_LEVELS)  # "county": a neighbour's reference outline
UNIT_STATUSES = ("active", "neighbour", "retired")
# A neighbour's reference outline (under its own district's code): read by every district, changed by none.
NEIGHBOUR_STATUS = "neighbour"
MARKER_TYPES = ("single", "paired", "triple")
MARKER_TYPE_CODES = ("Q", "A", "B", "C", "D", "E")
MARKER_STATUSES = ("active", "decommissioned")
LINEAR_FEATURE_KINDS = ("railway", "expressway", "highway", "river", "reservoir")
# A village's or community's class for the plan's rural norms (service centres ≥ 300 m² in towns, 城中村 and
# 城郊村; ≥ 150 m² in central and traditional villages; geo/planning/rural_norms.py).
SETTLEMENT_TYPES = ("urban_community", "urban_village", "suburban_village", "central_village",
                    "traditional_village", "ordinary_village")
# The 七区 of 三沿七区 (CM-01) as polygon layers; "built_up" is the dense residential zone from built-up areas.
BAN_ZONE_AREA_KINDS = ("farmland", "forest", "grassland", "park", "scenic_area", "cultural_relic",
                       "water_source", "nature_reserve", "built_up")
PREMISES_STATUSES = ("available", "taken", "unsuitable")
GRAVE_STATUSES = ("found", "scattered", "cleared")


@dataclass(frozen=True)
class Layer:
    """A spatial layer: its table, bilingual title, allowed geometry, fields and editors."""

    name: str
    title_zh: str
    title_en: str
    geometry_types: tuple[str, ...]
    fields: tuple[str, ...]
    required: tuple[str, ...]
    editor_roles: frozenset[str]
    public: bool
    public_where: tuple[tuple[str, str], ...] = ()  # what the public may see of a public layer
    # Values that make a record history rather than today's map (a unit a division change retired): a
    # listing leaves them out unless it filters on the field itself.
    history_where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()  # enumerated fields and their values
    types: tuple[tuple[str, type], ...] = ()  # fields that are not text: int, float, bool or date

    def allowed_values(self, field: str) -> tuple[str, ...] | None:
        """Return the values an enumerated field may take, or ``None`` for a free field."""
        return dict(self.choices).get(field)

    def field_type(self, field: str) -> type:
        """Return the Python type of a field's value: ``str`` unless :attr:`types` says otherwise."""
        return dict(self.types).get(field, str)

    @property
    def table(self) -> str:
        """Return the database table that stores this layer."""
        return self.name


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer("admin_units", "行政区划", "Administrative units", AREA,
              ("code", "name", "name_mong", "level", "parent_code", "households", "residents",
               "residents_60plus", "status", "settlement_type", "registered_residents"),
              ("code", "name", "level"), frozenset({ADMIN}), True,
              choices=(("level", UNIT_LEVELS), ("status", UNIT_STATUSES), ("settlement_type", SETTLEMENT_TYPES)),
              history_where=(("status", ("retired",)),),
              types=(("households", int), ("residents", int), ("residents_60plus", int),
                     ("registered_residents", int))),
        Layer("place_names", "标准地名", "Standard place names", POINT + LINE + AREA,
              ("place_code", "standard_name", "specific", "generic", "romanization", "pinyin_toned", "sign_text",
               "name_mong", "name_mong_pending", "language_of_origin", "category_code", "feature_class",
               "admin_code", "meaning", "origin", "history", "status", "search_key", "protected"),
              ("standard_name",), frozenset({ADMIN, PLACENAME_OFFICER}), True, (("status", "in_force"),),
              choices=(("status", PLACE_NAME_STATUSES),), types=(("name_mong_pending", bool), ("protected", bool))),
        Layer("streets", "街路巷", "Streets", LINE,
              ("name", "street_class", "numbering_start", "odd_side", "grade", "walkable"),
              ("name",), frozenset({ADMIN, PLACENAME_OFFICER}), True,
              choices=(("street_class", STREET_CLASSES), ("numbering_start", NUMBERING_STARTS),
                       ("odd_side", PLATE_SIDES)),
              types=(("grade", int), ("walkable", bool))),
        Layer("facilities", "服务设施", "Facilities", POINT + AREA,
              ("kind", "name", "community_code", "floor_area_m2", "beds", "nursing_beds", "status", "operator",
               "opened_on", "closed_on", "planned_open_on", "eco_burial"),
              ("kind", "name"), frozenset({ADMIN, PLANNER}), True,
              choices=(("kind", FACILITY_KINDS), ("status", FACILITY_STATUSES)),
              types=(("floor_area_m2", float), ("beds", int), ("nursing_beds", int), ("opened_on", date),
                     ("closed_on", date), ("planned_open_on", date), ("eco_burial", bool))),
        Layer("door_plates", "门牌", "Door plates", POINT,
              ("plate_uid", "street_name", "number", "suffix", "side", "building_name", "households",
               "community_code", "status", "decision_body", "decision_doc_no", "decision_date"),
              ("street_name", "number"), frozenset({ADMIN, PLACENAME_OFFICER}), False,
              choices=(("status", PLATE_STATUSES), ("side", PLATE_SIDES)),
              types=(("number", int), ("households", int), ("decision_date", date))),
        Layer("boundary_lines", "行政区域界线", "Administrative boundary lines", LINE,
              ("line_code", "name", "left_adcode", "right_adcode", "length_m", "last_inspected_on"),
              ("line_code", "name"), frozenset({ADMIN}), False,
              types=(("length_m", float), ("last_inspected_on", date))),
        Layer("boundary_markers", "界桩", "Boundary markers", POINT,
              ("marker_no", "line_code", "seq", "type_code", "marker_type", "status", "material",
               "managing_adcode", "elevation_m", "coordinate_source"),
              ("marker_no",), frozenset({ADMIN}), False,
              choices=(("marker_type", MARKER_TYPES), ("type_code", MARKER_TYPE_CODES),
                       ("status", MARKER_STATUSES)),
              types=(("seq", int), ("elevation_m", float))),
        Layer("linear_features", "铁路、公路与河流", "Railways, highways and rivers", LINE + AREA,
              ("kind", "name"), ("kind", "name"), frozenset({ADMIN, PLANNER}), True,
              choices=(("kind", LINEAR_FEATURE_KINDS),)),
        Layer("graves", "散埋乱葬点", "Scattered graves", POINT,
              ("status", "near_feature", "cleared_on"), ("status",), frozenset({ADMIN, PLANNER}), False,
              choices=(("status", GRAVE_STATUSES),), types=(("cleared_on", date),)),
        Layer("ban_zone_areas", "禁葬区（七区）", "Burial-ban areas (七区)", AREA,
              # admin only: the planner's site check is decided by these zones (loaded from the official map)
              ("kind", "name", "source", "source_date"), ("kind", "name"), frozenset({ADMIN}), True,
              choices=(("kind", BAN_ZONE_AREA_KINDS),), types=(("source_date", date),)),
        Layer("premises", "可用房源", "Available premises", POINT + AREA,
              ("name", "community_code", "floor_area_m2", "owner", "available_from", "status", "remarks"),
              ("name",), frozenset({ADMIN, PLANNER}), False,
              choices=(("status", PREMISES_STATUSES),),
              types=(("floor_area_m2", float), ("available_from", date))),
        Layer("new_estates", "新建住宅小区（四同步）", "New estates (四同步)", POINT + AREA,
              ("name", "community_code", "households", "care_floor_area_m2", "housing_planned_on",
               "care_planned_on", "housing_built_on", "care_built_on", "housing_inspected_on",
               "care_inspected_on", "housing_handed_over_on", "care_handed_over_on", "remarks"),
              ("name",), frozenset({ADMIN, PLANNER}), True,
              types=(("households", int), ("care_floor_area_m2", float),
                     *((f"{who}_{stage}_on", date) for stage in ("planned", "built", "inspected", "handed_over")
                       for who in ("housing", "care")))),
    )
}


def get_layer(name: str) -> Layer:
    """Return the layer called ``name`` or raise :class:`NotFound` listing the layers."""
    try:
        return LAYERS[name]
    except KeyError:
        raise NotFound(
            text("checks.layer", value=repr(name), allowed=", ".join(LAYERS)), field="layer"
        ) from None
