"""Scenarios written in styles unlike the first ones: how people and agents really leave facts behind.

Terse notes, a decision buried in the middle of a long reply, a decision the
user states in the prompt, a reversal later in the same session, a comparison
table, bullet lists under headings nobody planned for, a long session whose key
fact comes first, a dead end told by the user, a choice visible only in a
commit message, and a session in Spanish. They were written from the styles
the issue names (issue 17), not from the summarizer's cues; ``scenarios.py``
appends them to ``SCENARIOS`` (``run.py --set styled`` runs them alone).
"""

from __future__ import annotations

from quality.dsl import Bash, Brief, Commit, Edit, Fact, Read, Scenario, Search, Session, Turn, Write, session

STYLED: list[Scenario] = []


def _scenario(*args, **kw) -> None:
    STYLED.append(Scenario(*args, **kw))


def _expect(kind: str, pattern: str, hedged: bool = False) -> Fact:
    return Fact(kind, pattern, hedged)


_scenario(
    "terse-notes-sse",
    "Replies in clipped notes, no full sentences: the choice, its reason and the todo are still facts.",
    files={"live/feed.py": "def connect(ws):\n    ws.accept()\n", "web/live.js": "const ws = new WebSocket(URL);\n",
           "requirements.txt": "httpx==0.26\n"},
    steps=(
        session("s1", "ws keeps dropping for corp users?",
                Read("live/feed.py"),
                Bash("wscat -c wss://staging.local/feed", exit=1, stderr="disconnected (code: 1006) after 60s idle"),
                Write("live/feed.py", "def stream(req):\n    return EventSource(req, retry_ms=3000)\n"),
                Edit("web/live.js", "const ws = new WebSocket(URL);\n", "const es = new EventSource(URL);\n"),
                Bash("pytest live -q", stdout="6 passed"), Commit("feed: ws -> sse"),
                reply="ok. ws -> SSE. corp proxy kills idle ws @60s, sse reconnects on its own. 6 passed.\n"
                      "todo: Last-Event-ID replay"),
        session("s2", "bump httpx", Edit("requirements.txt", "httpx==0.26", "httpx==0.27"), Commit("deps"),
                reply="done, 0.27"),
    ),
    briefs=(Brief("main", files=("live/feed.py",),
                  expect=(_expect("decision", r"SSE"), _expect("rationale", r"proxy kills idle ws"),
                          _expect("next_step", r"Last-Event-ID"))),),
    searches=(Search("decision", "sse websocket", session="s1",
                     paraphrase="how does the browser get pushed updates from the server"),
              Search("next_step", "Last-Event-ID replay", session="s1",
                     paraphrase="what is missing for continuing after a lost link")),
)

