#!/usr/bin/env bash
# Build and check the distributions from a clean clone of the committed HEAD.
#
#   tools/build_wheels.sh                  # everything below, full test suite in both venvs
#   tools/build_wheels.sh -k "not million" # extra pytest arguments for the two suite runs
#   WHEELS_DIR=/tmp/x KEEP=1 tools/build_wheels.sh   # work dir (default: a new temp dir); keep it
#
# Steps (nothing in the repository is modified; uncommitted changes are NOT included):
#   1. git clone of HEAD into $WHEELS_DIR/clone;
#   2. `python -m build`: the sdist, then the compiled wheel built FROM that sdist
#      (so the sdist is known to carry what the build needs); checks that the sdist
#      has the .pyx/.pxd and csrc sources and not the generated C files;
#   3. `auditwheel repair` -> a manylinux wheel;
#   4. the pure-Python wheel: AUTOGRAD_C_PUREPYTHON=1, built from the unpacked sdist;
#      checks it is tagged py3-none-any and holds no compiled file;
#   5. for each wheel, a fresh venv with the wheel + pytest + hypothesis (no torch: the
#      PyTorch cross-checks skip), the tests/ and examples/ folders copied to a temp dir
#      (the clone's src/ is not importable), a check that autograd_c.__file__ is inside the venv and
#      the engine is the expected one ("c" / "python", the pure one importing without
#      any warning), then pytest;
#   6. `pip install <sdist>` in a third fresh venv (compiles the engine from the sdist in
#      pip's isolated build env), checks engine == "c" and runs tests/test_install.py and
#      the typing_check.py user script against it;
#   7. prints the artifacts' names and sizes, each suite's summary line and the wall time.
# Exit status 0 only if every step passed.
set -euo pipefail

START=$SECONDS
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python}
if [ -n "${WHEELS_DIR:-}" ]; then
    WORK=$WHEELS_DIR; rm -rf "$WORK"; mkdir -p "$WORK"
else
    WORK=$(mktemp -d /tmp/autograd_c_wheels.XXXXXX)
fi
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
PYTEST_ARGS=("$@")
unset AUTOGRAD_C_ENGINE AUTOGRAD_C_PUREPYTHON AUTOGRAD_C_DEBUG PYTHONPATH || true
export PIP_DISABLE_PIP_VERSION_CHECK=1

step() { printf '\n== [%4ss] %s\n' "$((SECONDS - START))" "$*"; }
die() { echo "FAILED: $*" >&2; exit 1; }

step "clone HEAD of $ROOT into $WORK/clone"
git clone -q --no-hardlinks "$ROOT" "$WORK/clone"
(cd "$WORK/clone" && git log --oneline -1)

step "python -m build (sdist, then the compiled wheel from the sdist)"
# -g0 after Python's own CFLAGS (which carry -g): no debug info in the released
# extension modules (about 1.5 MB -> 0.3 MB of wheel)
(cd "$WORK/clone" && CFLAGS="${CFLAGS:-} -g0" "$PY" -m build --outdir "$WORK/dist" \
    > "$WORK/build.log" 2>&1) \
    || { tail -40 "$WORK/build.log"; die "python -m build"; }
SDIST=$(ls "$WORK"/dist/*.tar.gz)
WHEEL=$(ls "$WORK"/dist/*.whl)
echo "sdist: $(basename "$SDIST")"
echo "wheel: $(basename "$WHEEL")"

step "sdist contents"
"$PY" - "$SDIST" <<'EOF'
import sys, tarfile
names = [n.split("/", 1)[1] for n in tarfile.open(sys.argv[1]).getnames() if "/" in n]
need = ["src/autograd_c/_engine_c.pyx", "src/autograd_c/_ufuncs.pyx", "src/autograd_c/_ufuncs.pxd",
        "csrc/scheduler.c", "csrc/scheduler.h",
        "src/autograd_c/ops.py", "src/autograd_c/py.typed", "setup.py", "pyproject.toml",
        "MANIFEST.in", "README.md", "tests/conftest.py", "examples/seed000_layers.py"]
missing = [n for n in need if n not in names]
generated = [n for n in names if n.endswith((".so", ".pyd", ".o", ".html")) or n in
             ("src/autograd_c/_engine_c.c", "src/autograd_c/_ops_c.c", "src/autograd_c/_ufuncs.c")
             or n.startswith("build/")]
print(f"{len(names)} entries; required present: {not missing}; generated/binary files: {generated}")
if missing or generated:
    sys.exit(f"sdist: missing {missing}, should not ship {generated}")
EOF

step "auditwheel repair"
"$PY" -m auditwheel show "$WHEEL" | sed -n '1,6p'
"$PY" -m auditwheel repair "$WHEEL" -w "$WORK/wheelhouse" > "$WORK/auditwheel.log" 2>&1 \
    || { cat "$WORK/auditwheel.log"; die "auditwheel repair"; }
MANYLINUX=$(ls "$WORK"/wheelhouse/*manylinux*.whl) || die "auditwheel produced no manylinux wheel"

step "pure-Python wheel (AUTOGRAD_C_PUREPYTHON=1) from the unpacked sdist"
mkdir -p "$WORK/sdist_src"
tar xzf "$SDIST" -C "$WORK/sdist_src"
SDIST_DIR=$(ls -d "$WORK"/sdist_src/*/)
(cd "$SDIST_DIR" && AUTOGRAD_C_PUREPYTHON=1 "$PY" -m build --wheel --outdir "$WORK/pure" \
    > "$WORK/build_pure.log" 2>&1) || { tail -40 "$WORK/build_pure.log"; die "pure build"; }
