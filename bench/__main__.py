"""`make bench`: run every benchmark (python -m bench [name ...])."""

import sys

from bench import analytics, ingest, pages

BENCHES = {"ingest": ingest.main, "pages": pages.main, "analytics": analytics.main}

if __name__ == "__main__":
    names = sys.argv[1:] or list(BENCHES)
    for name in names:
        BENCHES[name]()
