"""Creating and editing a consultation: who may, what is checked, how dates and zones are stored and shown."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from consult.consultations.models import Consultation
from consult.extensions import db
from tests.consultations.consultation_support import (
    audit_events,
    consultation,
    editor_data,
    moderator_with_group,
)
from tests.factories import create_consultation, create_group
from tests.helpers import count, submit


@pytest.fixture
def manager(app, client_as):
    return moderator_with_group(app, client_as)


def _group_select(page: str) -> str:
    """The options of the editor's group select (other groups may still be offered as an audience)."""
    return re.search(r'<select[^>]*name="group_id".*?</select>', page, re.S).group(0)


def _consultation_count(app) -> int:
    with app.app_context():
        return count(Consultation)


# --- Creating ----------------------------------------------------------------


def test_a_moderator_creates_a_draft_for_their_group(app, manager):
    response = submit(manager, "/consultations/new", editor_data(manager.group_id))
    assert response.status_code == 302
    assert response.headers["Location"] == "/consultations/draft-guidelines-on-e-commerce"

    page = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert "Draft guidelines on e-commerce" in page
    assert "saved as a draft" in page
    assert ">Draft</span>" in page
    assert "<strong>background</strong>" in page
    with app.app_context():
        saved = consultation("draft-guidelines-on-e-commerce")
        assert saved.published_at is None
        assert saved.group_id == manager.group_id
        assert saved.created_by_id == manager.user.id
        assert saved.title.texts == {"en": "Draft guidelines on e-commerce"}
        assert saved.title.original == "en"
        assert saved.moderation_mode == "post"
        [created] = audit_events("consultation_created")
        assert created.actor_id == manager.user.id
        assert created.target_id == saved.id
        assert created.data["slug"] == "draft-guidelines-on-e-commerce"


def test_nine_in_the_morning_in_paris_in_winter_is_stored_as_eight_utc_and_shown_in_the_viewers_zone(
    app, client_as
):
    manager = moderator_with_group(app, client_as, timezone="America/Santiago")
    response = submit(manager, "/consultations/new", editor_data(manager.group_id))
    assert response.status_code == 302
    with app.app_context():
        saved = consultation("draft-guidelines-on-e-commerce")
        assert saved.opens_at == datetime(2031, 1, 15, 8, 0, tzinfo=UTC)
        assert saved.closes_at == datetime(2031, 2, 15, 17, 0, tzinfo=UTC)
        assert saved.time_zone == "Europe/Paris"

    # January is summer in Chile (UTC-3): 08:00 UTC is 05:00 there, and the page names the zone.
    page = manager.get("/consultations/draft-guidelines-on-e-commerce").get_data(as_text=True)
    assert "Jan 15, 2031, 5:00\u202fAM (Chile Summer Time)" in page
    # The editor shows the dates as they were entered, in the consultation's own zone.
    editor = manager.get("/consultations/draft-guidelines-on-e-commerce/edit").get_data(as_text=True)
    assert 'value="2031-01-15T09:00"' in editor
    assert '<option selected value="Europe/Paris">' in editor


