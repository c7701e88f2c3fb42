"""A Streamlit 1.67 browser-protocol client for the load test (``bench.loadtest``).

One :class:`Session` is one browser tab: it talks to ``streamlit run`` the way the bundled
front end does (``streamlit/static/static/js/index.*.js``, ``ConnectionManager`` /
``WebsocketConnection`` / ``App.sendRerunBackMsg``), so every rerun it asks for is a real script
run on the server, with the same messages a browser would cause:

* **Handshake.** ``GET /`` (index.html), ``GET /_stcore/health`` (sets the ``_streamlit_xsrf``
  cookie), then a WebSocket to ``/_stcore/stream`` with ``Origin`` = the server's own origin, the
  cookie, and ``Sec-WebSocket-Protocol: streamlit, <xsrf cookie value>`` (the front end puts the
  XSRF token, and on reconnect the last session id, in the subprotocol list;
  ``streamlit/web/server/starlette/starlette_websocket.py``).
* **Rerun.** ``BackMsg(rerun_script=ClientState(...))`` with the current URL query string, the
  widget states the "user" changed, the page (``page_name`` = URL path on the first load, then the
  ``page_script_hash`` from the server's ``navigation`` message, as a click in the page list does),
  the browser's ``context_info`` and the hashes of the messages it holds in its ForwardMsg cache.
  The rerun is over at the first ``ForwardMsg.script_finished`` that is not
  ``FINISHED_EARLY_FOR_RERUN`` (an ``st.rerun()`` inside the run is part of what the user waits for).
* **ForwardMsg cache.** Like the front end, the client keeps the hash of every message the server
  marks ``metadata.cacheable`` and reports them in ``cached_message_hashes``; the server then sends
  a ``ref_hash`` instead of resending a large element (a big table). Entries expire after
  ``new_session.config.max_cached_message_age`` script runs without use, as in the front end.
* **Widgets.** The sidebar filters are ``st.multiselect`` bound to the URL (``ui.filters``). A
  filter change is sent as the browser sends it: a ``WidgetState`` with the multiselect's element
  id and ``string_array_value`` = the chosen option labels. Widgets the client never touched are
  not sent; the server then keeps their previous values (``SessionState._old_state``), which is
  what the browser's own copy of them would have said.

Errors recorded per rerun: an ``exception`` element (an uncaught exception on the page; the message
is generic with ``client.showErrorDetails = "none"``), an ``st.error`` alert, ``page_not_found``,
a compile error, a ``ref_hash`` the client does not hold, a lost connection and a timeout.

Only the standard library, ``websockets`` (a dependency of Streamlit) and Streamlit's own protobuf
classes are used. The client refuses any host other than the loopback address.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

FINISHED_EARLY = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
FINISHED_OK = ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
FINISHED_COMPILE_ERROR = ForwardMsg.ScriptFinishedStatus.FINISHED_WITH_COMPILE_ERROR
LOOPBACK = "127.0.0.1"


class ProtocolError(RuntimeError):
    """The server said something a browser would not have expected."""


@dataclass
class Rerun:
    """One rerun as the user saw it: from sending the request to the end of the script run."""

    page: str
    action: str
    """``load`` (first page of a new session), ``page`` (page change) or ``filter`` (filter change)."""
    started: float
    """``time.monotonic()`` when the request was sent."""
    seconds: float | None = None
    """Send to ``script_finished``; None if the rerun did not finish (timeout, lost connection)."""
    messages: int = 0
    bytes: int = 0
    cache_refs: int = 0
    """Messages the server replaced by a ``ref_hash`` to the client's cache."""
    script_runs: int = 0
    """Script runs it took (2 when the script called ``st.rerun()``: FINISHED_EARLY_FOR_RERUN, then the rerun)."""
    errors: list[tuple[str, str]] = field(default_factory=list)
    """(kind, detail) for every error seen during the rerun."""
    query_string: str = ""
    """The URL query string after the run (``page_info_changed``)."""
    metrics: dict[str, str] = field(default_factory=dict)
    """``st.metric`` label -> value shown, as the page drew them."""

    @property
    def ok(self) -> bool:
        return self.seconds is not None and not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "page": self.page, "action": self.action, "started": round(self.started, 4),
            "seconds": None if self.seconds is None else round(self.seconds, 5), "messages": self.messages,
            "bytes": self.bytes, "cache_refs": self.cache_refs, "script_runs": self.script_runs,
            "errors": [list(e) for e in self.errors],
        }