PURE=$(ls "$WORK"/pure/*.whl)
case "$(basename "$PURE")" in
    *-py3-none-any.whl) ;;
    *) die "pure wheel is not py3-none-any: $(basename "$PURE")";;
esac
"$PY" - "$PURE" "$MANYLINUX" <<'EOF'
import sys, zipfile
pure = zipfile.ZipFile(sys.argv[1]).namelist()
binaries = [n for n in pure if n.endswith((".so", ".pyd", ".dylib", ".c", ".pyx"))]
if binaries or "autograd_c/py.typed" not in pure:
    sys.exit(f"pure wheel: compiled/source files {binaries}, py.typed present: {'autograd_c/py.typed' in pure}")
compiled = zipfile.ZipFile(sys.argv[2]).namelist()
exts = sorted(n for n in compiled if n.endswith(".so"))
src = [n for n in compiled if n.endswith((".c", ".pyx", ".h"))]
print(f"pure wheel: {len(pure)} files, none compiled; manylinux wheel extension modules: {exts}")
if not any("_engine_c" in n for n in exts) or src:
    sys.exit(f"manylinux wheel: extension modules {exts}, sources shipped {src}")
EOF

SUMMARY=()

# make_venv NAME INSTALL_ARGS... -> $WORK/venv-NAME with the given install + test deps
make_venv() {
    local name=$1; shift
    "$PY" -m venv "$WORK/venv-$name"
    "$WORK/venv-$name/bin/python" -m pip install -q "$@" pytest hypothesis \
        > "$WORK/pip-$name.log" 2>&1 || { tail -30 "$WORK/pip-$name.log"; die "pip install ($name)"; }
}

# check_install NAME EXPECTED_ENGINE: imported from the venv, right engine, no import warning
check_install() {
    local name=$1 expected=$2 venv="$WORK/venv-$1"
    (cd "$WORK" && "$venv/bin/python" -W error - "$venv" "$expected" <<'EOF'
import os, sys
import autograd_c
venv, expected = os.path.realpath(sys.argv[1]), sys.argv[2]
where = os.path.realpath(autograd_c.__file__)
assert where.startswith(venv + os.sep), f"autograd_c imported from {where}, not from {venv}"
assert autograd_c.engine == expected, (autograd_c.engine, expected, autograd_c.engines.c_import_error)
print(f"autograd_c {autograd_c.__version__} from {where}; engine={autograd_c.engine}; no warnings")
EOF
    ) || die "install check ($name)"
}

# run_suite NAME: pytest on a copy of tests/ outside the source tree
run_suite() {
    local name=$1 venv="$WORK/venv-$1" dir="$WORK/run-$1"
    mkdir -p "$dir"
    cp -r "$WORK/clone/tests" "$dir/tests"
    # tests/test_examples.py runs the scripts in ../examples (scripts only, not the package)
    [ -d "$WORK/clone/examples" ] && cp -r "$WORK/clone/examples" "$dir/examples"
    local rc=0
    (cd "$dir" && "$venv/bin/python" -m pytest -q -ra -p no:cacheprovider tests \
        ${PYTEST_ARGS[@]+"${PYTEST_ARGS[@]}"} > "$WORK/pytest-$name.log" 2>&1) || rc=$?
    grep -E "^(SKIPPED|FAILED|ERROR)" "$WORK/pytest-$name.log" | sed 's/^/    /' | head -40 || true
    local line
    line=$(tail -1 "$WORK/pytest-$name.log")
    echo "$name: $line"
    SUMMARY+=("$name suite: $line")
    if [ "$rc" -ne 0 ]; then tail -60 "$WORK/pytest-$name.log"; die "test suite ($name), exit $rc"; fi
}

step "venv with the manylinux wheel"
make_venv manylinux "$MANYLINUX"
check_install manylinux c
step "test suite against the installed manylinux wheel (from $WORK/run-manylinux)"
run_suite manylinux

step "venv with the pure-Python wheel"
make_venv pure "$PURE"
check_install pure python
step "test suite against the installed pure wheel (compiled-engine params skip)"
run_suite pure

step "venv built from the sdist (pip compiles the engine)"
make_venv sdist "$SDIST"
check_install sdist c
mkdir -p "$WORK/run-sdist"
cp -r "$WORK/clone/tests" "$WORK/run-sdist/tests"
(cd "$WORK/run-sdist" && "$WORK/venv-sdist/bin/python" -m pytest -q -p no:cacheprovider \
    tests/test_install.py > "$WORK/pytest-sdist.log" 2>&1) || { tail -40 "$WORK/pytest-sdist.log"; die "sdist install tests"; }
(cd "$WORK/run-sdist" && "$WORK/venv-sdist/bin/python" tests/typing_check.py) || die "typing_check.py (sdist)"
SUMMARY+=("sdist venv test_install.py: $(tail -1 "$WORK/pytest-sdist.log")")

step "done"
size() { "$PY" -c 'import os,sys; b=os.path.getsize(sys.argv[1]); print(f"{b} bytes ({b/1024:.0f} KiB)")' "$1"; }
echo "manylinux wheel: $(basename "$MANYLINUX")  $(size "$MANYLINUX")"
echo "pure wheel:      $(basename "$PURE")  $(size "$PURE")"
echo "sdist:           $(basename "$SDIST")  $(size "$SDIST")"
for s in "${SUMMARY[@]}"; do echo "$s"; done
[ -n "${KEEP:-}" ] && echo "work dir kept: $WORK"
echo "wall time: $((SECONDS - START)) s"
