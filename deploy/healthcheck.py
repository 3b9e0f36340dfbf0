"""The image's HEALTHCHECK: /healthz of the gunicorn in this container, 0 when it answers 200.

Asked with the root domain as its Host (production's ALLOWED_HOSTS holds no address), over plain
HTTP, which the settings exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT). Standard library
only: it must not load Django every 30 seconds.
"""

from __future__ import annotations

import http.client
import os
import sys


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("BASE_DOMAIN", "localhost")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=4)
    try:
        connection.request("GET", "/healthz", headers={"Host": host})
        status = connection.getresponse().status
    except OSError as error:
        print(f"healthz: {type(error).__name__}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    print(f"healthz: {status}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
