"""What redaction looks for, as data: token prefixes, credential labels in many languages, the query
parameters and command-line flags that carry secrets, and the vocabulary of setting names.

Invariant: plain data (strings, tuples, sets, and regexes built from them); the engine that uses it is
``gitmem.redact``. Adding a provider or a language is a line here, not a new rule there.
"""

from __future__ import annotations

# -- tokens that announce themselves ------------------------------------------------------------
# (kind, prefixes, body): a token that starts with one of the prefixes and goes on with at least the
# body's characters is a secret. Bodies: "A" letters and digits, "h" hex, "U" upper case and digits,
# "w" base64url, "b" base64, "s" lower case and digits, then the minimum length. Any alphabet may follow
# where the body says "w" or "b"; hex and upper-case bodies are why a prefix table beats a shape test
# (``dop_v1_<hex>``, ``NRAK-<upper>``: neither mixes three classes).
TOKEN_PREFIXES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("github-token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), "A30"),
    ("github-token", ("github_pat_",), "w30"),
    ("gitlab-token", ("glpat-", "gldt-", "glrt-", "glptt-", "glsoat-", "glcbt-", "glimt-", "glagent-", "gloas-",
                      "glft-", "GR1348941"), "w20"),
    ("anthropic-key", ("sk-ant-",), "w20"),
    ("openai-key", ("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-"), "w20"),
    ("openai-key", ("sk-",), "A20"),  # also DeepSeek and others: sk- and hex
    ("groq-key", ("gsk_",), "A40"),
    ("replicate-token", ("r8_",), "A30"),
    ("perplexity-key", ("pplx-",), "A32"),
    ("xai-key", ("xai-",), "A40"),
    ("huggingface-token", ("hf_", "api_org_"), "A30"),
    ("slack-token", ("xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xoxe.xoxp-", "xapp-"), "w10"),
    ("stripe-key", ("sk_live_", "sk_test_", "rk_live_", "rk_test_"), "A16"),
    ("stripe-key", ("whsec_",), "A24"),
    ("square-oauth-secret", ("sq0csp-",), "w40"),
    ("square-access-token", ("sq0atp-", "EAAA"), "w40"),
    ("shopify-token", ("shpss_", "shpat_", "shpca_", "shppa_"), "h32"),
    ("digitalocean-token", ("dop_v1_", "doo_v1_", "dor_v1_"), "h64"),
    ("age-secret-key", ("AGE-SECRET-KEY-1",), "U50"),
    ("newrelic-key", ("NRAK-", "NRII-", "NRJS-", "NRAA-", "NRRA-"), "w27"),
    ("databricks-token", ("dapi",), "h32"),
    ("sendgrid-api-key", ("SG.",), "w20"),
    ("mailgun-key", ("key-",), "h32"),
    ("twilio-api-key", ("SK",), "h32"),
    ("linear-key", ("lin_api_", "lin_oauth_"), "A40"),
    ("notion-token", ("secret_",), "A43"),
    ("notion-token", ("ntn_",), "A40"),
    ("figma-token", ("figd_", "figu_"), "w40"),
    ("planetscale-token", ("pscale_tkn_", "pscale_pw_", "pscale_oauth_"), "w32"),
    ("doppler-token", ("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."), "w40"),
    ("grafana-token", ("glc_eyJ", "glsa_"), "w32"),
    ("sentry-token", ("sntrys_eyJ", "sntryu_"), "w32"),
    ("rubygems-key", ("rubygems_",), "h48"),
    ("postman-key", ("PMAK-",), "h24"),
    ("brevo-key", ("xkeysib-", "xsmtpsib-"), "h64"),
    ("dockerhub-token", ("dckr_pat_", "dckr_oat_"), "w27"),
    ("vault-token", ("hvs.", "hvb.", "hvr."), "w24"),
    ("alibaba-key", ("LTAI",), "A20"),
    ("tencent-key", ("AKID",), "A32"),
    ("atlassian-token", ("ATATT3", "ATCTT3"), "w100"),
    ("bitbucket-token", ("ATBB",), "A32"),
    ("pulumi-token", ("pul-",), "h40"),
    ("netlify-token", ("nfp_", "nfc_", "nfo_"), "A36"),
    ("supabase-token", ("sbp_", "sb_secret_"), "w32"),
    ("buildkite-token", ("bkua_",), "h40"),
    ("contentful-token", ("CFPAT-",), "w43"),
    ("dynatrace-token", ("dt0c01.", "dt0s01."), "U24"),
    ("prefect-key", ("pnu_", "pnb_"), "A36"),
    ("readme-key", ("rdme_",), "s60"),
    ("shippo-token", ("shippo_live_", "shippo_test_"), "h40"),
    ("adafruit-key", ("aio_",), "A28"),
    ("langsmith-key", ("lsv2_pt_", "lsv2_sk_"), "h32"),
    ("pinecone-key", ("pcsk_",), "w50"),
    ("google-api-key", ("AIza",), "w30"),
    ("google-oauth", ("GOCSPX-",), "w24"),
    ("google-oauth", ("ya29.",), "w30"),
    ("npm-token", ("npm_",), "A36"),
    ("pypi-token", ("pypi-AgE",), "w50"),
    ("sonarqube-token", ("squ_", "sqp_", "sqa_"), "h40"),
    ("facebook-token", ("EAAC", "EAAG", "EAAB"), "A60"),
    ("twitter-token", ("AAAAAAAAAAAAAAAAAAAAA",), "w20"),
    ("fly-token", ("fm1r_", "fm1a_", "fm2_", "FlyV1"), "w60"),
    ("render-key", ("rnd_",), "A32"),
    ("tailscale-key", ("tskey-",), "w30"),
    ("onepassword-token", ("ops_eyJ",), "w100"),
    ("infracost-key", ("ico-",), "A32"),
    ("lob-key", ("live_", "test_"), "h35"),
    ("plaid-token", ("access-production-", "access-development-", "access-sandbox-"), "h32"),
    ("launchdarkly-key", ("sdk-", "api-", "mob-"), "h32"),
    ("heroku-key", ("HRKU-",), "h32"),
    ("mapbox-token", ("sk.eyJ",), "w40"),
    ("circleci-token", ("CCIPAT_", "CCIPRJ_"), "w40"),
    ("django-secret-key", ("django-insecure-",), "s30"),
    ("okta-token", ("00",), "w40"),
    ("azure-devops-token", ("AZDO",), "w40"),
    ("openrouter-key", ("sk-or-v1-",), "h64"),
    ("cloudflare-token", ("cfut_", "cfat_"), "w40"),
    ("gitea-token", ("gta_",), "h40"),
    ("mailersend-token", ("mlsn.",), "h64"),
    ("ngrok-token", ("ngrok_",), "w30"),
    ("posthog-key", ("phx_",), "w40"),
    ("resend-key", ("re_",), "A30"),
    ("vercel-token", ("vcp_", "vci_", "vca_"), "w24"),
    ("wandb-key", ("wandb_v1_",), "w40"),
)