def test_a_time_skipped_by_the_clocks_going_forward_moves_to_the_hour_after_and_the_editor_is_told(app, manager):
    data = editor_data(manager.group_id, opens_at="2031-03-30T02:30", closes_at="2031-10-26T02:30")
    response = submit(manager, "/consultations/new", data, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2:30\u202fAM does not exist that day in Europe/Paris" in page
    assert "the consultation opens at 3:30\u202fAM" in page
    with app.app_context():
        saved = consultation("draft-guidelines-on-e-commerce")
        # 02:30 does not exist on 30 March in Paris: taken with the winter offset, it is 03:30 summer time.
        assert saved.opens_at == datetime(2031, 3, 30, 1, 30, tzinfo=UTC)
        # 02:30 happens twice on 26 October: the first one (summer time, UTC+2) is meant.
        assert saved.closes_at == datetime(2031, 10, 26, 0, 30, tzinfo=UTC)


def test_the_time_zone_select_starts_on_the_editors_own_zone(app, client_as):
    manager = moderator_with_group(app, client_as, timezone="Asia/Tokyo")
    page = manager.get("/consultations/new").get_data(as_text=True)
    assert '<option selected value="Asia/Tokyo">' in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"closes_at": "2031-01-10T09:00"}, "The consultation must close after it opens."),
        ({"closes_at": "2031-01-15T09:00"}, "The consultation must close after it opens."),
        ({"opens_at": "2020-01-01T09:00", "closes_at": "2020-02-01T09:00"}, "This closing time has already passed."),
        ({"opens_at": "15/01/2031 9h"}, "Not a valid datetime value."),
        ({"closes_at": "9999-12-31T23:59", "time_zone": "America/Santiago"}, "Enter a date between the years 2000"),
        ({"opens_at": "0001-01-01T00:00", "time_zone": "Asia/Tokyo"}, "Enter a date between the years 2000"),
        ({"closes_at": None}, "This field is required."),
        ({"time_zone": "Mars/Olympus_Mons"}, "Choose a time zone from the list."),
        ({"original_locale": "de"}, "Choose the language the consultation was first written in."),
        ({"original_locale": "fr"}, "Enter the title in French, the original language."),
        ({"summary_en": "  "}, "Enter the summary in English, the original language."),
        ({"body_en": ""}, "Enter the background in English, the original language."),
        ({"title_fr": "T" * 301}, "Field cannot be longer than 300 characters."),
        ({"slug": "Not A Slug!"}, "Use 3 to 120 lower-case letters, digits and hyphens"),
        ({"slug": "ab"}, "Use 3 to 120 lower-case letters, digits and hyphens"),
        ({"slug": "new"}, "Another consultation already has this address."),
        ({"group_id": "999999"}, "Choose one of the groups you run consultations for."),
        ({"group_id": "not-a-number"}, "Choose one of the groups you run consultations for."),
        ({"audience_mode": "restricted", "audience_group_ids": "x"}, "One of the chosen groups does not exist"),
        ({"audience_mode": "everyone"}, "Choose who takes part."),
        ({"audience_mode": "restricted"}, "Choose at least one group or stakeholder type"),
        ({"audience_mode": "restricted", "audience_types": "pirates"}, "Choose stakeholder types from the list."),
        ({"moderation_mode": "never"}, "Choose how comments are moderated."),
        ({"meeting_date": "yesterday"}, "Not a valid date value."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_written(app, manager, overrides, message):
    data = editor_data(manager.group_id, title_en="Kept <as typed>")
    data.update({key: value for key, value in overrides.items() if value is not None})
    for key in [key for key, value in overrides.items() if value is None]:
        del data[key]
    response = submit(manager, "/consultations/new", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "Kept &lt;as typed&gt;" in page  # the person's input is still there
    assert _consultation_count(app) == 0
    with app.app_context():
        assert audit_events("consultation_created") == []


def test_the_group_select_offers_only_the_groups_a_moderator_moderates(app, manager, client_as):
    with app.app_context():
        other = create_group(name="Somebody else's group").id
    select = _group_select(manager.get("/consultations/new").get_data(as_text=True))
    assert f"Group of {manager.user.email}" in select
    assert "Somebody else&#39;s group" not in select

    response = submit(manager, "/consultations/new", editor_data(other))
    assert response.status_code == 400
    assert "Choose one of the groups you run consultations for." in response.get_data(as_text=True)
    assert _consultation_count(app) == 0

    staff = client_as("staff")
    assert "Somebody else&#39;s group" in _group_select(staff.get("/consultations/new").get_data(as_text=True))
    assert submit(staff, "/consultations/new", editor_data(other)).status_code == 302


def test_participants_cannot_create_and_moderators_without_a_group_are_told_why(client_as, participant_client):
    assert participant_client.get("/consultations/new").status_code == 403
    lonely = client_as("moderator")
    response = lonely.get("/consultations/new")
    assert response.status_code == 403
    assert "You do not moderate any group yet" in response.get_data(as_text=True)


def test_slugs_come_from_the_original_title_and_stay_unique(app, manager):
    data = editor_data(manager.group_id, original_locale="fr", title_fr="Séance d'été : Lignes directrices",
                       summary_fr="Résumé", body_fr="Contexte")
    locations = [submit(manager, "/consultations/new", data).headers["Location"] for _ in range(3)]
    assert locations == [
        "/consultations/seance-d-ete-lignes-directrices",
        "/consultations/seance-d-ete-lignes-directrices-2",
        "/consultations/seance-d-ete-lignes-directrices-3",
    ]
    # A title that gives no usable slug still gets an address.
    response = submit(manager, "/consultations/new", editor_data(manager.group_id, title_en="!!"))
    assert response.headers["Location"] == "/consultations/consultation"
    # A chosen address is kept as typed.
    response = submit(manager, "/consultations/new", editor_data(manager.group_id, slug="cpg-17"))
    assert response.headers["Location"] == "/consultations/cpg-17"
    response = submit(manager, "/consultations/new", editor_data(manager.group_id, slug="cpg-17"))
    assert response.status_code == 400
    assert "Another consultation already has this address." in response.get_data(as_text=True)
    assert _consultation_count(app) == 5


def test_a_restricted_audience_keeps_its_groups_and_types(app, manager):
    with app.app_context():
        audience_group = create_group(name="Rights Holders Consultative Group").id
    data = editor_data(
        manager.group_id,
        audience_mode="restricted",
        audience_group_ids=[str(audience_group)],
        audience_types=["rights_holder", "intermediary"],
        meeting_name="17th CPG meeting",
        meeting_date="2031-03-01",
        meeting_virtual="y",
    )
    response = submit(manager, "/consultations/new", data, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Restricted to organizations in Rights Holders Consultative Group that are: Intermediary or Rights " \
           "holder." in page
    assert "17th CPG meeting" in page
    assert "Virtual meeting" in page
    with app.app_context():
        saved = consultation("draft-guidelines-on-e-commerce")
        assert saved.audience_mode == "restricted"
        assert [g.id for g in saved.audience_groups] == [audience_group]
        assert saved.audience_types == ["intermediary", "rights_holder"]


def test_markup_in_texts_is_shown_as_text_and_scripts_never_run(app, manager):
    data = editor_data(manager.group_id, title_en="<script>alert(1)</script> Guidelines",
                       body_en="<script>alert(2)</script>\n\n[link](javascript:alert(3))")
    response = submit(manager, "/consultations/new", data, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Guidelines" in page
    assert 'href="javascript:' not in page


# --- Editing -----------------------------------------------------------------


def test_editing_a_draft_records_the_changed_fields(app, manager):
    submit(manager, "/consultations/new", editor_data(manager.group_id))
    path = "/consultations/draft-guidelines-on-e-commerce/edit"
    data = editor_data(manager.group_id, title_fr="Projet de lignes directrices", moderation_mode="pre",
                       slug="guidelines")
    response = submit(manager, path, data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/consultations/guidelines"
    with app.app_context():
        saved = consultation("guidelines")
        assert saved.title.texts == {"en": "Draft guidelines on e-commerce", "fr": "Projet de lignes directrices"}
        assert saved.moderation_mode == "pre"
        [updated] = audit_events("consultation_updated")
        assert updated.data["changed"] == ["moderation_mode", "slug", "title"]
        assert updated.data["changes"]["moderation_mode"] == ["post", "pre"]


def test_saving_without_changes_writes_nothing(app, manager):
    submit(manager, "/consultations/new", editor_data(manager.group_id))
    response = submit(manager, "/consultations/draft-guidelines-on-e-commerce/edit", editor_data(manager.group_id),
                      follow_redirects=True)
    assert "Nothing was changed." in response.get_data(as_text=True)
    with app.app_context():
        assert audit_events("consultation_updated") == []


def test_the_editor_shows_each_languages_completeness(app, manager):
    submit(manager, "/consultations/new", editor_data(manager.group_id, title_fr="Titre"))
    page = manager.get("/consultations/draft-guidelines-on-e-commerce/edit").get_data(as_text=True)
    assert "missing: summary and background" in page  # French
    assert "missing: title, summary, and background" in page  # Spanish
    assert "complete" in page  # English


def test_once_published_the_address_and_dates_change_only_through_the_actions(app, manager):
    with app.app_context():
        created = create_consultation(group_id=manager.group_id, state="open", slug="open-one")
        before = db.session.get(Consultation, created.id)
        opens_at, closes_at = before.opens_at, before.closes_at
    page = manager.get("/consultations/open-one/edit").get_data(as_text=True)
    assert 'name="slug"' not in page
    assert 'name="opens_at"' not in page
    data = editor_data(manager.group_id, title_en="Renamed", slug="hijacked", opens_at="2031-01-01T00:00",
                       closes_at="2031-01-02T00:00")
    response = submit(manager, "/consultations/open-one/edit", data)
    assert response.status_code == 302
    with app.app_context():
        after = db.session.get(Consultation, created.id)
        assert after.slug == "open-one"
        assert (after.opens_at, after.closes_at) == (opens_at, closes_at)
        assert after.title.get("en") == "Renamed"


def test_a_moderator_cannot_move_a_consultation_to_a_group_they_do_not_moderate(app, manager):
    submit(manager, "/consultations/new", editor_data(manager.group_id))
    with app.app_context():
        other = create_group().id
    response = submit(manager, "/consultations/draft-guidelines-on-e-commerce/edit", editor_data(other))
    assert response.status_code == 400
    with app.app_context():
        assert consultation("draft-guidelines-on-e-commerce").group_id == manager.group_id


def test_only_managers_may_edit(app, manager, client_as, participant_client):
    with app.app_context():
        create_consultation(group_id=manager.group_id, state="open", slug="public-one")
        create_consultation(group_id=manager.group_id, state="draft", slug="draft-one")
    other_moderator = moderator_with_group(app, client_as)
    assert participant_client.get("/consultations/public-one/edit").status_code == 403
    assert other_moderator.get("/consultations/public-one/edit").status_code == 403
    assert other_moderator.get("/consultations/draft-one/edit").status_code == 404
    assert participant_client.get("/consultations/draft-one/edit").status_code == 404
    response = submit(participant_client, "/consultations/public-one/edit", editor_data(manager.group_id),
                      form_page="/")
    assert response.status_code == 403
    assert client_as("staff").get("/consultations/draft-one/edit").status_code == 200


def test_nul_characters_are_dropped_rather_than_refused_by_the_database(app, manager):
    data = editor_data(manager.group_id, title_en="Draft\x00 guidelines", summary_en="Sum\x00mary")
    assert submit(manager, "/consultations/new", data).status_code == 302
    with app.app_context():
        saved = consultation("draft-guidelines")
        assert (saved.title.get("en"), saved.summary.get("en")) == ("Draft guidelines", "Summary")
