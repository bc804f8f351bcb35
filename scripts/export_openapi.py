"""Write the gateway's OpenAPI document to ui/openapi.json (the UI's typed client is generated
from it, `npm run gen:api`), built from the FastAPI app without starting a server.

    python scripts/export_openapi.py          # rewrite ui/openapi.json
    python scripts/export_openapi.py --check  # exit 1 if the committed file is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gateway_service.app import create_app
from gateway_service.config import GatewaySettings

OUT = Path(__file__).resolve().parents[1] / "ui" / "openapi.json"


def render() -> str:
    # Defaults only (no environment): the document must not depend on who runs the script.
    app = create_app(GatewaySettings.model_construct())
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if ui/openapi.json is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} is stale: run `make ui-api` and commit it", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
