"""The ground under the atlas: the streets, paths, railways, water, parks and buildings of an
OpenStreetMap extract (or the demo's approximate lines), and what is made from them.

- :mod:`atlas.ground.layers`: the ground read from an extract and kept in the store.
- :mod:`atlas.ground.walking`: the walking network, catchments and walking times.
- :mod:`atlas.ground.tiles`: the offline base map, one PMTiles archive kept in the store.
- :mod:`atlas.ground.demo_ground`: the demo's approximate ground, written by us.
- :mod:`atlas.ground.cli`: ``atlas basemap build``.
"""
