"""Builds the cotrack package (metadata in pyproject.toml).

The one thing pyproject.toml cannot say: which libcotrack.so.0 the installed
package should load. build_py writes cotrack/_libpath.py naming it:
$COTRACK_LIBRARY when set, else the most recently built
<checkout>/build*/engine/libcotrack.so.0 beside this directory. Without
either, no _libpath.py is written and the package searches at import time
(see cotrack/__init__.py)."""
import glob
import os

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def built_library():
    env = os.environ.get("COTRACK_LIBRARY")
    if env:
        return os.path.abspath(env)
    builds = glob.glob(os.path.join(os.path.dirname(HERE), "build*", "engine",
                                    "libcotrack.so.0"))
    return max(builds, key=os.path.getmtime) if builds else None


class BuildPy(build_py):
    def run(self):
        super().run()
        library = built_library()
        target = os.path.join(self.build_lib, "cotrack", "_libpath.py")
        if library is None:
            if os.path.exists(target):  # left by an earlier build
                os.remove(target)
            return
        with open(target, "w") as out:
            out.write("# Written by python/setup.py when the package was built.\n"
                      f"LIBRARY = {library!r}\n")


setup(cmdclass={"build_py": BuildPy})
