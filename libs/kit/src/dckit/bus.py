"""NATS JetStream connection that survives the server being down (it reconnects forever)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import APIError, NotFoundError

from dckit.errors import Unavailable

log = logging.getLogger(__name__)


class EventBus:
    def __init__(
        self,
        url: str,
        stream: str,
        subject_prefix: str,
        name: str,
        *,
        replicas: int = 1,
        max_age_seconds: float = 0.0,
        max_bytes: int = 0,
    ) -> None:
        self.url = url
        self.replicas = replicas  # JetStream stream replicas (3 on a clustered NATS)
        # Stream limits (0 = none): events older or beyond the size leave the stream.
        self.max_age_seconds, self.max_bytes = max_age_seconds, max_bytes
        self.stream = stream
        self.subject_prefix = subject_prefix
        self.name = name
        self._nc: Client | None = None
        self._stream_ready = False
        self._retry: asyncio.Task[None] | None = None

    async def connect(self, wait: float = 2.0) -> None:
        """Connect now if NATS answers within `wait` seconds, else keep trying in the
        background: starting while NATS is down is allowed; events wait in the outbox until
        it comes back.

        Fix: this used to `await` nats.connect(max_reconnect_attempts=-1) directly, but with
        an unlimited attempt count nats-py retries the *initial* connect forever too, so
        connect() never returned while NATS was down (service start-up hung). The connect
        now runs in a task; we wait for it only briefly."""
        self._retry = asyncio.create_task(self._connect_loop())
        done, _ = await asyncio.wait({self._retry}, timeout=wait)
        if not done:
            log.warning("NATS at %s unavailable; connecting in the background", self.url)

    async def _connect_once(self) -> None:
        self._nc = await nats.connect(
            self.url,
            name=self.name,
            connect_timeout=2,
            reconnect_time_wait=1,
            max_reconnect_attempts=-1,  # reconnect forever (the first connect retries too)
            allow_reconnect=True,
        )

    async def _connect_loop(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._connect_once()
                log.info("NATS at %s connected", self.url)
                return
            except Exception as exc:
                log.warning("NATS at %s: %s; retrying", self.url, exc)
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, 10.0)

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    @property
    def client(self) -> Client:
        if self._nc is None:
            raise Unavailable(f"NATS at {self.url} is not connected")
        return self._nc

    async def jetstream(self) -> JetStreamContext:
        js = self.client.jetstream()
        if not self._stream_ready:
            await self._ensure_stream(js)
            self._stream_ready = True
        return js

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        config = StreamConfig(
            name=self.stream,
            subjects=[f"{self.subject_prefix}.>"],
            duplicate_window=120.0,  # seconds in which a repeated Nats-Msg-Id is dropped
            num_replicas=self.replicas,
            max_age=self.max_age_seconds or None,  # None: the server's default, unlimited
            max_bytes=self.max_bytes or None,
        )
        try:
            await js.add_stream(config)
        except APIError as exc:
            try:
                info = await js.stream_info(self.stream)
            except NotFoundError:
                # Not a config clash but a refusal, e.g. 3 replicas on a single NATS server.
                raise Unavailable(f"cannot create stream {self.stream}: {exc.description}") from exc
            current = info.config
            if not current.max_age and (current.max_bytes or -1) < 0 and config.max_age:
                # Created before limits existed: give it ours (it would grow forever).
                current.max_age, current.max_bytes = config.max_age, config.max_bytes
                await js.update_stream(current)
                log.info("stream %s had no limits; set max_age and max_bytes", self.stream)
                return
            # Exists with a different config (e.g. retention tuned by operators): keep it.
            log.info("stream %s exists; leaving its configuration alone", self.stream)

    async def close(self) -> None:
        if self._retry is not None:
            if not self._retry.done():
                self._retry.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._retry
            self._retry = None
        nc, self._nc = self._nc, None
        self._stream_ready = False
        if nc is not None and not nc.is_closed:
            # Fix: drain() raises ConnectionReconnectingError while NATS is down, which left
            # the client reconnecting forever after close(); fall back to a plain close.
            try:
                if nc.is_connected:
                    await nc.drain()
            finally:
                if not nc.is_closed:
                    await nc.close()
