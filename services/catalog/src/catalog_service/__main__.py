"""`python -m catalog_service serve|migrate`."""

from __future__ import annotations

from catalog_service.app import build, migrate, start
from catalog_service.config import CatalogSettings
from dckit.service import main

if __name__ == "__main__":
    main("catalog", CatalogSettings, build, start, migrate)
