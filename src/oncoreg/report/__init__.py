"""Published outputs of the registry: charts (``charts``) and the annual report
(``annual``), both built from the statistics a reader may see (``services/published.py``)."""
