"""Plain river lines (such as Natural Earth) turned into a directed reach table.

The drawing direction of the lines is never trusted: ends are snapped, lines
split at confluences, dangling ends classified (sea, lake, closed basin), each
connected river system oriented towards its outlet(s) along shortest paths,
and long pieces cut into reaches.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hazid.errors import GeodataError, check_choice
from hazid.rivers.columns import _find_column, _norm_name
from hazid.rivers.geodesy import (
    _check_degrees,
    _deg_margin,
    _geodesic_length_km,
    _haversine_m,
    _label_components,
    _to_wgs84,
)
from hazid.rivers.graph import _compile
from hazid.rivers.outlets import (
    ENDORHEIC_LAKES,
    ENDORHEIC_SEAS,
    _classify_points,
    cut_terminal_rivers,
)
from hazid.rivers.snapping import _cut_equal, _farthest, _node_line_relations, _vote

if TYPE_CHECKING:
    import networkx as nx

logger = logging.getLogger(__name__)


def network_from_lines(
    lines: gpd.GeoDataFrame,
    *,
    borders: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    snap_m: float = 1000.0,
    coast_m: float = 5000.0,
    lake_m: float = 3000.0,
    max_reach_km: float | None = 20.0,
    name_column: str | None = None,
    endorheic_lakes: Iterable[str] = ENDORHEIC_LAKES,
    endorheic_seas: Mapping[str, tuple[float, float, float, float]] = ENDORHEIC_SEAS,
    max_candidates: int = 200,
    drainage_area: str = "hack",
) -> gpd.GeoDataFrame:
    """Build a directed reach table from plain river lines, inferring flow direction.

    The drawing direction of the lines is never trusted. Steps:

    1. explode multi-lines; drop null, empty, zero-length (< 1 m) and closed parts;
    2. snap line ends lying within ``snap_m`` of each other to one node
       (great-circle distance);
    3. split a line where another line's end touches its interior (a
       confluence), within ``snap_m`` (distance in a local azimuthal
       equidistant projection centred on the end); the touching end becomes a
       vertex of the split line, so the pieces share it exactly;
    4. classify the dangling ends (nodes of degree 1): *endorheic* (within
       ``lake_m`` of a closed lake named in ``endorheic_lakes``, the sourced
       table of closed basins; or on open water inside an ``endorheic_seas`` box,
       i.e. the Caspian), *lake* (within ``lake_m`` of another lake) or *sea*
       (a point within ``coast_m`` lies outside every ``borders`` polygon);
    5. choose each connected component's outlet(s): all its sea and endorheic
       ends; failing those, among its dangling ends (lake ends and the two
       ends of its longest path first, at most ``max_candidates``), the one
       that agrees with the drawing direction of the most river length
       (reported in ``ambiguous_components``);
    6. orient every piece towards the outlet along shortest paths (multi-source
       Dijkstra on river length); ``next_down`` follows the shortest-path tree,
       so the result has no cycle even where the lines form loops; reaches of
       an ambiguous component are flagged ``ambiguous``;
    7. cut pieces longer than ``max_reach_km`` into equal reaches (better
       positions for border crossings);
    8. end the terminal rivers of the closed-basin table (the Zeravshan, ...)
       where they are drawn to join another river;
    9. with ``drainage_area="hack"``, measure at each reach's downstream end
       the longest river course upstream (``upstream_km``, one pass in
       topological order): the travel-time model turns it into an estimated
       drainage area by Hack's law (:func:`hazid.rivers.hydrology.hack_area_km2`).

    Parameters
    ----------
    lines : geopandas.GeoDataFrame
        River (multi)lines with a CRS.
    borders : geopandas.GeoDataFrame, optional
        Land polygons (countries): river ends on the coast are outlets.
    lakes : geopandas.GeoDataFrame, optional
        Lake polygons with ``name`` and ``featurecla`` (Natural Earth).
    snap_m : float
        End-snapping and confluence tolerance (m).
    coast_m : float
        A river end within this distance (m) of open water is a sea outlet.
    lake_m : float
        A river end within this distance (m) of a lake ends in that lake.
    max_reach_km : float or None
        Longest reach (km); None keeps pieces whole.
    name_column : str, optional
        Column with river names (default: ``name``, ``NAME`` or ``name_en``).
        Runs of spaces are collapsed ("Syr  Darya" -> "Syr Darya").
    endorheic_lakes : iterable of str
        Names of closed-basin lakes.
    endorheic_seas : mapping
        Closed seas as name -> (west, south, east, north) boxes.
    max_candidates : int
        Most dangling ends tried as the outlet of a component without sink.
    drainage_area : {"hack", "none"}
        ``"hack"``: add ``upstream_km`` so that discharge and Jobson's
        velocities are estimated from Hack's law (lines cut by a box, or
        omitting headwaters, shorten the courses and so the areas);
        ``"none"``: no drainage area, every reach runs at the flat velocity.

    Returns
    -------
    geopandas.GeoDataFrame
        Reach table (EPSG:4326), geometry drawn downstream; ``upland_skm`` and
        ``dis_av_cms`` are NaN; ``upstream_km`` (with ``drainage_area="hack"``)
        is the longest river length from a source of the lines to the reach's
        downstream end. ``attrs["report"]`` holds the counts:
        ``dropped_parts``, ``snapped_endpoints``, ``split_lines``, ``splits``,
        ``reversed_pieces``, ``components``, ``outlets`` by kind,
        ``ambiguous_components`` and ``multi_outlet_components``.

    Raises
    ------
    GeodataError
        If no usable line remains.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> lines = gpd.GeoDataFrame({"name": ["Main", "Trib"]}, crs=4326, geometry=[
    ...     shapely.LineString([(0.0, 0), (1.0, 0)]),  # drawn upstream
    ...     shapely.LineString([(0.5, 0.3), (0.5, 0.0)])])
    >>> land = gpd.GeoDataFrame({"iso_a3": ["AAA"]}, crs=4326,
    ...                         geometry=[shapely.box(-0.02, -1, 2, 1)])
    >>> net = network_from_lines(lines, borders=land, max_reach_km=None)
    >>> net.attrs["report"]["outlets"], net.attrs["report"]["split_lines"]
    ({'sea': 1}, 1)
    >>> net.upstream_km.round(1).tolist()  # main river at the sea, its upper half, tributary
    [111.3, 55.7, 33.2]
    """
    check_choice("drainage_area", drainage_area, ["hack", "none"])
    lines = _to_wgs84(lines, "river lines")
    _check_degrees(lines.geometry.to_numpy(), "river lines")
    ncol = name_column or _find_column(lines.columns, "name", "name_en", "river")
    if name_column and name_column not in lines:
        raise GeodataError(f"river lines have no column {name_column!r}")
    raw_names = lines[ncol].to_numpy() if ncol else np.full(len(lines), "", dtype=object)
    names_norm = np.array([_norm_name(v) for v in raw_names], dtype=object)
    report: dict[str, Any] = {"source": "lines", "features": len(lines), "snap_m": snap_m}
    report["names_normalised"] = int(
        sum(1 for a, b in zip(raw_names, names_norm, strict=True) if isinstance(a, str) and a != b)
    )
    parts, src = _usable_parts(lines, report)
    coords_list, ends, u_node, v_node, rel = _snap_ends(parts, snap_m, report)
    pieces = _split_at_confluences(coords_list, ends, u_node, v_node, src, rel, report)
    node_kind, node_sink_name = _classify_dangling_ends(
        pieces,
        ends,
        borders,
        lakes,
        coast_m=coast_m,
        lake_m=lake_m,
        endorheic_lakes=endorheic_lakes,
        endorheic_seas=endorheic_seas,
    )
    g, outlets, ambiguous, amb_nodes, multi, n_comps = _choose_outlets(
        pieces, node_kind, ends, names_norm, max_candidates=max_candidates
    )
    down, nd_piece, outlet_of = _orient(pieces, g, outlets, report)
    reaches, sink, is_out = _cut_reaches(
        pieces,
        down,
        nd_piece,
        outlet_of,
        node_kind,
        node_sink_name,
        outlets,
        names_norm,
        amb_nodes,
        max_reach_km=max_reach_km,
    )
    terminal = cut_terminal_rivers(reaches)
    _add_upstream_km(reaches, drainage_area, report)
    is_out = reaches["next_down"].to_numpy() == 0
    sink = reaches["sink"].to_numpy(dtype=object)
    report.update(
        {
            "pieces": len(pieces.u),
            "reaches": len(reaches),
            "components": n_comps,
            "outlets": {
                k: int(v) for k, v in pd.Series(sink[is_out]).value_counts().sort_index().items()
            },
            "ambiguous_components": ambiguous,
            "multi_outlet_components": int(multi),
            "terminal_rivers": terminal,
            "cycles": [],
            "warnings": [],
        }
    )
    if ambiguous:
        names = sorted({n for a in ambiguous for n in a["names"]})
        message = (
            f"river network: {len(ambiguous)} river system(s) end in no sea, lake or closed "
            "basin; their flow direction follows the drawing of most of their length"
            + (f" ({', '.join(names[:10])})" if names else "")
        )
        logger.warning("%s", message)
        report["warnings"].append(message)
    logger.info(
        "river network from lines: %d reaches, %d reversed pieces, %d snapped ends, "
        "%d split lines, %d ambiguous components",
        len(reaches),
        report["reversed_pieces"],
        report["snapped_endpoints"],
        report["split_lines"],
        len(ambiguous),
    )
    reaches.attrs["report"] = report
    return reaches


def _add_upstream_km(reaches: gpd.GeoDataFrame, drainage_area: str, report: dict[str, Any]) -> None:
    """Step 9: ``upstream_km``, the longest river length from a source to each reach's end."""
    report["drainage_area"] = drainage_area
    if drainage_area == "hack":
        net = _compile(reaches, on_cycle="ignore")
        reaches["upstream_km"] = net.longest_upstream(reaches["length_km"].to_numpy())


