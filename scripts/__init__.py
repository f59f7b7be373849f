"""Tools that drive FieldAudit from outside: benchmarks, load tests, the production server
launcher. Tests may import them; they never import the tests."""
