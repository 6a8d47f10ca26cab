"""A tiny OpenID Connect provider for browser tests, served from a thread on 127.0.0.1.

It signs in whoever ``provider.user`` names, without asking: /authorize records the
request (nonce, redirect_uri) and redirects straight back with a one-time code; /token
checks the client's credentials, the code and the redirect_uri, and returns an id_token
signed RS256 (joserfc, Authlib's JOSE library since authlib.jose was deprecated;
a key generated per provider) carrying the e-mail and groups
claims. The discovery document, /jwks and /userinfo are what Authlib reads.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey


class MockProvider:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"}, private=True)
        self.user: dict = {}  # the claims of the next sign-in: email, groups, ...
        self.codes: dict[str, dict] = {}
        self.log: list[str] = []  # the paths requested, in order
        self.tokens_issued = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def start(self) -> MockProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "claims_supported": ["sub", "email", "email_verified", "name", "groups"],
        }

    def _claims(self, user: dict) -> dict:
        email = user["email"]
        return {"sub": "sub-" + email, "email": email,
                "email_verified": bool(user.get("email_verified", True)),
                "name": user.get("name", email.split("@")[0]),
                "groups": list(user.get("groups", []))}

    def _id_token(self, grant: dict) -> str:
        now = int(time.time())
        claims = {**self._claims(grant["user"]), "iss": self.issuer, "aud": self.client_id,
                  "iat": now, "exp": now + 300, "auth_time": now}
        if grant.get("nonce"):
            claims["nonce"] = grant["nonce"]
        header = {"alg": "RS256", "kid": "test-key", "typ": "JWT"}
        return jwt.encode(header, claims, self.key)

    def _client_ok(self, headers, form: dict) -> bool:
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        else:
            cid, secret = form.get("client_id", ""), form.get("client_secret", "")
        return cid == self.client_id and secrets.compare_digest(secret, self.client_secret)

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet test output
                pass

            def _json(self, body: dict, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                url = urlparse(self.path)
                provider.log.append(url.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._json(provider.metadata())
                elif url.path == "/jwks":
                    self._json({"keys": [provider.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    if (query.get("client_id") != provider.client_id
                            or query.get("response_type") != "code"
                            or "redirect_uri" not in query):
                        self._json({"error": "invalid_request"}, 400)
                        return
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {"user": dict(provider.user),
                                            "nonce": query.get("nonce"),
                                            "redirect_uri": query["redirect_uri"]}
                    back = {"code": code}
                    if "state" in query:
                        back["state"] = query["state"]
                    self.send_response(302)
                    self.send_header("Location", f"{query['redirect_uri']}?{urlencode(back)}")
                    self.end_headers()
                elif url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    grant = provider.codes.get("access:" + token)
                    if grant is None:
                        self._json({"error": "invalid_token"}, 401)
                    else:
                        self._json(provider._claims(grant["user"]))
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                provider.log.append(url.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in
                        parse_qs(self.rfile.read(length).decode()).items()}
                if url.path != "/token":
                    self._json({"error": "not_found"}, 404)
                    return
                if not provider._client_ok(self.headers, form):
                    self._json({"error": "invalid_client"}, 401)
                    return
                grant = provider.codes.pop(form.get("code", ""), None)  # one use only
                if (form.get("grant_type") != "authorization_code" or grant is None
                        or form.get("redirect_uri") != grant["redirect_uri"]):
                    self._json({"error": "invalid_grant"}, 400)
                    return
                access = secrets.token_urlsafe(16)
                provider.codes["access:" + access] = grant
                provider.tokens_issued += 1
                self._json({"access_token": access, "token_type": "Bearer",
                            "expires_in": 300, "id_token": provider._id_token(grant),
                            "scope": "openid email profile"})

        return Handler
