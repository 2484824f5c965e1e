"""What the tests of a long SQLite transaction share (decision 0111)."""

# Run first in each process of those tests: the settings' 30 s busy timeout lowered to 1 s, so a
# lock held a few seconds meets "database is locked" and the retry code runs.
SHORT_TIMEOUT = """
import django
from django.conf import settings
settings.DATABASES["default"]["OPTIONS"]["timeout"] = 1
settings.DATABASES["default"]["OPTIONS"]["init_command"] = settings.DATABASES["default"]["OPTIONS"][
    "init_command"
].replace("busy_timeout=30000", "busy_timeout=1000")
django.setup()
"""
