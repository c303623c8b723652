"""Test settings: the real yim settings, with the environment a test run needs.

The database comes from YIM_DATABASE_URL exactly as in production (unset: SQLite), so the
same suite runs on SQLite and PostgreSQL. A real secret key is required in production mode;
tests get a throwaway one here, and their own data directory.
"""

import os
import tempfile

os.environ.setdefault("YIM_SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("YIM_DATA_DIR", tempfile.mkdtemp(prefix="yim-test-data-"))
os.environ.setdefault("YIM_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("YIM_BASE_URL", "https://yim.example.org")
os.environ.setdefault("YIM_SSL_REDIRECT", "0")

from yim.settings import *  # noqa: F403

# Argon2 with production parameters costs ~50 ms per hash; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
