"""An OAuth app written with authlib, a client library no one at Keysmith wrote, driving the
flows against `keysmith serve`. The Rust test (tests/oauth.rs) starts it and approves its
requests with the keysmith command line: this script prints one JSON line per step and, when
it needs a decision, waits for a line on stdin.

    oauth_client.py code BASE CLIENT_ID REDIRECT_URI
    oauth_client.py device BASE CLIENT_ID CLIENT_SECRET

Every request goes to BASE (http://127.0.0.1:port); nothing leaves the machine.
"""

import json
import re
import sys
import time
from urllib.parse import urljoin

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

TIMEOUT = 10
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def say(**fields):
    print(json.dumps(fields), flush=True)


def wait_for_rust():
    line = sys.stdin.readline()
    if not line:
        sys.exit("the test went away")
    return line.strip()


def verify(base, token):
    answer = requests.post(f"{base}/v1/verify", json={"token": token}, timeout=TIMEOUT)
    return answer.json()


def oauth_error(call):
    try:
        call()
    except OAuthError as error:
        return error.error
    return None


def code_flow(base, client_id, redirect_uri):
    client = OAuth2Session(
        client_id,
        redirect_uri=redirect_uri,
        scope="payables:read",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
        timeout=TIMEOUT,
    )
    verifier = generate_token(64)
    url, state = client.create_authorization_url(
        f"{base}/v1/oauth/authorize", code_verifier=verifier
    )
    # The browser: authorize sends it to the wait page, which shows the user code.
    browser = requests.Session()
    to_wait = browser.get(url, allow_redirects=False, timeout=TIMEOUT)
    wait_url = urljoin(base, to_wait.headers["Location"])
    page = browser.get(wait_url, allow_redirects=False, timeout=TIMEOUT)
    user_code = re.search(r"code <strong>([A-Z]{4}-[0-9]{4})</strong>", page.text).group(1)
    say(
        step="waiting",
        authorize_status=to_wait.status_code,
        wait_status=page.status_code,
        user_code=user_code,
        csp=page.headers.get("Content-Security-Policy"),
        refresh=bool(re.search(r'<meta http-equiv="refresh" content="2">', page.text)),
        script="<script" in page.text.lower(),
    )
    wait_for_rust()
    # The page moves on by itself: keep loading it as its meta refresh would.
    for _ in range(20):
        page = browser.get(wait_url, allow_redirects=False, timeout=TIMEOUT)
        if page.status_code == 302:
            break
        time.sleep(0.5)
    callback = page.headers["Location"]
    again = browser.get(wait_url, allow_redirects=False, timeout=TIMEOUT).status_code
    token = client.fetch_token(
        f"{base}/v1/oauth/token", authorization_response=callback, code_verifier=verifier
    )
    first = verify(base, token["access_token"])
    spent = token["refresh_token"]
    refreshed = client.refresh_token(f"{base}/v1/oauth/token", refresh_token=spent)
    rotated = refreshed["refresh_token"] != spent
    live = verify(base, refreshed["access_token"])
    reuse = oauth_error(
        lambda: client.refresh_token(f"{base}/v1/oauth/token", refresh_token=spent)
    )
    after_reuse = verify(base, refreshed["access_token"])
    say(
        step="done",
        callback_state_ok=f"state={state}" in callback,
        wait_after_redirect=again,
        token_type=token["token_type"],
        expires_in=token["expires_in"],
        access_prefix=token["access_token"][:7],
        refresh_prefix=token["refresh_token"][:7],
        first=first,
        rotated=rotated,
        live=live,
        reuse_error=reuse,
        after_reuse=after_reuse,
        tokens=[token["access_token"], spent, refreshed["access_token"]],
    )


def device_flow(base, client_id, client_secret):
    client = OAuth2Session(
        client_id,
        client_secret,
        scope="payables:read",
        token_endpoint_auth_method="client_secret_basic",
        timeout=TIMEOUT,
    )
    started = requests.post(
        f"{base}/v1/oauth/device_authorization",
        data={"client_id": client_id, "client_secret": client_secret, "scope": "payables:read"},
        timeout=TIMEOUT,
    ).json()
    fetch = lambda: client.fetch_token(  # noqa: E731
        f"{base}/v1/oauth/token", grant_type=DEVICE_GRANT, device_code=started["device_code"]
    )
    pending = oauth_error(fetch)
    too_soon = oauth_error(fetch)
    say(
        step="waiting",
        user_code=started["user_code"],
        verification_uri=started["verification_uri"],
        interval=started["interval"],
        expires_in=started["expires_in"],
        pending=pending,
        too_soon=too_soon,
    )
    wait_for_rust()
    # As RFC 8628 §3.5 asks: wait the interval between polls, 5 s longer after each slow_down
    # (one so far).
    interval = started["interval"] + 5
    token = None
    for _ in range(3):
        time.sleep(interval)
        try:
            token = fetch()
            break
        except OAuthError as error:
            if error.error == "slow_down":
                interval += 5
            elif error.error != "authorization_pending":
                raise
    active = verify(base, token["access_token"])
    client.revoke_token(f"{base}/v1/oauth/revoke", token=token["refresh_token"])
    after_revoke = verify(base, token["access_token"])
    metadata = requests.get(
        f"{base}/.well-known/oauth-authorization-server", timeout=TIMEOUT
    ).json()
    say(
        step="done",
        active=active,
        after_revoke=after_revoke,
        metadata=metadata,
        tokens=[token["access_token"], token["refresh_token"], started["device_code"]],
    )


if __name__ == "__main__":
    mode, base, *rest = sys.argv[1:]
    {"code": code_flow, "device": device_flow}[mode](base, *rest)