_scenario(
    "decision-buried-mid-reply",
    "A verbose reply: what was looked at, then the choice and its reason in the middle, then tests, naming, CI and "
    "an offer; the open item sits just before the closing offer.",
    files={"media/thumbs.py": "from PIL import Image\n\ndef thumb(path):\n    return Image.open(path).resize((256, 256))\n",
           "media/avatars.py": "from PIL import Image\n"},
    steps=(
        session("s1", "Thumbnail generation crashes the worker on big uploads, sort it out",
                Read("media/thumbs.py"),
                Bash("python bench/thumbs.py --size 40mp", exit=1, stderr="MemoryError: worker exceeded 512 MB"),
                Write("media/thumbs.py", "import pyvips\n\ndef thumb(path):\n    return pyvips.Image.thumbnail(path, 256)\n"),
                Bash("python bench/thumbs.py --size 40mp", stdout="peak 61 MB, 0.4 s/image"),
                Bash("pytest media -q", stdout="19 passed"), Commit("Thumbnails with pyvips"),
                reply="I started by reproducing the crash with the 40-megapixel fixture from the bug report, and it "
                      "fails the same way locally: the worker is killed at its memory limit a few seconds into the "
                      "resize. I also checked the upload path and the queue settings in case the problem was "
                      "upstream, but both look fine — the uploads arrive intact and the job is only picked up "
                      "once.\n\n"
                      "The thumbnails are now generated with pyvips (libvips) instead of Pillow. Pillow decodes the "
                      "whole full-resolution image into memory before resizing, so a 40 MP upload needed more than "
                      "the worker's 512 MB; libvips streams the image and peaks at 61 MB on the same file, and it is "
                      "faster too (0.4 s per image).\n\n"
                      "On the testing side I kept the existing 256 px expectations and added the 40 MP fixture to "
                      "the media tests, which all pass (19 passed). I left the function name `thumb()` as it was so "
                      "the callers in the upload view do not change, and the CI image already ships libvips, so "
                      "no Dockerfile change was needed.\n\n"
                      "One thing I did not touch: `media/avatars.py` still crops avatars with Pillow and will hit "
                      "the same limit on large profile pictures.\n\n"
                      "Let me know if you want me to port the avatar cropper as well, or to add a memory benchmark "
                      "to CI."),
    ),
    briefs=(Brief("main", files=("media/thumbs.py",),
                  expect=(_expect("decision", r"pyvips|libvips"), _expect("rationale", r"512 MB"),
                          _expect("next_step", r"avatars\.py"))),),
    searches=(Search("decision", "pyvips Pillow thumbnails", session="s1",
                     paraphrase="which toolkit makes small previews of huge photos"),),
)

_scenario(
    "user-states-the-decision",
    "The user makes the decision in the prompt, with the rule and the reason; the reply only reports the work.",
    files={"billing/invoices.py": "class Invoice:\n    id: int\n", "migrations/0106_invoices.sql": "-- invoices\n",
           "docs/changelog.md": "# Changelog\n"},
    steps=(
        session("s1", "We're standardising on UUIDv7 for all new primary keys, not bigint sequences - shard merges "
                      "keep colliding on sequence ids. Convert the invoices table first.",
                Read("billing/invoices.py"),
                Write("migrations/0107_invoices_uuid.sql", "ALTER TABLE invoices ALTER COLUMN id TYPE uuid;\n"),
                Edit("billing/invoices.py", "    id: int\n", "    id: UUID = field(default_factory=uuid7)\n"),
                Bash("pytest billing -q", stdout="31 passed"), Commit("Invoices keyed by UUIDv7"),
                reply="Converted `invoices.id` in migration 0107 and updated the `Invoice` model to generate its "
                      "id with `uuid7()`. The billing tests pass (31 passed)."),
        session("s2", "Add the 2.4 release notes",
                Edit("docs/changelog.md", "", "\n## 2.4\n- Faster invoice search\n"), Commit("Changelog 2.4"),
                reply="Added the 2.4 section to `docs/changelog.md`."),
    ),
    briefs=(Brief("main", files=("billing/invoices.py",),
                  expect=(_expect("convention", r"UUIDv7.{0,40}primary keys"),
                          _expect("rationale", r"shard merges"))),),
    searches=(Search("convention", "uuidv7 primary keys", session="s1",
                     paraphrase="what identifier scheme should fresh records get"),),
)

