"""A seeded synthetic data set at scale, for demos, training and the benchmarks.

``generate`` (no Flask, no database) makes N realistic reports inside Herlev's areas;
``clustering`` merges them into barrier sites with the rule of ``fieldaudit.clustering`` in
memory; ``load`` writes both into PostGIS (COPY) or SpatiaLite (one transaction) with their
indexes; ``cli`` is ``fieldaudit bench generate|load``. The benchmark suites that measure this
data set live outside the package, in ``scripts/bench/``.
"""
