"""The playground's web server: a Starlette app, served by uvicorn on 127.0.0.1.

Commands are plain HTTP requests, so that every bad input gets a status code and a message
(400 with ``{"error": ..., "field": ...}``); the live view is one server-sent-event stream
per page, which also paces the training while the page plays:

    GET  /                          the page (400, still the page, if its query is not a setup)
    GET  /static/...                its script and style sheet, shipped in the package
    GET  /api/schema                the fields, their ranges, the limits
    POST /api/runs                  {setup} -> 201 {"id", "frame"}: a new run for this page
    GET  /api/runs/{id}/frame       the whole state (a full frame)
    GET  /api/runs/{id}/events      text/event-stream of frames; trains while playing
    POST /api/runs/{id}/config      {setup} -> the run restarts if the training changed
    POST /api/runs/{id}/play|pause|reset|close
    POST /api/runs/{id}/step        {"steps": n}
    GET  /api/runs/{id}/curves.csv  the curves of every lane

The training itself (NumPy) runs in worker threads, one run at a time under the run's lock,
so one page's training never stalls another page's requests.
"""
from __future__ import annotations

import html
import json
import secrets
import threading
import time
from importlib import resources
from typing import Any, Callable

from typing import TYPE_CHECKING

from minigrad.playground.config import ConfigError, Limits, parse_config, schema
from minigrad.playground.session import PlaygroundRun

if TYPE_CHECKING:  # the server's libraries are imported when an app is made (the extra may be absent)
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

TICK_SECONDS = 0.1        # the stream looks at its run ten times a second
WORK_SECONDS = 0.25       # and trains at most this long at a time (frames keep coming)
KEEPALIVE_SECONDS = 15.0  # a comment line on a quiet stream, so a closed page is noticed


class HTTPProblem(Exception):
    """A request the server refuses: sent as ``{"error": message, "field": field}``."""

    def __init__(self, status: int, message: str, field: str = ""):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


