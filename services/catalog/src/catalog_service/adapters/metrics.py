"""Prometheus metrics of metadata scans."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Gauge, Histogram

SCAN_SECONDS = Histogram(
    "dc_catalog_scan_duration_seconds", "Metadata scan duration", ["source_type", "status"]
)
# Live objects per source and type as of the latest successful scan this process ran.
OBJECTS = Gauge(
    "dc_catalog_objects", "Catalog objects by source and type", ["source", "object_type"]
)


class PrometheusScanMetrics:
    def finished(self, *, source_type: str, status: str, seconds: float) -> None:
        SCAN_SECONDS.labels(source_type, status).observe(seconds)

    def objects(self, source: str, by_type: Mapping[str, int]) -> None:
        for object_type, count in by_type.items():
            OBJECTS.labels(source, object_type).set(count)
