"""The scenarios: scripted multi-session histories and what a later session must (not) be told.

Read each one as a test case: the steps are what happened (sessions through the
real hooks, people's git and review actions), ``briefs`` are later sessions
starting and what their SessionStart brief must contain (``expect``) or must not
present as current fact (``forbid``), ``searches`` are `gitmem search` queries
and the record they must list in their top 5. Replies are written the way Claude
Code writes them; the facts are planted in them, in tool calls and in reviews.
"""

from __future__ import annotations

from quality.dsl import (Bash, Brief, Checkout, Commit, CommitAll, Decide, Edit, Fact, Grep, Merge, Pull, Push, Read,
                         Review, Scenario, Search, Session, Sync, Todo, Touch, Turn, Write, session)

PY = "def main():\n    return None\n"


def expect(kind: str, pattern: str, hedged: bool = False) -> Fact:
    return Fact(kind, pattern, hedged)


def forbid(kind: str, pattern: str) -> Fact:
    return Fact(kind, pattern)


SCENARIOS: list[Scenario] = []


def scenario(*args, **kw) -> Scenario:
    s = Scenario(*args, **kw)
    SCENARIOS.append(s)
    return s


# -- decisions and their reasons ----------------------------------------------------------------------

scenario(
    "outbox-decision",
    "A decision with its rationale, then unrelated work; the decision still reaches the next session.",
    files={"payments/app.py": "def post(event):\n    publish(event)\n    ledger.write(event)\n",
           "payments/ledger.py": "def write(event):\n    pass\n", "api/app.py": PY},
    steps=(
        session("s1", "Split the payment service so refunds can be retried safely",
                Read("payments/app.py"), Read("payments/ledger.py"),
                Write("payments/outbox.py", "class Outbox:\n    def add(self, event, tx):\n        tx.insert(event)\n"),
                Edit("payments/app.py", "    publish(event)\n", "    outbox.add(event, tx)\n"),
                Bash("pytest -q", stdout="14 passed in 0.61s"),
                Commit("Publish payment events through an outbox"),
                reply="Done. Payment events now go through `payments/outbox.py`: the handler writes the event row in "
                      "the same transaction as the ledger entry, and a relay publishes it afterwards.\n\n"
                      "We decided to use the transactional outbox pattern because the ledger must stay consistent "
                      "with the events we publish. Tests pass (14 passed)."),
        session("s2", "Add a health check endpoint",
                Write("api/health.py", "def healthz():\n    return {'db': 'ok'}\n"),
                Bash("pytest -q", stdout="15 passed in 0.64s"), Commit("Add /healthz"),
                reply="Added `/healthz` in `api/health.py`; it reports whether the database answers."),
    ),
    briefs=(Brief("main", files=("payments/app.py",),
                  expect=(expect("decision", r"transactional outbox pattern"),
                          expect("rationale", r"ledger must stay consistent"))),),
    searches=(Search("decision", "outbox", session="s1",
                     paraphrase="how do we make sure money bookkeeping and the messages we emit never disagree"),
              Search("rationale", "ledger consistent events", decision=r"outbox",
                     paraphrase="why must accounting records match what gets broadcast to other systems")),
)

scenario(
    "api-versioning",
    "A choice between two designs, with the reason, made in the first of three sessions.",
    files={"api/app.py": PY, "api/routes.py": PY, "docs/api.md": "# API\n"},
    steps=(
        session("s1", "Plan how we version the public API for v2",
                Read("api/app.py"), Read("api/routes.py"),
                Write("api/v2/__init__.py", "from api.v2.routes import router\n"),
                Write("api/v2/routes.py", "router = []\n"), Commit("Add the v2 API package"),
                reply="I set up `api/v2/` with its own router. I chose URL versioning (`/v2/...`) rather than a "
                      "version header, because our CDN caches by URL and a header would need Vary rules on every "
                      "route."),
        session("s2", "Document the v2 endpoints",
                Edit("docs/api.md", "", "\n## v2\n\nAll v2 routes live under /v2/.\n"), Commit("Document v2"),
                reply="Documented the v2 routes in `docs/api.md`."),
        session("s3", "Port the /orders endpoint to v2",
                Edit("api/v2/routes.py", "router = []\n", "router = ['orders']\n"),
                Bash("pytest tests/api -q", stdout="22 passed"), Commit("Port /orders to v2"),
                reply="`/v2/orders` is live and returns the same payload as v1 plus `next_cursor`."),
    ),
    briefs=(Brief("main", files=("api/v2/routes.py",),
                  expect=(expect("decision", r"URL versioning"), expect("rationale", r"CDN caches by URL"))),),
    searches=(Search("decision", "version header", decision=r"URL versioning",
                     paraphrase="which release of our endpoints does a caller get: path prefix or metadata"),
              Search("decision", "v2 orders cursor", session="s3",
                     paraphrase="did the purchases listing move to the new interface generation with paging tokens")),
)

scenario(
    "structlog-multi-turn",
    "One session of three turns: the decision is in the first reply, the open step in the last.",
    files={"app/logging.py": "import logging\n", "worker/main.py": "import logging\nlog = logging.getLogger()\n"},
    steps=(
        Session("s1", (
            Turn("Add structured logging",
                 (Read("app/logging.py"),
                  Write("app/logging.py", "import structlog\nstructlog.configure()\n")),
                 "We'll go with structlog rather than the stdlib's logging.config because it gives us JSON output "
                 "and context bound per request. I set it up in `app/logging.py`."),
            Turn("Now use it in the worker",
                 (Edit("worker/main.py", "log = logging.getLogger()\n", "log = structlog.get_logger()\n"),
                  Bash("pytest -q", stdout="31 passed")),
                 "The worker logs through structlog now, with `job_id` bound to every line."),
            Turn("Great, commit it",
                 (Commit("Structured logging with structlog"),),
                 "Committed. Still to do: switch the API's access log to structlog as well."),
        )),
    ),
    briefs=(Brief("main", files=("worker/main.py",),
                  expect=(expect("decision", r"structlog rather than"), expect("rationale", r"JSON output"),
                          expect("next_step", r"access log"))),),
    searches=(Search("decision", "structlog", session="s1",
                     paraphrase="which library emits machine-readable traces for each web call"),),
)

scenario(
    "date-library-long-history",
    "A decision about one file, then six sessions elsewhere; a session on that file must still get it.",
    files={"util/dates.py": "import arrow\n", "ci/pipeline.yml": "steps: []\n", "docs/index.md": "# Docs\n",
           "api/app.py": PY, "billing/invoice.py": PY, "search/index.py": PY, "auth/login.py": PY},
    steps=(
        session("s1", "Timezone parsing breaks on DST dates, pick a date library that handles it",
                Read("util/dates.py"), Bash("pytest tests/test_dates.py -q", stdout="3 failed, 9 passed"),
                Write("util/dates.py", "import pendulum\n"), Bash("pytest tests/test_dates.py -q", stdout="12 passed"),
                Commit("Use pendulum for dates"),
                reply="We decided to use pendulum instead of arrow because arrow's timezone parsing broke on DST "
                      "transition dates in our tests. `util/dates.py` wraps it; all 12 date tests pass."),
        session("s2", "Cache pip downloads in CI", Edit("ci/pipeline.yml", "steps: []\n", "steps: [cache]\n"),
                Commit("Cache pip in CI"), reply="CI caches pip downloads now; a run takes 3 minutes instead of 5."),
        session("s3", "Fix the broken links in the docs index", Edit("docs/index.md", "", "\n[API](api.md)\n"),
                Commit("Fix docs links"), reply="Fixed 4 broken links in `docs/index.md`."),
        session("s4", "Return 404 instead of 500 for unknown orders", Edit("api/app.py", "return None", "return 404"),
                Commit("404 for unknown orders"), reply="Unknown order ids return 404 now."),
        session("s5", "Show the VAT number on invoices", Edit("billing/invoice.py", "return None", "return vat"),
                Commit("VAT on invoices"), reply="Invoices print the customer's VAT number under the address."),
        session("s6", "Reindex search nightly", Edit("search/index.py", "return None", "return 'nightly'"),
                Commit("Nightly reindex"), reply="Search reindexes at 02:00 UTC every night."),
        session("s7", "Lock accounts after 5 failed logins", Edit("auth/login.py", "return None", "return 5"),
                Commit("Lock after 5 failures"),
                reply="Accounts lock for 15 minutes after 5 failed logins."),
    ),
    briefs=(Brief("main", files=("util/dates.py",),
                  expect=(expect("decision", r"pendulum"), expect("rationale", r"DST"))),
            Brief("main", files=("auth/login.py",),
                  expect=(expect("decision", r"lock for 15 minutes|5 failed logins"),))),
    searches=(Search("decision", "pendulum arrow", decision=r"pendulum",
                     paraphrase="which calendar package do we rely on for clock conversions"),
              Search("rationale", "DST timezone parsing", session="s1",
                     paraphrase="why did daylight saving switchover days go wrong"),
              Search("decision", "failed logins lock", session="s7",
                     paraphrase="what happens after too many wrong password tries")),
)

