"""`make demo` as a user runs it: every service up, events emitted, statements shown."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration]
ROOT = Path(__file__).resolve().parent.parent


def test_the_demo_ends_by_showing_the_statements_stored_in_the_lrs():
    result = subprocess.run([sys.executable, "-m", "sandbox.demo"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found = re.search(r"The LRS holds (\d+) statement\(s\) \(expected (\d+)\)", result.stdout)
    assert found and found.group(1) == found.group(2) and int(found.group(1)) >= 10, result.stdout[-2000:]
    assert '"verb"' in result.stdout and "http://adlnet.gov/expapi/verbs/registered" in result.stdout
