"""Working documents: reading, uploading, versions, translation (routes on the consultations blueprint)."""

from consult.consultations.views import bp  # noqa: F401
