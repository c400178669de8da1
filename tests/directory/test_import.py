"""CSV import of participants: upload and check, confirm, result."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import event, func, select

from consult.audit import AuditEvent
from consult.directory import importer
from consult.directory.models import Group, Organization, User, group_organization
from consult.extensions import db
from consult.i18n import LocalizedText
from tests.helpers import count, csrf_token, submit

IMPORT = "/admin/import"
CONFIRM = "/admin/import/confirm"
HEADER = "email,name,organization,country,stakeholder type,group,role,locale"
CONFIRM_FORM = f'action="{CONFIRM}"'
HIDDEN_TEXT = re.compile(r'name="csv_text"[^>]*value="([^"]*)"')


def csv_bytes(*rows: str, header: str = HEADER, newline: str = "\n") -> bytes:
    return newline.join([header, *rows, ""]).encode("utf-8")


def upload(client, content: bytes, filename: str = "participants.csv"):
    return client.post(
        IMPORT,
        data={"csrf_token": csrf_token(client, IMPORT), "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def checked_text(preview) -> str:
    """The file text the preview page would send back on confirmation."""
    match = HIDDEN_TEXT.search(preview.get_data(as_text=True))
    assert match, "the preview offers no confirmation"
    return html.unescape(match.group(1))


def confirm(client, text: str, file_name: str = "participants.csv"):
    return submit(client, CONFIRM, {"csv_text": text, "file_name": file_name}, form_page=IMPORT)


def import_file(client, content: bytes, filename: str = "participants.csv"):
    preview = upload(client, content, filename)
    assert preview.status_code == 200, preview.get_data(as_text=True)[:3000]
    return confirm(client, checked_text(preview), filename)


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def import_events() -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "participants_imported").order_by(AuditEvent.id)
    ))


def membership_count() -> int:
    return db.session.scalar(select(func.count()).select_from(group_organization))


def memberships() -> set[tuple[str, str]]:
    rows = db.session.execute(
        select(Organization.name, Group)
        .join(group_organization, group_organization.c.organization_id == Organization.id)
        .join(Group, Group.id == group_organization.c.group_id)
    )
    return {(name, group.name.get("en")) for name, group in rows}


@pytest.fixture
def snapshot(app):
    """Counts of everything an import can write, to compare before and after."""

    def take() -> dict[str, int]:
        with app.app_context():
            return {
                "users": count(User),
                "organizations": count(Organization),
                "memberships": membership_count(),
                "imports": len(import_events()),
            }

    return take


@pytest.fixture
def make_group(app):
    def make(en: str, fr: str | None = None, active: bool = True) -> int:
        with app.app_context():
            names = {"en": en, **({"fr": fr} if fr else {})}
            group = Group(
                name=LocalizedText(names, "en"),
                description=LocalizedText({"en": "A stakeholder group."}, "en"),
                active=active,
            )
            db.session.add(group)
            db.session.commit()
            return group.id

    return make


@pytest.fixture
def admin(admin_client):
    return admin_client


# --- The upload page --------------------------------------------------------


def test_import_page_offers_an_upload_and_explains_the_columns(admin):
    response = admin.get(IMPORT)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'type="file"' in body and 'enctype="multipart/form-data"' in body
    for column in ("email", "name", "organization", "country", "stakeholder type", "group", "role", "locale"):
        assert f"<code>{column}</code>" in body
    assert "/admin/import/template.csv" in body


def test_template_csv_downloads_with_the_expected_header(admin):
    response = admin.get("/admin/import/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.decode("utf-8-sig").strip() == HEADER


def test_uploading_the_empty_template_says_there_are_no_participants(admin, snapshot):
    before = snapshot()
    template = admin.get("/admin/import/template.csv").data
    response = upload(admin, template)
    assert response.status_code == 400
    assert "The file has a header row but no participants." in page_text(response)
    assert snapshot() == before


def test_submitting_without_a_file_asks_for_one(admin):
    response = submit(admin, IMPORT, {})
    assert response.status_code == 400
    assert "Choose the CSV file to import." in page_text(response)


# --- A good file ------------------------------------------------------------


def test_preview_of_a_good_file_shows_every_line_and_writes_nothing(admin, snapshot, make_organization):
    make_organization(name="Douane française", country="FR", stakeholder_type="customs")
    before = snapshot()
    response = upload(
        admin,
        csv_bytes(
            "ana@example.org,Ana Pérez,Aduana de México,mx,customs,,,es",
            "li@example.org,Li Wei,douane  FRANÇAISE,FR,Customs administration,,moderator,fr",
        ),
    )
    text = page_text(response)
    assert response.status_code == 200
    assert "Import 2 participants" in text
    assert CONFIRM_FORM in response.get_data(as_text=True)
    assert "Will create user" in text
    assert "Aduana de México" in text  # the organization to create
    assert snapshot() == before


def test_confirmed_import_creates_users_organizations_and_memberships_exactly(
    app, admin, snapshot, make_organization, make_group
):
    douane = make_organization(name="Douane française", country="FR", stakeholder_type="customs")
    make_group("Counterfeiting and Piracy Group", fr="Groupe contrefaçon et piraterie")
    before = snapshot()
    content = csv_bytes(
        "Ana@Example.org,Ana Pérez,Aduana de México,MX,customs,Counterfeiting and Piracy Group,,es",
        "jo@example.org,Jo Martin,aduana de méxico,mx,Customs,,participant,",
        "li@example.org,Li Wei,Douane française,fr,customs,groupe contrefaçon et piraterie,moderator,FR",
        "sam@example.org,Sam Okafor,Brand Protection Ltd,GB,rights_holder,,,",
    )

    response = import_file(admin, content, "cpg-17.csv")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/import/result")
    result = page_text(admin.get("/admin/import/result"))
    assert "4 people created" in result
    assert "2 organizations created" in result
    assert "2 group memberships added" in result
    assert "0 people already present, unchanged" in result
    assert "4 people have no password yet." in result
    assert 'href="/invitations/"' in result

    after = snapshot()
    assert after["users"] == before["users"] + 4
    assert after["organizations"] == before["organizations"] + 2
    assert after["memberships"] == before["memberships"] + 2
    with app.app_context():
        ana, jo, li, sam = (User.by_email(f"{n}@example.org") for n in ("ana", "jo", "li", "sam"))
        users = {user.email: user for user in (ana, jo, li, sam)}
        assert (ana.display_name, ana.role, ana.locale) == ("Ana Pérez", "participant", "es")
        assert (jo.role, jo.locale) == ("participant", "en")
        assert (li.role, li.locale, li.organization_id) == ("moderator", "fr", douane.id)
        assert all(user.password_hash is None and user.active for user in users.values())
        mexico = db.session.scalar(select(Organization).where(Organization.name_key == "aduana de méxico"))
        assert (mexico.name, mexico.country, mexico.stakeholder_type) == ("Aduana de México", "MX", "customs")
        assert ana.organization_id == jo.organization_id == mexico.id
        assert sam.organization.stakeholder_type == "rights_holder"
        assert memberships() == {
            ("Aduana de México", "Counterfeiting and Piracy Group"),
            ("Douane française", "Counterfeiting and Piracy Group"),
        }
        (audit,) = import_events()
        assert audit.data == {
            "file_name": "cpg-17.csv",
            "users_created": 4,
            "organizations_created": 2,
            "memberships_added": 2,
            "unchanged": 0,
        }
        assert audit.actor_id == admin.user.id


def test_reimporting_the_same_file_changes_nothing_but_records_the_attempt(app, admin, snapshot, make_group):
    make_group("Rights Holders Consultative Group")
    content = csv_bytes(
        "ana@example.org,Ana Pérez,Aduana de México,MX,customs,Rights Holders Consultative Group,,",
        "sam@example.org,Sam Okafor,Brand Protection Ltd,GB,rights_holder,,,",
    )
    import_file(admin, content)
    before = snapshot()

    preview = upload(admin, content)
    text = page_text(preview)
    assert preview.status_code == 200
    assert text.count("Already present, unchanged") == 2
    assert "Will create user" not in text
    assert "Import 0 participants" in text
    response = confirm(admin, checked_text(preview))

    assert response.status_code == 302
    result = page_text(admin.get("/admin/import/result"))
    assert "0 people created" in result
    assert "2 people already present, unchanged" in result
    after = snapshot()
    assert after == {**before, "imports": before["imports"] + 1}
    with app.app_context():
        latest = import_events()[-1]
        assert latest.data["users_created"] == 0
        assert latest.data["organizations_created"] == 0
        assert latest.data["memberships_added"] == 0
        assert latest.data["unchanged"] == 2


def test_existing_member_of_the_organization_is_unchanged_but_the_group_membership_is_added(
    app, admin, make_organization, make_user, make_group
):
    org = make_organization(name="Brand Protection Ltd", country="GB", stakeholder_type="rights_holder")
    person = make_user(email="sam@example.org", organization_id=org.id, display_name="Sam Okafor", locale="en")
    make_group("Rights Holders Consultative Group")

    line = "SAM@example.org,Samuel Okafor,brand protection ltd,GB,rights holder,Rights Holders Consultative Group"
    response = import_file(admin, csv_bytes(line + ",moderator,fr"))

    assert response.status_code == 302
    result = page_text(admin.get("/admin/import/result"))
    assert "0 people created" in result
    assert "1 group membership added" in result
    assert "no password yet" not in result  # the person already has one
    with app.app_context():
        user = db.session.get(User, person.id)
        assert (user.display_name, user.role, user.locale) == ("Sam Okafor", "participant", "en")
        assert memberships() == {("Brand Protection Ltd", "Rights Holders Consultative Group")}


# --- Formats the import accepts -----------------------------------------------


def test_utf8_file_with_byte_order_mark_and_semicolons_imports(app, admin):
    content = "\ufeff" + "\r\n".join(
        [
            "Stakeholder_Type;EMAIL;Name;Organization;Country",
            "customs;ana@example.org;Ana Pérez;Aduana de México;MX",
            'rights_holder;bo@example.org;"Bo; the Second";Brand Protection Ltd;GB',
            "",
        ]
    )
    response = import_file(admin, content.encode("utf-8"))
    assert response.status_code == 302
    with app.app_context():
        assert User.by_email("ana@example.org").display_name == "Ana Pérez"
        assert User.by_email("bo@example.org").display_name == "Bo; the Second"


def test_columns_in_any_order_with_blank_lines_and_quoted_commas(app, admin):
    content = csv_bytes(
        "",
        'GB,rights_holder,"Okafor, Sam",sam@example.org,"Brand Protection, Ltd"',
        ",,,,",
        header="Country, Stakeholder Type ,NAME,Email,organization,",
    )
    response = import_file(admin, content)
    assert response.status_code == 302
    with app.app_context():
        sam = User.by_email("sam@example.org")
        assert (sam.display_name, sam.organization.name) == ("Okafor, Sam", "Brand Protection, Ltd")


# --- Problems with the whole file --------------------------------------------


@pytest.mark.parametrize(
    ("content", "messages"),
    [
        pytest.param(b"", ["The file is empty."], id="empty"),
        pytest.param(b"\n \n", ["The file is empty."], id="blank"),
        pytest.param(
            csv_bytes("ana@example.org,Ana", header="email,name"),
            ["The file is missing these columns: organization, country, stakeholder type."],
            id="missing-columns",
        ),
        pytest.param(
            csv_bytes(header=HEADER + ",phone,Title"),
            ["The file has columns that are not expected: phone, Title."],
            id="unknown-columns",
        ),
        pytest.param(
            csv_bytes(header="email,name,organization,country,stakeholder_type,Stakeholder Type"),
            ["These columns appear more than once: Stakeholder Type."],
            id="repeated-column",
        ),
        pytest.param(
            "email,name,organization,country,stakeholder type\nana@example.org,Ana Gómez,Aduana,MX,customs\n".encode(
                "latin-1"
            ),
            ["The file is not encoded in UTF-8", "“CSV UTF-8”"],
            id="latin-1",
        ),
        pytest.param(
            "email,name\n".encode("utf-16"),
            ["The file is not encoded in UTF-8"],
            id="utf-16",
        ),
        pytest.param(b"PK\x03\x04\x00\x00email", ["This does not look like a CSV file."], id="binary"),
        pytest.param(
            csv_bytes(*(f"p{n}@example.org,P {n},Org,FR,customs,,," for n in range(importer.MAX_ROWS + 1))),
            ["The file has more than 5,000 participants. Split it into smaller files."],
            id="too-many-rows",
        ),
        pytest.param(
            csv_bytes("a@example.org," + "x" * importer.MAX_FILE_BYTES + ",Org,FR,customs,,,"),
            ["The file is larger than 2 MB."],
            id="too-large",
        ),
        pytest.param(
            csv_bytes('a@example.org,"' + "x" * 200_000 + '",Org,FR,customs,,,'),
            ["Line 2: this line cannot be read as CSV."],
            id="unreadable-line",
        ),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_with_a_clear_message(admin, snapshot, content, messages):
    before = snapshot()
    response = upload(admin, content)
    text = page_text(response)
    assert response.status_code == 400
    for message in messages:
        assert message in text
    assert 'type="file"' in text  # back on the upload form
    assert CONFIRM_FORM not in text
    assert snapshot() == before


def test_unknown_columns_message_lists_the_expected_ones(admin):
    response = upload(admin, csv_bytes(header=HEADER + ",phone"))
    assert f"The expected columns are: {HEADER.replace(',', ', ')}." in page_text(response)


# --- Problems with lines ------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        pytest.param(
            ["ana@example.org,Ana,Aduana,ZZ,customs,,,"],
            "Line 2: “ZZ” is not a two-letter ISO 3166 country code",
            id="unknown-country",
        ),
        pytest.param(
            ["ana@example.org,Ana,Aduana,MX,pirate,,,"],
            "Line 2: “pirate” is not a stakeholder type.",
            id="unknown-type",
        ),
        pytest.param(
            ["ana@example.org,Ana,Aduana,MX,customs,,,", "jo@example.org,Jo,Aduana,MX,customs,,,",
             "ANA@example.org,Ana again,Aduana,MX,customs,,,"],
            "Line 4: the email address ana@example.org is already on line 2.",
            id="duplicate-email",
        ),
        pytest.param(["not-an-address,Ana,Aduana,MX,customs,,,"], "Line 2: “not-an-address” is not a valid", id="bad"),
        pytest.param([",Ana,Aduana,MX,customs,,,"], "Line 2: the email address is missing.", id="no-email"),
        pytest.param(["ana@example.org,,Aduana,MX,customs,,,"], "Line 2: the name is missing.", id="no-name"),
        pytest.param(
            ["ana@example.org," + "n" * 201 + ",Aduana,MX,customs,,,"],
            "Line 2: the name is longer than 200 characters.",
            id="long-name",
        ),
        pytest.param(["ana@example.org,Ana,,MX,customs,,,"], "Line 2: the organization is missing.", id="no-org"),
        pytest.param(["ana@example.org,Ana,Aduana,,customs,,,"], "Line 2: the country is missing.", id="no-country"),
        pytest.param(["ana@example.org,Ana,Aduana,MX,,,,"], "Line 2: the stakeholder type is missing.", id="no-type"),
        pytest.param(
            ["ana@example.org,Ana,Aduana,MX,customs,Group of Nobody,,"],
            "Line 2: there is no group named “Group of Nobody”.",
            id="unknown-group",
        ),
        pytest.param(
            ["ana@example.org,Ana,Aduana,MX,customs,,admin,"],
            "Line 2: the role Administrator cannot be imported: only participants and moderators can.",
            id="admin-role",
        ),
        pytest.param(
            ["ana@example.org,Ana,Aduana,MX,customs,,staff,"],
            "Line 2: the role Staff cannot be imported",
            id="staff-role",
        ),
        pytest.param(
            ["ana@example.org,Ana,Aduana,MX,customs,,chair,"],
            "Line 2: “chair” is not a role. Use participant or moderator.",
            id="unknown-role",
        ),
        pytest.param(
            ["ana@example.org,Ana,Aduana,MX,customs,,,de"],
            "Line 2: “de” is not an interface language. Use en, fr, es.",
            id="bad-locale",
        ),
        pytest.param(
            ["ana@example.org,Ana,Aduana,MX,customs,,,", "jo@example.org,Jo,ADUANA,MX,intermediary,,,"],
            "Line 3: line 2 creates the organization “Aduana” with country MX and type Customs administration, "
            "but this line says country MX and type Intermediary.",
            id="new-organization-disagrees",
        ),
        pytest.param(
            ["ana@example.org,Ana,Aduana,MX,customs,,,,extra"],
            "Line 2: there are values in columns without a heading.",
            id="extra-cell",
        ),
    ],
)
def test_a_bad_line_is_reported_with_its_number_and_nothing_can_be_imported(admin, snapshot, rows, message):
    before = snapshot()
    response = upload(admin, csv_bytes(*rows))
    text = page_text(response)
    assert response.status_code == 400
    assert message in text
    assert "so nothing can be imported" in text
    assert CONFIRM_FORM not in text  # no confirmation button
    assert snapshot() == before


def test_existing_organization_with_another_country_or_type_is_a_conflict(admin, snapshot, make_organization):
    make_organization(name="Douane française", country="FR", stakeholder_type="customs")
    before = snapshot()
    response = upload(admin, csv_bytes("li@example.org,Li Wei,DOUANE française,BE,intermediary,,,"))
    assert response.status_code == 400
    assert (
        "Line 2: the organization “Douane française” already exists with country FR and type Customs administration, "
        "but this line says country BE and type Intermediary." in page_text(response)
    )
    assert snapshot() == before


def test_existing_user_of_another_organization_is_an_error(admin, snapshot, make_organization, make_user):
    org = make_organization(name="Douane française")
    make_user(email="li@example.org", organization_id=org.id)
    before = snapshot()
    response = upload(admin, csv_bytes("li@example.org,Li Wei,Aduana de México,MX,customs,,,"))
    assert response.status_code == 400
    assert (
        "Line 2: li@example.org already has an account with the organization “Douane française”, "
        "not “Aduana de México”." in page_text(response)
    )
    assert snapshot() == before


def test_existing_staff_without_organization_cannot_be_imported_into_one(admin, make_user):
    make_user(role="staff", email="desk@example.org")
    response = upload(admin, csv_bytes("desk@example.org,Desk,Aduana,MX,customs,,,"))
    assert response.status_code == 400
    assert "Line 2: desk@example.org already has an account without an organization" in page_text(response)


def test_inactive_group_and_deactivated_organization_are_errors(admin, make_group, make_organization):
    make_group("Old Group", active=False)
    make_organization(name="Closed Org", country="FR", stakeholder_type="customs", active=False)
    response = upload(
        admin,
        csv_bytes("ana@example.org,Ana,Aduana,MX,customs,old group,,", "jo@example.org,Jo,Closed Org,FR,customs,,,"),
    )
    text = page_text(response)
    assert response.status_code == 400
    assert "Line 2: the group “old group” is closed." in text
    assert "Line 3: the organization “Closed Org” is deactivated." in text


def test_every_bad_line_is_listed_not_only_the_first(admin):
    response = upload(
        admin,
        csv_bytes(
            "ana@example.org,Ana,Aduana,ZZ,customs,,,",
            "jo@example.org,Jo,Aduana,MX,customs,,,",
            "sam@example.org,Sam,Brand,GB,rights_holder,,king,xx",
        ),
    )
    text = page_text(response)
    assert "2 lines have problems, so nothing can be imported." in text
    assert "Line 2: “ZZ”" in text
    assert "Line 4: “king” is not a role." in text
    assert "Line 4: “xx” is not an interface language." in text


def test_forged_confirmation_of_a_file_with_a_bad_line_imports_nothing(admin, snapshot):
    before = snapshot()
    text = "\n".join([HEADER, "ana@example.org,Ana,Aduana,MX,customs,,,", "jo@example.org,Jo,Aduana,MX,customs,,root,"])
    response = confirm(admin, text)
    assert response.status_code == 400
    assert "Line 3: “root” is not a role." in page_text(response)
    assert CONFIRM_FORM not in page_text(response)
    assert snapshot() == before


@pytest.mark.parametrize("text", ["", "email,name\n"], ids=["empty", "bad-header"])
def test_forged_confirmation_of_an_unreadable_file_imports_nothing(admin, snapshot, text):
    before = snapshot()
    response = confirm(admin, text)
    assert response.status_code == 400
    assert snapshot() == before


def test_confirmation_checks_again_against_the_directory_as_it_is_now(admin, snapshot, make_organization):
    preview = upload(admin, csv_bytes("li@example.org,Li Wei,Douane française,FR,customs,,,"))
    assert preview.status_code == 200
    make_organization(name="Douane Française", country="BE", stakeholder_type="customs")  # created meanwhile
    before = snapshot()
    response = confirm(admin, checked_text(preview))
    assert response.status_code == 400
    assert "already exists with country BE" in page_text(response)
    assert snapshot() == before


def test_a_conflicting_write_during_the_import_rolls_everything_back(app, admin, make_user):
    with app.test_request_context():
        plan = importer.plan_import(
            "\n".join([HEADER, "ana@example.org,Ana,Aduana,MX,customs,,,", "jo@example.org,Jo,Aduana,MX,customs,,,"])
        )
        assert plan.is_valid
        # Someone else adds one of the file's people between the check and the write
        # (make_user works in its own application context, so its own session).
        make_user(email="ana@example.org", display_name="Made elsewhere")
        with pytest.raises(importer.ImportConflict):
            importer.apply_import(plan, None, "x.csv")
        assert count(Organization) == 1  # only the one made with that person: "Aduana" was rolled back
        assert User.by_email("ana@example.org").display_name == "Made elsewhere"
        assert User.by_email("jo@example.org") is None
        assert import_events() == []


# --- Safety -------------------------------------------------------------------


def test_names_with_markup_are_shown_as_text(admin):
    response = upload(
        admin, csv_bytes('x@example.org,<script>alert(1)</script>,"<b>Org</b>",FR,customs,,,')
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in body
    assert "<b>Org</b>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert(1)</script>" in checked_text(response)  # sent back intact, as text


def test_markup_in_a_bad_line_is_shown_as_text(admin):
    response = upload(admin, csv_bytes("<img src=x onerror=alert(1)>,Ana,Aduana,MX,customs,,,"))
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body


@pytest.mark.parametrize("role", ["participant", "moderator", "staff"])
@pytest.mark.parametrize(
    ("method", "path"),
    [("get", IMPORT), ("post", IMPORT), ("post", CONFIRM), ("get", "/admin/import/template.csv"),
     ("get", "/admin/import/result")],
)
def test_only_admins_may_import(client_as, snapshot, role, method, path):
    signed_in = client_as(role)
    before = snapshot()
    token = csrf_token(signed_in, "/")
    data = {"csrf_token": token, "csv_text": "\n".join([HEADER, "a@example.org,A,Org,FR,customs,,,"])}
    response = getattr(signed_in, method)(path, data=data if method == "post" else None)
    assert response.status_code == 403
    assert snapshot() == before


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(IMPORT)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_result_page_without_an_import_goes_back_to_the_upload(admin):
    response = admin.get("/admin/import/result")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(IMPORT)


def test_preview_runs_a_bounded_number_of_queries(app, admin, make_group):
    make_group("Counterfeiting and Piracy Group")

    def queries_for(rows: int) -> int:
        content = csv_bytes(
            *(f"p{n}@example.org,P {n},Org {n},FR,customs,Counterfeiting and Piracy Group,," for n in range(rows))
        )
        with app.app_context():
            engine = db.engine
        statements = []

        def count_statement(*args):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count_statement)
        try:
            assert upload(admin, content).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count_statement)
        return len(statements)

    assert queries_for(5) == queries_for(400)


def test_confirmation_without_a_csrf_token_imports_nothing(admin, snapshot):
    before = snapshot()
    response = admin.post(CONFIRM, data={"csv_text": "\n".join([HEADER, "a@example.org,A,Org,FR,customs,,,"])})
    assert response.status_code == 400
    assert snapshot() == before


def test_an_imported_moderator_runs_the_group_on_their_line(app, admin, make_group):
    group_id = make_group("Counterfeiting and Piracy Group")
    content = csv_bytes(
        "mod@example.org,Mónica Ruiz,Aduana de Chile,CL,customs,Counterfeiting and Piracy Group,moderator,es",
        "part@example.org,Pat Lee,Aduana de Chile,CL,customs,Counterfeiting and Piracy Group,participant,en",
    )
    assert import_file(admin, content).status_code == 302
    with app.app_context():
        group = db.session.get(Group, group_id)
        assert [m.email for m in group.moderators] == ["mod@example.org"]
