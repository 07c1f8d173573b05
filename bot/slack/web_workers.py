"""``serve --role web`` with several worker processes (WEB_WORKERS): gunicorn binds PORT and
forks the workers, and each builds its own Slack app and database pool after the fork, so
acks of one process no longer wait behind the work of every request on one GIL."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from bot.slack.server import THREADS, answer_slack_promptly

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

# A worker that answers nothing for this long (a hung database) is replaced; Slack has
# given up on its requests long before.
WORKER_TIMEOUT_S = 60
# On SIGTERM, requests in flight get this long to finish.
GRACEFUL_TIMEOUT_S = 10


class WebWorkers(BaseApplication):  # type: ignore[misc]
    """Serves the WSGI application that ``build`` makes, in ``workers`` processes of
    THREADS threads each on ``host:port``. ``build`` runs in each worker after the fork
    (nothing it opens is shared between processes); ``listening`` is called once the port
    is bound, ``stopped`` once every worker has exited, ``exiting`` in each worker as it
    exits."""

    def __init__(
        self,
        build: Callable[[], WSGIApplication],
        host: str,
        port: int,
        workers: int,
        listening: Callable[[], None],
        stopped: Callable[[], None],
        exiting: Callable[[], None] = lambda: None,
    ) -> None:
        self._build = build
        self._options: dict[str, Any] = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": THREADS,
            "preload_app": False,
            "timeout": WORKER_TIMEOUT_S,
            "graceful_timeout": GRACEFUL_TIMEOUT_S,
            "accesslog": None,
            "when_ready": lambda _arbiter: listening(),
            "on_exit": lambda _arbiter: stopped(),
            # In the worker, once it takes no more requests; the arbiter kills it when the
            # graceful timeout is up.
            "worker_exit": lambda _arbiter, _worker: exiting(),
            "post_fork": lambda _arbiter, _worker: answer_slack_promptly(),
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn 24+ opens a control socket at one path per user: two servers on a
            # host would fight over it, and nothing here uses it.
            self.cfg.set("control_socket_disable", True)

    def load(self) -> WSGIApplication:
        return self._build()

    def serve(self) -> None:
        """Runs until SIGTERM or SIGINT; gunicorn's arbiter then exits the process."""
        self.run()
