"""JS-rendered product pages on 127.0.0.1: the facts only exist after scripts run."""

from __future__ import annotations

import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PRODUCTS = [
    "blue kettle", "espresso grinder", "desk lamp", "trail backpack", "wireless mouse",
    "cast iron pan", "yoga mat", "noise cancelling headphones", "standing desk", "rain jacket",
]  # fmt: skip

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Shop - loading</title></head>
<body><main id="app"><p>Loading product...</p></main>
<script>
const product = {data};
setTimeout(() => {{
  document.title = product.name + " | Example Shop";
  document.getElementById("app").innerHTML =
    "<h1>" + product.name + "</h1>" +
    "<p class='price'>Price: " + product.price + " EUR</p>" +
    "<p>Delivery takes " + product.delivery_days + " days. Free returns within 30 days.</p>" +
    "<p>" + product.blurb + "</p>";
}}, 50);
</script></body></html>"""


def make_pages(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    pages = []
    for name in rng.sample(PRODUCTS, min(count, len(PRODUCTS))):
        pages.append(
            {
                "slug": name.replace(" ", "-"),
                "name": name.title(),
                "price": f"{rng.randint(9, 499)}.{rng.choice(['00', '49', '90', '99'])}",
                "delivery_days": rng.randint(2, 9),
                "blurb": f"The {name} is built to last and comes with a two year warranty.",
            }
        )
    return pages


class PageServer:
    """Serves ``/product/<slug>`` for the given pages on an ephemeral loopback port."""

    def __init__(self, pages: list[dict[str, Any]]) -> None:
        by_slug = {page["slug"]: page for page in pages}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                slug = self.path.rstrip("/").rsplit("/", 1)[-1]
                page = by_slug.get(slug)
                if page is None:
                    self.send_error(404)
                    return
                body = PAGE.format(data=json.dumps(page)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> PageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
