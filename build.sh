#!/usr/bin/env bash
# IncusTestKit's one entry point. See ./build.sh --help.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

usage() {
    cat <<'EOF_USAGE'
Usage: ./build.sh <command> [arguments]

  demo        set Incus up, build, and run a real command and real code in a real sandbox
  test        set Incus up, build (with the native isb), run every test with line coverage, the CLI's NativeCli
              tests again against the native isb, and the samples; the closing lines are
              "coverage: <package> NN.N% lines, ..." (fails below 80%) and "N passed, N failed, N skipped"
  bootstrap   set Incus up only (install, start the daemon, storage, network, images); see build/bootstrap.sh --help
  build       build the solution (Release)
  native      build the NativeAOT isb for linux-x64 (no .NET needed to run it): artifacts/isb-linux-x64/isb
  pack        build and pack every package into artifacts/packages (the tool as IncusTestKit.Cli, .linux-x64 and .any)
  samples     build and run the samples as a user would (the MSBuild sample from its freshly packed package)
  bench       run the benchmark against the incus CLI and the raw REST API (arguments go to it)

Environment:
  ISB_SKIP_BOOTSTRAP=1   skip the Incus set-up (you manage Incus yourself)
  ISB_REQUIRE_INCUS=1    tests fail instead of skipping when the daemon is unreachable (CI sets it)
  ISB_IMAGE_GO=1         build isb/debian12 with the Go toolchain

The set-up needs root (it installs packages and starts the daemon); it uses sudo when not root.
EOF_USAGE
}

bootstrap() {
    if [ "${ISB_SKIP_BOOTSTRAP:-0}" = 1 ]; then
        echo "[build] bootstrap skipped (ISB_SKIP_BOOTSTRAP=1)"
        return
    fi
    if [ "$(id -u)" -eq 0 ]; then
        bash build/bootstrap.sh "$@"
    else
        sudo --preserve-env=ISB_IMAGE_GO,ISB_CACHE_DIR bash build/bootstrap.sh "$@"
    fi
}

build() { dotnet build IncusTestKit.sln -c Release -nologo -clp:ErrorsOnly; }

# The tool as one native executable. Published to the project's own publish folder, which the tool package's pack takes
# its native binary from: the native compile (about a minute on two cores) runs only when the code changed, here or there.
native() {
    local started=$SECONDS
    dotnet publish src/IncusTestKit.Cli -c Release -r linux-x64 -nologo -clp:ErrorsOnly
    mkdir -p artifacts/isb-linux-x64
    cp src/IncusTestKit.Cli/bin/Release/net10.0/linux-x64/publish/dotnet-isb artifacts/isb-linux-x64/isb
    echo "native: artifacts/isb-linux-x64/isb ($((SECONDS - started)) s)"
}

pack() {
    rm -rf artifacts/packages
    dotnet pack IncusTestKit.sln -c Release --no-build -o artifacts/packages -nologo -v:q
    ls artifacts/packages
}

run_samples() {
    # samples/SandboxTests takes IncusTestKit.MSBuild as a package, as a user's project does: packed into
    # artifacts/packages, restored into a package folder of its own (a stale copy in the user's cache is never used).
    local sample=samples/SandboxTests packages=$PWD/artifacts/sample-packages
    rm -rf artifacts/packages "$packages" "$sample/bin" "$sample/obj" "$sample/TestResults"
    dotnet pack src/IncusTestKit.MSBuild -c Release --no-build -o artifacts/packages -nologo -v:q
    local run=(env NUGET_PACKAGES="$packages" MSBUILDDISABLENODEREUSE=1 dotnet)
    local flags=(-nodeReuse:false -tl:off -nologo -v:m)
    if "${run[@]}" build "$sample" -t:SandboxRun "${flags[@]}" && grep -q "Hello from" "$sample/bin/sandbox/greeting.txt" \
        && "${run[@]}" build "$sample" -t:SandboxTest "${flags[@]}" && compgen -G "$sample/TestResults/*.trx" >/dev/null \
        && [ ! -e written-in-the-sandbox.txt ]; then
        echo "samples: SandboxRun and SandboxTest passed"
    else
        echo "samples: FAILED (output above)"
        return 1
    fi
    # samples/XunitSandbox: a small repository whose xUnit tests run its own build and tests in a sandbox, with the
    # repository overlay-mounted ([SandboxFact], RepositorySandbox). Never skipped here: a sample that silently skips
    # shows nothing. What the build writes (__pycache__) stays in the sandbox.
    if ISB_REQUIRE_INCUS=1 dotnet test samples/XunitSandbox -c Release -nologo -v:m && [ ! -e samples/XunitSandbox/__pycache__ ]; then
        echo "samples: XunitSandbox passed"
    else
        echo "samples: XunitSandbox FAILED (output above)"
        return 1
    fi
}

run_tests() {
    local results=artifacts/test-results
    rm -rf "$results"
    # Test assemblies run one after another (each runs its classes in parallel), so the test that
    # restarts the daemon cannot pull it from under another assembly. Each also writes its line
    # coverage (coverlet); the CLI's tests run SDK code too, so the figures are merged over all.
    local status=0
    ISB_DISRUPTIVE_TESTS=${ISB_DISRUPTIVE_TESTS:-1} dotnet test IncusTestKit.sln -c Release --no-build -m:1 \
        --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" \
        --collect "XPlat Code Coverage" --settings build/coverage.runsettings || status=$?
    # The native isb against the tests that exercise what a native build could break (start-up, JSON, exec's
    # streams, errors, disp's terminal calls); the run above covered everything on the JIT build.
    ISB_CLI_UNDER_TEST=$PWD/artifacts/isb-linux-x64/isb dotnet test tests/IncusTestKit.Cli.Tests -c Release --no-build \
        --filter "Category=NativeCli" --logger "trx;LogFileName=native-cli.trx" --logger "console;verbosity=minimal" \
        --results-directory "$results" || status=$?
    run_samples || status=1
    python3 build/coverage-summary.py "$results" 80 || status=1
    bash build/test-summary.sh "$results" || status=1
    return "$status"
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
    demo) bootstrap; build; dotnet run --project samples/HelloSandbox -c Release --no-build ;;
    test) bootstrap; build; native; run_tests ;;
    samples) bootstrap; build; run_samples ;;
    bootstrap) bootstrap "$@" ;;
    build) build ;;
    native) build; native ;;
    pack) build; pack ;;
    bench) bootstrap; build; native; dotnet run --project tests/IncusTestKit.Benchmarks -c Release --no-build -- "$@" ;;
    -h|--help|help|"") usage ;;
    *) echo "build.sh: unknown command '$command'" >&2; usage >&2; exit 2 ;;
esac
