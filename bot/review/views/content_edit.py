"""Editing a declaration with four eyes (Innehåll → Redigera): a redaktör (or an admin)
drafts a change in a plain form, sees the bot's real answers for it, and sends it for
approval; an admin who did not draft it approves, which publishes it as a new version
(bot/store/content_catalog.py) that every process follows within seconds, or rejects it.

| route                                       | who              | what                         |
|---------------------------------------------|------------------|------------------------------|
| GET/POST /innehall/<id>/redigera            | redaktör, admin  | the form; row buttons; save  |
| GET      /innehall/<id>/utkast              | redaktör, admin  | the draft: preview, diff     |
| POST     /innehall/<id>/utkast/skicka       | redaktör, admin  | send for approval            |
| POST     /innehall/<id>/utkast/kasta        | redaktör, admin  | discard the draft            |
| POST     /innehall/<id>/utkast/godkann      | admin (not its author) | publish                |
| POST     /innehall/<id>/utkast/avvisa       | admin            | reject                       |

Every change is audited. A save or decision on a draft someone else changed meanwhile, or
on a declaration published meanwhile, is refused naming who; the form comes back filled.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import yaml
from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.core import answers
from bot.core.catalog import Catalog, CatalogError, parse_declaration
from bot.core.clock import today_in_sweden
from bot.core.texts import filled_response
from bot.review import audit, content_form
from bot.review.accounts import CONTENT_EDIT_ROLES
from bot.review.security import staff
from bot.review.views import Route, form_value, review_of, see_other
from bot.review.views.content import catalog_store, current_catalog
from bot.store import content_catalog as published
from bot.store import content_drafts as drafts

# The aspects the preview shows, in the order of the page.
PREVIEW_ASPECTS = (answers.PROMISES, answers.EXPECTATIONS, answers.NOT_KEPT, answers.CONTACT)


def _revision(request: Request) -> int | None:
    try:
        return int(form_value(request, "revision"))
    except ValueError:
        return None


def _based_on(request: Request) -> int | None:
    try:
        return int(form_value(request, "based_on"))
    except ValueError:
        return None


async def _start(request: Request, service_id: str) -> tuple[str, int | None, drafts.Draft | None]:
    """The text an editor starts from (the open draft, else the published text), the
    published version, and the open draft."""
    review = review_of(request)
    catalog = await current_catalog(request)
    if catalog.get(service_id) is None:
        raise NotFound("no such service")
    await review.run(drafts.create_content_draft_tables, review.engine)
    draft = await review.run(drafts.open_draft, review.engine, service_id)
    version = await review.run(published.published_version, review.engine)
    texts = await review.run(published.documents, review.engine) if version else {}
    name = drafts.file_of(service_id)
    if draft is not None:
        return draft.text, draft.based_on, draft
    if name in texts:
        return texts[name], version, None
    folder = catalog_store(request).folder_documents
    return folder.get(name, ""), version, None


def _edit_page(
    request: Request,
    service_id: str,
    form: content_form.EditForm,
    based_on: int | None,
    revision: int | None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    conflict: str = "",
    focus: str = "",
    status: int = 200,
) -> HTTPResponse:
    return review_of(request).page(
        request,
        "content_edit.html",
        {
            "service_id": service_id,
            "form": form,
            "based_on": based_on,
            "revision": revision,
            "errors": errors or {},
            "problem": problem,
            "conflict": conflict,
            "focus": focus,
        },
        status=status,
    )


@staff(roles=CONTENT_EDIT_ROLES)
async def edit_page(request: Request, service_id: str) -> HTTPResponse:
    text, based_on, draft = await _start(request, service_id)
    form = content_form.form_from_data(yaml.safe_load(text) or {})
    return _edit_page(request, service_id, form, based_on, draft.revision if draft else None)


def _posted(request: Request) -> dict[str, str]:
    values = request.form or {}
    return {name: values.get(name) or "" for name in values}


@staff(roles=CONTENT_EDIT_ROLES)
async def edit_post(request: Request, service_id: str) -> HTTPResponse:
    """A row button re-renders the form changed; "Spara utkast" validates and saves."""
    review = review_of(request)
    text, _, _ = await _start(request, service_id)
    values = _posted(request)
    form = content_form.form_from_values(values)
    based_on, revision = _based_on(request), _revision(request)
    row_action = values.get("rad", "")
    if row_action:
        focus = content_form.apply_row_action(form, row_action) or ""
        return _edit_page(request, service_id, form, based_on, revision, focus=focus)
    data = content_form.merged_data(yaml.safe_load(text) or {}, form)
    errors = content_form.validate(data)
    if errors:
        return _edit_page(request, service_id, form, based_on, revision, errors, status=422)
    try:
        draft = await review.run(
            drafts.save,
            review.engine,
            service_id,
            content_form.dump_over(text, data),
            request.ctx.staff.username,
            based_on,
            revision,
        )
    except CatalogError as exc:
        return _edit_page(
            request, service_id, form, based_on, revision, problem=str(exc), status=422
        )
    except drafts.DraftConflict as exc:
        return _edit_page(
            request, service_id, form, based_on, revision, conflict=exc.who, status=409
        )
    except published.PublishConflict as exc:
        who = exc.current.published_by
        return _edit_page(request, service_id, form, based_on, revision, conflict=who, status=409)
    await review.audit(
        request, audit.DRAFT_CONTENT, service_id, {"draft": draft.id, "revision": draft.revision}
    )
    return see_other(f"/granska/innehall/{service_id}/utkast?meddelande=draft_saved")


def preview(catalog: Catalog, text: str, service_id: str) -> list[tuple[str, list[str]]]:
    """The bot's answers for each aspect of the drafted declaration, made by the same core
    code as the actions' (bot/core/answers.py) and filled into domain.yml's texts."""
    declaration = parse_declaration(drafts.file_of(service_id), text)
    drafted = replace(catalog, declarations={**catalog.declarations, service_id: declaration})
    today = today_in_sweden()
    return [
        (
            aspect,
            [
                filled_response(reply.response, reply.values)
                for reply in answers.service_answer(drafted, declaration, aspect, today)
            ],
        )
        for aspect in PREVIEW_ASPECTS
    ]


def _changes(before: str, after: str, name: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"publicerad/{name}",
        tofile=f"utkast/{name}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@staff(roles=CONTENT_EDIT_ROLES)
async def draft_page(request: Request, service_id: str) -> HTTPResponse:
    """The open draft: state, who, the preview of the bot's answers and what changed."""
    review = review_of(request)
    catalog = await current_catalog(request)
    if catalog.get(service_id) is None:
        raise NotFound("no such service")
    await review.run(drafts.create_content_draft_tables, review.engine)
    draft = await review.run(drafts.open_draft, review.engine, service_id)
    values: dict[str, Any] = {
        "service_id": service_id,
        "service_name": catalog.get(service_id).name,  # type: ignore[union-attr]
        "draft": draft,
        "message": request.args.get("meddelande", ""),
        "error": request.args.get("fel", ""),
        "conflict": request.args.get("av", ""),
        "previews": [],
        "changes": "",
        "may_approve": False,
    }
    if draft is not None:
        texts = await review.run(published.documents, review.engine)
        before = texts.get(draft.file_name) or catalog_store(request).folder_documents.get(
            draft.file_name, ""
        )
        values["changes"] = _changes(before, draft.text, draft.file_name)
        values["previews"] = preview(catalog, draft.text, service_id)
        staff_member = request.ctx.staff
        values["may_approve"] = (
            staff_member.is_admin
            and draft.state == drafts.WAITING
            and staff_member.username not in draft.authors()
        )
    return review.page(request, "content_draft.html", values)


