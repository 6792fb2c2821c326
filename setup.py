"""What pyproject.toml cannot say: the packages found under studio/, plus the top-level
resources/ and models/ folders installed inside the package as studio/_resources and
studio/_models (package discovery and a package-dir mapping do not combine there).

studio/resources.py is the one place that knows where these folders are at run time.
"""

from setuptools import find_packages, setup

DATA_PACKAGES = {"studio._resources": "resources", "studio._models": "models"}

setup(
    packages=find_packages(include=["studio", "studio.*"]) + list(DATA_PACKAGES),
    package_dir=DATA_PACKAGES,
)