def _check_loopback(base_url: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme != "http" or parts.hostname != LOOPBACK or parts.port is None:
        raise ValueError(f"the load-test client only talks to http://{LOOPBACK}:<port>, not {base_url!r}")
    return parts


def xsrf_cookie(base_url: str, timeout: float = 30.0) -> tuple[str, str]:
    """What a browser does before it opens the WebSocket: fetch the page, then the health check,
    which sets the ``_streamlit_xsrf`` cookie. Returns (Cookie header, token)."""
    _check_loopback(base_url)
    with urllib.request.urlopen(base_url + "/", timeout=timeout) as r:
        r.read()
    with urllib.request.urlopen(base_url + "/_stcore/health", timeout=timeout) as r:
        r.read()
        cookies = r.headers.get_all("Set-Cookie") or []
    for c in cookies:
        name, _, rest = c.partition("=")
        if name.strip() == "_streamlit_xsrf":
            value = rest.split(";", 1)[0]
            return f"_streamlit_xsrf={value}", value
    return "", ""  # XSRF protection off: the front end then sends a placeholder


@dataclass
class _Widget:
    id: str
    options: list[str]


class Session:
    """One browser tab on the dashboard. Not thread-safe; use from one asyncio task."""

    def __init__(self, base_url: str, *, query_string: str = "", timeout: float = 60.0,
                 timezone: str = "Europe/London", locale: str = "en-GB") -> None:
        parts = _check_loopback(base_url)
        self.base_url = base_url
        self.ws_url = f"ws://{parts.hostname}:{parts.port}/_stcore/stream"
        self.query_string = query_string
        self.timeout = timeout
        self.timezone, self.locale = timezone, locale
        self.ws: Any = None
        self.page_hashes: dict[str, str] = {}
        """URL path -> page_script_hash, from the server's ``navigation`` message. The default page's
        URL path is '' (Streamlit serves it at the root URL; a link to its url_path is "page not
        found")."""
        self.widgets: dict[str, _Widget] = {}
        """Query-param-bound multiselects of the last run, by query key (force, team, officer)."""
        self.chosen: dict[str, list[str]] = {}
        """Widget values the user changed, by query key (sent on every rerun, as a browser does)."""
        self._cache: dict[str, list] = {}  # message hash -> [script run count when last used, message]
        self._runs = 0
        self._max_age = 2
        self.script_runs = 0
        """script_finished messages seen (including early ones)."""
        self.session_id = ""
        self.closed_reason = ""

    # -- connection ---------------------------------------------------------------------------
    async def connect(self) -> None:
        cookie, token = await asyncio.to_thread(xsrf_cookie, self.base_url, self.timeout)
        headers = {"Cookie": cookie} if cookie else {}
        protocols = ["streamlit", token or "PLACEHOLDER_AUTH_TOKEN"]
        self.ws = await asyncio.wait_for(
            connect(self.ws_url, origin=self.base_url, subprotocols=protocols, additional_headers=headers,
                    max_size=None, open_timeout=self.timeout),
            self.timeout,
        )
        if self.ws.subprotocol != "streamlit":
            raise ProtocolError(f"server chose subprotocol {self.ws.subprotocol!r}")

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 5)
            except Exception:  # noqa: BLE001 - closing a broken socket; nothing left to report
                pass
            self.ws = None

    # -- requests -----------------------------------------------------------------------------
    def _back_msg(self, page: str) -> BackMsg:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        if page in self.page_hashes:
            cs.page_script_hash = self.page_hashes[page]
        else:  # first load: the URL path, as a deep link
            cs.page_name = page
        cs.widget_states.SetInParent()
        for key, values in self.chosen.items():
            w = self.widgets.get(key)
            if w is None:
                continue
            state = cs.widget_states.widgets.add()
            state.id = w.id
            state.string_array_value.SetInParent()
            state.string_array_value.data.extend(values)
        cs.cached_message_hashes.extend(self._cache)
        cs.context_info.timezone = self.timezone
        cs.context_info.timezone_offset = 0
        cs.context_info.locale = self.locale
        cs.context_info.url = f"{self.base_url}/{page}" + (f"?{self.query_string}" if self.query_string else "")
        cs.context_info.is_embedded = False
        cs.context_info.color_scheme = "light"
        return msg

    def choose(self, key: str, values: list[str]) -> None:
        """Set a sidebar multiselect (``force``, ``team``, ``officer``) as a user would; [] = all.

        The widget state goes with every later rerun, and the URL's query string is updated the
        way the front end writes a bound multiselect (``urlFormat: "repeated"``, key removed when
        empty)."""
        self.chosen[key] = list(values)
        pairs = [(k, v) for k, v in urllib.parse.parse_qsl(self.query_string, keep_blank_values=True) if k != key]
        pairs += [(key, v) for v in values]
        self.query_string = urllib.parse.urlencode(pairs)

    def signature(self) -> tuple:
        """The options of every URL-bound multiselect in the last run. Narrowing the force changes the
        team options, narrowing the team the officer options: a filter change that reached the
        server changes this."""
        return tuple((k, tuple(w.options)) for k, w in sorted(self.widgets.items()))

    def options(self, key: str) -> list[str]:
        w = self.widgets.get(key)
        return list(w.options) if w else []

    async def rerun(self, page: str, action: str = "page", label: str | None = None) -> Rerun:
        """Ask for one rerun of ``page`` (a URL path such as ``stl_watch``; '' = the default page at
        the root URL) and wait for its end. ``label`` names the page in the result (default: page)."""
        r = Rerun(page=label or page, action=action, started=time.monotonic())
        if self.ws is None:
            r.errors.append(("disconnect", "not connected"))
            return r
        t0 = time.perf_counter()
        try:
            await self.ws.send(self._back_msg(page).SerializeToString())
            deadline = time.monotonic() + self.timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                data = await asyncio.wait_for(self.ws.recv(), left)
                r.messages += 1
                r.bytes += len(data)
                fm = ForwardMsg()
                fm.ParseFromString(data)
                if self._handle(fm, r):
                    r.seconds = time.perf_counter() - t0
                    break
        except TimeoutError:
            r.errors.append(("timeout", f"no script_finished within {self.timeout:g} s"))
            await self.close()
        except ConnectionClosed as exc:
            r.errors.append(("disconnect", f"{exc.__class__.__name__}: {exc}"[:300]))
            self.ws = None
        except (OSError, InvalidHandshake) as exc:
            r.errors.append(("disconnect", f"{exc.__class__.__name__}: {exc}"[:300]))
            await self.close()
        except ProtocolError as exc:
            r.errors.append(("protocol", str(exc)[:300]))
        r.query_string = self.query_string
        return r

    # -- responses ----------------------------------------------------------------------------
    def _handle(self, fm: ForwardMsg, r: Rerun) -> bool:
        """Process one ForwardMsg; True when it ends the rerun."""
        kind = fm.WhichOneof("type")
        if kind == "ref_hash":
            held = self._cache.get(fm.ref_hash)
            if held is None:
                raise ProtocolError(f"server referred to message {fm.ref_hash} the client does not hold")
            held[0] = self._runs
            r.cache_refs += 1
            cached = ForwardMsg()
            cached.ParseFromString(held[1])
            cached.metadata.CopyFrom(fm.metadata)
            fm, kind = cached, cached.WhichOneof("type")
        elif fm.metadata.cacheable and fm.hash and fm.hash not in self._cache:
            self._cache[fm.hash] = [self._runs, fm.SerializeToString()]
        if kind == "delta":
            if fm.delta.WhichOneof("type") == "new_element":
                self._element(fm.delta.new_element, r)
        elif kind == "script_finished":
            self.script_runs += 1
            r.script_runs += 1
            status = fm.script_finished
            if status == FINISHED_EARLY:
                return False
            if status == FINISHED_COMPILE_ERROR:
                r.errors.append(("compile_error", "script finished with a compile error"))
            self._age_cache()
            return True
        elif kind == "new_session":
            self.session_id = fm.new_session.initialize.session_id or self.session_id
            self._max_age = fm.new_session.config.max_cached_message_age or self._max_age
            self.widgets = {}
        elif kind == "navigation":
            pages = {}
            for p in fm.navigation.app_pages:
                pages[p.url_pathname] = p.page_script_hash
            self.page_hashes = pages
        elif kind == "page_info_changed":
            self.query_string = fm.page_info_changed.query_string
        elif kind == "page_not_found":
            r.errors.append(("page_not_found", fm.page_not_found.page_name))
        elif kind == "session_event":
            ev = fm.session_event.WhichOneof("type")
            if ev == "script_compilation_exception":
                r.errors.append(("compile_error", fm.session_event.script_compilation_exception.message[:300]))
        return False

    def _element(self, el: Any, r: Rerun) -> None:
        kind = el.WhichOneof("type")
        if kind == "exception":
            ex = el.exception
            r.errors.append(("exception", f"{ex.type}: {ex.message}"[:300]))
        elif kind == "alert" and el.alert.format == Alert.Format.ERROR:
            r.errors.append(("app_error", el.alert.body[:300]))
        elif kind == "metric":
            r.metrics[el.metric.label] = el.metric.body
        elif kind == "multiselect" and el.multiselect.query_param_key:
            m = el.multiselect
            self.widgets[m.query_param_key] = _Widget(m.id, list(m.options))

    def _age_cache(self) -> None:
        """The front end's ForwardMsgCache.incrementRunCount after a finished run."""
        self._runs += 1
        self._cache = {h: e for h, e in self._cache.items() if self._runs - e[0] <= self._max_age}
