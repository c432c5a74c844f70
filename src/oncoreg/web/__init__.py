"""The web pages (Jinja2 + htmx) over the same services as the API."""
