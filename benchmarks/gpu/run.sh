#!/usr/bin/env bash
# The GPU check of issue 20 in one script (benchmarks/README.md, "gpu"). Three verbs:
#
#   run.sh pack [--out DIR] [--limit-mib N] [--xz-level N] [--dotnet-root DIR] [--app DIR]
#       CPU side, on a machine with the .NET SDK: publishes dnafm, the benchmarks and the GPU-capable test assemblies
#       framework-dependent, without the CPU libtorch, adds VSTest and the .NET runtime from the SDK's dotnet root, and
#       packs it all into DIR/gpu-bundle.tar.xz (default DIR .gpu-bundle), refusing to exceed the size limit
#       (default 56 MiB: what the GPU machine's 64 MiB transfer leaves beside the working tree).
#       --app DIR packs an already published folder instead of publishing (the CI test uses it).
#
#   run.sh check-libtorch DIR
#       Is DIR (a torch/lib or libtorch/lib folder) a CUDA libtorch of the version TorchSharp was built against?
#       Exit 0 yes, 3 no (the reason on one plain line).
#
#   run.sh [run] [--bundle FILE]
#       GPU side, as is, on a machine with an NVIDIA GPU, in under 12 minutes (DNAFM_GPU_BUDGET_S, default 690 s).
#       Writes one report, $OUT/gpu-report.md (OUT defaults to ./gpu-report): nvidia-smi, `dnafm info`, the gpu=capable
#       tests on --device cuda, the model-train benchmark (dnabert2-117m, bf16 and fp32, 128 and 512 tokens), a
#       200-step pretraining killed with SIGKILL and resumed against an uninterrupted one, and a 2-rank NCCL run when
#       two GPUs and mpirun exist. .NET: the one on PATH, else the bundle's. The application: the bundle's, else built
#       here (with the CUDA TorchSharp packages when they restore, else the CPU build with libtorch swapped).
#       The CUDA libtorch: the application's own (CUDA packages), else DNAFM_LIBTORCH_DIR, else the torch/lib of the
#       python3 that imports torch; its version is checked first. DNAFM_ALLOW_LIBTORCH_MISMATCH=1 tries a mismatched
#       libtorch anyway (TorchSharp's native glue is compiled against one libtorch's C++ API; expect a load failure).
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TORCHSHARP_VERSION=$(sed -n 's/.*Include="TorchSharp" Version="\([^"]*\)".*/\1/p' "$REPO/Directory.Packages.props")
LIBTORCH_EXPECTED=$(sed -n 's/.*Include="libtorch-cpu-linux-x64" Version="\([^"]*\)".*/\1/p' "$REPO/Directory.Packages.props")
LIBTORCH_SERIES=${LIBTORCH_EXPECTED%.*}                     # 2.10.0 -> 2.10
TEST_PROJECTS=(tests/DnaFoundation.Model.Tests tests/DnaFoundation.Training.Tests)
APP_PROJECTS=(src/DnaFoundation.Cli benchmarks/DnaFoundation.Benchmarks "${TEST_PROJECTS[@]}")

die() { echo "error: $*" >&2; exit "${EXIT:-1}"; }

# ---- libtorch ---------------------------------------------------------------------------------------------------

# The version of the libtorch whose lib folder is $1: torch/version.py (PyTorch) or build-version (libtorch archive).
libtorch_version() {
  local parent; parent=$(cd "$1/.." 2>/dev/null && pwd) || { echo unknown; return; }
  if [ -f "$parent/version.py" ]; then
    sed -n "s/^__version__ *= *['\"]\([^'\"]*\)['\"].*/\1/p" "$parent/version.py" | head -1
  elif [ -f "$parent/build-version" ]; then
    head -1 "$parent/build-version" | tr -d '[:space:]'
  else
    echo unknown
  fi
}

