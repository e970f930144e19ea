"""What "ready" means for `bot run`: every server answers a real request, through the
balancer when there is one. `Stack.start` returns (and `bot run` prints "running") only
after `check_ready` passed:

- **every action server** has listed its actions (`GET /actions`, a list that names
  `action_answer_service`) through the action balancer, each server seen answering
  (nginx's `X-Served-By` header);
- **every Rasa replica** has answered a real message through the Rasa balancer: the REST
  webhook, a question that Rasa parses (NLU), turns into a custom action that it runs on
  an action server through the action balancer, and stores in the tracker store under the
  lock store; the reply must be a real answer, not the channel's fault reply. Each
  replica is seen answering (`X-Served-By`). These readiness conversations
  (sender `readiness-…`) are deleted from the tracker store afterwards;
- **the web app** answers `GET /api/health`; it talks to Rasa at the balancer's address,
  which the messages above have just proven.

Without a balancer (`make run`) the same requests go to the one Rasa and action server.
`bot ready --rasa URL --actions URL --web URL` runs the same checks once, against any one
of them (a systemd `ExecStartPost`, a Kubernetes readiness probe: docs/DEPLOYMENT.md).
nginx's passive checks are off (`max_fails=0`, bot/ops/balancer.py), so a replica that
has answered here is one nginx uses: nothing a client did during start-up can make it
answer 502 once "running" is printed.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.names import ACTION_ANSWER_SERVICE
from bot.store.conversations import delete_conversation

# A question every model answers with a custom action (action_answer_service): not shown
# to anyone, and deleted with its conversation.
READINESS_MESSAGE = "hur lång tid tar bygglov?"
READINESS_SENDER_PREFIX = "readiness-"
SERVED_BY = "X-Served-By"
REQUEST_TIMEOUT_SECONDS = 30


class NotReady(Exception):
    """A server did not answer a real request in time; the message says which."""


@dataclass(frozen=True)
class Answer:
    status: int
    served_by: int | None  # the port of the server that answered, per the balancer
    body: Any


def _served_by(header: str | None) -> int | None:
    """The port of the last server nginx tried ("127.0.0.1:5106, 127.0.0.1:5107")."""
    if not header:
        return None
    last = header.split(",")[-1].strip()
    try:
        return int(last.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return None


def request(url: str, body: dict[str, Any] | None = None) -> Answer:
    """GET (or POST `body` as JSON) `url`; status 0 when nothing answered."""
    data = None if body is None else json.dumps(body).encode()
    headers = {} if body is None else {"Content-Type": "application/json"}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data=data, headers=headers),
            timeout=REQUEST_TIMEOUT_SECONDS,
        ) as response:
            raw = response.read()
            status, served = response.status, response.headers.get(SERVED_BY)
    except urllib.error.HTTPError as error:
        return Answer(error.code, _served_by(error.headers.get(SERVED_BY)), None)
    except (OSError, ValueError):
        return Answer(0, None, None)
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    return Answer(status, _served_by(served), parsed)


@dataclass
class ReadinessCheck:
    rasa_url: str | None
    action_url: str | None
    web_url: str | None
    rasa_ports: tuple[int, ...]  # behind the balancer; () when there is none
    action_ports: tuple[int, ...]
    tracker_db_url: str
    timeout: float = 60
    senders: list[str] = field(default_factory=list)

    def _until_each_answers(self, what: str, ports: Iterable[int], ask: Any, answered: Any) -> None:
        """Ask (through the balancer) until every port in `ports` has answered well; with
        no balancer (no ports), until the one server has."""
        missing: set[int | None] = set(ports) or {None}
        deadline = time.monotonic() + self.timeout
        last: Answer | None = None
        while missing:
            if time.monotonic() > deadline:
                names = ", ".join(str(p) for p in sorted(p for p in missing if p is not None))
                raise NotReady(
                    f"{what}{' on port ' + names if names else ''} did not answer a real "
                    f"request within {self.timeout:.0f} s (last answer: HTTP "
                    f"{last.status if last else 'none'})"
                )
            last = ask()
            if answered(last):
                missing.discard(None if None in missing else last.served_by)
            else:
                time.sleep(0.2)

    def action_servers(self) -> None:
        if self.action_url is None:
            return

        def listed(answer: Answer) -> bool:
            names = [a.get("name") for a in answer.body or [] if isinstance(a, dict)]
            return answer.status == 200 and ACTION_ANSWER_SERVICE in names

        self._until_each_answers(
            "an action server",
            self.action_ports,
            lambda: request(f"{self.action_url}/actions"),
            listed,
        )

    def rasa(self) -> None:
        if self.rasa_url is None:
            return
        # Imported here: bot.adapters loads Rasa and TensorFlow (seconds), which `bot ready`
        # and every other `bot` command that never probes Rasa can do without.
        from bot.adapters.channels import ChannelTexts

        fault = ChannelTexts.from_domain().technical_problem

        def ask() -> Answer:
            sender = f"{READINESS_SENDER_PREFIX}{uuid.uuid4().hex}"
            self.senders.append(sender)
            return request(
                f"{self.rasa_url}/webhooks/rest/webhook",
                {"sender": sender, "message": READINESS_MESSAGE},
            )

        def answered(answer: Answer) -> bool:
            texts = [m.get("text") for m in answer.body or [] if isinstance(m, dict)]
            return answer.status == 200 and bool(texts) and fault not in texts

        self._until_each_answers("a Rasa replica", self.rasa_ports, ask, answered)

    def web(self) -> None:
        if self.web_url is None:
            return
        self._until_each_answers(
            "the web app",
            (),
            lambda: request(f"{self.web_url}/api/health"),
            lambda answer: answer.status == 200,
        )

    def forget(self) -> None:
        """Delete the readiness conversations from the tracker store."""
        for sender in self.senders:
            delete_conversation(self.tracker_db_url, sender)
        self.senders.clear()

    def run(self) -> None:
        try:
            self.action_servers()
            self.rasa()
            self.web()
        finally:
            self.forget()
