"""`roster app`: a local what-if page and JSON API over the same library (FastAPI, served by uvicorn).

A thin layer: `optimizer.workspace` loads and solves, `optimizer.jobs` runs long work in threads with
progress and cancellation; this module maps HTTP onto them and guards the door:

- it binds to 127.0.0.1 unless told otherwise, and then requires a token (header ``X-Roster-Token`` or
  the cookie the page gets from ``/?token=...``);
- state-changing requests must come from the page's own origin (CSRF), and the Host header must be the
  server's own name (DNS rebinding);
- every path stays inside the folder the app was started on or the session's uploads (`Workspace.resolve`);
- uploads are size-limited; each browser tab is its own session (header ``X-Roster-Session``), so tabs
  and users never see each other's uploads or jobs.

Errors are JSON ``{"error": message, "exit_code": n}`` with the CLI's meaning: 400 bad input (exit 2),
422 infeasible (exit 3, with the result and the conflict), 500 anything else (exit 1).
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
from collections.abc import AsyncIterator
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from optimizer import __version__
from optimizer.errors import InputError, RosterError
from optimizer.jobs import Jobs
from optimizer.pipeline import SolveOptions
from optimizer.workspace import Workspace

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _error(status: int, message: str, exit_code: int, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, "exit_code": exit_code, **extra}, status_code=status)


def create_app(root: Path, token: str | None = None, max_upload_mb: float = 100.0, solver: str = "highs") -> FastAPI:
    """The ASGI application for a workspace folder.

    Parameters
    ----------
    root : Path
        The folder scenario paths are relative to (and confined to).
    token : str, optional
        Required on every API request when given (the server is reachable beyond this machine).
    max_upload_mb : float
        Largest accepted upload.
    solver : {"highs", "cbc"}
        HiGHS by default: it runs in-process and can be cancelled mid-solve.
    """
    workspace = Workspace(root, max_upload_mb)
    jobs = Jobs(workspace, SolveOptions(solver=solver, explain=True))

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.close()  # running solves are cancelled and uploads removed when the server stops
        workspace.close()

    app = FastAPI(title="creator-roster", version=__version__, docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/openapi.json", lifespan=lifespan)  # fmt: skip
    app.state.workspace = workspace
    app.state.jobs = jobs
    page = files("optimizer").joinpath("static")

    @app.middleware("http")
    async def guard(request: Request, call_next):
        host = (request.headers.get("host") or "").rsplit(":", 1)[0]
        if token is None and host not in LOCAL_HOSTS:
            return _error(403, f"host '{host}' refused: this server answers on this machine only", 2)
        path = request.url.path
        if token is not None and path.startswith("/api/") and path != "/api/health":
            given = request.headers.get("x-roster-token") or request.cookies.get("roster_token") or ""
            if not hmac.compare_digest(given, token):
                return _error(401, "a token is required: open the address `roster app` printed (it carries it)", 2)
        if request.method in STATE_CHANGING:
            origin = request.headers.get("origin")
            own = f"{request.url.scheme}://{request.headers.get('host')}"
            if origin is not None and origin != own:
                return _error(403, f"request from {origin} refused: only this app's own page may change things", 2)
        return await call_next(request)

    def session(request: Request) -> str:
        return request.headers.get("x-roster-session", "")

    async def body(request: Request) -> dict[str, Any]:
        if "application/json" not in (request.headers.get("content-type") or ""):
            raise InputError("send the request body as JSON (Content-Type: application/json)")
        try:
            data = await request.json()
        except ValueError as exc:
            raise InputError(f"the request body is not JSON ({exc})") from None
        if not isinstance(data, dict):
            raise InputError("the request body must be a JSON object")
        return data

    @app.exception_handler(RosterError)
    async def roster_error(request: Request, exc: RosterError) -> JSONResponse:
        status = 400 if exc.exit_code == 2 else 500
        return _error(status, str(exc), exc.exit_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return _error(500, f"unexpected {type(exc).__name__}: {exc}", 1)

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> Response:
        html = page.joinpath("app.html").read_text(encoding="utf-8")
        response = HTMLResponse(html, headers=_SECURITY_HEADERS)
        given = request.query_params.get("token")
        if token is not None and given is not None and hmac.compare_digest(given, token):
            response.set_cookie("roster_token", token, httponly=True, samesite="strict")
        return response

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        kinds = {"app.js": "text/javascript", "app.css": "text/css"}
        if name not in kinds:
            return _error(404, f"no such file: {name}", 2)
        return Response(page.joinpath(name).read_text(encoding="utf-8"), media_type=kinds[name],
                        headers=_SECURITY_HEADERS)  # fmt: skip

    @app.get("/favicon.ico")
    async def favicon() -> Response:
        return Response(status_code=204)  # no icon: nothing for the browser to fetch or log as missing

    @app.get("/api/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "tool": "creator-roster", "version": __version__}

    @app.get("/api/scenarios")
    async def scenarios() -> dict[str, Any]:
        return {"scenarios": workspace.scenario_files()}

    @app.get("/api/scenario")
    async def scenario(path: str) -> dict[str, Any]:
        return {"path": path, "scenario": workspace.open(path)}

    @app.get("/api/schema")
    async def schema() -> dict[str, Any]:
        from optimizer.scenario import Scenario

        return Scenario.model_json_schema()

    @app.post("/api/solve")
    async def solve(request: Request) -> JSONResponse:
        """Solve `{"scenario": ..., "overrides": ...}` now and answer with the result.json document."""
        data = await body(request)
        job = jobs.start("solve", session(request), data)
        job.wait()
        return _job_answer(job)

    @app.post("/api/jobs")
    async def start(request: Request) -> dict[str, Any]:
        """Start a solve, a frontier or a report in the background: `{"kind": ..., "scenario": ..., ...}`."""
        data = await body(request)
        job = jobs.start(str(data.get("kind", "solve")), session(request), data)
        return job.status()

    @app.get("/api/jobs/{job_id}")
    async def job_status(job_id: str, request: Request) -> JSONResponse:
        job = jobs.get(job_id, session(request))
        if job.finished:
            return _job_answer(job)
        return JSONResponse(job.status())

    @app.delete("/api/jobs/{job_id}")
    async def cancel(job_id: str, request: Request) -> dict[str, Any]:
        job = jobs.get(job_id, session(request))
        job.cancel()
        return job.status()

    @app.get("/api/jobs/{job_id}/{name}")
    async def download(job_id: str, name: str, request: Request) -> Response:
        job = jobs.get(job_id, session(request))
        content, media = jobs.download(job, name)
        return Response(content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.post("/api/uploads")
    async def upload(request: Request, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
        content = await file.read(workspace.max_upload_bytes + 1)
        return {"path": workspace.upload(session(request), file.filename or "upload.csv", content)}

    @app.post("/api/validate")
    async def validate(request: Request) -> dict[str, Any]:
        """Check a scenario and its files without solving; the same messages as `roster validate`."""
        from optimizer.summaries import validation_text

        data = await body(request)
        scenario = workspace.scenario(data.get("scenario") or {}, data.get("overrides"))
        problem = workspace.problem(scenario, session(request))
        return {"text": validation_text(problem), "eligible": int(problem.eligible.sum()),
                "creators": len(problem.pool.frame)}  # fmt: skip

    @app.post("/api/yaml")
    async def to_yaml(request: Request) -> PlainTextResponse:
        data = await body(request)
        text = workspace.yaml(data.get("scenario") or {}, session(request))
        return PlainTextResponse(text, media_type="application/x-yaml",
                                 headers={"Content-Disposition": 'attachment; filename="scenario.yaml"'})  # fmt: skip

    return app


def _job_answer(job) -> JSONResponse:
    """A finished job: its document (200), or its error with the CLI's exit-code meaning."""
    status = job.status()
    if job.error is not None:
        code = job.error.exit_code
        return _error(400 if code == 2 else 500, str(job.error), code, job=status)
    if job.cancelled:
        return JSONResponse({**status, "error": "cancelled"}, status_code=409)
    doc = job.document()
    if job.kind in ("solve", "replace") and doc.get("status") == "infeasible":
        return JSONResponse({"error": doc.get("message"), "exit_code": 3, "infeasibility": doc.get("infeasibility"),
                             "result": doc, "job": status}, status_code=422)  # fmt: skip
    if job.kind in ("solve", "replace") and doc.get("status") == "error":
        return JSONResponse({"error": doc.get("message"), "exit_code": 1, "result": doc, "job": status},
                            status_code=500)  # fmt: skip
    return JSONResponse(doc if job.kind in ("solve", "replace") else {**status, "result": doc})


# The page fetches nothing from elsewhere: scripts, styles, fonts and images come from this server only.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def new_token() -> str:
    """A random token for a server reachable beyond this machine."""
    return secrets.token_urlsafe(24)