_scenario(
    "reversal-later-in-session",
    "One session picks an in-process cache, then a requirement arrives and it goes back to Redis: only Redis is "
    "current, the in-process cache is a dead end.",
    files={"tenants/config.py": "def load(tenant):\n    return db.fetch_config(tenant)\n"},
    steps=(
        Session("s1", (
            Turn("Tenant config lookups hit the database on every request, cache them",
                 (Read("tenants/config.py"),
                  Edit("tenants/config.py", "    return db.fetch_config(tenant)\n",
                       "    return _CACHE.get(tenant) or _CACHE.setdefault(tenant, db.fetch_config(tenant))\n"),
                  Bash("pytest tenants -q", stdout="14 passed")),
                 "Added an in-process `TTLCache` (5 minutes) in `tenants/config.py`. I went with the in-process "
                 "cache since it needs no extra infrastructure; the config query disappears from the request "
                 "profile."),
            Turn("Ops says a config change must apply within seconds on all 12 pods",
                 (Edit("tenants/config.py",
                       "    return _CACHE.get(tenant) or _CACHE.setdefault(tenant, db.fetch_config(tenant))\n",
                       "    return redis_cache.get_or_load(tenant, db.fetch_config)\n"),
                  Write("tenants/invalidate.py", "def on_change(tenant):\n    redis.publish('tenant-config', tenant)\n"),
                  Bash("pytest tenants -q", stdout="17 passed")),
                 "That rules out the per-pod cache: a change could take up to 5 minutes to reach every pod. "
                 "Scratch the TTLCache - back to Redis, with pub/sub invalidation, because one publish reaches "
                 "all 12 pods at once. `tenants/invalidate.py` publishes on every config write."),
            Turn("ship it",
                 (Commit("Tenant config cached in Redis with pub/sub invalidation"),),
                 "Committed."),
        )),
    ),
    briefs=(Brief("main", files=("tenants/config.py",),
                  expect=(_expect("decision", r"Redis"), _expect("rationale", r"one publish reaches all 12 pods"),
                          _expect("dead_end", r"TTLCache|in-process cache", hedged=True)),
                  forbid=(Fact("dead_end", r"went with the in-process cache"),)),),
    searches=(Search("decision", "tenant config redis invalidation", session="s1",
                     paraphrase="how do settings edits propagate to each replica quickly"),),
)

_scenario(
    "options-table",
    "The comparison is a Markdown table; the choice is a cell in it.",
    files={"catalog/search.py": "def find(q):\n    return db.fts(q)\n"},
    steps=(
        session("s1", "Product search is too slow on the full catalog, evaluate Postgres FTS vs Meilisearch vs "
                      "Elasticsearch",
                Read("catalog/search.py"),
                Bash("python bench/catalog_search.py --all", stdout="pg_fts p95=340ms meili p95=18ms es p95=22ms"),
                Edit("catalog/search.py", "    return db.fts(q)\n", "    return meili.index('products').search(q)\n"),
                Bash("pytest catalog -q", stdout="12 passed"), Commit("Product search on Meilisearch"),
                reply="Benchmarked the three on the 2M-product catalog:\n\n"
                      "| option | p95 | what it costs to run | verdict |\n"
                      "|---|---|---|---|\n"
                      "| Postgres FTS | 340 ms | nothing new | too slow at 2M rows |\n"
                      "| Meilisearch | 18 ms | one small VM | **chosen** |\n"
                      "| Elasticsearch | 22 ms | a 3-node cluster | more than we need |\n\n"
                      "`catalog/search.py` queries Meilisearch now; 12 tests pass. Remaining: a nightly reindex job."),
    ),
    briefs=(Brief("main", files=("catalog/search.py",),
                  expect=(_expect("decision", r"Meilisearch"), _expect("rationale", r"one small VM|3-node cluster"),
                          _expect("next_step", r"nightly reindex"))),),
    searches=(Search("decision", "meilisearch product search", session="s1",
                     paraphrase="which engine answers shoppers looking for goods"),),
)

