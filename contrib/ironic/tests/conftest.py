"""Fixtures: a driver-service answering over real HTTP on 127.0.0.1, and tasks of fake nodes."""

import http.server
import json
import threading
from unittest import mock

import pytest
from oslo_config import cfg

from anvil_ironic import conf as anvil_conf  # noqa: F401 (registers [anvil])

CONF = cfg.CONF


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.seen.append((self.path, dict(self.headers)))
        status, body = self.server.answers.get(
            self.path, (404, {'code': 'route.not_found', 'message': 'no route'}))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def service():
    """An HTTP server on 127.0.0.1 answering what the test puts in .answers; [anvil]service_url set to it."""
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    srv.answers = {}
    srv.seen = []
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    CONF.set_override('service_url', 'http://127.0.0.1:%d' % srv.server_port,
                      group='anvil')
    yield srv
    CONF.clear_override('service_url', group='anvil')
    srv.shutdown()
    srv.server_close()


class FakeNode(object):
    def __init__(self, uuid='1be26c0b-03f2-4d2e-ae87-c02d7f33c123',
                 provision_state='available', driver_info=None,
                 driver_internal_info=None):
        self.uuid = uuid
        self.provision_state = provision_state
        self.driver_info = driver_info if driver_info is not None else {
            'anvil_metadata_url':
                'http://127.0.0.1:1/v1/metadata/%s/secret' % uuid}
        self.driver_internal_info = driver_internal_info or {}
        self.instance_info = {}
        self.saved = 0

    def set_driver_internal_info(self, key, value):
        self.driver_internal_info[key] = value

    def del_driver_internal_info(self, key, default_value=None):
        return self.driver_internal_info.pop(key, default_value)

    def save(self):
        self.saved += 1


@pytest.fixture
def task():
    t = mock.Mock()
    t.node = FakeNode()
    t.shared = False
    return t