scenario(
    "merged-feature-branch",
    "Work done on a feature branch that was merged: on main it is fact.",
    files={"webhooks/send.py": "def send(event):\n    post(event)\n", "api/app.py": PY},
    steps=(
        session("s1", "Add retries to webhook deliveries", Read("webhooks/send.py"),
                Write("webhooks/retry.py", "DELAYS = (1, 4, 16)\n"),
                Edit("webhooks/send.py", "    post(event)\n", "    with_retries(post, event)\n"),
                Bash("pytest tests/test_webhooks.py -q", stdout="8 passed"), Commit("Retry webhook deliveries"),
                branch="feature/webhook-retries",
                reply="Webhook deliveries now retry with exponential backoff (1 s, 4 s, 16 s, then give up); the "
                      "policy lives in `webhooks/retry.py`. We decided to cap retries at 3 because receivers time "
                      "out after a minute anyway."),
        Checkout("main"),
        Merge("feature/webhook-retries"),
        CommitAll("Review the webhook decision"),
        session("s2", "Rename the api module's main function", Edit("api/app.py", "def main", "def run"),
                Commit("Rename main to run"), reply="Renamed `main` to `run` in `api/app.py`; nothing else calls it."),
    ),
    briefs=(Brief("main", files=("webhooks/send.py",),
                  expect=(expect("decision", r"cap retries at 3"), expect("rationale", r"time out after a minute"),
                          expect("ownership", r"webhooks/retry\.py"))),),
    searches=(Search("decision", "webhook retries backoff", session="s1",
                     paraphrase="how often do we attempt again when a partner callback endpoint is down"),),
)

scenario(
    "retry-jitter",
    "One reply holds a dead end and the decision that replaced it.",
    files={"client/http.py": "def get(url):\n    return fetch(url)\n"},
    steps=(
        session("s1", "Clients hammer the API after an outage, make the retries gentler",
                Read("client/http.py"),
                Edit("client/http.py", "    return fetch(url)\n", "    return retry(fetch, url, delay=1.0)\n"),
                Bash("python scripts/outage_sim.py", exit=1, stderr="API overloaded: 4,100 requests in the first second"),
                Edit("client/http.py", "delay=1.0", "backoff='full-jitter'"),
                Bash("python scripts/outage_sim.py", stdout="peak 180 requests/s"),
                Commit("Exponential backoff with full jitter"),
                reply="I first tried a fixed 1 s retry delay, but the clients retried in lockstep and overloaded the "
                      "API again (4,100 requests in the first second). We decided to use exponential backoff with "
                      "full jitter instead, because it spreads the retries out: the peak is 180 requests/s now."),
    ),
    briefs=(Brief("main", files=("client/http.py",),
                  expect=(expect("decision", r"full jitter"), expect("rationale", r"spreads the retries"),
                          expect("dead_end", r"fixed 1 ?s retry delay", hedged=True)),
                  forbid=(forbid("dead_end", r"fixed 1 ?s retry delay"),)),),
    searches=(Search("decision", "backoff jitter", session="s1",
                     paraphrase="stop every caller from reconnecting at the same moment after downtime"),),
)

# -- dead ends --------------------------------------------------------------------------------------------

scenario(
    "queue-redis-dead-end",
    "A session fails with Redis and ends; the next one picks Postgres. Redis must be told as a dead end only.",
    files={"jobs/email.py": "def send_welcome(user):\n    smtp.send(user)\n", "jobs/__init__.py": ""},
    steps=(
        session("s1", "Move the email jobs off the request path into a background queue",
                Read("jobs/email.py"), Write("jobs/queue.py", "import redis\nQ = redis.Redis().lpush\n"),
                Bash("pytest tests/test_queue.py -q", exit=1,
                     stdout="FAILED tests/test_queue.py::test_jobs_survive_restart - AssertionError: 3 jobs lost"),
                reply="I tried a Redis list as the job queue, but it did not work: jobs were lost when the worker "
                      "restarted (`test_jobs_survive_restart` fails). Nothing is committed."),
        session("s2", "Use Postgres for the job queue instead",
                Write("jobs/queue.py", "SQL = 'SELECT id FROM jobs FOR UPDATE SKIP LOCKED LIMIT 1'\n"),
                Bash("pytest tests/test_queue.py -q", stdout="9 passed"), Commit("Job queue on Postgres"),
                reply="The queue now uses Postgres with `SELECT ... FOR UPDATE SKIP LOCKED`. We decided to use "
                      "Postgres SKIP LOCKED instead of Redis because we already run Postgres and jobs must survive "
                      "restarts. All 9 queue tests pass."),
    ),
    briefs=(Brief("main", files=("jobs/queue.py",),
                  expect=(expect("decision", r"SKIP LOCKED"), expect("rationale", r"already run Postgres"),
                          expect("dead_end", r"Redis list", hedged=True)),
                  forbid=(forbid("dead_end", r"Redis list"),)),),
    searches=(Search("dead_end", "redis queue", session="s1",
                     paraphrase="which in-memory store dropped our deferred tasks when the consumer rebooted"),
              Search("decision", "skip locked", decision=r"SKIP LOCKED",
                     paraphrase="what database feature lets several consumers grab pending tasks without clashing")),
)

scenario(
    "orjson-dead-end",
    "A change that did not help is reverted; the real fix follows in the next session.",
    files={"api/search.py": "import json\n\ndef render(rows):\n    return json.dumps(rows)\n",
           "migrations/0041_documents.sql": "CREATE TABLE documents (id int);\n"},
    steps=(
        session("s1", "The /search endpoint is slow, speed up the JSON serialization",
                Read("api/search.py"), Edit("api/search.py", "import json\n", "import orjson as json\n"),
                Bash("python bench/search.py", stdout="p95 812 ms (before: 820 ms)"),
                Edit("api/search.py", "import orjson as json\n", "import json\n"),
                Bash("psql -c 'EXPLAIN ANALYZE SELECT * FROM documents WHERE tenant_id = 7'",
                     stdout="Seq Scan on documents (cost=0.00..48211.00) (actual time=0.02..791.4)"),
                reply="Switching to orjson didn't help: p95 only went from 820 ms to 812 ms, so I reverted it. The "
                      "time goes into the `documents` query, which does a sequential scan."),
        session("s2", "Add the missing index on documents",
                Write("migrations/0042_documents_tenant_updated.sql",
                      "CREATE INDEX documents_tenant_updated ON documents (tenant_id, updated_at);\n"),
                Bash("make migrate", stdout="applied 0042"), Bash("python bench/search.py", stdout="p95 95 ms"),
                Commit("Index documents by tenant and update time"),
                reply="Added an index on `documents (tenant_id, updated_at)` in migration 0042; /search p95 is 95 ms "
                      "now, down from 820 ms."),
    ),
    briefs=(Brief("main", files=("api/search.py",),
                  expect=(expect("dead_end", r"orjson", hedged=True),
                          expect("decision", r"tenant_id, updated_at")),
                  forbid=(forbid("dead_end", r"switch(ing|ed)? to orjson"),)),),
    searches=(Search("dead_end", "orjson", session="s1",
                     paraphrase="did a faster encoder library for responses pay off"),
              Search("decision", "documents index tenant", session="s2",
                     paraphrase="what made lookups quick for each customer's files")),
)

