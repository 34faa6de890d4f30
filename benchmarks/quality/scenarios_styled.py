"""Scenarios written in styles unlike the first ones: how people and agents really leave facts behind.

Terse notes, a decision buried in the middle of a long reply, a decision the
user states in the prompt, a reversal later in the same session, a comparison
table, bullet lists under headings nobody planned for, a long session whose key
fact comes first, a dead end told by the user, a choice visible only in a
commit message, and a session in Spanish; then a second batch: German, a
user who takes the assistant's choice back for the same file, reasons only in
code comments, a failing build fixed by a pin, a choice as one bullet of a long
structured answer, a Portuguese prompt telling a dead end, and a session of
over a hundred tool calls. They were written from the styles the issue names
(issue 17), not from the summarizer's cues, each batch before the summarizer
was changed for it; ``scenarios.py``
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

# -- a second batch (issue 17, second half), written before the summarizer was changed for them --------------------

_scenario(
    "german-session",
    "Prompt and reply in German: an approach that broke (\"versucht, aber ... bricht ab\"), the choice kept with its "
    "reason (\"weil\"), and what is still open (\"Offen:\").",
    files={"export/buchhaltung.py": "def export(rows, fh):\n    fh.write(render(rows).encode('utf-8'))\n",
           "export/gutschriften.py": "def export(rows, fh):\n    fh.write(render(rows).encode('utf-8'))\n"},
    steps=(
        session("s1", "Der Buchhaltungs-Export ist bei großen Mandanten sehr langsam, und Excel zeigt die Umlaute "
                      "kaputt an. Kannst du dir das ansehen?",
                Read("export/buchhaltung.py"),
                Bash("python bench/export.py --rows 200000 --format xlsx", exit=1,
                     stderr="MemoryError: openpyxl workbook grew past 2 GB"),
                Edit("export/buchhaltung.py", "    fh.write(render(rows).encode('utf-8'))\n",
                     "    writer = csv.writer(io.TextIOWrapper(fh, encoding='utf-8-sig'), delimiter=';')\n"
                     "    writer.writerows(rows)\n"),
                Bash("python bench/export.py --rows 200000", stdout="200000 rows in 3.1 s, peak 48 MB"),
                Bash("pytest export -q", stdout="8 passed"), Commit("Export: CSV gestreamt, utf-8-sig"),
                reply="Ich habe zuerst einen echten XLSX-Export mit openpyxl versucht, aber der bricht bei 200.000 "
                      "Zeilen mit einem MemoryError ab.\n\n"
                      "Jetzt bleibt es bei CSV, aber gestreamt mit `csv.writer` und der Kodierung `utf-8-sig`, weil "
                      "Excel die Umlaute nur mit BOM richtig erkennt. 200.000 Zeilen brauchen 3,1 s bei 48 MB "
                      "Spitzenverbrauch; alle 8 Tests laufen durch.\n\n"
                      "Offen: `export/gutschriften.py` schreibt noch ohne BOM und muss genauso umgestellt werden."),
    ),
    briefs=(Brief("main", files=("export/buchhaltung.py",),
                  expect=(_expect("decision", r"utf-8-sig"), _expect("rationale", r"Umlaute nur mit BOM"),
                          _expect("dead_end", r"openpyxl", hedged=True),
                          _expect("next_step", r"gutschriften\.py")),
                  forbid=(Fact("dead_end", r"XLSX-Export mit openpyxl"),)),),
    searches=(Search("dead_end", "openpyxl xlsx MemoryError", session="s1",
                     paraphrase="why do the accountants not get a native spreadsheet file"),),
)

_scenario(
    "user-reverses-by-file",
    "The assistant picks msgpack for a file; in the next turn the user chooses JSON for the same file with a "
    "reason, and no \"back to\" is ever said: only JSON is current, msgpack is a dead end.",
    files={"queue/codec.py": "def encode(job):\n    return repr(job).encode()\n",
           "queue/worker.py": "def run(raw):\n    job = decode(raw)\n"},
    steps=(
        Session("s1", (
            Turn("Give the job queue a real payload codec in queue/codec.py, pick whatever is fastest",
                 (Read("queue/codec.py"),
                  Bash("python bench/codec.py", stdout="json 41 us, msgpack 13 us, pickle 11 us per job"),
                  Write("queue/codec.py", "import msgpack\n\ndef encode(job):\n    return msgpack.packb(job)\n\n"
                                          "def decode(raw):\n    return msgpack.unpackb(raw)\n"),
                  Bash("pytest queue -q", stdout="15 passed")),
                 "I went with msgpack for `queue/codec.py`: it is about 3x faster than json on the benchmark "
                 "(13 us vs 41 us per job), and pickle is out because workers must never unpickle queue data."),
            Turn("Hmm, the on-call people read payloads straight out of the dead-letter queue with jq. Use JSON in "
                 "queue/codec.py, 40 us per job is nowhere near our bottleneck.",
                 (Write("queue/codec.py", "import json\n\ndef encode(job):\n    return json.dumps(job).encode()\n\n"
                                          "def decode(raw):\n    return json.loads(raw)\n"),
                  Bash("pytest queue -q", stdout="15 passed"), Commit("queue: JSON payload codec")),
                 "Done: `queue/codec.py` encodes jobs as JSON, so dead-letter payloads can be read with jq. 15 tests "
                 "pass."),
        )),
    ),
    briefs=(Brief("main", files=("queue/codec.py",),
                  expect=(_expect("decision", r"JSON"), _expect("rationale", r"dead-letter|with jq"),
                          _expect("dead_end", r"msgpack", hedged=True)),
                  forbid=(Fact("dead_end", r"went with msgpack"),)),),
    searches=(Search("decision", "queue codec json msgpack", session="s1",
                     paraphrase="what wire format do background tasks travel in"),),
)

_scenario(
    "reason-in-code-comment",
    "The reply says nothing; the choice and its reasons are written only as comments in the code the session edits.",
    files={"auth/passwords.py": "from argon2 import PasswordHasher\n\nhasher = PasswordHasher()\n",
           "auth/settings.py": "LOGIN_ATTEMPTS = 5\n"},
    steps=(
        session("s1", "password hashing breaks on the new base image, fix",
                Read("auth/passwords.py"),
                Bash("pytest auth -q", exit=1, stderr="ImportError: argon2 backend unavailable in FIPS mode"),
                Edit("auth/passwords.py", "from argon2 import PasswordHasher\n\nhasher = PasswordHasher()\n",
                     "from auth.bcrypt_hasher import BcryptHasher\n\n"
                     "# bcrypt, not argon2: the FIPS build of the base image ships no argon2 backend.\n"
                     "hasher = BcryptHasher(rounds=BCRYPT_ROUNDS)\n"),
                Edit("auth/settings.py", "LOGIN_ATTEMPTS = 5\n",
                     "LOGIN_ATTEMPTS = 5\n# 12 rounds, not 14: 14 took 900 ms per login on the small pods\n"
                     "BCRYPT_ROUNDS = 12\n"),
                Bash("pytest auth -q", stdout="27 passed"), Commit("auth: bcrypt hasher"),
                reply="Fixed, auth tests green."),
    ),
    briefs=(Brief("main", files=("auth/passwords.py",),
                  expect=(_expect("decision", r"bcrypt"), _expect("rationale", r"FIPS"),
                          _expect("rationale", r"900 ms per login"))),),
    searches=(Search("decision", "bcrypt argon2 FIPS", session="s1",
                     paraphrase="which credential digest algorithm do sign-ins rely on"),),
)

_scenario(
    "build-fails-then-passes",
    "Terse: the test run fails, a version pin changes, the same command passes. What broke and what fixed it are "
    "the facts; the reply is two words.",
    files={"pyproject.toml": "[project]\nname = \"ledger\"\nrequires-python = \">=3.10\"\n",
           ".github/workflows/ci.yml": "python-version: '3.10'\n", "ledger/clock.py": "from datetime import UTC\n"},
    steps=(
        session("s1", "ci red on main",
                Bash("pytest -q", exit=1, stderr="ImportError: cannot import name 'UTC' from 'datetime' "
                                                  "(python 3.10)"),
                Read("ledger/clock.py"),
                Edit("pyproject.toml", "requires-python = \">=3.10\"", "requires-python = \">=3.11\""),
                Edit(".github/workflows/ci.yml", "python-version: '3.10'", "python-version: '3.12'"),
                Bash("pytest -q", stdout="212 passed"), Commit("ci on 3.12"),
                reply="green now."),
        session("s2", "add a changelog entry for the ci fix",
                Write("CHANGELOG.md", "## Unreleased\n- CI on Python 3.12\n"), Commit("changelog"),
                reply="added"),
    ),
    briefs=(Brief("main", files=("ledger/clock.py",),
                  expect=(_expect("rationale", r"cannot import name 'UTC'"),
                          _expect("decision", r">=3\.11|3\.12"))),),
    searches=(Search("rationale", "ImportError UTC datetime", session="s1",
                     paraphrase="why did the interpreter minimum go up"),),
)

_scenario(
    "decision-in-a-bullet-of-a-long-answer",
    "A long structured answer (headings, many bullets); the choice and its reason are one bullet in the middle, "
    "written without any choice verb, and the caveat is a bullet under \"Caveats\".",
    files={"api/ratelimit.py": "# nginx does it\n", "deploy/nginx.conf": "limit_req zone=api burst=20;\n",
           "api/middleware.py": "MIDDLEWARE = []\n"},
    steps=(
        session("s1", "Big customers keep getting 429s they shouldn't, look into the rate limiting",
                Read("deploy/nginx.conf"), Read("api/middleware.py"),
                Bash("python scripts/top_ips.py --429", stdout="10.0.8.1 71% of 429s (NAT of 14 customers)"),
                Write("api/ratelimit.py", "class TokenBucket:\n    def __init__(self, redis, key, rate):\n"
                                          "        ...\n"),
                Edit("api/middleware.py", "MIDDLEWARE = []\n", "MIDDLEWARE = [RateLimit(per='api_key')]\n"),
                Edit("deploy/nginx.conf", "limit_req zone=api burst=20;\n", ""),
                Bash("pytest api -q", stdout="44 passed"), Commit("Rate limit per API key in the app"),
                reply="## What I found\n\n"
                      "- 71% of the 429s come from one address, `10.0.8.1`.\n"
                      "- That address is the NAT gateway of a hosting provider that 14 of our customers share.\n"
                      "- nginx's `limit_req` keys on the client address, so those 14 customers share one bucket.\n\n"
                      "## What changed\n\n"
                      "- `api/ratelimit.py`: a token bucket in Redis, one per API key.\n"
                      "- Limiting happens in the app per API key now, no longer in nginx per IP: nginx never sees "
                      "the API key, only the address, and an address can stand for many customers.\n"
                      "- `api/middleware.py` installs the middleware for every route.\n"
                      "- The `limit_req` line is gone from `deploy/nginx.conf`.\n"
                      "- 44 tests pass, 6 of them new.\n\n"
                      "## Caveats\n\n"
                      "- Unauthenticated endpoints (login, signup) have no limit at all now; they need an IP-based "
                      "limit of their own.\n"),
    ),
    briefs=(Brief("main", files=("api/ratelimit.py",),
                  expect=(_expect("decision", r"per API key"), _expect("rationale", r"never sees the API key"),
                          _expect("next_step", r"Unauthenticated endpoints|IP-based limit"))),),
    searches=(Search("decision", "rate limit api key nginx", session="s1",
                     paraphrase="how are request quotas enforced for each caller's credential"),),
)

_scenario(
    "user-dead-end-portuguese",
    "A terse prompt in Portuguese names what the user already tried without success (\"já tentei X, não "
    "resolveu\"); the session finds the cause in English.",
    files={"db/pool.py": "POOL_SIZE = 50\n", "reports/daily.py": "def build():\n    rows = session.query(Sale).all()\n"},
    steps=(
        session("s1", "relatório diário travando o banco de novo. já tentei aumentar o pool de conexões pra 50, não "
                      "resolveu",
                Read("reports/daily.py"),
                Bash("python -m scripts.pg_activity --long", stdout="SELECT * FROM sales ... 14 min, seq scan"),
                Edit("reports/daily.py", "    rows = session.query(Sale).all()\n",
                     "    rows = session.query(Sale).filter(Sale.day == day).yield_per(5000)\n"),
                Write("migrations/0212_sales_day_idx.sql", "CREATE INDEX CONCURRENTLY sales_day_idx ON sales (day);\n"),
                Bash("python -m scripts.pg_activity --long", stdout="no query over 5 s"),
                Commit("Daily report reads one day through an index"),
                reply="The daily report loaded the whole `sales` table (a 14-minute sequential scan) and held a "
                      "connection the entire time. It now reads only the report's day, through the new "
                      "`sales_day_idx` index, in batches of 5,000; the longest query is under 5 s."),
    ),
    briefs=(Brief("main", files=("reports/daily.py",),
                  expect=(_expect("decision", r"sales_day_idx|only the report's day"),
                          _expect("dead_end", r"pool", hedged=True)),
                  forbid=(Fact("dead_end", r"aumentar o pool"),)),),
    searches=(Search("dead_end", "pool conexões relatório", session="s1",
                     paraphrase="did allowing more simultaneous database links help the nightly summary"),),
)

_HUNDRED_TOOLS = tuple(
    tool for n in range(34) for tool in (
        Read(f"app/models/m{n:02d}.py"),
        Edit(f"app/models/m{n:02d}.py", "customer", "account"),
        Bash(f"pytest app/models/test_m{n:02d}.py -q", stdout=f"{2 + n % 5} passed"),
    ))

_scenario(
    "hundred-tool-session-rule-first",
    "The user's first prompt carries a rule and its reason, the first reply a dead end; then more than a hundred "
    "tool calls of routine renaming over four turns bury both.",
    files={"legacy/checksums.txt": "m00 9f1c\n", "Makefile": "fixtures:\n\tpython scripts/fixtures.py\n",
           **{f"app/models/m{n:02d}.py": "def load(customer):\n    return customer\n" for n in range(34)}},
    steps=(
        Session("s1", (
            Turn("Rename customer to account across app/models. Heads up: legacy/ is frozen, never edit anything "
                 "under it, because the auditors sign off on its checksums every quarter.",
                 (Read("legacy/checksums.txt"), Read("Makefile"),
                  Bash("make fixtures", exit=2, stderr="refusing: legacy/checksums.txt would change (12 files)")),
                 "Understood, nothing under `legacy/` will change. I tried regenerating the test fixtures with "
                 "`make fixtures` first, but it rewrites `legacy/checksums.txt`, so I dropped that and will rename "
                 "the fixtures by hand."),
            Turn("ok go", _HUNDRED_TOOLS[:36], "Models m00 to m11 are renamed; their tests pass."),
            Turn("continue", _HUNDRED_TOOLS[36:72], "m12 to m23 done."),
            Turn("finish it", _HUNDRED_TOOLS[72:], "All 34 models use `account` now."),
            Turn("commit", (Bash("pytest app -q", stdout="136 passed"), Commit("Rename customer to account")),
                 "Committed; 136 tests pass."),
        )),
    ),
    briefs=(Brief("main", files=("app/models/m05.py",),
                  expect=(_expect("convention", r"legacy/.{0,40}(frozen|never edit)"),
                          _expect("rationale", r"auditors"),
                          _expect("dead_end", r"make fixtures", hedged=True))),),
    searches=(Search("convention", "legacy frozen checksums auditors", session="s1",
                     paraphrase="which old folder must stay untouched for compliance review"),),
)