# Tokens whose prefix sits in the middle or whose parts are joined by characters a token scan stops at.
TOKEN_SHAPES: tuple[tuple[str, str], ...] = (
    ("terraform-token", r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}"),
    ("braintree-token", r"access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}"),
    ("firebase-key", r"AAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{100,}"),
    ("azure-client-secret", r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])"),
    ("airtable-token", r"(?<![A-Za-z0-9])pat[A-Za-z0-9]{14}\.[0-9a-f]{64}(?![0-9a-f])"),
    ("telegram-bot-token", r"(?<![0-9])[0-9]{8,10}:AA[A-Za-z0-9_-]{32,33}(?![A-Za-z0-9_-])"),
    ("mailchimp-access-key", r"(?<![0-9a-f])[0-9a-f]{32}-us[0-9]{1,2}(?![0-9])"),
    ("google-oauth", r"(?<![A-Za-z0-9])1//0[A-Za-z0-9_-]{30,}"),
    ("twitch-token", r"(?<![A-Za-z0-9])oauth:[a-z0-9]{30}(?![a-z0-9])"),
    ("laravel-key", r"(?<![A-Za-z0-9])base64:[A-Za-z0-9+/]{43}="),
    ("discord-bot-token", r"(?<![A-Za-z0-9_-])[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}"),
)

