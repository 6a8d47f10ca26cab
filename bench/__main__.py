"""`make bench`: run every benchmark (python -m bench [name ...] [--flags]).

``calibration`` (the alerts' and links' error rates on simulated companies) is not part
of the default run (about 20 minutes); ``python -m bench calibration --quick`` runs a
small configuration. ``sentiment`` (comment sentiment and themes against VADER on held-out
labelled comments, and their costs; ``--refit`` fits the kept classifiers again) is not
part of it either. Flags are passed to the benchmarks named.
"""

import sys

from bench import analytics, calibration, concurrency, ingest, memory, pages, sentiment, team

BENCHES = {"ingest": ingest.main, "pages": pages.main, "analytics": analytics.main,
           "memory": memory.main, "concurrency": concurrency.main, "team": team.main}
EXTRA = {"calibration": calibration.main, "sentiment": sentiment.main}

if __name__ == "__main__":
    names = [a for a in sys.argv[1:] if not a.startswith("-")] or list(BENCHES)
    flags = [a for a in sys.argv[1:] if a.startswith("-")]
    for name in names:
        if name in EXTRA:
            EXTRA[name](flags)
        elif name == "team":
            team.main(flags)
        else:
            BENCHES[name]()
