"""Exports of barrier sites for planners: GeoJSON, CSV, GeoPackage and a printable map.

Plain Python without Flask. Every export is built from the same rows (``rows.py``), which hold
no reporter identities (no account, device, name) and no hidden reports.
"""