@dataclass
class _Pieces:
    """Line pieces between nodes: end nodes ``u``, ``v``, source feature, geometry, length."""

    u: np.ndarray
    v: np.ndarray
    src: np.ndarray
    geom: np.ndarray
    length_m: np.ndarray
    xy: list[np.ndarray]


def _usable_parts(lines: gpd.GeoDataFrame, report: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """Step 1: single lines, without null, empty, zero-length (< 1 m) or closed parts."""
    geoms = lines.geometry.to_numpy()
    null = ~shapely.is_geometry(geoms) | shapely.is_empty(geoms)
    parts, src = shapely.get_parts(geoms[~null], return_index=True)
    src = np.flatnonzero(~null)[src]
    ok_type = shapely.get_type_id(parts) == 1
    n_nonline = int((~ok_type).sum())
    parts, src = parts[ok_type], src[ok_type]
    plen = _geodesic_length_km(parts) * 1000.0
    first = shapely.get_point(parts, 0)
    last = shapely.get_point(parts, -1)
    closed = shapely.equals_exact(first, last, tolerance=0.0)
    zero = plen < 1.0
    keep = ~zero & ~closed
    report["dropped_parts"] = {
        "null_features": int(null.sum()),
        "not_lines": n_nonline,
        "zero_length": int(zero.sum()),
        "closed_loops": int((closed & ~zero).sum()),
    }
    parts, src = parts[keep], src[keep]
    report["parts"] = len(parts)
    if len(parts) == 0:
        raise GeodataError("the river layer holds no usable line")
    return parts, src


def _snap_ends(parts: np.ndarray, snap_m: float, report: dict[str, Any]) -> tuple[Any, ...]:
    """Step 2: snap line ends within ``snap_m`` of each other (or of a line's end) to one node.

    Returns the per-part coordinates (ends moved to their nodes), the node
    coordinates, each part's start and end node, and the node-line relations
    (confluences) of :func:`_node_line_relations`.
    """
    xy, owner = shapely.get_coordinates(parts, return_index=True)
    splits_at = np.flatnonzero(np.diff(owner)) + 1
    coords_list = np.split(xy, splits_at)
    m = len(coords_list)
    ends0 = np.array([c[0] for c in coords_list] + [c[-1] for c in coords_list])
    max_lat = float(np.max(np.abs(xy[:, 1])))
    deg = _deg_margin(snap_m, max_lat)
    ept = shapely.points(ends0)
    a, b = shapely.STRtree(ept).query(ept, predicate="dwithin", distance=deg)
    sel = a < b
    a, b = a[sel], b[sel]
    d = _haversine_m(ends0[a, 0], ends0[a, 1], ends0[b, 0], ends0[b, 1])
    a, b = a[d <= snap_m], b[d <= snap_m]
    label = _label_components(2 * m, a, b)
    line_tree = shapely.STRtree(shapely.linestrings(xy, indices=owner))
    # an end that touches another line within snap_m of that line's end joins that end
    rel = _node_line_relations(label, ends0, coords_list, line_tree, snap_m, deg)
    near_end = rel["where"] != 0
    if near_end.any():
        other = np.where(
            rel["where"][near_end] < 0, rel["line"][near_end], m + rel["line"][near_end]
        )
        a = np.r_[a, rel["node"][near_end]]
        b = np.r_[b, other]
        label = _label_components(2 * m, a, b)
        rel = _node_line_relations(label, ends0, coords_list, line_tree, snap_m, deg)
    ends = ends0[label]
    report["snapped_endpoints"] = int(np.any(ends0 != ends, axis=1).sum())
    for i in range(m):
        coords_list[i] = coords_list[i].copy()
        coords_list[i][0] = ends[i]
        coords_list[i][-1] = ends[m + i]
    return coords_list, ends, label[:m].copy(), label[m:].copy(), rel


def _split_at_confluences(
    coords_list: list[np.ndarray],
    ends: np.ndarray,
    u_node: np.ndarray,
    v_node: np.ndarray,
    src: np.ndarray,
    rel: dict[str, np.ndarray],
    report: dict[str, Any],
) -> _Pieces:
    """Step 3: split lines where another line's end touches their interior."""
    cuts: dict[int, list[tuple[int, float, int]]] = {}
    for k in np.flatnonzero(rel["where"] == 0):
        cuts.setdefault(int(rel["line"][k]), []).append(
            (int(rel["seg"][k]), float(rel["t"][k]), int(rel["node"][k]))
        )
    report["split_lines"] = len(cuts)
    report["splits"] = int(sum(len(v) for v in cuts.values()))
    piece_xy: list[np.ndarray] = []
    piece_u: list[int] = []
    piece_v: list[int] = []
    piece_src: list[int] = []
    for j, c in enumerate(coords_list):
        start_u, prev_s, prev_pts = int(u_node[j]), 0, [c[0]]
        for s, _t, node in sorted(cuts.get(j, [])):
            p = ends[node]
            piece_xy.append(np.array([*prev_pts, *c[prev_s + 1 : s + 1], p]))
            piece_u.append(start_u)
            piece_v.append(node)
            piece_src.append(int(src[j]))
            start_u, prev_s, prev_pts = node, s, [p]
        piece_xy.append(c if j not in cuts else np.array([*prev_pts, *c[prev_s + 1 :]]))
        piece_u.append(start_u)
        piece_v.append(int(v_node[j]))
        piece_src.append(int(src[j]))
    pu = np.array(piece_u)
    pv = np.array(piece_v)
    psrc = np.array(piece_src)
    pgeom = np.array([shapely.LineString(c) for c in piece_xy], dtype=object)
    plen_m = _geodesic_length_km(pgeom) * 1000.0
    good = (pu != pv) & (plen_m >= 1.0)
    report["dropped_parts"]["degenerate_after_snap"] = int((~good).sum())
    return _Pieces(
        u=pu[good],
        v=pv[good],
        src=psrc[good],
        geom=pgeom[good],
        length_m=plen_m[good],
        xy=[c for c, g in zip(piece_xy, good, strict=True) if g],
    )


def _classify_dangling_ends(
    pieces: _Pieces,
    ends: np.ndarray,
    borders: gpd.GeoDataFrame | None,
    lakes: gpd.GeoDataFrame | None,
    **kwargs: Any,
) -> tuple[dict[int, str], dict[int, str]]:
    """Step 4: kind (sea, lake, endorheic or "") and name of each node of degree 1."""
    deg_count = pd.Series(np.r_[pieces.u, pieces.v]).value_counts()
    dangling = deg_count.index[deg_count.to_numpy() == 1].to_numpy()
    kind_d, name_d = _classify_points(
        ends[dangling, 0], ends[dangling, 1], borders, lakes, **kwargs
    )
    node_kind = dict(zip(dangling.tolist(), kind_d.tolist(), strict=True))
    node_sink_name = dict(zip(dangling.tolist(), name_d.tolist(), strict=True))
    return node_kind, node_sink_name


def _choose_outlets(
    pieces: _Pieces,
    node_kind: dict[int, str],
    ends: np.ndarray,
    names_norm: np.ndarray,
    *,
    max_candidates: int,
) -> tuple[nx.Graph, list[int], list[dict[str, Any]], set[int], int, int]:
    """Step 5: outlets of each connected river system (sea and closed-basin ends, else a vote).

    Returns the undirected node graph, the outlets, the ambiguous systems and
    their outlets, the count of systems with several outlets and the count of
    systems.
    """
    import networkx as nx

    pu, pv, plen_m = pieces.u, pieces.v, pieces.length_m
    g = nx.Graph()
    for k, (u, v, w) in enumerate(zip(pu.tolist(), pv.tolist(), plen_m.tolist(), strict=True)):
        if g.has_edge(u, v) and g[u][v]["weight"] <= w:
            continue
        g.add_edge(u, v, weight=w, piece=k)
    outlets: list[int] = []
    ambiguous: list[dict[str, Any]] = []
    amb_nodes: set[int] = set()
    multi = 0
    comps = list(nx.connected_components(g))
    for comp in comps:
        comp_nodes = sorted(comp)
        dang = [n for n in comp_nodes if n in node_kind]
        strong = [n for n in dang if node_kind[n] in ("sea", "endorheic")]
        if strong:
            outlets.extend(strong)
            multi += len(strong) > 1
            continue
        lake_ends = [n for n in dang if node_kind[n] == "lake"]
        start = dang[0] if dang else comp_nodes[0]
        far1 = _farthest(g, start)
        far2 = _farthest(g, far1)
        cands = list(dict.fromkeys([*lake_ends, far1, far2, *dang[:max_candidates]]))
        if len(cands) == 1:
            outlets.append(cands[0])
            continue
        sub = g.subgraph(comp)
        votes = [_vote(sub, c, pu, pv, plen_m) for c in cands]
        total_len = float(sum(plen_m[d["piece"]] for _, _, d in sub.edges(data=True)))
        agreement = max(votes) / max(total_len, 1.0)
        best = cands[int(np.argmax(votes))]
        outlets.append(best)
        amb_nodes.add(best)
        names = sorted(
            {names_norm[pieces.src[d["piece"]]] for _, _, d in sub.edges(data=True)} - {""}
        )
        ambiguous.append(
            {
                "names": names,
                "reason": "lake ends only" if lake_ends else "no sea, lake or closed-basin end",
                "outlet_lon": float(ends[best, 0]),
                "outlet_lat": float(ends[best, 1]),
                "agreement": round(float(agreement), 3),
            }
        )
    return g, outlets, ambiguous, amb_nodes, multi, len(comps)


def _orient(
    pieces: _Pieces, g: nx.Graph, outlets: list[int], report: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
    """Step 6: orient pieces towards the outlets along shortest paths (multi-source Dijkstra).

    Reverses the coordinates of pieces drawn upstream; returns each piece's
    downstream node, the piece it drains into (-1 at an outlet) and the
    outlet of every node.
    """
    import networkx as nx

    pu, pv = pieces.u, pieces.v
    dist, paths = nx.multi_source_dijkstra(g, set(outlets), weight="weight")
    du = np.array([dist[u] for u in pu])
    dv = np.array([dist[v] for v in pv])
    down_is_u = (du < dv) | ((du == dv) & (pu < pv))
    down = np.where(down_is_u, pu, pv)
    report["reversed_pieces"] = int(down_is_u.sum())
    for k in np.flatnonzero(down_is_u):
        pieces.xy[k] = pieces.xy[k][::-1]
    parent_piece: dict[int, int] = {}
    outlet_of: dict[int, int] = {}
    for node, path in paths.items():
        outlet_of[node] = path[0]
        if len(path) > 1:
            parent_piece[node] = g[node][path[-2]]["piece"]
    nd_piece = np.array([parent_piece.get(int(w), -1) for w in down])
    return down, nd_piece, outlet_of


def _cut_reaches(
    pieces: _Pieces,
    down: np.ndarray,
    nd_piece: np.ndarray,
    outlet_of: dict[int, int],
    node_kind: dict[int, str],
    node_sink_name: dict[int, str],
    outlets: list[int],
    names_norm: np.ndarray,
    amb_nodes: set[int],
    *,
    max_reach_km: float | None,
) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """Step 7: cut pieces longer than ``max_reach_km`` into equal reaches; the reach table."""
    n_p = len(pieces.u)
    if max_reach_km:
        nseg = np.maximum(1, np.ceil(pieces.length_m / (max_reach_km * 1000.0)).astype(int))
    else:
        nseg = np.ones(n_p, dtype=int)
    first_id = np.r_[0, np.cumsum(nseg)[:-1]] + 1
    r_geom: list[Any] = []
    r_next: list[int] = []
    r_piece: list[int] = []
    for k in range(n_p):
        c = pieces.xy[k]
        subs = [c] if nseg[k] == 1 else _cut_equal(c, int(nseg[k]))
        for s_i, sc in enumerate(subs):
            r_geom.append(shapely.LineString(sc))
            r_piece.append(k)
            if s_i < len(subs) - 1:
                r_next.append(int(first_id[k] + s_i + 1))
            else:
                p = nd_piece[k]
                r_next.append(int(first_id[p]) if p >= 0 else 0)
    r_geom_arr = np.array(r_geom, dtype=object)
    r_piece_arr = np.array(r_piece)
    down_node = down[r_piece_arr]
    is_out = np.array(r_next) == 0
    sink = np.full(len(r_geom), "", dtype=object)
    sink_name = np.full(len(r_geom), "", dtype=object)
    kinds_map = {"sea": "sea", "endorheic": "endorheic", "lake": "lake", "": "unknown"}
    for i in np.flatnonzero(is_out):
        nd_node = int(down_node[i])
        sink[i] = kinds_map[node_kind.get(nd_node, "")]
        sink_name[i] = node_sink_name.get(nd_node, "")
    endo_outlets = {n for n in outlets if node_kind.get(n) == "endorheic"}
    endorheic = np.array([outlet_of[int(w)] in endo_outlets for w in down_node], dtype=bool)
    reaches = gpd.GeoDataFrame(
        {
            "reach_id": np.arange(1, len(r_geom) + 1, dtype="int64"),
            "next_down": np.array(r_next, dtype="int64"),
            "length_km": np.array(_geodesic_length_km(r_geom_arr).tolist()),
            "upland_skm": np.nan,
            "dis_av_cms": np.nan,
            "endorheic": endorheic,
            "name": pd.array(names_norm[pieces.src[r_piece_arr]], dtype="str"),
            "sink": pd.array(sink, dtype="str"),
            "sink_name": pd.array(sink_name, dtype="str"),
            "ambiguous": np.array([outlet_of[int(w)] in amb_nodes for w in down_node], dtype=bool),
        },
        geometry=r_geom_arr,
        crs=4326,
    )
    return reaches, sink, is_out
