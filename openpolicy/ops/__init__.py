"""Operations: health, metrics, maintenance, backups, restore, integrity, DR, notifications."""

# Registers the backup-age scrape hook with the metrics registry whenever the app loads ops.
from openpolicy.ops import backup_metrics as _backup_metrics  # noqa: F401