# Prints one line and returns 0 when $1 is a CUDA libtorch of TorchSharp's series, else 3.
check_libtorch() {
  local dir=$1 v
  [ -d "$dir" ] || { echo "libtorch: $dir is not a folder"; return 3; }
  [ -f "$dir/libtorch_cpu.so" ] || { echo "libtorch: $dir has no libtorch_cpu.so (not a libtorch lib folder)"; return 3; }
  v=$(libtorch_version "$dir"); [ -n "$v" ] || v=unknown
  if [ ! -f "$dir/libtorch_cuda.so" ]; then
    echo "libtorch: $dir ($v) has no libtorch_cuda.so: a CPU-only libtorch, useless for the GPU run"; return 3
  fi
  case "$v" in
    "$LIBTORCH_SERIES"|"$LIBTORCH_SERIES".*|"$LIBTORCH_SERIES"+*)
      echo "libtorch: $v with CUDA at $dir matches TorchSharp $TORCHSHARP_VERSION (built against libtorch $LIBTORCH_EXPECTED)"; return 0 ;;
    unknown)
      echo "libtorch: cannot tell the version of $dir (no ../version.py or ../build-version); TorchSharp $TORCHSHARP_VERSION needs libtorch $LIBTORCH_SERIES.x"; return 3 ;;
    *)
      echo "libtorch: $dir is libtorch $v, but TorchSharp $TORCHSHARP_VERSION is built against libtorch $LIBTORCH_EXPECTED: its native glue (libLibTorchSharp.so) would fail to load or crash. Provide a CUDA libtorch $LIBTORCH_SERIES.x (e.g. pip torch==$LIBTORCH_EXPECTED, or the libtorch $LIBTORCH_EXPECTED archive) through DNAFM_LIBTORCH_DIR, or set DNAFM_ALLOW_LIBTORCH_MISMATCH=1 to try anyway"; return 3 ;;
  esac
}

# DNAFM_LIBTORCH_DIR (a lib folder or a folder holding lib/), else the torch/lib of a python3 that imports torch.
find_libtorch() {
  if [ -n "${DNAFM_LIBTORCH_DIR:-}" ]; then
    if [ -f "$DNAFM_LIBTORCH_DIR/lib/libtorch_cpu.so" ]; then echo "$DNAFM_LIBTORCH_DIR/lib"; else echo "$DNAFM_LIBTORCH_DIR"; fi
    return 0
  fi
  local py
  for py in python3 /usr/bin/python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    "$py" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null && return 0
  done
  return 1
}

# ---- pack (CPU side) --------------------------------------------------------------------------------------------

# Files of a framework-dependent publish that the GPU bundle leaves out: the CPU libtorch (the GPU machine brings a
# CUDA one), code-coverage tooling and satellite resources of the test SDK.
prune_app() {
  local app=$1
  find "$app" -maxdepth 1 -type f \( -name 'libtorch*.so*' -o -name 'libc10*.so*' -o -name 'libgomp*.so*' -o -name 'libshm.so' \
    -o -name 'libaoti_custom_ops.so' -o -name 'libbackend_with_compiler.so' -o -name 'libjitbackend_test.so' -o -name 'libnnapi_backend.so' \
    -o -name 'Microsoft.CodeCoverage.*' -o -name 'Microsoft.VisualStudio.CodeCoverage.Shim.dll' -o -name 'Microsoft.VisualStudio.TraceDataCollector.dll' \) -delete
  rm -rf "$app/CodeCoverage"
  local d
  for d in alpine macos ubuntu arm64 x64 x86; do             # the instrumentation engine of code coverage, per OS/arch
    [ -d "$app/$d" ] && [ -z "$(find "$app/$d" -type f ! -iname '*InstrumentationEngine*' | head -1)" ] && rm -rf "${app:?}/$d"
  done
  for d in cs de es fr it ja ko pl pt-BR ru tr zh-Hans zh-Hant; do rm -rf "${app:?}/$d"; done
}

