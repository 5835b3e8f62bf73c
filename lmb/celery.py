"""The Celery application. Tasks live in each app's ``tasks.py`` and are autodiscovered.

What survives a killed worker or a broker that is down (settings in lmb/settings.py):

- Work is written to the database before its task is sent, and sent after the commit through
  ``lmb.queueing``: a broker that cannot take the message never turns the user's committed action
  into an error; the row stays pending (a job, a webhook event, a push) for a sweeper, or records
  the failure (an e-mail).
- A message is acknowledged after its task has run (``task_acks_late``): a worker that dies
  mid-task has not taken it off the broker.
- A worker process killed mid-task (the OOM killer) gives its message back at once
  (``task_reject_on_worker_lost``). Jobs keep exactly that: the next run sees the dead run's
  process gone and takes over, and the job bounds its runs itself (``lmb.jobs``). Every other task
  is sent again as a retry instead (``task_retry_on_worker_lost``, Celery ≥ 5.7), so its
  ``max_retries`` bounds a message that kills its worker every time — a plain re-queue would
  loop for ever.
- A whole worker killed (or its machine) leaves its messages unacknowledged in Redis, which hands
  them out again after the visibility timeout (``broker_transport_options``). That timeout is
  sized to the longest time a message may stay with a live worker: its wait for a retry's ETA
  (the longest is ``send_push``'s backoff, 900 s; a retry after a lost worker waits 180 s) plus
  the run of a task that is not a job (a shop poll: a minute or two for thousands of orders).
  20 minutes: shorter, a second worker would run a message the first still holds; the default
  hour, a dead worker's e-mails and PDFs waited that long. Jobs and the PrestaShop outbox do not
  wait for it: Celery beat's sweepers (``lmb.tasks.sweep_jobs``,
  ``connectors.prestashop.tasks.sweep_outbox``, every minute) send again what a dead worker or a
  lost message left undone.
- Every task is safe to run twice: jobs claim their
  row (``lmb.jobs.run_job``), the PrestaShop tasks leave a handled event or push alone, the
  Factur-X is stored once, accounting posts what has no entry yet, quote expiry and polls are
  idempotent. An e-mail is the exception a duplicate can reach: sent again only when its worker
  died between the mail server's acceptance and the acknowledgment — a second copy rather than
  none.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lmb.settings")

app = Celery("lmb")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
