"""newsd settings: the schema, the TOML loader and the bundled example config.

Imports nothing from ``newsd.daemon`` or ``newsd.storage``.
"""

from newsd.config.loader import (
    ConfigError,
    bundled_example_path,
    find_config,
    is_bundled_example,
    load_settings,
    missing_local_feeds,
    starter_config_text,
)
from newsd.config.settings import (DedupSettings, FeedSettings, HttpSettings, PollSettings, RetentionSettings, Settings,
                                   SiteLearningSettings, StorageSettings)

__all__ = [
    "ConfigError",
    "DedupSettings",
    "FeedSettings",
    "HttpSettings",
    "PollSettings",
    "RetentionSettings",
    "Settings",
    "SiteLearningSettings",
    "StorageSettings",
    "bundled_example_path",
    "find_config",
    "is_bundled_example",
    "load_settings",
    "missing_local_feeds",
    "starter_config_text",
]