_scenario(
    "bullets-under-odd-headings",
    "Open work as bullet lists under headings of the reply's own making.",
    files={"net/tls.py": "STRICT_TLS = False\n", "scripts/certs.sh": "CA=/etc/old-ca.pem\n"},
    steps=(
        session("s1", "Prepare strict TLS for the outbound clients",
                Read("net/tls.py"), Edit("net/tls.py", "STRICT_TLS = False\n", "STRICT_TLS = env_flag('STRICT_TLS')\n"),
                Bash("pytest net -q", stdout="22 passed"), Commit("Strict TLS behind a flag"),
                reply="Strict TLS is behind the `STRICT_TLS` flag, off by default; 22 tests pass with it on.\n\n"
                      "Before we flip `STRICT_TLS` in prod:\n"
                      "- rotate the staging certs (they expire Dec 14)\n"
                      "- ask the payments vendor to allow-list our new egress IP\n\n"
                      "leftovers:\n"
                      "- `scripts/certs.sh` still hardcodes the old CA path"),
    ),
    briefs=(Brief("main", files=("net/tls.py",),
                  expect=(_expect("next_step", r"rotate the staging certs"),
                          _expect("next_step", r"allow-list our new egress IP"),
                          _expect("next_step", r"hardcodes the old CA path"))),),
    searches=(Search("next_step", "staging certs egress", session="s1",
                     paraphrase="what must happen prior to enabling the secure connection switch in production"),),
)

_LONG_TOOLS = tuple(
    tool for n in range(12) for tool in (
        Read(f"sync/handlers/h{n:02d}.py"),
        Edit(f"sync/handlers/h{n:02d}.py", "    return event\n", "    return normalise(event)\n"),
        Bash(f"pytest sync/handlers/test_h{n:02d}.py -q", stdout=f"{3 + n % 4} passed"),
    ))

_scenario(
    "long-session-key-fact-early",
    "The first turn finds the cause and states a rule; forty tool calls of routine work follow in later turns.",
    files={"sync/stripe.py": "def book(event):\n    ledger.add(event)\n",
           **{f"sync/handlers/h{n:02d}.py": "def handle(event):\n    return event\n" for n in range(12)}},
    steps=(
        Session("s1", (
            Turn("The nightly Stripe sync double-counts some refunds, find out why",
                 (Read("sync/stripe.py"), Bash("python -m sync.audit --day 2026-11-30",
                                               stdout="refund re_91 booked twice: charge.refunded, refund.created")),
                 "Found it: `sync/stripe.py` books both `charge.refunded` and `refund.created` for the same refund, "
                 "so every refund that fires both events is counted twice. Rule from now on: only `refund.created` "
                 "is booked; `charge.refunded` is ignored."),
            Turn("Fix it, then normalise the event handlers while you are in there",
                 (Edit("sync/stripe.py", "    ledger.add(event)\n",
                       "    if event.type != 'charge.refunded':\n        ledger.add(event)\n"),
                  *_LONG_TOOLS[:18]),
                 "Fixed the booking and normalised the first six handlers."),
            Turn("Continue with the rest",
                 _LONG_TOOLS[18:],
                 "All twelve handlers go through `normalise()` now."),
            Turn("Commit",
                 (Bash("pytest sync -q", stdout="61 passed"), Commit("Book refunds once; normalise sync handlers")),
                 "Committed: 61 tests pass."),
        )),
    ),
    briefs=(Brief("main", files=("sync/stripe.py",),
                  expect=(_expect("convention", r"only refund\.created is booked"),
                          _expect("rationale", r"counted twice"))),),
    searches=(Search("convention", "refund.created charge.refunded", session="s1",
                     paraphrase="which payment provider notification do we record when money goes back to a buyer"),),
)

_scenario(
    "dead-end-told-by-the-user",
    "The user says what was already tried and did not help; the session finds the real cause.",
    files={"cart/pricing.py": "def total(cart):\n    return sum(line.price * tax_rate(line) for line in cart)\n",
           "deploy/gunicorn.conf.py": "workers = 16\n"},
    steps=(
        session("s1", "Checkout still times out under load. I already tried raising gunicorn workers from 4 to 16, "
                      "didn't help. Find the real cause.",
                Read("cart/pricing.py"),
                Bash("python -m pyinstrument bench/checkout.py", stdout="tax_rate: 212 queries, 2.6 s of 2.8 s"),
                Edit("cart/pricing.py", "tax_rate(line)", "rates[line.region]"),
                Bash("python bench/checkout.py", stdout="p95 310 ms"), Commit("Prefetch tax rates for the cart"),
                reply="The cause is an N+1 query in `cart/pricing.py`: `tax_rate()` ran one query per cart line. "
                      "The rates are prefetched once per cart now, and checkout p95 dropped from 2.8 s to 310 ms."),
    ),
    briefs=(Brief("main", files=("cart/pricing.py",),
                  expect=(_expect("decision", r"N\+1"), _expect("dead_end", r"gunicorn workers", hedged=True)),
                  forbid=(Fact("dead_end", r"raising gunicorn workers"),)),),
    searches=(Search("dead_end", "gunicorn workers checkout timeout", session="s1",
                     paraphrase="did adding more server processes fix the slow purchase flow"),),
)

