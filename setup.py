"""Build the extension module `nucseg` with CMake (target nucseg_python) and hand it to
setuptools: the module is built exactly as `make python` builds it, by the same rules,
for the interpreter running pip."""
import os
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


def project_version():
    """The version of CMakeLists.txt's project(), so that there is one."""
    with open(os.path.join(HERE, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"project\(nucseg VERSION ([0-9.]+)", f.read())
    if not m:
        raise RuntimeError("CMakeLists.txt: no 'project(nucseg VERSION x.y.z)'")
    return m.group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = os.path.join(os.path.abspath(self.build_temp), "cmake")
        subprocess.run(["cmake", "-S", HERE, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                        "-DPython3_EXECUTABLE=" + sys.executable], check=True)
        subprocess.run(["cmake", "--build", build, "--target", "nucseg_python",
                        "-j", str(os.cpu_count() or 2)], check=True)
        dest = self.get_ext_fullpath(ext.name)
        built = os.path.join(build, "python", os.path.basename(dest))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(built, dest)


setup(version=project_version(),
      ext_modules=[Extension("nucseg", sources=[])],
      cmdclass={"build_ext": CMakeBuild})
