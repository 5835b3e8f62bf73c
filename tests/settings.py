"""Settings of the test run: the project's, with Celery tasks run in-process (a test that needs a
real worker switches this off itself, see tests/integration)."""

from lmb.settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = True
# Tasks run eagerly here: rendering a Factur-X (~0.5 s) at every issued invoice would slow down
# every test that issues one. The tests of that path switch it on (tests/sales/test_issued_pdf_on_issue.py).
ISSUED_PDF_ON_ISSUE = False
