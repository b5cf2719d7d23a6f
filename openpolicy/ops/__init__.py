"""Operations: health, metrics, maintenance, backups, restore, integrity, DR, notifications.

Importing the package imports nothing else: the `openpolicy` command loads its parts on use.
"""
