from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LmbConfig(AppConfig):
    name = "lmb"
    verbose_name = _("Noyau LMB")

    def ready(self):
        from django.db.backends.signals import connection_created

        from . import api, demo, imports, jobs  # noqa: F401  (api registers the token scheme of the OpenAPI schema)
        from .text_search import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="lmb_search_text")
        from .demo_users import seed_company_and_users

        demo.register_step("company-and-users", seed_company_and_users, order=10)
        # An import waits on its background job: whatever fails the job fails the import.
        for kind in (imports.PREVIEW_JOB, imports.CONFIRM_JOB):
            jobs.on_failure(kind, imports.job_failed)