# Webhook URLs whose path is the secret: (kind, host and path up to the secret part, a string it contains).
WEBHOOKS: tuple[tuple[str, str, str], ...] = (
    ("slack-webhook", r"hooks\.slack\.com/(?:services|workflows|triggers)/", "hooks.slack.com/"),
    ("discord-webhook", r"discord(?:app)?\.com/api/webhooks/", "/api/webhooks/"),
    ("teams-webhook", r"\.webhook\.office\.com/webhookb?2?/|outlook\.office(?:365)?\.com/webhook/", "office"),
    ("zapier-webhook", r"hooks\.zapier\.com/hooks/catch/", "hooks.zapier.com/"),
    ("google-chat-webhook", r"chat\.googleapis\.com/v1/spaces/", "chat.googleapis.com/"),
)

# -- labels in prose ------------------------------------------------------------------------------
# Words that say "the next thing is a password" or "... a key/token", in the major languages. Matched
# case-insensitively; a value must follow after a separator or a copula (COPULAS) and look like one.
PASSWORD_LABELS = (
    "password", "admin pass", "root pass", "db pass", "user pass", "wifi pass", "passwort", "passwd", "passphrase",
    "pass phrase", "passcode", "pwd", "kennwort", "mot de passe",
    "mdp", "contraseña", "contrasena", "contraseñas", "senha", "palavra-passe", "palavra passe", "wachtwoord",
    "hasło", "haslo", "пароль", "密码", "密碼", "口令", "パスワード", "暗証番号", "비밀번호", "암호", "şifre", "sifre",
    "parola", "parola d'ordine", "lösenord", "adgangskode", "passord", "salasana", "heslo", "jelszó", "mật khẩu",
    "kata sandi", "كلمة المرور", "كلمة السر", "סיסמה", "पासवर्ड",
)
KEY_LABELS = (
    "token", "api key", "api-key", "apikey", "access key", "secret key", "secret", "private key", "auth key",
    "credential", "credentials", "schlüssel", "zugangsdaten", "zugangstoken", "clé", "clef", "jeton", "identifiants",
    "clave", "llave", "credenciales", "chave", "credenciais", "sleutel", "klucz", "ключ", "токен", "секрет",
    "密钥", "秘钥", "令牌", "凭据", "トークン", "秘密鍵", "キー", "토큰", "키", "anahtar", "nyckel", "nøgle",
    "chiave", "gettone",
)
# "key" alone: only key material (hex, a UUID, a random or prefixed token) counts after it.
BARE_KEY_LABELS = ("key", "keys")
# Between a label and its value: a separator, or a verb "is/was/set to" (English, German, French, Spanish,
# Portuguese, Italian, Dutch, Russian, Chinese, Japanese).
COPULAS = (
    r"[:=：]", r"->", r"=>", r"\bis\b", r"\bwas\b", r"\bto\b", r"\bare\b", r"\bist\b", r"\blautet\b", r"\bwar\b",
    r"\bauf\b", r"\best\b", r"\bétait\b", r"\bes\b", r"\bera\b", r"\bé\b", r"\bè\b", r"\bis\b", r"\bzijn\b",
    r"\bэто\b", r"是", r"为", r"為", r"は", r"が", r"—",
)

# -- URLs ---------------------------------------------------------------------------------------
# Query parameters whose value is a credential whatever it looks like (lower case, compared after
# dropping "-" and "_"), beyond the names ``_key_kind`` already takes for a password or a secret.
SECRET_QUERY_PARAMS = {
    "sig", "signature", "xamzsignature", "xamzcredential", "xamzsecuritytoken", "xgoogsignature",
    "xgoogcredential", "code", "accesstoken", "idtoken", "refreshtoken", "authtoken", "oauthtoken",
    "oauthverifier", "oauthsignature", "key", "apikey", "clientsecret", "password", "pwd", "pass", "passwd",
    "secret", "session", "sessionid", "sid", "jwt", "otp", "ticket", "auth", "token", "policy", "awsaccesskeyid",
    "credential", "credentials", "hmac", "samlresponse", "samlrequest", "xamzsecuritytoken",
}

