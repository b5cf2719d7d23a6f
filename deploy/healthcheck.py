#!/usr/bin/env python3
"""Container health check: exit 0 when GET /readyz answers 200 with status "ready".

Used by the image's HEALTHCHECK and compose (the slim image has no curl). Standard library
only. The URL comes from OPENPOLICY_HEALTHCHECK_URL (default http://127.0.0.1:8000/readyz,
the readiness of the process: the database answers; Redis being down only degrades). A
/health URL works too: it passes when the report says "healthy".
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/readyz"
PASSING = ("ready", "healthy")


def check(url: str, timeout: float) -> str | None:
    """Return None when healthy, else one line saying why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        return f"{url} answered HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        return f"{url} unreachable: {error}"
    if status != 200:
        return f"{url} answered HTTP {status}"
    try:
        document = json.loads(body)
    except ValueError:
        return f"{url} answered 200 but not JSON"
    if not isinstance(document, dict) or document.get("status") not in PASSING:
        reported = document.get("status") if isinstance(document, dict) else document
        return f"{url} reports status {reported!r}"
    return None


def main() -> int:
    url = os.environ.get("OPENPOLICY_HEALTHCHECK_URL", DEFAULT_URL)
    timeout = float(os.environ.get("OPENPOLICY_HEALTHCHECK_TIMEOUT", "4"))
    problem = check(url, timeout)
    if problem is not None:
        sys.stderr.write(f"unhealthy: {problem}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
