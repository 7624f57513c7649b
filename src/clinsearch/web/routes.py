"""The web application: server-rendered pages (Jinja2, no build step, no CDN, no JavaScript
needed) over the same service functions as the API, whose routes are each page's JSON twin:
``/search`` ↔ ``/api/v1/search``, ``/patients/{id}`` ↔ ``/api/v1/patients/{id}``, ``/notes/{id}``
↔ ``/api/v1/notes/{id}``. French by default, English with ``?lang=en`` (remembered in a cookie). Each area's pages are
in a module of their own (``search_pages``, ``patient_pages``, ``study_pages``, ``admin_pages``).

Forms are protected against CSRF: before login by a double-submit token (cookie and hidden
field), after login by the session's own token.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from clinsearch.services import access, sessions
from clinsearch.services.errors import AccessDenied, LoginRefused, NotFound, SearchError, WarehouseError
from clinsearch.web import admin_pages, criteria_pages, learning_pages, model_pages, patient_pages, search_pages, study_pages
from clinsearch.web.face import LANG, Face
from clinsearch.web.face import lang as _lang
from clinsearch.web.i18n import LANGUAGES, words

COOKIE = "clinsearch_session"
LOGIN_CSRF = "clinsearch_login_csrf"

templates = Environment(loader=PackageLoader("clinsearch.web", "templates"), autoescape=select_autoescape(["html"]))


def router(data: Path) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    def current(request: Request):
        return sessions.current(data, request.cookies.get(COOKIE))

    def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        lang = _lang(request)
        other = "en" if lang == "fr" else "fr"
        query = {k: v for k, v in request.query_params.items() if k != "lang"}
        body = templates.get_template(name).render(lang=lang, t=words(lang), other_lang=other, other_lang_query=urlencode({**query, "lang": other}), **context)
        response = HTMLResponse(body, status_code=status)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG, lang, samesite="strict", httponly=True)
        return response

    def page(request: Request, name: str, **context) -> Response:
        """A page that needs a login: redirects to /login without one."""
        found, principal = current(request)
        if found is None:
            return RedirectResponse("/login", status_code=303)
        service = access.Request(data, principal, found.purpose)
        t = words(_lang(request))
        try:
            extra = context.pop("build")(service)
        except AccessDenied as exc:
            return render(request, "error.html", 403, principal=principal, csrf=found.csrf, heading=t["forbidden"], message=str(exc))
        except NotFound as exc:
            return render(request, "error.html", 404, principal=principal, csrf=found.csrf, heading="404", message=str(exc))
        except (SearchError, WarehouseError) as exc:  # momentarily unavailable (a load, an index swap): say so, never a 500
            response = render(request, "error.html", 503, principal=principal, csrf=found.csrf, heading="503", message=str(exc))
            response.headers["Retry-After"] = "5"
            return response
        if isinstance(extra, Response):  # a download: the page's checks and errors, the build's own answer
            return extra
        return render(request, name, principal=principal, csrf=found.csrf, **extra, **context)

    @routes.get("/")
    def home() -> RedirectResponse:
        return RedirectResponse("/search", status_code=303)

    @routes.get("/login")
    def login_form(request: Request) -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        response = render(request, "login.html", principal=None, csrf=token, error=None)
        response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict")
        return response

    @routes.post("/login")
    def login(request: Request, username: str = Form(max_length=64), password: str = Form(max_length=1024),
              purpose: str = Form("", max_length=200), csrf_token: str = Form("")) -> Response:
        t = words(_lang(request))
        expected = request.cookies.get(LOGIN_CSRF)
        if not expected or not secrets.compare_digest(expected, csrf_token):
            return render(request, "login.html", 403, principal=None, csrf=expected or "", error=t["forbidden"] + " (CSRF)")
        address = request.client.host if request.client else "?"
        try:
            found, principal = sessions.login(data, username, password, purpose, address)
        except LoginRefused as exc:
            message = f"{t['username']} / {t['password']} ?" if exc.status == 401 else str(exc)
            return render(request, "login.html", exc.status, principal=None, csrf=expected, error=message)
        response = RedirectResponse(admin_pages.landing(principal), status_code=303)
        response.set_cookie(COOKIE, found.token, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/")
        response.delete_cookie(LOGIN_CSRF)
        return response

    @routes.post("/logout")
    def logout(request: Request, csrf_token: str = Form("")) -> Response:
        # The session ends whatever the CSRF token: a forged logout costs a login, a logout that
        # silently fails leaves a session open on a shared workstation.
        found, _ = current(request)
        if found is not None:
            sessions.logout(data, found.token)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    face = Face(data, current, render, page)
    for area in (search_pages, patient_pages, study_pages, model_pages, criteria_pages, learning_pages, admin_pages):
        area.add(routes, face)
    return routes