scenario(
    "flaky-test-timeout",
    "A fix that did not fix a flaky test, the cause found, and the next step left open.",
    files={"tests/test_upload.py": "TIMEOUT = 5\n", "tests/conftest.py": "PORT = 8765\n"},
    steps=(
        session("s1", "test_sync_upload is flaky on CI, fix it",
                Read("tests/test_upload.py"), Edit("tests/test_upload.py", "TIMEOUT = 5", "TIMEOUT = 30"),
                Bash("pytest tests/test_upload.py --count 50 -q", exit=1,
                     stdout="3 failed, 47 passed: ConnectionRefusedError: [Errno 111] port 8765"),
                Edit("tests/test_upload.py", "TIMEOUT = 30", "TIMEOUT = 5"), Read("tests/conftest.py"),
                reply="Raising the timeout to 30 s did not fix the flake: 3 of 50 runs still fail with "
                      "`ConnectionRefusedError` on port 8765. The cause: the fixture server in `tests/conftest.py` "
                      "and the upload test both bind port 8765 when the tests run in parallel.\n\n"
                      "Next step: give the fixture server a free port (`port=0`) and pass it to the client."),
    ),
    briefs=(Brief("main", files=("tests/test_upload.py",),
                  expect=(expect("dead_end", r"timeout", hedged=True), expect("next_step", r"free port|port=0"),
                          expect("ownership", r"both bind port 8765")),
                  forbid=(forbid("dead_end", r"rais\w+ the timeout to 30"),)),),
    searches=(Search("next_step", "flaky upload port", session="s1",
                     paraphrase="intermittent breakage from two listeners clashing on one socket"),),
)

scenario(
    "report-parallel-dead-end-teammate",
    "Alice's dead end reaches Bob through gitmem sync, told as a dead end.",
    actors=("alice", "bob"),
    files={"reports/nightly.py": "def run():\n    for q in QUERIES:\n        db.execute(q)\n"},
    steps=(
        session("s1", "Speed up the nightly report",
                Read("reports/nightly.py"),
                Edit("reports/nightly.py", "    for q in QUERIES:\n        db.execute(q)\n",
                     "    Pool(4).map(db.execute, QUERIES)\n"),
                Bash("python -m reports.nightly --bench", exit=1,
                     stderr="sqlite3.OperationalError: database is locked"),
                Edit("reports/nightly.py", "    Pool(4).map(db.execute, QUERIES)\n",
                     "    for q in QUERIES:\n        db.execute(q)\n"),
                Bash("python -m reports.nightly --profile", stdout="orders: 8.1 s of 9.0 s"),
                actor="alice",
                reply="Parallelising the report with multiprocessing did not work: SQLite locks the database file and "
                      "the workers fail with `database is locked`, so I reverted it. It turns out the slow part is "
                      "the `orders` query: 8.1 of the 9 seconds."),
        Sync("alice"),
        Sync("bob"),
    ),
    briefs=(Brief("main", actor="bob", files=("reports/nightly.py",),
                  expect=(expect("dead_end", r"multiprocessing", hedged=True),
                          expect("teammate", r"slow part is the orders query"),
                          expect("teammate", r"Alice")),
                  forbid=(forbid("dead_end", r"parallelis\w+ the report with multiprocessing"),)),),
    searches=(Search("teammate", "nightly report slow", session="s1", actor="bob",
                     paraphrase="why does the overnight summary job take so long"),),
)

# -- conventions -----------------------------------------------------------------------------------------------

scenario(
    "tests-next-to-module",
    "A team convention written as a decision, followed by a session, then unrelated work.",
    files={"billing/invoice.py": "def total(lines):\n    return sum(lines)\n", "http/client.py": "TIMEOUT = 5\n"},
    steps=(
        Decide("Tests live next to the module",
               "Put `test_<module>.py` beside the module it tests (`billing/test_invoice.py`), not in a top-level "
               "`tests/` folder.", rationale="A module and its tests move together in refactors."),
        session("s1", "Add tests for invoice rounding",
                Read("billing/invoice.py"),
                Write("billing/test_invoice.py", "def test_rounding():\n    assert total([0.1, 0.2]) == 0.3\n"),
                Bash("pytest billing -q", stdout="4 passed"), Commit("Test invoice rounding"),
                reply="Added `billing/test_invoice.py` with 4 rounding cases, next to `billing/invoice.py` as our "
                      "convention says."),
        session("s2", "Bump the HTTP client timeout to 10 seconds",
                Edit("http/client.py", "TIMEOUT = 5", "TIMEOUT = 10"), Commit("HTTP timeout 10 s"),
                reply="The HTTP client waits 10 s now."),
    ),
    briefs=(Brief("main", files=("billing/invoice.py",),
                  expect=(expect("convention", r"Tests live next to the module"),)),
            Brief("main", files=("http/client.py",),
                  expect=(expect("convention", r"Tests live next to the module"),))),
    searches=(Search("convention", "where do tests live", decision=r"Tests live next to",
                     paraphrase="where do we keep the specs that verify the code"),),
)

scenario(
    "migrations-convention",
    "A convention scoped to a folder by its decision file, and a session that follows it.",
    files={"migrations/0042_orders.sql": "CREATE TABLE orders (id int);\n", "orders/model.py": PY},
    steps=(
        Decide("Never edit a merged migration",
               "Once a migration is merged, never edit it; add a new migration file under `migrations/` instead.",
               files=("migrations/*",), rationale="Environments that already ran it would silently diverge."),
        session("s1", "Add a status column to orders",
                Read("migrations/0042_orders.sql"),
                Write("migrations/0043_orders_status.sql", "ALTER TABLE orders ADD COLUMN status text;\n"),
                Edit("orders/model.py", "return None", "return 'status'"), Commit("Orders have a status"),
                reply="Added migration 0043 for the `status` column; 0042 stays as it was because merged "
                      "migrations are never edited."),
    ),
    briefs=(Brief("main", files=("migrations/0043_orders_status.sql",),
                  expect=(expect("convention", r"never edit"),)),),
    searches=(Search("convention", "edit migration", decision=r"Never edit a merged migration",
                     paraphrase="may I modify a database schema script after it has shipped"),),
)

scenario(
    "never-log-bodies",
    "A rule stated in passing in a reply.",
    files={"payments/app.py": "def charge(req):\n    return gateway.charge(req)\n"},
    steps=(
        session("s1", "Log failed payment attempts",
                Read("payments/app.py"),
                Edit("payments/app.py", "    return gateway.charge(req)\n",
                     "    result = gateway.charge(req)\n    if not result.ok:\n        log.warning('declined', "
                     "order=req.order_id, code=result.code)\n    return result\n"),
                Bash("pytest tests/test_payments.py -q", stdout="12 passed"), Commit("Log declined payments"),
                reply="Failed attempts are logged with the order id and the decline code. Note that we never log "
                      "request bodies: they can carry card numbers."),
        session("s2", "Add the currency to the payment log line",
                Edit("payments/app.py", "code=result.code)", "code=result.code, currency=req.currency)"),
                Commit("Log the currency"), reply="The decline log line has the currency too."),
    ),
    briefs=(Brief("main", files=("payments/app.py",),
                  expect=(expect("convention", r"never log request bodies"),)),),
    searches=(Search("convention", "log request bodies", session="s1",
                     paraphrase="what sensitive data must stay out of our diagnostic output"),),
)

# -- which file owns which concern ---------------------------------------------------------------------------------

