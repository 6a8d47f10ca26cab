"""`make bench`: run every benchmark (python -m bench [name ...])."""

import sys

from bench import analytics, concurrency, ingest, memory, pages

BENCHES = {"ingest": ingest.main, "pages": pages.main, "analytics": analytics.main,
           "memory": memory.main, "concurrency": concurrency.main}

if __name__ == "__main__":
    names = sys.argv[1:] or list(BENCHES)
    for name in names:
        BENCHES[name]()