class Runs:
    """The runs of the pages currently open, at most ``limits.max_runs`` of them."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self._runs: dict[str, PlaygroundRun] = {}
        self._lock = threading.Lock()

    def add(self, run: PlaygroundRun) -> str:
        with self._lock:
            self._drop_idle()
            if len(self._runs) >= self.limits.max_runs:
                unwatched = [(r.last_seen, key) for key, r in self._runs.items() if r.streams == 0]
                if not unwatched:
                    raise HTTPProblem(503, f"the playground already serves {self.limits.max_runs} pages, "
                                           f"its limit; close one and try again")
                del self._runs[min(unwatched)[1]]  # the page left longest ago makes room
            key = secrets.token_urlsafe(9)
            self._runs[key] = run
            return key

    def get(self, key: str) -> PlaygroundRun:
        with self._lock:
            run = self._runs.get(key)
        if run is None:
            raise HTTPProblem(404, f"no run {key!r}: it was closed, or dropped after "
                                   f"{self.limits.idle_seconds:g} s unwatched; reload the page")
        run.last_seen = time.monotonic()
        return run

    def close(self, key: str) -> None:
        with self._lock:
            self._runs.pop(key, None)

    def holds(self, key: str, run: PlaygroundRun) -> bool:
        """Whether ``key`` still names ``run`` (a closed or dropped run ends its stream)."""
        with self._lock:
            return self._runs.get(key) is run

    def __len__(self) -> int:
        return len(self._runs)

    def _drop_idle(self) -> None:
        now = time.monotonic()
        for key in [k for k, r in self._runs.items()
                    if r.streams == 0 and now - r.last_seen > self.limits.idle_seconds]:
            del self._runs[key]


def static_dir():
    return resources.files("minigrad.playground") / "static"


def create_app(limits: Limits = Limits()) -> Starlette:
    """The playground's ASGI app (serve it with uvicorn, or test it with Starlette's TestClient)."""
    import anyio
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    runs = Runs(limits)
    page = (static_dir() / "index.html").read_text(encoding="utf-8")

    async def index(request: Request) -> Response:
        message, status = "", 200
        try:
            parse_config(_query_mapping(request), limits)
        except HTTPProblem as problem:
            message, status = problem.message, problem.status
        except ConfigError as error:
            message, status = f"This link's setup was not accepted: {error}", 400
        return HTMLResponse(page.replace("{{error}}", html.escape(message)), status_code=status)

    async def get_schema(request: Request) -> Response:
        return JSONResponse(schema(limits))

    async def create_run(request: Request) -> Response:
        config = parse_config(await _json_object(request, limits), limits)
        run, frame = await anyio.to_thread.run_sync(_build_run, config, limits)
        key = runs.add(run)
        return JSONResponse({"id": key, "frame": frame}, status_code=201)

    async def get_frame(request: Request) -> Response:
        run = runs.get(request.path_params["id"])
        return JSONResponse(await _locked(run, run.frame))

    async def configure(request: Request) -> Response:
        run = runs.get(request.path_params["id"])
        config = parse_config(await _json_object(request, limits), limits)

        def apply() -> dict[str, Any]:
            restarted = run.configure(config)
            return {"restarted": restarted, "frame": run.frame()}
        return JSONResponse(await _locked(run, apply))

    async def command(request: Request) -> Response:
        run = runs.get(request.path_params["id"])
        name = request.path_params["command"]
        if name == "close":
            runs.close(request.path_params["id"])
            return JSONResponse({"closed": True})
        if name == "step":
            steps = _steps_asked(await _json_object(request, limits, empty_ok=True), limits)

            def step() -> dict[str, Any]:
                if not run.limiter.take(steps):
                    raise HTTPProblem(429, f"at most {limits.max_speed} steps per second per page: "
                                           f"{steps} asked, {int(run.limiter.available())} available now; "
                                           f"wait a moment")
                run.train(steps)
                return run.status()
            return JSONResponse(await _locked(run, step))
        actions: dict[str, Callable[[], None]] = {
            "play": lambda: run.set_playing(True), "pause": lambda: run.set_playing(False), "reset": run.reset,
        }
        if name not in actions:
            raise HTTPProblem(404, f"unknown command {name!r}; the commands are: "
                                   f"{', '.join([*actions, 'step', 'close'])}")
        await _json_object(request, limits, empty_ok=True)  # a body, if any, must still be JSON

        def act() -> dict[str, Any]:
            actions[name]()
            return run.status()
        return JSONResponse(await _locked(run, act))

    async def events(request: Request) -> Response:
        key = request.path_params["id"]
        stream = _event_stream(request, runs, key, runs.get(key))
        return StreamingResponse(stream, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def curves_csv(request: Request) -> Response:
        run = runs.get(request.path_params["id"])
        text = await _locked(run, run.curves_csv)
        return Response(text, media_type="text/csv", headers={
            "Content-Disposition": 'attachment; filename="minigrad-playground-curves.csv"'})

    async def problem_response(request: Request, exc: Exception) -> Response:
        if isinstance(exc, ConfigError):
            return JSONResponse({"error": str(exc), "field": exc.field}, status_code=400)
        assert isinstance(exc, HTTPProblem)
        return JSONResponse({"error": exc.message, "field": exc.field}, status_code=exc.status)

    async def not_routed(request: Request, exc: Exception) -> Response:
        where = f"{request.method} {request.url.path}"
        if getattr(exc, "status_code", 404) == 405:
            allowed = (getattr(exc, "headers", None) or {}).get("Allow", "another method")
            message = f"{where}: this address takes {allowed} only"
        else:
            message = f"no such page or API: {where}"
        return JSONResponse({"error": message, "field": ""}, status_code=getattr(exc, "status_code", 404))

    routes = [
        Route("/", index),
        Route("/api/schema", get_schema),
        Route("/api/runs", create_run, methods=["POST"]),
        Route("/api/runs/{id}/frame", get_frame),
        Route("/api/runs/{id}/events", events),
        Route("/api/runs/{id}/curves.csv", curves_csv),
        Route("/api/runs/{id}/config", configure, methods=["POST"]),
        Route("/api/runs/{id}/{command}", command, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(static_dir())), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={
        ConfigError: problem_response, HTTPProblem: problem_response, 404: not_routed, 405: not_routed})
    app.state.runs = runs
    app.state.limits = limits
    return app


def _build_run(config, limits: Limits) -> tuple[PlaygroundRun, dict[str, Any]]:
    """A new run and its first (full) frame, made in a worker thread."""
    run = PlaygroundRun(config, limits)
    return run, run.frame()


async def _locked(run: PlaygroundRun, function: Callable[[], Any]) -> Any:
    """``function()`` in a worker thread, holding the run's lock."""
    import anyio

    def call():
        with run.lock:
            return function()
    return await anyio.to_thread.run_sync(call)


