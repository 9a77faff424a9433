"""Saved designs with their version history and uploaded weights (SQLite or PostgreSQL)."""

from server.storage.db import database_url, get_engine
from server.storage.designs import (
    DesignRecord,
    VersionRecord,
    create_design,
    delete_design,
    get_design,
    get_version,
    list_designs,
    list_versions,
    update_design,
)

__all__ = [
    "DesignRecord",
    "VersionRecord",
    "create_design",
    "database_url",
    "delete_design",
    "get_design",
    "get_engine",
    "get_version",
    "list_designs",
    "list_versions",
    "update_design",
]
