"""OpenBLAS's core for a CPU it does not know, so that PyTorch's side of a benchmark runs at full speed.

OpenBLAS picks its kernels ("core") from the CPU's family and model when it loads. A build older than the
CPU does not know the model and falls back to a generic core without AVX2: Debian's OpenBLAS 0.3.21 picks
Prescott on an Intel Xeon of family 6 model 207 and runs a 1024² product at a fifth of its speed with the
Cooperlake core (docs/measurements/2026-12-06-xeon/openblas-cores.txt). A ratio against that PyTorch says
nothing about either side.

`choose()` is called before torch is imported. It asks a child process which core the BLAS that
libblas.so.3 resolves to chooses on its own; when that core has no AVX2 while the CPU has it, it sets
OPENBLAS_CORETYPE in this process to the newest core such a build has for the CPU's SIMD extensions
(Cooperlake with AVX-512 BF16, SkylakeX with AVX-512, Haswell with AVX2), which OpenBLAS then reads when
it loads, and says so on stderr. A core the library chose itself is never overridden, and a
OPENBLAS_CORETYPE in the caller's environment is cleared before this runs (bench_gru.py).

Run as a script, this prints the core `choose()` would set, or an empty line for none, for scripts that
run jgrad on the same system OpenBLAS (scripts/bench/performance.sh).
"""
import os
import subprocess
import sys

# OpenBLAS's cores without AVX2 kernels: where a build whose CPU table lacks the model lands.
_GENERIC = {"Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Core2", "Penryn", "Dunnington",
            "Nehalem", "Atom", "Sandybridge", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Bobcat",
            "Bulldozer", "Piledriver", "Steamroller", "Excavator", "Nano"}

_PROBE = ("import ctypes\n"
          "lib = ctypes.CDLL('libblas.so.3')\n"
          "lib.openblas_get_corename.restype = ctypes.c_char_p\n"
          "print(lib.openblas_get_corename().decode())\n")


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def core_for(flags):
    """The newest core OpenBLAS 0.3.21 and later have for these SIMD extensions, or None below AVX2."""
    if "avx512_bf16" in flags:
        return "Cooperlake"
    if "avx512f" in flags:
        return "SkylakeX"
    if "avx2" in flags:
        return "Haswell"
    return None


def detected():
    """The core the BLAS behind libblas.so.3 chooses with no OPENBLAS_CORETYPE, or None if it is not OpenBLAS."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def needed():
    """(the core OpenBLAS chooses itself, the core to set instead or None): set one only for a generic choice."""
    own = detected()
    wanted = core_for(_cpu_flags())
    return own, (wanted if own in _GENERIC else None)


def choose(script, say=True):
    """Sets OPENBLAS_CORETYPE when OpenBLAS would fall back to a generic core, and says so on stderr unless `say` is
    false; returns the note for the machine row."""
    own, wanted = needed()
    if wanted:
        os.environ["OPENBLAS_CORETYPE"] = wanted
        if say:
                print("%s: OpenBLAS does not know this CPU and chose %s, a core without AVX2; running it with "
                  "OPENBLAS_CORETYPE=%s, the newest core it has for this CPU's extensions" % (script, own, wanted),
                  file=sys.stderr)
        return "core %s chosen for a CPU OpenBLAS did not know (it picked %s)" % (wanted, own)
    return None


if __name__ == "__main__":
    print(needed()[1] or "")
