"""Serve the real app on loopback in a background thread — for tests and benchmarks in one process."""

from __future__ import annotations

import threading
import time

import httpx
import uvicorn
from fastapi import FastAPI


def serve_in_thread(app: FastAPI, port: int, *, timeout: float = 20) -> tuple[uvicorn.Server, threading.Thread, str]:
    """Start ``app`` with uvicorn on 127.0.0.1:``port``; returns once ``/health`` answers."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return server, thread, url
        except httpx.HTTPError:
            time.sleep(0.05)
    server.should_exit = True
    raise RuntimeError("community services did not start")


def stop_server(server: uvicorn.Server, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(timeout=10)
