"""Browser tests call the ORM beside Playwright's event loop, which Django would otherwise refuse."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
