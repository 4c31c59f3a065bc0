"""DTI API."""

from ninja import Router

router = Router(tags=["dti"])
