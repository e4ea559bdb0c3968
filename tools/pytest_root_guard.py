"""Pytest plugin (loaded via ``-p tools.pytest_root_guard`` from pyproject addopts).

The repository root is the Odoo addon itself, so it has an ``__init__.py`` that imports
Odoo models, and ``tests/__init__.py`` imports Odoo test cases. Pytest (in every import
mode) imports the parent packages of a test file itself, e.g. ``pr_lib/tests/test_x.py``
becomes ``<clone-dir>.pr_lib.tests.test_x``, and the rootdir's package ``__init__.py``
is imported for package-level setup. That would execute Odoo code outside Odoo.

This plugin puts a finder first on ``sys.meta_path`` that answers pytest's by-path
lookups of exactly those two ``__init__.py`` files with an empty package module, so they
are never executed. Normal imports (``import pr_lib``, ``import odoo``) are untouched.
"""

import importlib.abc
import importlib.machinery
import os
import sys
from pathlib import Path


class _EmptyPackageLoader(importlib.abc.Loader):
    def create_module(self, spec):
        return None  # default module creation

    def exec_module(self, module):
        module.__doc__ = "stand-in registered by tools/pytest_root_guard.py (not executed)"


class _AddonInitGuard(importlib.abc.MetaPathFinder):
    def __init__(self, package_dirs):
        self.package_dirs = {str(d): d for d in package_dirs}

    def find_spec(self, fullname, path=None, target=None):
        # pytest calls find_spec(name, [<dir of the file>]); for a package that dir is the package itself.
        if not path or len(path) != 1:
            return None
        pkg_dir = self.package_dirs.get(str(path[0]))
        if pkg_dir is None:
            return None
        last = fullname.rpartition(".")[2]
        if last not in {pkg_dir.name, pkg_dir.name.replace(".", "_"), "__init__"}:
            return None
        spec = importlib.machinery.ModuleSpec(
            fullname, _EmptyPackageLoader(), origin=str(pkg_dir / "__init__.py"), is_package=True
        )
        spec.submodule_search_locations = [str(pkg_dir)]
        spec.has_location = True
        return spec


def _guarded_dirs():
    roots = {Path(__file__).resolve().parent.parent}
    if os.environ.get("PR_ADDON_DIR"):
        roots.add(Path(os.environ["PR_ADDON_DIR"]).resolve())
    dirs = []
    for root in roots:
        if (root / "__init__.py").is_file() and (root / "__manifest__.py").is_file():
            dirs.append(root)
            if (root / "tests" / "__init__.py").is_file():
                dirs.append(root / "tests")
    return dirs


_dirs = _guarded_dirs()
if _dirs and not any(isinstance(f, _AddonInitGuard) for f in sys.meta_path):
    sys.meta_path.insert(0, _AddonInitGuard(_dirs))
