"""Facts about cap facades, gathered inside pylon with CPython's own parser.

Input (argv[1]): JSON {"facades": [{"cap", "paths", "modules"}]}, paths as the guest sees
them, the module that defines the public names (a package's __init__.py) first. Output: JSON, one entry per facade: its public names, the modules it imports, the
attributes it reads from them, identifiers or strings mentioning "_dynlink", public names
bound to private modules, and whether each module name imports.
"""
import ast
import importlib
import json
import sys


def public_names(tree):
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == "__all__" and isinstance(node.value, (ast.List, ast.Tuple)):
                    return sorted(e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)), True
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
    return sorted(n for n in names if not n.startswith("_")), False


def facts(entry):
    trees = []
    for path in entry["paths"]:
        with open(path, encoding="utf-8") as f:
            trees.append(ast.parse(f.read(), path))
    imports, attributes, dynlink, private_aliases = set(), set(), set(), []
    aliases = {}
    for node in (node for tree in trees for node in ast.walk(tree)):
        if isinstance(node, ast.Import):
            for a in node.names:
                imports.add(a.name)
                aliases[(a.asname or a.name).split(".")[0]] = a.name
                if a.asname and not a.asname.startswith("_") and a.name.split(".")[-1].startswith("_"):
                    private_aliases.append(f"{a.asname} = {a.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imports.add(node.module)
            for a in node.names:
                attributes.add(f"{node.module}.{a.name}")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            attributes.add(f"{aliases[node.value.id]}.{node.attr}")
        for text in (getattr(node, "id", None), getattr(node, "name", None), getattr(node, "module", None), getattr(node, "attr", None)):
            if isinstance(text, str) and "_dynlink" in text:
                dynlink.add(text)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "_dynlink" in node.value:
            dynlink.add(node.value)
        if isinstance(node, ast.alias) and "_dynlink" in (node.asname or node.name):
            dynlink.add(node.asname or node.name)
    names, declared = public_names(trees[0])
    imported = {}
    for module in entry["modules"]:
        try:
            importlib.import_module(module)
            imported[module] = None
        except BaseException as e:  # report every failure, including SystemExit from a facade
            imported[module] = f"{type(e).__name__}: {e}"
    return {
        "cap": entry["cap"],
        "public": names,
        "all_declared": declared,
        "imports": sorted(imports),
        "attributes": sorted(attributes),
        "dynlink": sorted(dynlink),
        "private_aliases": private_aliases,
        "imported": imported,
    }


request = json.loads(sys.argv[1])
print(json.dumps([facts(entry) for entry in request["facades"]]))