pack() {
  local out="$REPO/.gpu-bundle" limit=56 level=6 dotnet_root="" app_from=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --out) out=$2; shift 2 ;;
      --limit-mib) limit=$2; shift 2 ;;
      --xz-level) level=$2; shift 2 ;;
      --dotnet-root) dotnet_root=$2; shift 2 ;;
      --app) app_from=$2; shift 2 ;;
      *) die "pack: unknown option $1" ;;
    esac
  done
  if [ -z "$dotnet_root" ]; then
    command -v dotnet >/dev/null 2>&1 || die "pack needs the .NET SDK (dotnet on PATH) or --dotnet-root"
    dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  fi
  local runtime; runtime=$(ls -d "$dotnet_root"/shared/Microsoft.NETCore.App/10.* 2>/dev/null | sort -V | tail -1)
  [ -n "$runtime" ] || die "pack: no .NET 10 runtime under $dotnet_root/shared/Microsoft.NETCore.App"
  [ -x "$dotnet_root/dotnet" ] || [ -f "$dotnet_root/dotnet" ] || die "pack: no dotnet host in $dotnet_root"
  STAGE=$(mktemp -d "${TMPDIR:-/tmp}/dnafm-gpu-pack.XXXXXX"); local stage=$STAGE
  trap 'rm -rf "${STAGE:-}"' EXIT
  mkdir -p "$stage/dotnet/shared/Microsoft.NETCore.App" "$stage/app" "$out"

  # The runtime alone (host, hostfxr, Microsoft.NETCore.App): no SDK, no ASP.NET Core.
  cp -p "$dotnet_root/dotnet" "$stage/dotnet/"
  cp -rp "$dotnet_root/host" "$stage/dotnet/"
  cp -rp "$runtime" "$stage/dotnet/shared/Microsoft.NETCore.App/"
  for f in LICENSE.txt ThirdPartyNotices.txt; do [ -f "$dotnet_root/$f" ] && cp -p "$dotnet_root/$f" "$stage/dotnet/"; done

  if [ -n "$app_from" ]; then
    cp -rp "$app_from/." "$stage/app/"
  else
    local p
    for p in "${APP_PROJECTS[@]}"; do
      echo "publishing $p" >&2
      dotnet publish "$REPO/$p" -c Release -r linux-x64 --self-contained false -p:TorchBackend=cpu -o "$stage/app" -nologo -v quiet >&2 \
        || die "pack: dotnet publish $p failed"
    done
    # VSTest from the SDK runs the test assemblies there (xunit's adapter is in the publish).
    local sdk; sdk=$(ls -d "$dotnet_root"/sdk/10.* 2>/dev/null | sort -V | tail -1)
    [ -n "$sdk" ] || die "pack: no .NET 10 SDK under $dotnet_root/sdk (VSTest comes from it)"
    mkdir -p "$stage/vstest/Extensions"
    cp -p "$sdk"/vstest.console.{dll,deps.json,runtimeconfig.json,dll.config} "$sdk"/Microsoft.TestPlatform.*.dll \
      "$sdk"/Microsoft.VisualStudio.TestPlatform.*.dll "$sdk"/Newtonsoft.Json.dll "$sdk"/Microsoft.Extensions.FileSystemGlobbing.dll \
      "$sdk"/Microsoft.Extensions.DependencyModel.dll "$sdk"/testhost*.json "$sdk"/testhost.dll "$stage/vstest/"
    cp -p "$sdk"/Extensions/*.dll "$stage/vstest/Extensions/"
  fi
  prune_app "$stage/app"
  {
    echo "dnafoundation GPU bundle"
    echo "made: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m)"
    echo "commit: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "dotnet runtime: $(basename "$runtime")"
    echo "torchsharp: $TORCHSHARP_VERSION (libtorch $LIBTORCH_EXPECTED expected beside it; the CPU libtorch is left out)"
    echo "app files: $(find "$stage/app" -type f | wc -l)"
  } > "$stage/BUNDLE"

  local bundle="$out/gpu-bundle.tar.xz"
  tar -C "$stage" -cf - BUNDLE dotnet app $( [ -d "$stage/vstest" ] && echo vstest ) | xz -T0 "-$level" > "$bundle.tmp" || die "pack: tar/xz failed"
  mv "$bundle.tmp" "$bundle"
  local bytes mib runtime_mib app_mib
  bytes=$(stat -c %s "$bundle"); mib=$(( (bytes + 1048575) / 1048576 ))
  runtime_mib=$(du -sm "$stage/dotnet" | cut -f1); app_mib=$(du -sm "$stage/app" | cut -f1)
  echo "bundle: $bundle $bytes bytes ($mib MiB; unpacked: runtime $runtime_mib MiB, app $app_mib MiB); limit $limit MiB"
  if [ "$bytes" -gt $(( limit * 1048576 )) ]; then
    rm -f "$bundle"
    EXIT=4 die "the bundle is $mib MiB, over the $limit MiB limit (try --xz-level 9; the runtime alone packs to about 25 MiB)"
  fi
}

# ---- run (GPU side) ---------------------------------------------------------------------------------------------

REPORT=""
START=$(date +%s)
BUDGET=${DNAFM_GPU_BUDGET_S:-690}

say() { printf '%s\n' "$*" | tee -a "$REPORT"; }
left() { echo $(( BUDGET - ($(date +%s) - START) )); }
# Runs a step under what is left of the budget (at most $1 s), its output in a fenced block of the report.
step() {
  local cap=$1 title=$2; shift 2
  local t; t=$(left); [ "$t" -gt "$cap" ] && t=$cap
  say ""; say "## $title"; say ""
  if [ "$t" -le 5 ]; then say "skipped: the ${BUDGET}s budget is spent"; return 124; fi
  say "\`$*\` (limit ${t}s)"; say ""; echo '```' >> "$REPORT"
  local s0; s0=$(date +%s)
  timeout -k 10 "$t" "$@" > >(tee -a "$REPORT") 2>&1; local rc=$?
  echo '```' >> "$REPORT"
  say "exit $rc after $(( $(date +%s) - s0 ))s"
  return $rc
}

run() {
  local bundle="$REPO/.gpu-bundle/gpu-bundle.tar.xz"
  while [ $# -gt 0 ]; do
    case "$1" in
      --bundle) bundle=$2; shift 2 ;;
      *) die "run: unknown option $1" ;;
    esac
  done
  local outdir=${OUT:-$PWD/gpu-report}
  mkdir -p "$outdir"; REPORT="$outdir/gpu-report.md"; : > "$REPORT"
  local work=${DNAFM_GPU_WORK:-$REPO/.gpu-work}; mkdir -p "$work"
  export DNAFM_REPO_ROOT="$REPO"                              # the tests find fixtures and configs from it
  say "# DnaFoundation GPU report"
  say ""
  say "$(date -u +%Y-%m-%dT%H:%M:%SZ); commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown); budget ${BUDGET}s; host $(uname -n) $(uname -m)"
  say ""
  if command -v nvidia-smi >/dev/null 2>&1; then
    say '```'; nvidia-smi --query-gpu=index,name,memory.total,driver_version,compute_cap --format=csv 2>&1 | tee -a "$REPORT"; say '```'
  else
    say "nvidia-smi: not found (no NVIDIA driver on this machine)"
  fi
  local gpus; gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)

  # .NET and the application.
  local app="" dotnet=""
  if [ -f "$bundle" ]; then
    say "bundle: $bundle ($(stat -c %s "$bundle") bytes)"
    rm -rf "$work/bundle"; mkdir -p "$work/bundle"
    xz -T0 -dc "$bundle" | tar -C "$work/bundle" -xf - || { say "error: cannot unpack $bundle"; return 1; }
    sed 's/^/    /' "$work/bundle/BUNDLE" >> "$REPORT"
    app="$work/bundle/app"
  fi
  if command -v dotnet >/dev/null 2>&1 && dotnet --list-runtimes 2>/dev/null | grep -q 'Microsoft.NETCore.App 10\.'; then
    dotnet=$(command -v dotnet)
  elif [ -x "$work/bundle/dotnet/dotnet" ]; then
    export DOTNET_ROOT="$work/bundle/dotnet"; dotnet="$DOTNET_ROOT/dotnet"; export PATH="$DOTNET_ROOT:$PATH"
  fi
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  [ -n "$dotnet" ] || { say "error: no .NET 10 runtime: neither dotnet on PATH nor a bundle ($bundle; make one with 'run.sh pack' where the SDK is)"; return 1; }
  say ".NET: $dotnet ($("$dotnet" --list-runtimes 2>/dev/null | grep 'NETCore.App 10' | head -1))"

  # The CUDA libtorch, version-checked before anything is built: a PyTorch installation's (or DNAFM_LIBTORCH_DIR),
  # else, with no bundle, the CUDA TorchSharp packages' own if they restore here.
  local libtorch="" line ok
  if libtorch=$(find_libtorch); then
    line=$(check_libtorch "$libtorch"); ok=$?
    say "$line"
    if [ $ok -ne 0 ]; then
      if [ "${DNAFM_ALLOW_LIBTORCH_MISMATCH:-0}" = 1 ] && [ -f "$libtorch/libtorch_cuda.so" ]; then
        say "DNAFM_ALLOW_LIBTORCH_MISMATCH=1: trying it anyway; failures below may be the mismatch"
      else
        say ""; say "stopped: the GPU run needs a matching CUDA libtorch (see the line above)"; return 3
      fi
    fi
  else
    libtorch=""
    say "no PyTorch installation or DNAFM_LIBTORCH_DIR: only the CUDA TorchSharp packages can bring libtorch"
  fi

  if [ -z "$app" ]; then
    command -v dotnet >/dev/null 2>&1 && dotnet --list-sdks 2>/dev/null | grep -q '^10\.' \
      || { say "error: no bundle at $bundle and no .NET 10 SDK to build the application"; return 1; }
    app="$work/app"; rm -rf "$app"
    local backend=cuda p
    [ -n "$libtorch" ] && backend=cpu                        # a checked libtorch is there: swap it in
    for p in "${APP_PROJECTS[@]}"; do
      if ! dotnet publish "$REPO/$p" -c Release -r linux-x64 --self-contained false -p:TorchBackend=$backend -o "$app" -nologo -v quiet >> "$work/publish.log" 2>&1; then
        say "error: dotnet publish $p -p:TorchBackend=$backend failed (see $work/publish.log; the CUDA TorchSharp packages restore only from a feed that has them)"
        return 1
      fi
    done
  fi

  if [ -f "$app/libtorch_cuda.so" ]; then
    say "libtorch: the application's own CUDA libtorch ($app)"
  elif [ -n "$libtorch" ]; then
    # Swap: the CPU libtorch goes, the CUDA one is found in its own folder (so its RPATH to the nvidia-* libraries holds).
    find "$app" -maxdepth 1 -type f \( -name 'libtorch*.so*' -o -name 'libc10*.so*' -o -name 'libgomp*.so*' \) -delete
    local extra; extra=$(find "$libtorch/../.." -maxdepth 3 -type d -path '*/nvidia/*/lib' 2>/dev/null | tr '\n' ':')
    export LD_LIBRARY_PATH="$libtorch:${extra}${LD_LIBRARY_PATH:-}"
    say "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  else
    say "error: no CUDA libtorch: set DNAFM_LIBTORCH_DIR to a libtorch $LIBTORCH_SERIES.x lib folder, or install torch==$LIBTORCH_EXPECTED for python3"; return 3
  fi
  export DNAFM_TEST_DEVICE=cuda

  step 60 "dnafm info" "$dotnet" "$app/dnafm.dll" info
  if ! grep -Eq '^cuda backend +loaded' "$REPORT"; then
    say ""; say "stopped: CUDA did not initialise in dnafm (see 'cuda backend' above); nothing below could run on the GPU"; return 5
  fi
  local tests=() t
  for t in "${TEST_PROJECTS[@]}"; do tests+=("$app/$(basename "$t").dll"); done
  if [ -f "$work/bundle/vstest/vstest.console.dll" ]; then
    step 240 "gpu=capable tests on cuda" "$dotnet" "$work/bundle/vstest/vstest.console.dll" "${tests[@]}" --TestCaseFilter:"gpu=capable" --logger:"console;verbosity=normal"
  else
    step 240 "gpu=capable tests on cuda" "$dotnet" test "$REPO/${TEST_PROJECTS[0]}" "$REPO/${TEST_PROJECTS[1]}" --filter "gpu=capable"
  fi
  for tokens in 128 512; do
    step 150 "model-train, dnabert2-117m, $tokens tokens" "$dotnet" "$app/DnaFoundation.Benchmarks.dll" model-train --device cuda \
      --models dnabert2-117m --dtypes bf16,fp32 --batch 32 --tokens "$tokens" --steps 10 --threads 8
  done
  resume_check "$dotnet" "$app" "$work"
  say ""; say "## 2-rank NCCL"; say ""
  if [ "${gpus:-0}" -ge 2 ] && command -v mpirun >/dev/null 2>&1; then
    step 120 "2-rank NCCL pretraining" mpirun --allow-run-as-root -np 2 --bind-to none "$dotnet" "$app/dnafm.dll" pretrain \
      --config "$REPO/configs/train/tiny.json" --set distributed.backend=nccl --max-steps 20 --device cuda --output "$work/nccl"
  else
    say "skipped: $gpus GPU(s), mpirun $(command -v mpirun >/dev/null 2>&1 && echo present || echo absent); needs 2 GPUs and mpirun"
  fi
  say ""; say "total $(( $(date +%s) - START ))s of the ${BUDGET}s budget"
}

# A 200-step pretraining killed with SIGKILL after its step-100 checkpoint, resumed, against an uninterrupted run.
resume_check() {
  local dotnet=$1 app=$2 work=$3
  local args=(pretrain --config "$REPO/configs/train/tiny.json" --device cuda --max-steps 200 --checkpoint-every 100
    --set "model=${DNAFM_GPU_RESUME_MODEL:-dnabert2-117m}" --set "precision=${DNAFM_GPU_RESUME_PRECISION:-bf16}"
    --set micro_batch_size=32 --set global_batch_size=32 --set eval_every=0 --set log_every=10 --set baseline_windows=64 --set keep_last=3)
  rm -rf "$work/straight" "$work/broken"
  step 180 "pretraining, 200 steps, uninterrupted" "$dotnet" "$app/dnafm.dll" "${args[@]}" --output "$work/straight" || return
  say ""; say "## pretraining, killed with SIGKILL after step 100, resumed"; say ""
  "$dotnet" "$app/dnafm.dll" "${args[@]}" --output "$work/broken" > "$work/broken.log" 2>&1 &
  local pid=$! waited=0
  while [ ! -f "$work/broken/checkpoints/step-100/trainer_state.json" ] && kill -0 $pid 2>/dev/null && [ "$(left)" -gt 30 ]; do sleep 1; waited=$((waited + 1)); done
  sleep 3
  kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
  say "SIGKILL after ${waited}s; checkpoints left: $(ls "$work/broken/checkpoints" 2>/dev/null | tr '\n' ' ')"
  step 180 "resume --resume auto" "$dotnet" "$app/dnafm.dll" "${args[@]}" --output "$work/broken" --resume auto || return
  local a b
  a=$(sha256sum "$work/straight/final/model.safetensors" 2>/dev/null | cut -d' ' -f1)
  b=$(sha256sum "$work/broken/final/model.safetensors" 2>/dev/null | cut -d' ' -f1)
  say ""
  if [ -n "$a" ] && [ "$a" = "$b" ]; then say "resume exactness: final weights bit-identical ($a)"; else say "resume exactness: final weights DIFFER ($a vs $b)"; fi
  local la lb
  la=$(grep '"kind":"train"' "$work/straight/metrics.jsonl" | sed 's/.*"loss":\([^,]*\),.*/\1/' | tr '\n' ' ')
  lb=$(grep '"kind":"train"' "$work/broken/metrics.jsonl" | sed 's/.*"loss":\([^,]*\),.*/\1/' | tr '\n' ' ')
  say "train losses, uninterrupted: $la"
  say "train losses, resumed:       $lb"
  [ "$la" = "$lb" ] && say "loss histories identical" || say "loss histories DIFFER"
  grep -h '"kind":"train"' "$work/straight/metrics.jsonl" | tail -1 | sed 's/^/last logged interval (uninterrupted): /' | tee -a "$REPORT"
}

verb=${1:-run}; [ $# -gt 0 ] && shift
case "$verb" in
  pack) pack "$@" ;;
  check-libtorch) [ $# -eq 1 ] || die "usage: run.sh check-libtorch DIR"; check_libtorch "$1" ;;
  run) run "$@" ;;
  -h|--help|help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown verb '$verb' (pack, check-libtorch, run)" ;;
esac
