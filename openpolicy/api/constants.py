"""Where the API lives (imported by routes and by the app without import cycles)."""

API_PREFIX = "/api/v1"
