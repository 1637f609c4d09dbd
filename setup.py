"""Packaging for openedx-xapi, an Open edX LMS plugin."""
import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def read_version():
    text = (HERE / "openedx_xapi" / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


def read_requirements(name):
    """Unpinned requirements from requirements/<name>.in, skipping -c/-r lines and comments."""
    lines = (HERE / "requirements" / name).read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines
            if line.strip() and not line.startswith(("#", "-"))]


setup(
    name="openedx-xapi",
    version=read_version(),
    description="Real-time xAPI and Caliper 1.2 delivery of Open edX learner events (OEP-26).",
    long_description=(HERE / "README.rst").read_text(),
    long_description_content_type="text/x-rst",
    license="AGPL-3.0",
    packages=find_packages(include=["openedx_xapi", "openedx_xapi.*"]),
    include_package_data=True,
    python_requires=">=3.11",
    install_requires=read_requirements("base.in"),
    entry_points={
        "lms.djangoapp": ["openedx_xapi = openedx_xapi.apps:OpenedxXapiConfig"],
        "console_scripts": ["openedx-xapi = openedx_xapi.cli:main"],
    },
    classifiers=[
        "Framework :: Django",
        "Framework :: Django :: 4.2",
        "Framework :: Django :: 5.2",
        "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
    ],
)
