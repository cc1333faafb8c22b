"""Street name signs (路牌) and the unnamed-roads worklist (#17 items 2–3).

A register of the signs along the district's streets: where each stands, on which segment and
side, what it shows (the standard name in force, its sign-form pinyin per SG-02, its Mongolian per
SG-01), its number range and arrow, its dates, condition and status; a replaced sign links to its
successor. Use cases (one transaction each, audited, 409 on a stale version, refused for an
officer of another district): :func:`install`, :func:`inspect`, :func:`report_damage`,
:func:`replace`, :func:`remove`. A rename queues the street's signs for replacement
(:func:`queue_street_signs`, called by the gazetteer's rename; :func:`replacement_queue` lists
them). Reads: :func:`unsigned_junctions` (junctions where a named street has no sign near),
:func:`unnamed_roads` (street lines with no name in force, with the proposal link),
:func:`street_page` (what a smart sign's QR opens), :func:`sign_texts` and :func:`sign_layout`
(what a printed sign says, and where).

Modules: ``rules`` (values and checks), ``register`` (use cases), ``ranges`` (a sign's arrow and
number range against its street's plates: errors refused, doubts kept as warnings), ``_uids`` (never-reused ids),
``replacement``, ``printed`` and ``layout`` (printing and the QR's signed URL), ``public``,
``junctions``, ``unnamed``, ``sample_load`` (the sample district's signs).
"""