scenario(
    "billing-map",
    "An exploration session that changes nothing but maps the package.",
    files={"billing/refunds.py": "def refund(charge, amount):\n    pass\n",
           "billing/webhooks.py": "def verify(sig):\n    pass\n", "billing/charge.py": "def create():\n    pass\n"},
    steps=(
        session("s1", "Where is the refund logic? Map out the billing package for me",
                Grep("def refund", ("billing/refunds.py",)), Read("billing/refunds.py"), Read("billing/webhooks.py"),
                Read("billing/charge.py"),
                reply="Here is how billing is split:\n\n"
                      "- `billing/refunds.py` owns refunds: `refund()` and the partial-refund rules.\n"
                      "- `billing/webhooks.py` verifies Stripe signatures and dispatches the events.\n"
                      "- `billing/charge.py` creates charges and is the only module that talks to the Stripe API.\n\n"
                      "No changes made."),
    ),
    briefs=(Brief("main", files=("billing/refunds.py",),
                  expect=(expect("ownership", r"refunds\.py\W+owns refunds"),
                          expect("ownership", r"webhooks\.py\W+verifies Stripe signatures"),
                          expect("ownership", r"charge\.py.{0,40}only module that talks to the Stripe API"))),),
    searches=(Search("ownership", "refund logic", session="s1",
                     paraphrase="where is the code that gives customers their money back"),
              Search("ownership", "stripe signatures", session="s1",
                     paraphrase="which file checks that incoming provider notifications are authentic")),
)

scenario(
    "feature-flags-home",
    "Where feature flags live and how they are read, learned while adding one.",
    files={"config/flags.py": "FLAGS = {}\n", "checkout/views.py": "def page():\n    return 'old'\n"},
    steps=(
        session("s1", "Add a feature flag for the new checkout",
                Grep("FLAGS", ("config/flags.py",)), Read("config/flags.py"),
                Edit("config/flags.py", "FLAGS = {}", "FLAGS = {'new_checkout': False}"),
                Edit("checkout/views.py", "    return 'old'\n",
                     "    return 'new' if flags.enabled('new_checkout') else 'old'\n"),
                Bash("pytest checkout -q", stdout="6 passed"), Commit("new_checkout flag"),
                reply="Added `new_checkout` to `config/flags.py` and used it in `checkout/views.py`. Feature flags "
                      "are defined only in `config/flags.py`; services read them through `flags.enabled(name)`, "
                      "never from environment variables directly."),
    ),
    briefs=(Brief("main", files=("checkout/views.py",),
                  expect=(expect("ownership", r"flags are defined only in config/flags\.py"),
                          expect("convention", r"never from environment variables"))),),
    searches=(Search("ownership", "feature flag", session="s1",
                     paraphrase="how do we toggle unfinished functionality on and off"),),
)

scenario(
    "welcome-email-home",
    "Which files hold the welcome email, found with Grep, in a session that changes one line.",
    files={"notifications/email.py": "SUBJECT = 'Hi'\n\ndef send_welcome(user):\n    pass\n",
           "templates/welcome.html": "<p>Welcome</p>\n"},
    steps=(
        session("s1", "Where do we send the welcome email? Change its subject line",
                Grep("welcome", ("notifications/email.py", "templates/welcome.html")),
                Read("notifications/email.py"),
                Edit("notifications/email.py", "SUBJECT = 'Hi'", "SUBJECT = 'Welcome to Acme'"),
                Commit("Welcome email subject"),
                reply="The welcome email is sent from `notifications/email.py` (`send_welcome`), and its body lives in "
                      "`templates/welcome.html`. The subject is now \"Welcome to Acme\"."),
    ),
    briefs=(Brief("main", files=("notifications/email.py",),
                  expect=(expect("ownership", r"welcome email is sent from notifications/email\.py"),
                          expect("ownership", r"body lives in templates/welcome\.html"))),),
    searches=(Search("ownership", "welcome email", session="s1",
                     paraphrase="where is the greeting message for new signups"),),
)

# -- open next steps -------------------------------------------------------------------------------------------------

scenario(
    "csv-import-todos",
    "Open items of the session's todo list.",
    files={"contacts/cli.py": PY},
    steps=(
        session("s1", "Add CSV import for contacts",
                Todo((("doing", "Parse the CSV with csv.DictReader"), ("open", "Wire the import into the CLI"),
                      ("open", "Document the --dry-run flag"))),
                Write("contacts/importer.py", "import csv\n\ndef load(path):\n    return list(csv.DictReader(open(path)))\n"),
                Bash("pytest contacts -q", stdout="5 passed"),
                Todo((("done", "Parse the CSV with csv.DictReader"), ("open", "Wire the import into the CLI"),
                      ("open", "Document the --dry-run flag"))),
                Commit("CSV contact parser"),
                reply="The parser is in `contacts/importer.py` and handles quoted fields. Wiring it into the CLI and "
                      "the docs are still open."),
    ),
    briefs=(Brief("main", files=("contacts/importer.py",),
                  expect=(expect("next_step", r"Wire the import into the CLI"),
                          expect("next_step", r"Document the --dry-run flag"))),),
    searches=(Search("next_step", "dry-run flag", session="s1",
                     paraphrase="what is left for bringing in people's address books from spreadsheets"),),
)

scenario(
    "rate-limiter-next-steps",
    "Next steps written as a list at the end of the reply.",
    files={"api/app.py": "def create_app():\n    return App()\n"},
    steps=(
        session("s1", "Implement the rate limiter for the public API",
                Write("api/ratelimit.py", "RATE = 100  # per minute per key\n"),
                Edit("api/app.py", "    return App()\n", "    return App(middleware=[RateLimit()])\n"),
                Bash("pytest tests/test_ratelimit.py -q", stdout="7 passed"), Commit("Token-bucket rate limiter"),
                reply="Added a token-bucket limiter in `api/ratelimit.py` (100 requests/minute per key) and wired it "
                      "into `api/app.py`.\n\nNext steps:\n- Return a `Retry-After` header on 429 responses.\n"
                      "- Move the limits into `config/limits.yaml` so ops can change them without a deploy."),
        session("s2", "Add a README section about API keys",
                Write("docs/keys.md", "# API keys\n"), Commit("Document API keys"),
                reply="Documented how to create and rotate API keys in `docs/keys.md`."),
    ),
    briefs=(Brief("main", files=("api/ratelimit.py",),
                  expect=(expect("next_step", r"Retry-After header"), expect("next_step", r"config/limits\.yaml"))),),
    searches=(Search("next_step", "Retry-After", session="s1",
                     paraphrase="should throttled callers be told when they may come back"),
              Search("ownership", "token bucket", session="s1",
                     paraphrase="which algorithm caps how often one customer may call us")),
)

scenario(
    "pdf-export-resume",
    "Work stops halfway; the next session on the branch must know what is left.",
    files={"reports/export.py": "def export(report):\n    return report.to_csv()\n"},
    steps=(
        session("s1", "Add PDF export to reports",
                Read("reports/export.py"),
                Edit("reports/export.py", "    return report.to_csv()\n",
                     "    if fmt == 'pdf':\n        return render_pdf(report)\n    return report.to_csv()\n"),
                Bash("pytest reports -q", exit=1, stdout="FAILED test_export_pdf_fonts - OSError: cannot find font"),
                branch="feature/pdf-export",
                reply="PDF export renders, but embedded fonts are missing in CI: `test_export_pdf_fonts` fails "
                      "with `cannot find font`. Remaining work: bundle DejaVuSans in `reports/fonts/` and point the "
                      "renderer at it; then add the `--format pdf` option to the CLI."),
    ),
    briefs=(Brief("feature/pdf-export", files=("reports/export.py",),
                  expect=(expect("next_step", r"bundle DejaVuSans"), expect("next_step", r"--format pdf"))),),
    searches=(Search("next_step", "pdf fonts", session="s1",
                     paraphrase="what still blocks printable documents: the typeface problem"),),
)

# -- superseded and rejected decisions -------------------------------------------------------------------------------

