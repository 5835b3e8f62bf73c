"""Screens of background jobs (label sheets, exports, archives, syncs): the job page, its progress
block polled by htmx until the job ends, and the file it produced. A job is seen only by the user
who started it (or a superuser); anyone else gets a 404, as if it did not exist.

A job may put a remark for the user in ``parameters["notice"]`` (e.g. what was left out of the
file); the page shows it above the progress. A job whose outcome is shown on another page (an
import's preview) names it in ``parameters["next_url"]``: once the job ends, the polling block
sends the browser there (htmx's ``HX-Redirect``) and offers the link. A job whose outcome is
worth a look but not a redirect (the invoices a run made) names it in ``parameters["done_url"]``
(with ``done_label``): the finished page offers the link, the summary stays in view."""

import os

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from .models import Job


def _visible_job(request, pk) -> Job:
    job = get_object_or_404(Job, pk=pk)
    if not (request.user.is_superuser or (job.created_by_id is not None and job.created_by_id == request.user.pk)):
        raise Http404
    return job


def _context(request, job):
    summary, _newline, details = (job.message or "").partition("\n")
    return {
        "job": job,
        "message_summary": summary,
        # A failure's technical details (traceback) are for the staff, not for every user.
        "message_details": details if request.user.is_staff else "",
        "notice": (job.parameters or {}).get("notice", ""),
        "next_url": (job.parameters or {}).get("next_url", ""),
        "done_url": _local((job.parameters or {}).get("done_url", "")),
        "done_label": (job.parameters or {}).get("done_label", ""),
    }


def _local(url: str) -> str:
    return url if url and url_has_allowed_host_and_scheme(url, allowed_hosts=None) else ""


@never_cache
def job_detail(request, pk):
    job = _visible_job(request, pk)
    return render(request, "lmb/job_detail.html", _context(request, job))


@never_cache
def job_progress(request, pk):
    """The progress block alone: htmx polls it every second while the job runs; the block of a
    finished job carries no trigger, so polling stops."""
    job = _visible_job(request, pk)
    response = render(request, "lmb/_job_progress.html", _context(request, job))
    next_url = (job.parameters or {}).get("next_url", "")
    if job.is_finished and url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
        response["HX-Redirect"] = next_url
    return response


@never_cache
def job_result(request, pk):
    job = _visible_job(request, pk)
    if job.status != Job.Status.DONE or not job.result:
        raise Http404
    try:
        handle = job.result.open("rb")
    except FileNotFoundError:
        raise Http404
    return FileResponse(handle, as_attachment=True, filename=os.path.basename(job.result.name))
