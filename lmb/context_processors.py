"""What every page needs: the menu the user's roles allow (``lmb.navigation``), and the company's name."""

from .models import Company
from .navigation import menu_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    company = Company.objects.only("name", "trade_name").filter(pk=1).first()
    return {"navigation": menu_for(user, request.path), "company_name": company.display_name if company else "LMB"}
