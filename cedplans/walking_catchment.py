"""The walking catchment in words: what the plan report, the site dossier and the site
explorer say about walks measured on the store's walking network
(:mod:`atlas.ground.walking`), in the reader's language.

A walk is always written with the straight-line distance beside it, and a place joined to
the network from further than :data:`atlas.ground.walking.FAR_FROM_STREET_M` says so with
its distance from the nearest path, rather than showing a time as if it were exact. A
store with no walking network says that in one plain sentence (:data:`NO_NETWORK`) and
keeps its straight-line distances.
"""

from __future__ import annotations

from dataclasses import dataclass

from atlas.ground.walking import WalkingAsset, WalkingNearby, WalkTime
from atlas.i18n import N_, Translator
from atlas.models import value_label

WALK_MINUTES = 10.0
"""The catchment the plan report and the site dossier show, in minutes on foot: a
ten-minute walk, what "near" means elsewhere in the atlas (800 m in a straight line)."""

NO_NETWORK = N_("This atlas has no walking network yet: distances are in a straight line. Import an "
                "OpenStreetMap extract to add one.")
"""What a page or report says, once, when the store has no walking network."""

TITLE = N_("Walking catchment")


def minutes_words(tr: Translator, minutes: float) -> str:
    """Whole minutes on foot: "7 min"."""
    return tr.gettext("{minutes} min").format(minutes=tr.number(round(minutes)))


def far_words(tr: Translator, snap_m: float) -> str:
    """What a place far from any street or path says instead of a time given as exact."""
    return tr.gettext("about {distance} from the nearest path: walking time approximate").format(
        distance=tr.distance_m(snap_m))


def walk_words(tr: Translator, walk: WalkTime, *, limit_min: float | None = None) -> str:
    """A walk as people read it: "7 min (560 m)"; "more than 30 min" when the search stopped
    at ``limit_min`` minutes before reaching it (or "not reachable along streets and paths"
    with no limit); and the snap distance when the place is far from any street."""
    if walk.walk_m is None or walk.walk_min is None:
        text = (tr.gettext("more than {minutes} on foot").format(minutes=minutes_words(tr, limit_min))
                if limit_min is not None else tr.gettext("not reachable along streets and paths"))
    else:
        text = tr.gettext("{minutes} ({distance})").format(minutes=minutes_words(tr, walk.walk_min),
                                                           distance=tr.distance_m(walk.walk_m))
    if walk.far_from_street:
        text += " · " + far_words(tr, walk.snap_m)
    return text


@dataclass(frozen=True)
class WalkingSection:
    """The walking catchment as a report prints it: a heading, sentences, and a table of
    the assets within the walk (one row each: name, scale, walk, straight line)."""

    title: str
    lines: list[str]
    header: list[str]
    rows: list[list[str]]
    empty: str


def _beyond_words(tr: Translator, beyond: list[WalkingAsset], minutes: float) -> str:
    """The assets near in a straight line that the walk does not reach (across a canal, a
    railway), each with its straight-line distance."""
    names = "; ".join(tr.gettext("{asset} ({distance} in a straight line)").format(
        asset=a.name, distance=tr.distance_m(a.distance_m)) for a, _w in beyond)
    return tr.gettext("Near in a straight line but more than {minutes} on foot: {assets}.").format(
        minutes=minutes_words(tr, minutes), assets=names)


def walking_section(tr: Translator, walking: WalkingNearby | None, *, network: bool) -> WalkingSection | None:
    """The report's walking catchment section: ``walking`` (the assets within the walk of
    the site), the no-network sentence when the store has no walking ``network``, or None
    (no section) when there is a network but nothing to measure from (a plan with no site)."""
    _ = tr.gettext
    if not network:
        return WalkingSection(_(TITLE), [_(NO_NETWORK)], [], [], "")
    if walking is None:
        return None
    minutes = minutes_words(tr, walking.minutes)
    lines = [_("Assets within a walk of {minutes} from the site at {speed} km/h along streets and paths, "
               "nearest on foot first, with the straight-line distance beside each.").format(
                   minutes=minutes, speed=tr.number(walking.speed_kmh, digits=1))]
    if walking.origin.far_from_street:
        lines.append(_("The site is about {distance} from the nearest path: walking times are approximate.").format(
            distance=tr.distance_m(walking.origin.snap_m)))
    if walking.beyond:
        lines.append(_beyond_words(tr, walking.beyond, walking.minutes))
    rows = [[a.name, value_label(tr, a.scale), walk_words(tr, w), tr.distance_m(a.distance_m)]
            for a, w in walking.assets]
    return WalkingSection(
        title=_("Walking catchment: {minutes} on foot").format(minutes=minutes), lines=lines,
        header=[_("Asset"), _("Scale"), _("Walk"), _("Straight line")], rows=rows,
        empty=_("No asset within a walk of {minutes}.").format(minutes=minutes))
