import html


def page_text(response) -> str:
    """The page as a user reads it (HTML entities decoded), for asserting on French messages."""
    return html.unescape(response.content.decode())
