"""Serve the reference SCIM server (scim2-server) for the tests of pulumi-travelperk.

It serves the RFC 7643 schemas of scim2-server plus the TravelPerk User
extension of this folder, and the User (enterprise + TravelPerk extensions)
and Group resource types, from memory, on 127.0.0.1.

Usage: python3 serve.py [--port 0] [--bearer-token TOKEN]

Once the socket listens, it prints one line to stdout:
    listening on http://127.0.0.1:PORT/v2
It stops on SIGTERM, SIGINT, or when its stdin closes (when the test runner dies).
"""

import argparse
import json
import logging
import os
import secrets
import signal
import sys
import threading
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler
from wsgiref.simple_server import WSGIServer
from wsgiref.simple_server import make_server

from scim2_models import ResourceType
from scim2_models import Schema
from scim2_models import ScimProvider

from scim2_server.service import ScimService
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME
from scim2_server.testserver.application import BearerTokenApplication
from scim2_server.memory import InMemoryStorage
from scim2_server.utils import load_default_schemas
from scim2_server.utils import load_default_service_provider_config

HERE = Path(__file__).resolve().parent


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        if os.environ.get("REFERENCE_SCIM_LOG"):
            super().log_message(format, *args)


def load_json(name):
    with open(HERE / name, encoding="utf-8") as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--bearer-token", action="append", default=[])
    args = parser.parse_args()

    logging.basicConfig(
        level=logging.INFO if os.environ.get("REFERENCE_SCIM_LOG") else logging.WARNING
    )

    schemas = list(load_default_schemas().values())
    schemas.append(Schema.model_validate(load_json("travelperk-user.schema.json")))
    resource_types = [
        ResourceType.model_validate(rt) for rt in load_json("resource-types.json")
    ]
    config = load_default_service_provider_config()
    if args.bearer_token:
        config.authentication_schemes = [
            *(config.authentication_schemes or []),
            BEARER_TOKEN_SCHEME,
        ]
    provider = ScimProvider.from_discovery(schemas, resource_types, config=config)
    service = ScimService(provider, secret=secrets.token_urlsafe(32))
    app = BearerTokenApplication(
        InMemoryStorage(), provider, service=service, bearer_tokens=args.bearer_token
    )

    server = make_server(
        args.host,
        args.port,
        app,
        server_class=ThreadingWSGIServer,
        handler_class=QuietHandler,
    )
    port = server.server_address[1]

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def watch_stdin():
        # The parent holds our stdin open; EOF means it went away.
        try:
            while sys.stdin.buffer.read(1024):
                pass
        except Exception:
            pass
        stop()

    if not sys.stdin.isatty():
        threading.Thread(target=watch_stdin, daemon=True).start()

    print(f"listening on http://{args.host}:{port}/v2", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