# -- command lines --------------------------------------------------------------------------------
# (programs, flags, form): the argument of the flag is a password. Form "attached": only "-psecret"
# ("-p db" asks for the password and names a database); "both": "-p secret" and "-psecret".
PASSWORD_FLAGS: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (("mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlshow", "mysqlcheck", "mysqlsh", "mariadb",
      "mariadb-dump", "mariadb-admin"), ("-p",), "attached"),
    (("7z", "7za", "7zr", "rar", "unrar"), ("-p",), "attached"),
    (("sshpass",), ("-p",), "both"),
    (("redis-cli", "keydb-cli"), ("-a",), "both"),
    (("mongo", "mongosh", "mongodump", "mongorestore", "mongoexport", "mongoimport"), ("-p",), "both"),
    (("sqlcmd", "bcp", "osql", "isql"), ("-P",), "both"),
    (("zip", "unzip", "zipcloak", "mosquitto_pub", "mosquitto_sub", "mosquitto_rr"), ("-P",), "both"),
    (("ldapsearch", "ldapadd", "ldapmodify", "ldapdelete", "ldappasswd", "ldapwhoami"), ("-w",), "both"),
    (("keytool", "jarsigner"), ("-storepass", "-keypass", "-srcstorepass", "-deststorepass", "-srckeypass",
                                "-destkeypass"), "both"),
    (("openssl",), ("-k", "-pass", "-passin", "-passout"), "both"),
    (("smbclient", "rpcclient"), ("-U",), "both"),
)

# -- setting names --------------------------------------------------------------------------------
PASSWORD_WORDS = {"password", "passwd", "passphrase", "passcode", "pwd"}
SECRET_WORDS = {"secret", "token", "apikey", "credential", "credentials", "privatekey", "secretkey", "accesskey",
                "authtoken", "sas", "dsn", "webhook"}
KEY_QUALIFIERS = {"api", "access", "secret", "private", "signing", "encryption", "master", "client", "app", "service",
                  "account", "deploy", "auth", "session", "webhook", "hmac", "jwt", "consumer", "shared", "storage",
                  "admin", "license", "subscription", "sas", "write", "ingest", "encrypt", "decrypt", "crypto", "sdk",
                  "server", "insert", "user", "host", "root", "age", "fernet", "stripe", "sops", "openai", "google"}
HARMLESS_TAILS = {"type", "types", "count", "counts", "limit", "limits", "len", "length", "size", "id", "ids", "name",
                  "names", "file", "files", "path", "paths", "dir", "url", "uri", "endpoint", "host", "port", "user",
                  "username", "env", "var", "field", "header", "prefix", "suffix", "format", "policy", "min", "max",
                  "hint", "mode", "expiry", "expires", "expiration", "ttl", "timeout", "required", "enabled",
                  "disabled", "regex", "pattern", "label", "placeholder", "help", "description", "stdin", "budget",
                  "usage", "strength", "rules", "reset", "provider", "manager", "class", "kind", "source", "location",
                  "store", "helper", "command", "cmd", "version", "algorithm", "alg", "method", "scope", "scopes",
                  "audience", "issuer", "prompt", "flag", "option", "options", "check", "validator", "validation",
                  "index", "idx", "pos", "position", "start", "end", "list", "map", "cache", "func", "fn", "callback",
                  "handler", "mgr", "normalize", "markup", "nesting", "level", "info", "meta", "style", "color",
                  "headers", "button", "uris", "urls", "vars", "hash"}
RECEIVERS = {"self", "cls", "this", "os", "settings", "config", "cfg", "conf", "env", "process", "ctx", "context",
             "request", "req", "args", "opts", "options", "app", "parent", "params", "props", "kwargs", "data",
             "creds", "credentials", "secrets", "st", "window", "document", "module", "exports", "vars", "inputs"}
TYPE_WORDS = {"str", "bytes", "int", "float", "bool", "string", "number", "any", "Any", "Optional", "None", "null",
              "SecretStr", "list", "dict", "tuple", "Union", "true", "false", "True", "False", "none", "yes", "no",
              "undefined", "object", "Final", "ClassVar", "nil"}
CODE_WORDS = {"await", "not", "lambda", "yield", "new", "typeof", "if", "None", "null", "nil", "true", "false", "True",
              "False", "-", "+", "*", "/", "%", "==", "!=", "or", "and", "||", "&&", "?"}
