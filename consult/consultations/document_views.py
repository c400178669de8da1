"""Working documents: reading, adding, versions, diff, translation (routes on the consultations blueprint).

Whoever may not see the consultation gets 404 on every URL here; whoever may
see it but not manage it gets 403 on the managing ones.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.routing import BuildError

from consult.consultations import document_service as service
from consult.consultations.document_forms import (
    DocumentDetailsForm,
    NewDocumentForm,
    NewVersionForm,
    translation_form,
)
from consult.consultations.extensions import document_sections
from consult.consultations.models import (
    Consultation,
    ConsultationState,
    DocumentVersion,
    Paragraph,
    WorkingDocument,
)
from consult.consultations.parsing import heading_source
from consult.consultations.versioning import diff_versions
from consult.consultations.views import bp
from consult.extensions import db
from consult.i18n import LOCALES, Rendition, current_locale_code, language_name, utcnow
from consult.markup import render_markdown

MAX_ID = 2**31 - 1  # the largest id an integer column holds on every database


# --- Loading, with the permission rules ------------------------------------


def _viewer():
    return current_user._get_current_object()


def _consultation_or_404(slug: str) -> Consultation:
    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None or not consultation.visible_to(_viewer()):
        abort(404)
    return consultation


def _document_or_404(slug: str, document_id: int) -> tuple[Consultation, WorkingDocument]:
    if not 0 < document_id <= MAX_ID:
        abort(404)
    consultation = _consultation_or_404(slug)
    document = db.session.get(WorkingDocument, document_id)
    if document is None or document.consultation_id != consultation.id:
        abort(404)
    return consultation, document


def _version_or_404(document: WorkingDocument, number: int) -> DocumentVersion:
    version = next((v for v in document.versions if v.number == number), None)
    if version is None:
        abort(404)
    return version


def _require_manager(consultation: Consultation) -> None:
    if not consultation.can_manage(_viewer()):
        abort(403)


def _consultation_url(consultation: Consultation) -> str:
    """The consultation's page (its view belongs to the consultation pages, which may name it differently)."""
    try:
        return url_for("consultations.consultation", slug=consultation.slug)
    except BuildError:
        return f"{request.script_root}{bp.url_prefix}/{consultation.slug}"


def _document_url(consultation: Consultation, document: WorkingDocument, **args) -> str:
    return url_for(".document", slug=consultation.slug, document_id=document.id, **args)


def _show_errors(form, errors: dict[str, str]) -> None:
    """Put the service's messages next to their fields."""
    for name, message in errors.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            flash(message, "error")


def _form_page(template: str, form, **context):
    return render_template(template, form=form, **context), 400 if form.is_submitted() else 200


# --- Reading ---------------------------------------------------------------


@dataclass
class BlockView:
    """One block as the reader sees it, with the second language when comparing."""

    paragraph: Paragraph
    shown: Rendition
    html: Markup
    compared_text: str = ""
    compared_html: Markup = field(default_factory=Markup)


def _render_block(paragraph: Paragraph, text: str) -> Markup:
    if not paragraph.is_heading:
        return render_markdown(text)
    html = render_markdown(heading_source(text)).strip()
    # A heading renders as one paragraph of inline text; the page gives it its heading element.
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return Markup(html[3:-4])  # noqa: S704  (a slice of markup that render_markdown sanitised)
    return html


def _block_view(paragraph: Paragraph, locale: str, compare: str | None) -> BlockView:
    shown = paragraph.text.render(locale)
    view = BlockView(paragraph, shown, _render_block(paragraph, shown.text))
    if compare:
        view.compared_text = paragraph.text.get(compare)
        view.compared_html = _render_block(paragraph, view.compared_text) if view.compared_text else Markup("")
    return view


def _comment_period(consultation: Consultation, document: WorkingDocument) -> dict:
    now = utcnow()
    closes = document.comments_close_at
    state = consultation.state_at(now)
    remaining = None
    if document.accepts_comments_at(now):
        remaining = format_timedelta(closes - now, threshold=1.0)
    return {
        "closes": closes,
        "remaining": remaining,
        "draft": state is ConsultationState.DRAFT,
        "not_yet_open": state is ConsultationState.SCHEDULED,
    }


def _render_document(consultation: Consultation, document: WorkingDocument, version: DocumentVersion):
    viewer = _viewer()
    locale = current_locale_code()
    compare = request.args.get("compare")
    if compare not in LOCALES or compare == locale:
        compare = None
    paragraphs = service.version_paragraphs(version)
    blocks = [_block_view(p, locale, compare) for p in paragraphs]
    can_manage = consultation.can_manage(viewer)
    return render_template(
        "consultations/document.html",
        consultation=consultation,
        consultation_url=_consultation_url(consultation),
        document=document,
        version=version,
        versions=document.versions,
        is_latest=version is document.current_version,
        blocks=blocks,
        locale=locale,
        compare=compare,
        compare_choices=[code for code in LOCALES if code != locale],
        language_name=language_name,
        sections=document_sections(document, version, viewer, request.args),
        can_manage=can_manage,
        progress=service.translation_progress(paragraphs, version.original_locale) if can_manage else None,
        period=_comment_period(consultation, document),
        has_original=service.has_original(version),
    )