scenario(
    "superseded-money",
    "A decision accepted in review, superseded two sessions later: only the new one is current.",
    files={"billing/invoice.py": "class Invoice:\n    pass\n", "billing/tax.py": PY},
    steps=(
        session("s1", "Add an amount field to invoices",
                Read("billing/invoice.py"),
                Edit("billing/invoice.py", "    pass\n", "    amount: float = 0.0\n"),
                Bash("pytest billing -q", stdout="11 passed"), Commit("Invoice amount"),
                reply="Added `amount` to `Invoice`. We decided to store amounts as floats because the payment "
                      "provider's API returns floats."),
        Review("store amounts as floats", "accepted"),
        session("s2", "Add the tax rate table", Edit("billing/tax.py", "return None", "return RATES"),
                Commit("Tax rates"), reply="Tax rates per country are in `billing/tax.py`."),
        session("s3", "Invoice totals are off by a cent on large orders, fix it",
                Read("billing/invoice.py"),
                Bash("pytest billing -k totals -q", exit=1, stdout="assert 100.01 == 100.02"),
                Edit("billing/invoice.py", "    amount: float = 0.0\n", "    amount_cents: int = 0\n"),
                Bash("pytest billing -q", stdout="12 passed"), Commit("Money in integer cents"),
                reply="The totals were off because summing floats loses cents. We decided to switch to integer cents "
                      "instead of floats because float sums drift by a cent on large orders. `Invoice.amount_cents` "
                      "is an int now and the provider's floats are converted once, at the boundary."),
        Review("store amounts as floats", "superseded", superseded_by="integer cents"),
    ),
    briefs=(Brief("main", files=("billing/invoice.py",),
                  expect=(expect("decision", r"integer cents"), expect("rationale", r"drift by a cent")),
                  forbid=(forbid("superseded", r"store amounts as floats"),)),),
    searches=(Search("superseded", "floats amounts", decision=r"integer cents",
                     paraphrase="how should prices be represented to avoid rounding errors"),
              Search("decision", "integer cents", session="s3",
                     paraphrase="what caused the penny discrepancy on big purchases")),
)

scenario(
    "rejected-shortcut",
    "A proposed decision that review rejected must not come back as current.",
    files={"importer/run.py": "import re\n\ndef run(rows):\n    for r in rows:\n        validate(r)\n"},
    steps=(
        session("s1", "Make the importer faster",
                Read("importer/run.py"), Bash("python -m importer.run --profile", stdout="validate: 41% of 12 s"),
                Edit("importer/run.py", "        validate(r)\n", "        pass\n"), Commit("Skip validation"),
                reply="We decided to drop input validation in the importer because it takes 41% of the run time. "
                      "The import takes 7 s now."),
        Review("drop input validation", "rejected"),
        session("s2", "Validation must stay. Profile the importer again and make validation cheaper",
                Edit("importer/run.py", "        pass\n", "        validate(r, PATTERN)\n"),
                Bash("python -m importer.run --profile", stdout="12 s -> 7.8 s"), Commit("Compile the pattern once"),
                reply="The validation regex was compiled for every row. It is compiled once at import time now, "
                      "which cuts the run from 12 s to 7.8 s with validation kept."),
    ),
    briefs=(Brief("main", files=("importer/run.py",),
                  expect=(expect("decision", r"compiled once"),),
                  forbid=(forbid("superseded", r"drop input validation"),)),),
    searches=(Search("decision", "importer validation regex", session="s2",
                     paraphrase="how did the data load get quicker while still checking input"),),
)

scenario(
    "sessions-superseded-by-teammate",
    "Alice's accepted decision is superseded by Bob's; Alice pulls the code and syncs the memory.",
    actors=("alice", "bob"),
    files={"auth/session.py": "def store(s):\n    pass\n"},
    steps=(
        session("s1", "Pick where we keep user sessions",
                Read("auth/session.py"), Edit("auth/session.py", "    pass\n", "    return sign(s)\n"),
                Commit("Signed-cookie sessions"), actor="alice",
                reply="Sessions are signed cookies now. We decided to keep sessions in signed cookies because we have "
                      "no server-side store yet."),
        Review("keep sessions in signed cookies", "accepted", actor="alice"),
        Push("alice"), Sync("alice"),
        Pull("bob"), Sync("bob"),
        session("s2", "Sessions need revocation, move them to Redis",
                Read("auth/session.py"), Edit("auth/session.py", "    return sign(s)\n", "    redis.set(s.id, s)\n"),
                Bash("pytest auth -q", stdout="18 passed"), Commit("Sessions in Redis"), actor="bob",
                reply="Sessions live in Redis now with a 14-day TTL. We decided to move sessions to Redis instead of "
                      "signed cookies because we must be able to revoke a session on logout."),
        Review("keep sessions in signed cookies", "superseded", superseded_by="move sessions to Redis", actor="bob"),
        Push("bob"), Sync("bob"),
        Pull("alice"), Sync("alice"),
    ),
    briefs=(Brief("main", actor="alice", files=("auth/session.py",),
                  expect=(expect("teammate", r"move sessions to Redis"), expect("rationale", r"revoke a session")),
                  forbid=(forbid("superseded", r"keep sessions in signed cookies"),)),),
    searches=(Search("teammate", "sessions redis revoke", session="s2", actor="alice",
                     paraphrase="where are logged-in user states stored so they can be invalidated"),),
)

# -- branches never merged --------------------------------------------------------------------------------------------

scenario(
    "graphql-experiment",
    "An experiment on a branch that was never merged: listed on main, not told as fact; fact on its branch.",
    files={"api/orders.py": "def page(n):\n    return rows[n * 50:(n + 1) * 50 - 1]\n", "docs/api.md": "# API\n"},
    steps=(
        session("s1", "Document the REST endpoints",
                Edit("docs/api.md", "", "\n12 endpoints, all under /api/.\n"), Commit("Document REST"),
                reply="Documented the 12 REST endpoints in `docs/api.md`."),
        session("s2", "Try GraphQL for the mobile API",
                Write("api/graphql.py", "schema = build_schema()\n"), Bash("pytest tests/api -q", stdout="25 passed"),
                Commit("GraphQL prototype"), branch="experiment/graphql",
                reply="Prototype in `api/graphql.py`. GraphQL halves the number of requests the mobile app makes on "
                      "the home screen (from 14 to 7). We decided to adopt GraphQL for the mobile API because the app "
                      "team wants one round trip per screen."),
        Checkout("main"),
        session("s3", "Fix the pagination bug in /orders",
                Read("api/orders.py"),
                Edit("api/orders.py", "(n + 1) * 50 - 1]", "(n + 1) * 50]"), Commit("Fix the last row of a page"),
                reply="Fixed: each `/orders` page dropped its last row because of an off-by-one slice."),
    ),
    briefs=(Brief("main", files=("api/orders.py",),
                  expect=(expect("unmerged", r"GraphQL", hedged=True), expect("decision", r"off-by-one")),
                  forbid=(forbid("unmerged", r"halves the number of requests"),
                          forbid("unmerged", r"adopt GraphQL"))),
            Brief("experiment/graphql", files=("api/graphql.py",),
                  expect=(expect("decision", r"adopt GraphQL"), expect("rationale", r"one round trip per screen")))),
    searches=(Search("unmerged", "graphql mobile", session="s2",
                     paraphrase="did we look at a query language for the phone client"),),
)

scenario(
    "search-v2-parallel-branches",
    "Two lines of work at once: each branch's brief tells its own facts and only lists the other's.",
    files={"search/rank.py": "def score(doc):\n    return doc.hits\n",
           "search/highlight.py": "def mark(text, q):\n    return text[:80]\n"},
    steps=(
        session("s1", "Rewrite search ranking with BM25",
                Read("search/rank.py"), Write("search/rank.py", "K1, B = 1.2, 0.75\nTITLE_WEIGHT = 3\n"),
                Bash("pytest search -q", stdout="17 passed"), Commit("BM25 ranking"), branch="feature/search-v2",
                reply="Ranking uses BM25 now (k1=1.2, b=0.75). We decided to weight titles 3x over bodies because "
                      "users search by title."),
        Checkout("main"),
        session("s2", "Highlights cut words in half, fix that",
                Read("search/highlight.py"),
                Edit("search/highlight.py", "return text[:80]", "return cut_at_word(text, 80)"),
                Commit("Cut highlights at word boundaries"),
                reply="Highlights are cut at a word boundary now instead of at 80 characters."),
    ),
    briefs=(Brief("main", files=("search/highlight.py",),
                  expect=(expect("unmerged", r"BM25", hedged=True), expect("decision", r"word boundary")),
                  forbid=(forbid("unmerged", r"weight titles 3x"), forbid("unmerged", r"k1=1\.2"))),
            Brief("feature/search-v2", files=("search/rank.py",),
                  expect=(expect("decision", r"weight titles 3x"), expect("rationale", r"users search by title")))),
    searches=(Search("unmerged", "bm25 ranking", session="s1", paraphrase="how are results ordered by relevance"),),
)

