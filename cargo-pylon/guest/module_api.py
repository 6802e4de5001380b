"""The public modules of a package and the public names of each, read with CPython's ast.

Input (argv[1]): JSON {"trees": [{"id", "root", "top"}]}: `root` (as the guest sees it)
holds the module or package `top`. Output: JSON {id: {module: [names] or null}}; null
when the names cannot be read (a compiled module without a .pyi stub).

A module's public names are its `__all__` when it declares one; otherwise what it defines
(functions, classes, assignments) and, in a package's `__init__` or a stub, what it
re-exports with `from ... import` (in a stub only `import y as y`, as PEP 484 says), star
imports resolved within the package. Names
deleted at top level do not count; `__version__` counts. Public modules are those whose
names do not start with `_`, and `__main__`.
"""
import ast
import json
import os
import sys


def source(path):
    """The stub if there is one (it describes a compiled module's API), else the source."""
    for candidate in (path + ".pyi", path + ".py"):
        if os.path.isfile(candidate):
            with open(candidate, encoding="utf-8") as f:
                return ast.parse(f.read(), candidate), candidate.endswith(".pyi")
    return None, False


def declared_all(tree):
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and isinstance(node.value, (ast.List, ast.Tuple)):
                return {e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return None


def public(name):
    return not name.startswith("_") or name == "__version__"


class Package:
    def __init__(self, root, top):
        self.root, self.top = root, top
        self.cache = {}

    def path(self, module):
        """The file path (without suffix) of a dotted module name inside the package."""
        parts = module.split(".")
        base = os.path.join(self.root, *parts)
        return os.path.join(base, "__init__") if os.path.isdir(base) else base

    def names(self, module, available=False):
        """Public names of `module` (None if unreadable); `available` counts everything a
        user can reach, not only the declared API (used for facades)."""
        key = (module, available)
        if key in self.cache:
            return self.cache[key]
        self.cache[key] = set()  # a cycle of star imports ends here
        tree, stub = source(self.path(module))
        if tree is None:
            self.cache[key] = None
            return None
        init = self.path(module).endswith("__init__")
        names, deleted = set(), set()
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.Delete):
                deleted.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.ImportFrom) and node.module != "__future__" and (init or stub or available):
                for alias in node.names:
                    if alias.name == "*":
                        if node.level:
                            base = module if init else module.rpartition(".")[0]
                            for _ in range(node.level - 1):
                                base = base.rpartition(".")[0]
                            target = f"{base}.{node.module}" if node.module else base
                            names.update(self.names(target, available) or ())
                    elif not stub or available or alias.asname == alias.name:
                        # A stub re-exports only `from x import y as y` (PEP 484).
                        names.add(alias.asname or alias.name)
        declared = declared_all(tree)
        if declared is not None and not available:  # what a user can reach is what is bound
            names = declared | ({"__version__"} & names)
        result = sorted(n for n in names - deleted if public(n))
        self.cache[key] = result
        return result

    def modules(self):
        """Dotted names of the package's public modules (the top one first)."""
        top_dir = os.path.join(self.root, self.top)
        if not os.path.isdir(top_dir):
            return [self.top]
        found = [self.top]
        for dirpath, dirnames, filenames in os.walk(top_dir):
            dirnames[:] = sorted(d for d in dirnames if os.path.isfile(os.path.join(dirpath, d, "__init__.py")) and not d.startswith("_"))
            package = os.path.relpath(dirpath, self.root).replace(os.sep, ".")
            if dirpath != top_dir:
                found.append(package)
            for filename in sorted(filenames):
                name = filename.split(".")[0]
                if name == "__init__" or (name.startswith("_") and name != "__main__"):
                    continue
                if filename.endswith((".py", ".pyi", ".so", ".pyd")) and f"{package}.{name}" not in found:
                    found.append(f"{package}.{name}")
        return found


request = json.loads(sys.argv[1])
answer = {}
for tree in request["trees"]:
    package = Package(tree["root"], tree["top"])
    answer[tree["id"]] = {module: package.names(module, tree.get("available", False)) for module in package.modules()}
print(json.dumps(answer))
