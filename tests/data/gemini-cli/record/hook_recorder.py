import json, os, sys
data = sys.stdin.read()
with open(os.environ["RECORD_TO"], "a") as f:
    f.write(json.dumps({"event": sys.argv[1], "payload": json.loads(data) if data.strip() else None}) + "\n")
if sys.argv[1] == "SessionStart":
    print(json.dumps({"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "<gitmem-memory>GEMINI-CTX brief</gitmem-memory>"}}))
