"""Exports and reports (staff, and moderators for the consultations they run)."""

from flask import Blueprint

bp = Blueprint("exports", __name__, template_folder="templates")
