"""Benchmarks at scale: a seeded synthetic data set, a bulk loader and the measurements.

``generate`` (no Flask, no database) makes N realistic reports inside Herlev's areas;
``clustering`` merges them into barrier sites with the rule of ``fieldaudit.sites`` in memory;
``load`` writes both into PostGIS (COPY) or SpatiaLite (one transaction) with their indexes;
``suites`` holds one function per benchmark and ``report`` writes ``docs/benchmarks.md``.
"""
