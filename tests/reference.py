"""Where the optional reference material is: ``../shared/reference/`` beside the repository
(the workplace's copy), or None. Tests that compare with it (event-routing-backends' corpus,
the 1EdTech Caliper fixtures and schemas) are an extra: without it they are skipped, and
every feature is still tested on the project's own fixtures."""
from pathlib import Path


def reference(name):
    """``../shared/reference/<name>``, or None when this checkout has no such folder nearby."""
    for root in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")):
        if (root / "reference" / name).is_dir():
            return root / "reference" / name
    return None


ERB_CORPUS = reference("erb-corpus")
CALIPER_REFERENCE = reference("caliper-1.2")
