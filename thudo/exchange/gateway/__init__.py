"""The data plane of the exchange hub: an ASGI app at ``/x/…`` (see app.py)."""
