"""The counter's old address. A counter sale is rung up at the till, in a cash session
(``sales:till_home``; POS-01: every consumer payment belongs to a session and a user): the page
that started sales outside any session is gone, its address leads to the till."""

from django.shortcuts import redirect

from lmb.access import permission_required


@permission_required("sales.add_order")
def counter(request):
    return redirect("sales:till_home", permanent=True)