scenario(
    "kafka-spike-abandoned",
    "A spike committed on its own branch and abandoned; its proposed decision file stays in the work tree.",
    files={"orders/export.py": "def export():\n    return rows()\n"},
    steps=(
        session("s1", "Add a CSV export of orders", Read("orders/export.py"),
                Edit("orders/export.py", "return rows()", "return to_csv(rows())"), Commit("CSV export"),
                reply="Orders export to CSV from `orders/export.py`."),
        session("s2", "Spike: publish order events to Kafka",
                Write("events/kafka.py", "producer = Producer()\n"),
                Bash("docker compose up -d kafka", stdout="Container kafka Started"), Commit("Kafka spike"),
                branch="spike/kafka",
                reply="The spike works locally. We decided to publish order events to Kafka because the analytics team "
                      "already consumes Kafka."),
        Checkout("main"),
        session("s3", "Stream the order export page by page",
                Edit("orders/export.py", "to_csv(rows())", "to_csv(rows(page_size=1000))"), Commit("Stream export"),
                reply="The export streams 1,000 rows per page now, so memory stays flat."),
    ),
    briefs=(Brief("main", files=("orders/export.py",),
                  expect=(expect("unmerged", r"Kafka", hedged=True), expect("decision", r"1,000 rows per page")),
                  forbid=(forbid("unmerged", r"publish order events to Kafka because"),
                          forbid("unmerged", r"analytics team"))),),
    searches=(Search("unmerged", "kafka events", session="s2",
                     paraphrase="was a streaming broker tried for purchase notifications"),),
)

# -- memory from teammates through sync -----------------------------------------------------------------------------

scenario(
    "fx-cache-teammate",
    "Alice decides and syncs; Bob pulls and syncs, and his next session knows why.",
    actors=("alice", "bob"),
    files={"fx/rates.py": "def rate(cur):\n    return provider.get(cur)\n"},
    steps=(
        session("s1", "Cache the exchange rates",
                Read("fx/rates.py"),
                Edit("fx/rates.py", "    return provider.get(cur)\n", "    return cache.get_or_set(cur, ttl=3600)\n"),
                Bash("pytest fx -q", stdout="6 passed"), Commit("Cache exchange rates"), actor="alice",
                reply="Exchange rates are now cached for one hour in `fx/rates.py`. We decided to cache rates for an "
                      "hour because the provider allows only 1,000 calls a day."),
        Push("alice"), Sync("alice"),
        Pull("bob"), Sync("bob"),
    ),
    briefs=(Brief("main", actor="bob", files=("fx/rates.py",),
                  expect=(expect("teammate", r"cache rates for an hour"),
                          expect("teammate", r"1,000 calls a day"), expect("teammate", r"Alice"))),),
    searches=(Search("teammate", "exchange rates cache", session="s1", actor="bob",
                     paraphrase="how often do we refresh currency conversion figures"),),
)

scenario(
    "problem-json-teammate",
    "A team decision file and a teammate's session arrive together: the code by pull, the memory by sync.",
    actors=("alice", "bob"),
    files={"api/errors.py": "def error(code):\n    return {'error': code}\n"},
    steps=(
        Decide("API errors use RFC 7807 problem+json",
               "Every error response is `application/problem+json` with `type`, `title`, `status` and `detail`.",
               files=("api/*",), actor="alice", rationale="Clients parse one error shape everywhere."),
        session("s1", "Convert the error responses to problem+json",
                Read("api/errors.py"),
                Edit("api/errors.py", "    return {'error': code}\n",
                     "    return {'type': TYPES[code], 'title': TITLES[code], 'status': code}\n"),
                Bash("pytest api -q", stdout="40 passed"), Commit("problem+json errors"), actor="alice",
                reply="All error responses are problem+json now. Note that validation errors must put the field "
                      "names in an `errors` extension member, since `detail` is free text."),
        Push("alice"), Sync("alice"),
        Pull("bob"), Sync("bob"),
    ),
    briefs=(Brief("main", actor="bob", files=("api/errors.py",),
                  expect=(expect("convention", r"RFC 7807"),
                          expect("teammate", r"errors extension member"))),),
    searches=(Search("teammate", "problem json validation errors", session="s1", actor="bob",
                     paraphrase="where do bad input complaints list the offending keys"),
              Search("convention", "error responses", decision=r"RFC 7807",
                     paraphrase="what format do we return on failures")),
)

scenario(
    "two-way-sync",
    "Both teammates work and sync; each gets the other's memory, by file.",
    actors=("alice", "bob"),
    files={"search/index.py": "def build():\n    pass\n", "mobile/push.py": "def notify(user):\n    pass\n"},
    steps=(
        session("s1", "The search index build runs out of memory",
                Read("search/index.py"),
                Edit("search/index.py", "    pass\n", "    for batch in chunks(docs, 500):\n        add(batch)\n"),
                Bash("python -m search.index --build", stdout="peak RSS 410 MB (was 3.9 GB)"),
                Commit("Build the index in batches"), actor="alice",
                reply="The index build adds documents in batches of 500; peak memory went from 3.9 GB to 410 MB. "
                      "It turns out the ORM was caching every row it loaded."),
        session("s2", "Push notifications arrive twice on Android",
                Read("mobile/push.py"),
                Edit("mobile/push.py", "    pass\n", "    send(user, collapse_key=event.id)\n"),
                Bash("pytest mobile -q", stdout="9 passed"), Commit("Collapse duplicate pushes"), actor="bob",
                reply="Android showed both the FCM retry and the original. The fix sets `collapse_key` to the event "
                      "id, so a retried push replaces the first one."),
        Push("alice"), Sync("alice"),
        Pull("bob"), Push("bob"), Sync("bob"),
        Pull("alice"), Sync("alice"),
    ),
    briefs=(Brief("main", actor="bob", files=("search/index.py",),
                  expect=(expect("teammate", r"batches of 500"), expect("teammate", r"ORM was caching every row"))),
            Brief("main", actor="alice", files=("mobile/push.py",),
                  expect=(expect("teammate", r"collapse_key"),))),
    searches=(Search("teammate", "index build memory", session="s1", actor="bob",
                     paraphrase="why did the catalog generation crash from RAM exhaustion"),
              Search("teammate", "android push twice", session="s2", actor="alice",
                     paraphrase="phones got every alert two times")),
)

# -- written after the offline summarizer's cues were set, in other reply styles ----------------------------------------

scenario(
    "settings-markdown-summary",
    "A reply in Markdown sections (Summary / Why / Changes / Not done yet) instead of prose.",
    files={"config/env.py": "import os\nDEBUG = os.environ.get('DEBUG')\n", "cli/main.py": "import os\n"},
    steps=(
        session("s1", "Our settings loading is a mess, clean it up",
                Grep("os.environ", ("config/env.py", "cli/main.py")), Read("config/env.py"),
                Write("settings.py", "from pydantic_settings import BaseSettings\n\nclass Settings(BaseSettings):\n"
                                     "    debug: bool = False\n"),
                Bash("pytest -q", stdout="48 passed"), Commit("Settings through pydantic-settings"),
                reply="## Summary\n\nI moved settings loading to **pydantic-settings**: one `Settings` class in "
                      "`settings.py` replaces the ad-hoc parsing in `config/env.py`.\n\n**Why:** env parsing was "
                      "scattered across 4 modules and silently ignored typos in variable names; pydantic-settings "
                      "rejects unknown `APP_*` variables at startup.\n\n**Changes**\n- `settings.py`: the `Settings` "
                      "class\n- removed `config/env.py`\n\n**Not done yet**\n- `cli/main.py` still reads `DEBUG` "
                      "straight from `os.environ`."),
    ),
    briefs=(Brief("main", files=("settings.py",),
                  expect=(expect("decision", r"pydantic-settings"), expect("rationale", r"silently ignored typos"),
                          expect("next_step", r"cli/main\.py still reads DEBUG"))),),
    searches=(Search("decision", "settings pydantic", session="s1", paraphrase="how are runtime options validated"),),
)

