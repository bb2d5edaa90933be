"""The playground's HTTP API through Starlette's TestClient: commands, streams and bad input.

Every malformed request gets a 4xx with a message naming the problem, and the server goes on
serving the other pages.
"""
import json

import pytest

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from minigrad.playground.config import Limits  # noqa: E402
from minigrad.playground.server import create_app  # noqa: E402


@pytest.fixture
def client():
    return TestClient(create_app(Limits(max_runs=3)))


def new_run(client, **setup):
    response = client.post("/api/runs", json=setup)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def read_frames(client, run_id, count):
    """The first ``count`` frames of the run's event stream."""
    frames = []
    with client.stream("GET", f"/api/runs/{run_id}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                frames.append(json.loads(line[len("data: "):]))
                if len(frames) == count:
                    break
    return frames


def test_the_page_and_its_assets_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "<title>minigrad playground</title>" in page.text
    assert "{{error}}" not in page.text
    for asset, kind in [("playground.js", "javascript"), ("playground.css", "text/css")]:
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200 and kind in response.headers["content-type"]
    # Nothing is loaded from another host: every src and href is local.
    assert "http://" not in page.text and "https://" not in page.text and "//" not in page.text.replace("<!--", "")


def test_a_page_whose_query_is_not_a_setup_is_a_400_that_says_why(client):
    response = client.get("/", params={"lr": "-3"})
    assert response.status_code == 400
    assert "This link&#x27;s setup was not accepted: lr: must be &gt; 0" in response.text
    twice = client.get("/?lr=0.1&lr=0.2")
    assert twice.status_code == 400 and "lr is given more than once" in twice.text
    assert client.get("/?dataset=circles&b.opt=sgd").status_code == 200


def test_the_schema_lists_fields_and_limits(client):
    schema = client.get("/api/schema").json()
    assert schema["limits"]["max_runs"] == 3
    assert {"dataset", "hidden", "opt", "lr", "eps_inside_sqrt", "bias_correction", "ema", "schedule"} <= {
        field["name"] for field in schema["fields"]}


def test_a_run_is_created_stepped_played_and_paused(client):
    response = client.post("/api/runs", json={"dataset": "xor", "opt": "sgd", "b.opt": "adam"})
    assert response.status_code == 201
    body = response.json()
    frame = body["frame"]
    assert frame["full"] and frame["step"] == 0 and len(frame["lanes"]) == 2
    assert "dataset=xor" in frame["query"] and "b.opt=adam" in frame["query"]
    run = body["id"]
    status = client.post(f"/api/runs/{run}/step", json={"steps": 20}).json()
    assert status["step"] == 20 and status["lanes"][0]["latest"]["step"] == 20
    assert client.post(f"/api/runs/{run}/step").json()["step"] == 21  # no body: one step
    assert client.post(f"/api/runs/{run}/play").json()["playing"] is True
    assert client.post(f"/api/runs/{run}/pause").json()["playing"] is False
    assert client.post(f"/api/runs/{run}/reset").json()["step"] == 0
    whole = client.get(f"/api/runs/{run}/frame").json()
    assert whole["full"] and whole["data"]["name"] == "xor"


def test_the_setup_can_change_without_losing_the_run(client):
    run = new_run(client)
    client.post(f"/api/runs/{run}/step", json={"steps": 5})
    kept = client.post(f"/api/runs/{run}/config", json={"speed": "10", "watch": "1:1:1"}).json()
    assert kept["restarted"] is False and kept["frame"]["step"] == 5
    restarted = client.post(f"/api/runs/{run}/config", json={"opt": "rmsprop", "eps_inside_sqrt": "1"}).json()
    assert restarted["restarted"] is True and restarted["frame"]["step"] == 0
    assert restarted["frame"]["lanes"][0]["label"] == "RMSProp (lr=0.01)"


def test_the_stream_sends_a_full_frame_then_what_changed_while_playing(client):
    run = new_run(client, speed="200")
    client.post(f"/api/runs/{run}/play")
    first, second, third = read_frames(client, run, 3)
    assert first["full"] and "data" in first
    assert not second["full"] and second["lanes"][0]["records_from"] == len(first["lanes"][0]["records"])
    assert third["step"] > second["step"] > 0
    steps = [r["step"] for f in (first, second, third) for r in f["lanes"][0]["records"]]
    assert steps == list(range(steps[-1] + 1))  # every record exactly once, in order


def test_the_curves_export_as_csv(client):
    run = new_run(client, **{"b.opt": "sgd"})
    client.post(f"/api/runs/{run}/step", json={"steps": 3})
    response = client.get(f"/api/runs/{run}/curves.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert len(response.text.splitlines()) == 1 + 2 * 4


BAD_REQUESTS = [
    # (method, path with {run}, body (bytes or JSON), status, words in the message)
    ("POST", "/api/runs", {"opt": "lion"}, 400, "unknown optimizer 'lion'"),
    ("POST", "/api/runs", {"lr": "-1"}, 400, "lr: must be > 0"),
    ("POST", "/api/runs", {"hidden": "1000000000"}, 400, "over the limit of 64"),
    ("POST", "/api/runs", {"points": "ten"}, 400, "points: expected an integer, got 'ten'"),
    ("POST", "/api/runs", {"colour": "red"}, 400, "unknown parameter 'colour'"),
    ("POST", "/api/runs", b"{not json", 400, "not valid JSON"),
    ("POST", "/api/runs", b"[1, 2]", 400, "must be a JSON object, got list"),
    ("POST", "/api/runs", b"", 400, "needs a JSON object"),
    ("POST", "/api/runs", b"\xff\xfe", 400, "not valid JSON"),
    ("POST", "/api/runs", b"{" + b" " * 20_000 + b"}", 413, "over 16384 bytes, the most a command may send"),
    ("POST", "/api/runs/{run}/config", {"beta1": "2"}, 400, "beta1: must be >= 0 and < 1, got 2"),
    ("POST", "/api/runs/{run}/config", {"watch": "7:0:0"}, 400, "layer 7 does not exist"),
    ("POST", "/api/runs/{run}/step", {"steps": 0}, 400, "steps: expected an integer from 1 to 500"),
    ("POST", "/api/runs/{run}/step", {"steps": "5"}, 400, "steps: expected an integer"),
    ("POST", "/api/runs/{run}/step", {"steps": 10**9}, 400, "from 1 to 500"),
    ("POST", "/api/runs/{run}/step", {"stpes": 2}, 400, "unknown field 'stpes'"),
    ("POST", "/api/runs/{run}/play", b"nonsense", 400, "not valid JSON"),
    ("POST", "/api/runs/{run}/jump", {}, 404, "unknown command 'jump'"),
    ("POST", "/api/runs/no-such-run/play", {}, 404, "no run 'no-such-run'"),
    ("GET", "/api/runs/no-such-run/events", None, 404, "no run 'no-such-run'"),
    ("GET", "/api/runs/{run}/play", None, 405, "/play: this address takes POST only"),
    ("DELETE", "/api/runs", None, 405, "DELETE /api/runs: this address takes POST only"),
    ("GET", "/api/nowhere", None, 404, "no such page or API: GET /api/nowhere"),
]


@pytest.mark.parametrize("method, path, body, status, words", BAD_REQUESTS,
                         ids=[f"{m} {p} {s}" for m, p, _, s, _ in BAD_REQUESTS])
def test_a_bad_request_gets_a_4xx_naming_the_problem_and_others_go_on(client, method, path, body, status, words):
    other = new_run(client, dataset="circles")
    client.post(f"/api/runs/{other}/step", json={"steps": 3})
    mine = new_run(client)
    content = body if isinstance(body, bytes) else (None if body is None else json.dumps(body).encode())
    response = client.request(method, path.format(run=mine), content=content,
                              headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert words in response.json()["error"]
    # Nothing of the other page's run changed, and it goes on.
    assert client.post(f"/api/runs/{other}/step", json={"steps": 2}).json()["step"] == 5
    assert client.get(f"/api/runs/{mine}/frame").json()["step"] == 0


def test_a_refused_setup_leaves_the_run_as_it_was(client):
    run = new_run(client, opt="sgd")
    client.post(f"/api/runs/{run}/step", json={"steps": 4})
    response = client.post(f"/api/runs/{run}/config", json={"opt": "sgd", "nesterov": "1"})
    assert response.status_code == 400 and response.json()["field"] == "momentum"
    frame = client.get(f"/api/runs/{run}/frame").json()
    assert frame["step"] == 4 and frame["lanes"][0]["label"] == "SGD (lr=0.3)"


def test_steps_beyond_the_rate_limit_are_a_429():
    client = TestClient(create_app(Limits(max_speed=30, max_step_request=500)))
    run = new_run(client)
    assert client.post(f"/api/runs/{run}/step", json={"steps": 30}).status_code == 200
    response = client.post(f"/api/runs/{run}/step", json={"steps": 30})
    assert response.status_code == 429
    assert "at most 30 steps per second per page" in response.json()["error"]


def test_pages_beyond_the_limit_replace_unwatched_runs_or_get_a_503():
    app = create_app(Limits(max_runs=2))
    client = TestClient(app)
    first, second = new_run(client), new_run(client)
    third = new_run(client)  # nobody watches the first two: the oldest makes room
    assert client.get(f"/api/runs/{first}/frame").status_code == 404
    runs = app.state.runs
    runs.get(second).streams = runs.get(third).streams = 1  # as if both pages were open
    response = client.post("/api/runs", json={})
    assert response.status_code == 503 and "already serves 2 pages" in response.json()["error"]


def test_a_closed_run_is_gone(client):
    run = new_run(client)
    assert client.post(f"/api/runs/{run}/close").json() == {"closed": True}
    assert client.get(f"/api/runs/{run}/frame").status_code == 404


def test_a_body_without_a_declared_length_is_read_only_up_to_the_limit(client):
    chunks = (part for part in [b'{"lr": "0.1",', b" " * 20_000, b"}"])  # sent chunked: no Content-Length
    response = client.post("/api/runs", content=chunks, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "over 16384 bytes" in response.json()["error"]