_scenario(
    "decision-only-in-commit-message",
    "The reply says almost nothing; the choice and its reason are in the commit message's body.",
    files={"uploads/store.py": "ROOT = '/var/uploads'\n\ndef save(f):\n    f.save(ROOT)\n"},
    steps=(
        session("s1", "Fix the upload storage",
                Read("uploads/store.py"),
                Write("uploads/store.py", "import boto3\n\ndef save(f):\n    s3.upload_fileobj(f, BUCKET, f.name, "
                                          "ExtraArgs={'ServerSideEncryption': 'aws:kms'})\n"),
                Bash("pytest uploads -q", stdout="9 passed"),
                Commit("Uploads to S3 with SSE-KMS\n\nNot local disk: pods are ephemeral and lose files on every "
                       "redeploy."),
                reply="Done, tests pass."),
    ),
    briefs=(Brief("main", files=("uploads/store.py",),
                  expect=(_expect("decision", r"S3"), _expect("rationale", r"ephemeral|lose files on every redeploy"))),),
    searches=(Search("decision", "uploads s3 local disk", session="s1",
                     paraphrase="where do user-submitted attachments end up living"),),
)

_scenario(
    "spanish-session",
    "The user and the reply write in Spanish: a dead end (\"Probé X, pero rompe\"), what worked, what is left.",
    files={"geo/lookup.py": "def country(ip):\n    return geoip2.database.Reader(PATH).country(ip)\n"},
    steps=(
        session("s1", "El lookup de país por IP tarda demasiado en cada request, ¿lo puedes acelerar?",
                Read("geo/lookup.py"),
                Edit("geo/lookup.py", "Reader(PATH)", "Reader(PATH, mode=MODE_MEMORY)"),
                Bash("python bench/geo.py", exit=137, stderr="Killed (worker RSS 780 MB, limit 512 MB)"),
                Edit("geo/lookup.py", "def country(ip):\n    return geoip2.database.Reader(PATH, mode=MODE_MEMORY)",
                     "READER = geoip2.database.Reader(PATH)\n\ndef country(ip):\n    return READER"),
                Bash("python bench/geo.py", stdout="p95 0.3 ms (antes: 45 ms)"), Commit("geo: un Reader por proceso"),
                reply="Probé cargar GeoLite2 entera en memoria con `MODE_MEMORY`, pero rompe: cada worker pasa de "
                      "512 MB y el kernel lo mata. Lo que funcionó: abrir el `Reader` una sola vez por proceso (antes "
                      "se abría en cada llamada); el p95 bajó de 45 ms a 0,3 ms.\n\nPendiente: actualizar la base "
                      "cada semana con `geoipupdate`."),
    ),
    briefs=(Brief("main", files=("geo/lookup.py",),
                  expect=(_expect("dead_end", r"MODE_MEMORY", hedged=True),
                          _expect("decision", r"una sola vez por proceso"),
                          _expect("next_step", r"geoipupdate")),
                  forbid=(Fact("dead_end", r"cargar GeoLite2 entera en memoria"),)),),
    searches=(Search("dead_end", "GeoLite2 MODE_MEMORY", session="s1",
                     paraphrase="why not hold the whole location dataset in RAM"),),
)