scenario(
    "price-cache-slower",
    "A dead end said as \"made things slower ... backed it out\", and what worked instead.",
    files={"pricing/engine.py": "def price_for(sku, qty):\n    return lookup(sku) * qty\n"},
    steps=(
        session("s1", "Pricing requests are slow; make price_for faster",
                Read("pricing/engine.py"),
                Edit("pricing/engine.py", "def price_for", "@lru_cache(maxsize=4096)\ndef price_for"),
                Bash("python bench/pricing.py", stdout="p50 44 ms (was 40 ms)"),
                Edit("pricing/engine.py", "@lru_cache(maxsize=4096)\ndef price_for", "def price_for"),
                Write("pricing/table.py", "TABLE = build_from('prices.csv')\n"),
                Bash("python bench/pricing.py", stdout="p50 3 ms"), Commit("Precompute the price table"),
                reply="Memoizing `price_for()` with `lru_cache` made things slower — 92% of the keys are unique, so "
                      "the cache only added overhead — and I backed it out. Precomputing the price table at startup "
                      "is what worked: p50 went from 40 ms to 3 ms. The table is rebuilt whenever `prices.csv` "
                      "changes."),
    ),
    briefs=(Brief("main", files=("pricing/engine.py",),
                  expect=(expect("dead_end", r"lru_cache", hedged=True),
                          expect("decision", r"precomputing the price table")),
                  forbid=(forbid("dead_end", r"memoizing price_for"),)),),
    searches=(Search("dead_end", "lru_cache pricing", session="s1",
                     paraphrase="did remembering earlier results help quoting speed"),),
)

scenario(
    "celery-to-rq-by-people",
    "Both decisions are written by people; the later one supersedes the first. Sessions only follow them.",
    files={"jobs/__init__.py": ""},
    steps=(
        Decide("Use Celery for background jobs", "Background jobs run on Celery with the Redis broker.",
               files=("jobs/*",), rationale="It is what the team knows."),
        session("s1", "Add a job that emails weekly digests",
                Write("jobs/digest.py", "@app.task\ndef digest():\n    pass\n"), Commit("Weekly digest job"),
                reply="The weekly digest job is in `jobs/digest.py`, scheduled for Mondays at 07:00 UTC."),
        Decide("Use RQ instead of Celery",
               "Background jobs run on RQ; Celery's beat scheduler is replaced by rq-scheduler.", files=("jobs/*",),
               supersedes=("Use Celery for background jobs",),
               rationale="Celery's prefork workers leaked memory under our load, and RQ covers our volume."),
        session("s2", "Port the digest job to RQ",
                Edit("jobs/digest.py", "@app.task\n", "@job('default')\n"), Commit("Digest on RQ"),
                reply="Ported the digest job to RQ; rq-scheduler enqueues it every Monday at 07:00 UTC."),
    ),
    briefs=(Brief("main", files=("jobs/digest.py",),
                  expect=(expect("decision", r"RQ instead of Celery"), expect("rationale", r"leaked memory")),
                  forbid=(forbid("superseded", r"Background jobs run on Celery"),)),),
    searches=(Search("superseded", "celery", decision=r"RQ instead of Celery",
                     paraphrase="which asynchronous task system do we rely on now"),),
)

scenario(
    "timestamps-checkbox-todos",
    "Open work left as a Markdown checkbox list under \"Left a few TODOs\".",
    files={"ingest/__init__.py": ""},
    steps=(
        session("s1", "Parse the vendor timestamps",
                Write("ingest/timestamps.py", "def parse_ts(s):\n    return datetime.strptime(s, FMT)\n"),
                Bash("pytest ingest -q", stdout="11 passed"), Commit("Parse vendor timestamps"),
                reply="`parse_ts()` in `ingest/timestamps.py` handles the vendor's `YYYYMMDD-HHMMSS` stamps in UTC.\n\n"
                      "Left a few TODOs:\n- [ ] handle leap seconds (`23:59:60`)\n- [ ] add a test for the DST gap in "
                      "local-time feeds"),
    ),
    briefs=(Brief("main", files=("ingest/timestamps.py",),
                  expect=(expect("next_step", r"leap seconds"), expect("next_step", r"DST gap"),
                          expect("ownership", r"parse_ts\(\) in ingest/timestamps\.py"))),),
    searches=(Search("next_step", "leap seconds", session="s1",
                     paraphrase="what edge cases remain for supplier clock values"),),
)

scenario(
    "orders-cursor-branch-same-file",
    "An unmerged branch changed the same file main is working on: listed, never told as fact.",
    files={"api/orders.py": "def list_orders(offset):\n    return q.offset(offset)\n"},
    steps=(
        session("s1", "Rewrite the orders endpoint with cursor pagination",
                Read("api/orders.py"), Edit("api/orders.py", "q.offset(offset)", "q.after(cursor)"),
                Bash("pytest tests/test_orders.py -q", stdout="14 passed"), Commit("Cursor pagination"),
                branch="feature/orders-v3",
                reply="Orders paginate with opaque cursors now. We replaced offset pagination because offsets skip "
                      "rows when orders are inserted during a scan."),
        Checkout("main"),
        session("s2", "Add the customer email to the orders export",
                Edit("api/orders.py", "return q.offset(offset)", "return q.offset(offset).with_email()"),
                Commit("Orders with customer email"), reply="The orders listing includes `customer_email` now."),
    ),
    briefs=(Brief("main", files=("api/orders.py",),
                  expect=(expect("unmerged", r"cursor pagination", hedged=True),
                          expect("decision", r"customer_email")),
                  forbid=(forbid("unmerged", r"opaque cursors"), forbid("unmerged", r"offsets skip rows"))),
            Brief("feature/orders-v3", files=("api/orders.py",),
                  expect=(expect("decision", r"opaque cursors"), expect("rationale", r"offsets skip rows")))),
    searches=(Search("unmerged", "cursor pagination", session="s1",
                     paraphrase="stable way to walk through long purchase listings"),),
)

scenario(
    "auth-map-teammate",
    "Alice maps the auth code without changing it; Bob gets the map through sync.",
    actors=("alice", "bob"),
    files={"auth/middleware.py": "def check(req):\n    pass\n", "auth/tokens.py": "def verify(tok):\n    pass\n"},
    steps=(
        session("s1", "How does auth work here?",
                Read("auth/middleware.py"), Read("auth/tokens.py"), actor="alice",
                reply="Auth is two layers. `auth/middleware.py` pulls the bearer token off each request and rejects "
                      "expired ones; `auth/tokens.py` signs and verifies the JWTs with the key from "
                      "`AUTH_SIGNING_KEY`. Service-to-service calls skip both and use mTLS at the ingress."),
        Sync("alice"), Sync("bob"),
    ),
    briefs=(Brief("main", actor="bob", files=("auth/tokens.py",),
                  expect=(expect("ownership", r"tokens\.py signs and verifies the JWTs"),
                          expect("ownership", r"middleware\.py pulls the bearer token"),
                          expect("teammate", r"mTLS at the ingress"))),),
    searches=(Search("teammate", "jwt signing key", session="s1", actor="bob",
                     paraphrase="where do we mint and check login credentials"),),
)

