"""The benchmarks of issue 7 (suites, submission, photo ingest, payload, the report); run by
``run_all.py``. The data set they measure is made by ``fieldaudit.bench`` (the package)."""
