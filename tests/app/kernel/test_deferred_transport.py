"""DeferredTransport: requests made before the connection exists go out, in order, once it does."""
from __future__ import annotations

from conch.app.kernel.deferred_transport import PENDING_LIMIT, DeferredTransport
from conch.app.kernel.transport import Message


class Recorder:
    """A transport that records what it is given (the real transport's stand-in for the seam)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.started = False
        self.closed = False
        self.heartbeat_ok = True
        self.kernel_seen = True
        self.dropped_messages = 0

    def start(self, on_message: object, on_problem: object, on_heartbeat: object) -> None:
        self.started = True

    def send(self, channel: str, message: Message) -> None:
        self.sent.append((channel, message["msg_type"]))

    def close(self) -> None:
        self.closed = True


def test_what_was_sent_before_goes_out_in_order_after_activation() -> None:
    deferred = DeferredTransport()
    problems: list[str] = []
    deferred.start(lambda *_: None, problems.append, lambda _ok: None)
    deferred.send("shell", {"msg_type": "kernel_info_request"})
    deferred.send("shell", {"msg_type": "history_request"})
    assert not deferred.active and not deferred.kernel_seen
    real = Recorder()
    deferred.activate(real)
    deferred.send("shell", {"msg_type": "execute_request"})
    assert real.started and real.sent == [("shell", "kernel_info_request"), ("shell", "history_request"),
                                          ("shell", "execute_request")]
    assert problems == []
    deferred.close()
    assert real.closed


def test_a_flood_before_activation_is_bounded_and_reported() -> None:
    deferred = DeferredTransport()
    problems: list[str] = []
    deferred.start(lambda *_: None, problems.append, lambda _ok: None)
    for i in range(PENDING_LIMIT + 5):
        deferred.send("shell", {"msg_type": f"r{i}"})
    real = Recorder()
    deferred.activate(real)
    assert len(real.sent) == PENDING_LIMIT and real.sent[0] == ("shell", "r5")
    assert deferred.dropped_messages == 5 and "5 requests were dropped" in problems[0]


def test_activating_a_closed_transport_closes_the_real_one() -> None:
    deferred = DeferredTransport()
    deferred.close()
    real = Recorder()
    deferred.activate(real)
    assert real.closed and not real.started