scenario(
    "export-decision-in-long-turn",
    "The decision is at the end of a long first reply; the session goes on for another turn.",
    files={"exports/csv.py": "def export(rows):\n    return render('export.csv.j2', rows)\n"},
    steps=(
        Session("s1", (
            Turn("Figure out why exports time out",
                 (Read("exports/csv.py"), Bash("python -m cProfile -s cumtime exports/bench.py",
                                               stdout="render 26.4s, customer_name 7.7s, gzip 3.9s")),
                 "I profiled the export: 70% of the time is spent rendering each row through the Jinja template, "
                 "another 20% in the N+1 query for customer names, and the rest is gzip. Rendering with `csv.writer` "
                 "directly is 9x faster on the 50k-row fixture, and the N+1 disappears with "
                 "`select_related('customer')`. We'll go with csv.writer rather than the template, since nobody "
                 "customises the export format."),
            Turn("Do it",
                 (Edit("exports/csv.py", "    return render('export.csv.j2', rows)\n",
                       "    return write_csv(rows.select_related('customer'))\n"),
                  Bash("python exports/bench.py", stdout="4.1 s"), Commit("Export with csv.writer")),
                 "Done: exports use `csv.writer` and `select_related('customer')`; the 50k-row export takes 4 s "
                 "instead of 38 s."),
        )),
    ),
    briefs=(Brief("main", files=("exports/csv.py",),
                  expect=(expect("decision", r"csv\.writer rather than the template"),
                          expect("rationale", r"nobody customises the export format"),
                          expect("decision", r"4 s instead of 38 s"))),),
    searches=(Search("decision", "export csv writer", session="s1",
                     paraphrase="why are spreadsheet downloads quick now"),),
)

# -- a busy repository: the budget binds and ranking decides -------------------------------------------------------------

_CHORES = [
    ("Bump requests to 2.32", "deps/requirements.txt", "Bumped requests to 2.32.3; nothing we use changed."),
    ("Add a dark mode toggle", "web/theme.py", "We decided to store the theme in a cookie because the page renders "
                                                "before the profile loads."),
    ("Speed up the CI lint job", "ci/lint.yml", "Lint runs ruff only now; 40 s instead of 3 minutes."),
    ("Translate the signup page to German", "web/i18n/de.po", "Added 38 German strings for the signup page."),
    ("Add an index on users.email", "migrations/0050_users_email.sql", "We decided to make the index unique "
                                                                        "because duplicate emails break password resets."),
    ("Retry S3 uploads", "storage/s3.py", "S3 uploads retry 3 times on 5xx; the SDK's own retries stay off."),
    ("Add a /version endpoint", "api/version.py", "/version returns the git sha baked in at build time."),
    ("Make the audit log append-only", "audit/log.py", "We decided to revoke UPDATE on audit_log because "
                                                       "auditors require immutable history."),
    ("Fix the flaky clock test", "tests/test_clock.py", "The clock test freezes time with time-machine now."),
    ("Document the on-call runbook", "docs/oncall.md", "Wrote the on-call runbook: paging, rollback, status page."),
    ("Compress API responses", "api/gzip.py", "We decided to gzip responses over 1 KB because mobile clients "
                                              "are on metered data."),
    ("Add a Grafana dashboard for queue depth", "ops/dashboards/queue.json", "Queue depth is on the ops dashboard."),
    ("Validate webhook URLs", "webhooks/validate.py", "We decided to reject private IP ranges in webhook URLs "
                                                      "because of SSRF."),
    ("Cache the product catalog", "catalog/cache.py", "We decided to cache the catalog for 5 minutes because "
                                                      "it changes a few times a day."),
    ("Upgrade to Python 3.12", "pyproject.toml", "The project runs on Python 3.12; two deprecated imports fixed."),
    ("Add CSV export to the admin", "admin/export.py", "Admins can export any table view as CSV."),
    ("Shorten the session timeout", "auth/timeout.py", "We decided to expire idle sessions after 30 minutes "
                                                       "because of the PCI audit."),
    ("Move avatars to the CDN", "media/avatars.py", "Avatars are served from the CDN with a 1-day TTL."),
    ("Rename the billing cron", "ops/cron.yml", "The billing cron is called billing-nightly now."),
    ("Lower the log level of health checks", "api/health.py", "Health checks log at DEBUG now."),
]

scenario(
    "busy-repository",
    "24 sessions, many proposed decisions, an unmerged branch and a superseded rule: the budget binds. The ledger "
    "file the developer is editing was last committed 22 commits ago.",
    files={"ledger/balance.py": "def balance(account):\n    return account.balance\n", "ledger/journal.py": PY,
           "web/checkout.py": PY},
    steps=(
        Decide("Tests live next to the module", "Put `test_<module>.py` beside the module it tests.",
               rationale="A module and its tests move together in refactors."),
        Decide("Money is a float", "Amounts are Python floats.", files=("ledger/*",), status="accepted"),
        session("ledger", "Balances drift after manual fixes; find out why",
                Read("ledger/balance.py"), Read("ledger/journal.py"),
                Edit("ledger/balance.py", "    return account.balance\n", "    return journal.sum_for(account)\n"),
                Bash("pytest ledger -q", stdout="23 passed"), Commit("Balances from the journal"),
                reply="We decided to compute balances from the journal instead of the stored `balance` column, "
                      "because stored balances drifted after manual fixes in the admin."),
        Decide("Money is integer cents", "Amounts are integer cents; convert at the edges.", files=("ledger/*",),
               supersedes=("Money is a float",), rationale="Float sums drifted by a cent."),
        *(session(f"chore{n}", prompt, Write(path, f"# {prompt}\n"), Commit(prompt), reply=reply)
          for n, (prompt, path, reply) in enumerate(_CHORES[:10])),
        session("spike", "Spike: event-source the ledger",
                Write("ledger/events.py", "class LedgerEvent:\n    pass\n"), Commit("Event-sourcing spike"),
                branch="spike/event-sourcing",
                reply="We decided to event-source the ledger because replaying events rebuilds any balance."),
        Checkout("main"),
        *(session(f"chore{n + 10}", prompt, Write(path, f"# {prompt}\n"), Commit(prompt), reply=reply)
          for n, (prompt, path, reply) in enumerate(_CHORES[10:])),
        Touch(("ledger/balance.py",)),   # back on the ledger by hand; the next session starts with it changed
        session("checkout", "Start the new checkout page",
                Read("web/checkout.py"), Edit("web/checkout.py", "return None", "return render('checkout.html')"),
                Commit("Checkout page skeleton"),
                reply="The new checkout page renders from `web/checkout.py`.\n\nNext steps:\n"
                      "- Wire the payment form to the gateway.\n- Add the order summary sidebar."),
    ),
    briefs=(Brief("main", files=("ledger/balance.py",),
                  expect=(expect("decision", r"compute balances from the journal"),
                          expect("rationale", r"stored balances drifted"),
                          expect("convention", r"Money is integer cents"),
                          expect("next_step", r"Wire the payment form"),
                          expect("unmerged", r"event-source the ledger", hedged=True)),
                  forbid=(forbid("superseded", r"Amounts are Python floats"),
                          forbid("unmerged", r"replaying events rebuilds any balance"))),
            Brief("main", files=("web/checkout.py",),
                  expect=(expect("next_step", r"Wire the payment form"),
                          expect("next_step", r"order summary sidebar"),
                          expect("convention", r"Tests live next to the module")))),
    searches=(Search("decision", "balance drift journal", session="ledger",
                     paraphrase="how is what a customer owes derived"),
              Search("decision", "SSRF webhook", decision=r"private IP ranges",
                     paraphrase="which callback destinations do we block for security"),
              Search("superseded", "money float", decision=r"integer cents",
                     paraphrase="which numeric type holds currency values"),
              Search("next_step", "payment form", session="checkout",
                     paraphrase="what remains to do on the purchase screen")),
)

# -- written later in styles unlike the ones above (terse, buried, user-stated, reversed, tables, long sessions) --------

from quality.scenarios_styled import STYLED  # noqa: E402

SCENARIOS.extend(STYLED)
