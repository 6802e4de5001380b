"""pylon's hello: CPython running inside a WebAssembly component."""
import platform
import sys

print(f"Hello from CPython {platform.python_version()} on {sys.platform} ({platform.machine()})")
print("argv:", sys.argv[1:])
