"""Answering a survey (participants). Builder and response routes register on the same blueprint."""

from flask import Blueprint

bp = Blueprint("surveys", __name__, template_folder="templates")