def _back(service_id: str, query: dict[str, str]) -> HTTPResponse:
    return see_other(f"/granska/innehall/{service_id}/utkast?{urlencode(query)}")


async def _decide(request: Request, service_id: str, decision: str) -> HTTPResponse:
    review = review_of(request)
    await review.run(drafts.create_content_draft_tables, review.engine)
    draft = await review.run(drafts.open_draft, review.engine, service_id)
    revision = _revision(request)
    username = request.ctx.staff.username
    if draft is None:
        return _back(service_id, {"fel": "draft_gone"})
    try:
        if decision == "submit":
            await review.run(drafts.submit, review.engine, draft.id, username, revision)
            action, message = audit.SUBMIT_CONTENT, "draft_submitted"
        elif decision == "approve":
            version = await review.run(drafts.approve, review.engine, draft.id, username, revision)
            await review.audit(
                request,
                audit.PUBLISH_CONTENT,
                f"version {version}",
                {"service": service_id, "draft": draft.id, "drafted_by": draft.drafted_by},
            )
            await review.run(catalog_store(request).get, True)  # this process shows it at once
            return see_other(
                f"/granska/innehall?meddelande=draft_published&tjanst={service_id}"
                + ("&traning=1" if draft.needs_training else "")
            )
        elif decision == "reject":
            await review.run(
                drafts.close, review.engine, draft.id, username, revision, drafts.REJECTED
            )
            action, message = audit.REJECT_CONTENT, "draft_rejected"
        else:
            await review.run(
                drafts.close, review.engine, draft.id, username, revision, drafts.DISCARDED
            )
            action, message = audit.DISCARD_CONTENT, "draft_discarded"
    except drafts.OwnDraft:
        return _back(service_id, {"fel": "own_draft"})
    except drafts.NotWaiting:
        return _back(service_id, {"fel": "draft_not_waiting"})
    except drafts.DraftConflict as exc:
        return _back(service_id, {"fel": "draft_conflict", "av": exc.who})
    except published.PublishConflict as exc:
        return _back(service_id, {"fel": "draft_conflict", "av": exc.current.published_by})
    except CatalogError:
        return _back(service_id, {"fel": "content_invalid_now"})
    await review.audit(request, action, service_id, {"draft": draft.id})
    if decision in ("reject", "discard"):
        return see_other(f"/granska/innehall?meddelande={message}&tjanst={service_id}")
    return _back(service_id, {"meddelande": message})


@staff(roles=CONTENT_EDIT_ROLES)
async def submit(request: Request, service_id: str) -> HTTPResponse:
    return await _decide(request, service_id, "submit")


@staff(roles=CONTENT_EDIT_ROLES)
async def discard(request: Request, service_id: str) -> HTTPResponse:
    return await _decide(request, service_id, "discard")


@staff(admin=True)
async def approve(request: Request, service_id: str) -> HTTPResponse:
    return await _decide(request, service_id, "approve")


@staff(admin=True)
async def reject(request: Request, service_id: str) -> HTTPResponse:
    return await _decide(request, service_id, "reject")


ROUTES: list[Route] = [
    ("GET", "/innehall/<service_id:str>/redigera", edit_page),
    ("POST", "/innehall/<service_id:str>/redigera", edit_post),
    ("GET", "/innehall/<service_id:str>/utkast", draft_page),
    ("POST", "/innehall/<service_id:str>/utkast/skicka", submit),
    ("POST", "/innehall/<service_id:str>/utkast/kasta", discard),
    ("POST", "/innehall/<service_id:str>/utkast/godkann", approve),
    ("POST", "/innehall/<service_id:str>/utkast/avvisa", reject),
]
