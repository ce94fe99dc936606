"""What the fake API servers of openai_logs.py and anthropic_logs.py share: a JSON
reply, quiet logs, and serving on a free loopback port in a thread."""

import http.server
import json
import threading


class JsonHandler(http.server.BaseHTTPRequestHandler):
    def reply(self, value):
        self.send(json.dumps(value).encode(), "application/json")

    def send(self, data, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def serve(handler):
    """Serve `handler` on 127.0.0.1 at a free port; returns the server (`shutdown()` it)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
