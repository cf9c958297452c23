#!/usr/bin/env bash
# The [llm] extra's server package, llama-cpp-python, has no wheel on PyPI: pip builds it from its sdist (about
# 3.5 min on 2 cores). Its default native build emits instructions (AMX) that some VMs will not run (SIGILL), and pip's
# wheel cache does not key on CMAKE_ARGS, so this script builds it once with portable flags into a cache OUTSIDE the
# checkout, keyed by version and flags, and prints that folder: a second clone on the same machine installs from it.
# Prints nothing (and one note on stderr) where no C/C++ compiler is available: the real-LLM tests then skip.
# Usage: tools/llm_wheel.sh PYTHON    (stdout: the folder holding the wheel, or nothing)
set -u
PY=${1:?usage: tools/llm_wheel.sh PYTHON}
VERSION=0.3.36
FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
key=$(printf '%s %s' "$VERSION" "$FLAGS" | sha256sum | cut -c1-12)
cache="${VOICELAB_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/voicelab/wheels}/llama-cpp-python-$VERSION-$key"

# The wheel is py3-none-<platform> (the bindings load the library with ctypes): one build serves every Python 3.
if compgen -G "$cache/llama_cpp_python-$VERSION-*.whl" >/dev/null; then
    echo "$cache"
    exit 0
fi
for tool in cc c++ cmake; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "note: no '$tool' here, so the local LLM server (llama-cpp-python) is not built; real-LLM tests will skip" >&2
        exit 0
    fi
done
mkdir -p "$cache"
log="$cache/build.log"
echo "building llama-cpp-python $VERSION once for this machine (~4 min on 2 cores; log in $log)" >&2
if CMAKE_ARGS="$FLAGS" "$PY" -m pip wheel --quiet --disable-pip-version-check --no-deps --no-cache-dir \
        --no-binary llama-cpp-python "llama-cpp-python==$VERSION" -w "$cache" >"$log" 2>&1; then
    echo "$cache"
else
    echo "note: building llama-cpp-python failed (see $log); real-LLM tests will skip" >&2
fi
exit 0
