"""The walking network (issue 16): lines and their facts, noding, storage, profiles per group,
barrier sites placed on edges, and step-free routes. No Flask here.

``lines`` reads line files and OSM-style attributes; ``noding`` cuts lines into a graph;
``store`` keeps the graph and the destinations in the database (EPSG:25832); ``osm`` asks
Overpass; ``profiles`` is the published table of what blocks or penalises an edge per group;
``graph`` is the shortest-path engine (SciPy's csgraph, chosen by ``scripts/bench/route.py``);
``placement`` puts public open sites on their nearest edge; ``routing`` answers a route;
``impact`` says what each site costs a group between destinations and an origin grid.
"""
