"""What surveys add to the consultation page and the participation panel (see consultations/extensions.py)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from consult.consultations.extensions import consultation_section, participation_source
from consult.surveys.models import Response, ResponseStatus, Survey
from consult.surveys.response_queries import (
    consultation_surveys,
    status_counts,
    submitted_by_organization,
    viewer_responses,
)


@dataclass
class SurveyEntry:
    """One questionnaire as the viewer meets it on the consultation page."""

    survey: Survey
    can_answer: bool
    response: Response | None
    answer_url: str | None
    manage: dict[str, str] | None  # links for managers: edit, responses, nonrespondents
    counts: dict[str, int] | None  # for managers: responses by status

    @property
    def is_submitted(self) -> bool:
        return self.response is not None and self.response.status == ResponseStatus.SUBMITTED.value


@consultation_section("questionnaires", "surveys/section.html", order=40)
def questionnaires(consultation, user) -> dict | None:
    surveys = consultation_surveys(consultation, user)
    manager = consultation.can_manage(user)
    if not surveys and not manager:
        return None
    responses = viewer_responses(surveys, user)
    counts = status_counts([s.id for s in surveys]) if manager else {}
    entries = []
    for survey in surveys:
        can_answer = survey.can_answer(user)
        response = responses.get(survey.id)
        # Owners keep reading their drafts after closing, so the link stays while a response exists.
        links = {"slug": consultation.slug, "survey_id": survey.id}
        answer_url = url_for("surveys.answer", **links) if can_answer or response else None
        manage = None
        if manager:
            manage = {
                "edit": url_for("surveys.builder", **links),
                "responses": url_for("surveys.responses", **links),
                "nonrespondents": url_for("surveys.nonrespondents", **links),
            }
        entries.append(SurveyEntry(survey, can_answer, response, answer_url, manage,
                                   counts[survey.id] if manager else None))
    return {"consultation": consultation, "entries": entries, "manager": manager}


@participation_source("surveys")
def submitted_responses(consultation) -> dict[int, int]:
    return submitted_by_organization(consultation)
