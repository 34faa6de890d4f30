import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
LOG = sys.argv[1]
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def _h(self):
        n = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        with open(LOG, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "body": body[:20000]}) + "\n")
        if "generateContent" in self.path or "streamGenerateContent" in self.path:
            resp = {"candidates": [{"content": {"parts": [{"text": "Done. We decided to keep the ledger append-only because audits replay it."}], "role": "model"}, "finishReason": "STOP", "index": 0}],
                    "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15}, "modelVersion": "gemini-2.5-pro"}
            if "alt=sse" in self.path:
                data = ("data: " + json.dumps(resp) + "\r\n\r\n").encode()
                ctype = "text/event-stream"
            else:
                data = json.dumps(resp).encode(); ctype = "application/json"
        elif "countTokens" in self.path:
            data = json.dumps({"totalTokens": 10}).encode(); ctype = "application/json"
        else:
            data = json.dumps({}).encode(); ctype = "application/json"
        self.send_response(200); self.send_header("content-type", ctype); self.send_header("content-length", str(len(data))); self.end_headers(); self.wfile.write(data)
    do_GET = do_POST = _h
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
