"""Peak resident size of a process that runs many events through this project's worker path.

    python -m benchmarks.memory STREAM COUNT

Run by ``benchmarks.run`` in a fresh process (so nothing else it loaded counts), in the
stand-in LMS: COUNT events (the STREAM file's first 1,000, in turn) parsed, translated to xAPI and
validated, as the Celery task does before it delivers them. Prints one JSON object.
"""
import itertools
import json
import os
import resource
import sys

DISTINCT = 1000  # events read from the stream, then cycled through


def peak_kib():
    """This process's peak resident size (VmHWM: unlike ru_maxrss, not inherited across fork/exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(path, count):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    import django
    django.setup()
    from django.conf import settings

    from openedx_xapi.events import parse_event
    from openedx_xapi.identity import HmacActorIds
    from openedx_xapi.pipeline import Skipped, documents_for
    from openedx_xapi.translator import TranslationContext

    with open(path) as lines:  # the first events only: the peak must be the worker's, not the stream's
        events = [json.loads(line) for line in itertools.islice(lines, DISTINCT)]
    ctx = TranslationContext(lms_root_url=settings.LMS_ROOT_URL, actor_ids=HmacActorIds("bench"))
    before = peak_kib()
    for i in range(count):
        try:
            documents_for(parse_event(events[i % len(events)]), "xapi", ctx)
        except Skipped:
            pass
    print(json.dumps({"before_kib": before, "peak_kib": peak_kib()}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
