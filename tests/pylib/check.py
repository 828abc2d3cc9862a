"""One "PASS: name" or "FAIL: name" line per check (the format tests/run
counts); a failure's detail follows on "  | " lines. exit() ends the script
with status 1 when any check failed."""
import sys

failed = False


def check(name, cond, detail=""):
    global failed
    print(("PASS: " if cond else "FAIL: ") + name, flush=True)
    if not cond:
        failed = True
        if detail != "" and detail is not None:
            print("  | " + str(detail)[:2000].replace("\n", "\n  | "), flush=True)
    return cond


def exit():
    sys.exit(1 if failed else 0)