@bp.get("/<slug>/documents/<int:document_id>")
@login_required
def document(slug: str, document_id: int):
    consultation, document = _document_or_404(slug, document_id)
    version = document.current_version
    if version is None:
        abort(404)
    return _render_document(consultation, document, version)


@bp.get("/<slug>/documents/<int:document_id>/versions/<int:number>")
@login_required
def document_version(slug: str, document_id: int, number: int):
    consultation, document = _document_or_404(slug, document_id)
    return _render_document(consultation, document, _version_or_404(document, number))


@bp.get("/<slug>/documents/<int:document_id>/versions/<int:number>/original")
@login_required
def document_original(slug: str, document_id: int, number: int):
    _consultation, document = _document_or_404(slug, document_id)
    version = _version_or_404(document, number)
    data = db.session.scalar(select(DocumentVersion.source_file).where(DocumentVersion.id == version.id))
    if not data:
        abort(404)  # pasted text: there is no file
    response = send_file(
        io.BytesIO(data),
        mimetype=version.source_mimetype or "application/octet-stream",
        as_attachment=True,
        download_name=service.download_name(document, version),
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<slug>/documents/<int:document_id>/versions/<int:number>/diff")
@login_required
def document_diff(slug: str, document_id: int, number: int):
    consultation, document = _document_or_404(slug, document_id)
    version = _version_or_404(document, number)
    if number < 2:
        abort(404)  # the first version has nothing before it
    previous = _version_or_404(document, number - 1)
    entries = diff_versions(
        service.version_paragraphs(previous), service.version_paragraphs(version), version.original_locale
    )
    return render_template(
        "consultations/document_diff.html",
        consultation=consultation,
        consultation_url=_consultation_url(consultation),
        document=document,
        version=version,
        previous=previous,
        entries=entries,
        counts={status: sum(1 for e in entries if e.status == status) for status in ("added", "removed", "changed")},
        language_name=language_name,
    )


# --- Adding and editing ------------------------------------------------------


def _upload(form) -> service.Upload | None:
    storage = form.upload.data
    if not storage:
        return None
    # One byte past the limit is enough to know the file is too large, without reading it all.
    return service.Upload(storage.filename or "", storage.stream.read(service.max_upload_bytes() + 1))


def _details(form: DocumentDetailsForm) -> service.DocumentFields:
    return service.DocumentFields(
        titles=form.titles(),
        original=form.original_locale.data or "",
        category=form.category.data or "",
        deadline=form.comment_deadline.data,
    )


@bp.route("/<slug>/documents/new", methods=["GET", "POST"])
@login_required
def new_document(slug: str):
    consultation = _consultation_or_404(slug)
    _require_manager(consultation)
    form = NewDocumentForm()
    form.set_choices()
    if not form.is_submitted():
        form.original_locale.data = current_locale_code()
    if form.validate_on_submit():
        content = service.ContentFields(
            locale=form.original_locale.data or "", pasted=form.content.data or "", upload=_upload(form)
        )
        try:
            document = service.add_document(_viewer(), consultation, _details(form), content)
        except service.InvalidInput as invalid:
            _show_errors(form, invalid.errors)
        else:
            flash(_("The document is added."), "success")
            return redirect(_document_url(consultation, document))
    return _form_page(
        "consultations/document_form.html",
        form,
        consultation=consultation,
        consultation_url=_consultation_url(consultation),
        document=None,
        zone=service.consultation_zone(consultation).key,
    )


@bp.route("/<slug>/documents/<int:document_id>/edit", methods=["GET", "POST"])
@login_required
def edit_document(slug: str, document_id: int):
    consultation, document = _document_or_404(slug, document_id)
    _require_manager(consultation)
    form = DocumentDetailsForm()
    form.set_choices()
    if not form.is_submitted():
        form.fill_titles(document.title.texts)
        form.original_locale.data = document.title.original
        form.category.data = document.category
        form.comment_deadline.data = service.local_deadline(document)
    if form.validate_on_submit():
        try:
            changed = service.update_document(_viewer(), document, _details(form))
        except service.InvalidInput as invalid:
            _show_errors(form, invalid.errors)
        else:
            if changed:
                flash(_("The document's details are saved."), "success")
            return redirect(_document_url(consultation, document))
    return _form_page(
        "consultations/document_form.html",
        form,
        consultation=consultation,
        consultation_url=_consultation_url(consultation),
        document=document,
        zone=service.consultation_zone(consultation).key,
        deletion_refusal=service.deletion_refusal(document),
    )


@bp.post("/<slug>/documents/<int:document_id>/delete")
@login_required
def delete_document(slug: str, document_id: int):
    consultation, document = _document_or_404(slug, document_id)
    _require_manager(consultation)
    try:
        service.delete_document(_viewer(), document)
    except service.Refused as refusal:
        flash(str(refusal), "error")
        return _render_document(consultation, document, document.current_version), 409
    flash(_("The document is deleted."), "success")
    return redirect(_consultation_url(consultation))


@bp.route("/<slug>/documents/<int:document_id>/versions/new", methods=["GET", "POST"])
@login_required
def new_document_version(slug: str, document_id: int):
    consultation, document = _document_or_404(slug, document_id)
    _require_manager(consultation)
    form = NewVersionForm()
    form.set_choices()
    current = document.current_version
    if not form.is_submitted():
        form.original_locale.data = current.original_locale if current else current_locale_code()
    if form.validate_on_submit():
        content = service.ContentFields(
            locale=form.original_locale.data or "",
            pasted=form.content.data or "",
            upload=_upload(form),
            note=form.note.data or "",
        )
        try:
            version = service.publish_version(_viewer(), document, content)
        except service.InvalidInput as invalid:
            _show_errors(form, invalid.errors)
        else:
            flash(_("Version %(number)s is published.", number=version.number), "success")
            return redirect(url_for(".document_diff", slug=slug, document_id=document.id, number=version.number)
                            if version.number > 1 else _document_url(consultation, document))
    return _form_page(
        "consultations/document_version_form.html",
        form,
        consultation=consultation,
        consultation_url=_consultation_url(consultation),
        document=document,
        current=current,
    )


# --- Translation -------------------------------------------------------------


@bp.route("/<slug>/documents/<int:document_id>/translate/<locale>", methods=["GET", "POST"])
@login_required
def translate_document(slug: str, document_id: int, locale: str):
    consultation, document = _document_or_404(slug, document_id)
    _require_manager(consultation)
    if locale not in LOCALES:
        abort(404)
    version = document.current_version
    if version is None:
        abort(404)
    if locale == version.original_locale:
        flash(_("This is the document's original language: its text changes only with a new version."), "info")
        return redirect(_document_url(consultation, document))
    paragraphs = service.version_paragraphs(version)
    form = translation_form(paragraphs, locale)
    saved_texts = {f"block_{p.id}": p.text.get(locale) for p in paragraphs}
    if not form.is_submitted():
        form.process(data={"version": str(version.number), "title": document.title.get(locale), **saved_texts})
    elif form.version.data != str(version.number):
        # Typed for a version that is no longer current: keep what was typed for paragraphs that did not change,
        # and show the current version's texts everywhere else, so saving again cannot blank a translation.
        flash(_("A new version was published while you were translating. Nothing was saved: check and save again."),
              "error")
        typed = _typed_for_earlier_version(document, form.version.data, paragraphs)
        form = translation_form(paragraphs, locale, formdata=None)
        title = request.form.get("title", document.title.get(locale))
        form.process(data={"version": str(version.number), "title": title, **saved_texts, **typed})
        return _translation_page(consultation, document, version, locale, paragraphs, form, 409)
    if form.validate_on_submit():
        try:
            texts = {p.id: form[f"block_{p.id}"].data or "" for p in paragraphs}
            changed = service.save_translations(_viewer(), document, version, locale, form.title.data or "", texts)
        except service.InvalidInput as invalid:
            _show_errors(form, invalid.errors)
        else:
            if changed:
                flash(_("The %(language)s translation is saved.", language=language_name(locale)), "success")
            else:
                flash(_("Nothing changed."), "info")
            return redirect(url_for(".translate_document", slug=slug, document_id=document.id, locale=locale))
    return _translation_page(consultation, document, version, locale, paragraphs, form)


def _typed_for_earlier_version(document: WorkingDocument, number: str | None, paragraphs) -> dict[str, str]:
    """What was typed for an earlier version's paragraphs, moved to the same, unchanged paragraphs of `paragraphs`."""
    earlier = next((v for v in document.versions if str(v.number) == number), None)
    if earlier is None:
        return {}
    current_by_key = {p.thread_key: p for p in paragraphs}
    typed = {}
    for old in service.version_paragraphs(earlier):
        current = current_by_key.get(old.thread_key)
        text = request.form.get(f"block_{old.id}")
        if current is not None and text is not None:
            typed[f"block_{current.id}"] = text
    return typed


def _translation_page(consultation, document, version, locale, paragraphs, form, status=None):
    return render_template(
        "consultations/document_translate.html",
        form=form,
        consultation=consultation,
        consultation_url=_consultation_url(consultation),
        document=document,
        version=version,
        locale=locale,
        language=language_name(locale),
        original_language=language_name(version.original_locale),
        language_name=language_name,
        rows=[(p, form[f"block_{p.id}"]) for p in paragraphs],
        progress=service.translation_progress(paragraphs, version.original_locale),
    ), status or (400 if form.is_submitted() else 200)