def _query_mapping(request: Request) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key in mapping:
            raise HTTPProblem(400, f"This link's setup was not accepted: {key} is given more than once", key)
        mapping[key] = value
    return mapping


async def _json_object(request: Request, limits: Limits, empty_ok: bool = False) -> dict[str, Any]:
    body = await _body_within(request, limits.max_body_bytes)
    if not body.strip():
        if empty_ok:
            return {}
        raise HTTPProblem(400, "the request needs a JSON object as its body, got nothing")
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HTTPProblem(400, f"the request body is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise HTTPProblem(400, f"the request body must be a JSON object, got {type(value).__name__}")
    return value


async def _body_within(request: Request, limit: int) -> bytes:
    """The request's body, read only as far as ``limit`` bytes (a larger one is a 413)."""
    too_large = HTTPProblem(413, f"the request body is over {limit} bytes, the most a command may send")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return body


def _steps_asked(body: dict[str, Any], limits: Limits) -> int:
    unknown = sorted(set(body) - {"steps"})
    if unknown:
        raise HTTPProblem(400, f"unknown field {unknown[0]!r} in a step command; it takes only 'steps'", unknown[0])
    steps = body.get("steps", 1)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= limits.max_step_request:
        raise HTTPProblem(400, f"steps: expected an integer from 1 to {limits.max_step_request}, got {steps!r}",
                          "steps")
    return steps


class Pacer:
    """How many steps a playing run owes: ``speed`` per second of wall time since the last
    look, never more than a quarter second's worth at once (a slow tick is not made up for)."""

    def __init__(self):
        self.last = time.monotonic()
        self.credit = 0.0

    def due(self, speed: float, playing: bool) -> int:
        now = time.monotonic()
        elapsed, self.last = min(now - self.last, 0.25), now
        if not playing:
            self.credit = 0.0
            return 0
        self.credit = min(self.credit + speed * elapsed, speed * 0.25)
        steps = int(self.credit)
        self.credit -= steps
        return steps


async def _event_stream(request: Request, runs: Runs, key: str, run: PlaygroundRun):
    """Frames for one page: a full one first, then what changed, about ten a second.

    While the run plays, each tick trains the steps the page's speed asks for since the last
    tick, within the run's rate limit and a time budget, so a run trains only while a page
    watches it and no page can take more than its share.
    """
    import anyio

    run.streams += 1
    sent_generation, since, sent_version = None, None, -1
    quiet_since = time.monotonic()
    pacer = Pacer()
    try:
        yield "retry: 1000\n\n"  # a dropped stream is retried after a second, not the default three
        while runs.holds(key, run) and not await request.is_disconnected():
            started = time.monotonic()

            def tick():
                nonlocal sent_generation, since, sent_version
                steps = pacer.due(run.config.values["speed"], run.playing)
                steps = min(steps, int(run.limiter.available()))
                if steps and run.limiter.take(steps):
                    run.train(steps, deadline=time.monotonic() + WORK_SECONDS)
                if run.version == sent_version and run.generation == sent_generation:
                    return None
                full = run.generation != sent_generation
                frame = run.frame(None if full else since)
                sent_generation, since, sent_version = run.generation, run.record_counts(), run.version
                return frame
            frame = await _locked(run, tick)
            run.last_seen = time.monotonic()
            if frame is not None:
                quiet_since = time.monotonic()
                yield f"event: frame\ndata: {json.dumps(frame, separators=(',', ':'))}\n\n"
            elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
                quiet_since = time.monotonic()
                yield ": keepalive\n\n"
            await anyio.sleep(max(0.02, TICK_SECONDS - (time.monotonic() - started)))
    finally:
        run.streams -= 1
        run.last_seen = time.monotonic()


def serve(port: int = 8765, open_browser: bool = False, limits: Limits = Limits(),
          ready: Callable[[str], None] | None = None) -> None:
    """Serve the playground on http://127.0.0.1:port/ until interrupted; port 0 picks a free one.

    ``ready(url)`` is called once the server listens (the command prints the URL and opens
    the browser there).
    """
    import uvicorn

    # Open pages hold their event streams: on Ctrl+C, wait for them briefly, not forever.
    config = uvicorn.Config(create_app(limits), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            time.sleep(0.05)
        bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
        url = f"http://127.0.0.1:{bound}/"
        if ready is not None:
            ready(url)
        if open_browser:
            import webbrowser
            webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    server.run()
