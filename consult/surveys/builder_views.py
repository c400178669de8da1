"""Routes on the surveys blueprint."""

from consult.surveys.views import bp  # noqa: F401
