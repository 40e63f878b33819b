-- wrk script for POST /api/token/: the bench user's credentials as a JSON body.
-- ops/evidence/bench/run.py puts the body in BENCH_TOKEN_BODY, so the password never appears on a command line.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BENCH_TOKEN_BODY") or "{}"
